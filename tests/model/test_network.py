"""The network: torch and numpy forward passes agree; weights files load safely or fail with one line."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from model.keypoints import KEYPOINT_INDEX
from model.network import (
    PARTS,
    NetworkConfig,
    WeightsError,
    load_weights,
    numpy_forward,
    part_masks,
    part_order,
    part_outputs,
    save_weights,
    split_outputs,
    torch_free_shapes,
    torch_state_to_arrays,
)
from model.network_torch import UpliftNet
from model.uplift import DEFAULT_WEIGHTS

SMALL = replace(NetworkConfig(), window=27, dim=64, layers=2, mlp=128)
PARTS_SMALL = replace(SMALL, dim=32, mlp=64, heads=4, tokens="parts")
WHOLE_SMALL = replace(PARTS_SMALL, whole_frame=True)
LOCAL_SMALL = replace(PARTS_SMALL, local=True)


def random_inputs(b: int, t: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(b, t, 26, 3)).astype(np.float32)
    x[..., 2] = np.abs(x[..., 2])
    x[:, :, 3] = 0.0  # an absent point
    return x


@pytest.mark.parametrize(
    "config", [SMALL, PARTS_SMALL, WHOLE_SMALL, LOCAL_SMALL], ids=["frame", "parts", "parts_whole_frame", "parts_local"]
)
def test_torch_and_numpy_agree_on_random_weights(config):
    torch.manual_seed(0)
    model = UpliftNet(config).eval()
    weights = torch_state_to_arrays(model)
    assert {k: v.shape for k, v in weights.items()} == torch_free_shapes(config)
    x = random_inputs(3, config.window)
    with torch.no_grad():
        expected = model(torch.as_tensor(x)).numpy()
    assert expected.shape == (3, config.window, config.output_size)
    assert np.abs(numpy_forward(x, weights, config) - expected).max() < 1e-4


def test_parts_layout_writes_every_output_once_from_its_own_part():
    """Each output number comes from exactly one part's head: a joint's rotation and bone length from the part
    that holds the joint, the root's velocity and the up direction from the torso."""
    for rotation in ("6d", "quaternion", "axis_angle", "matrix"):
        config = replace(PARTS_SMALL, rotation=rotation)
        written = np.concatenate([part_outputs(i, config) for i in range(len(PARTS))])
        assert sorted(written) == list(range(config.output_size))
        assert np.array_equal(written[part_order(config)], np.arange(config.output_size))
    torch.manual_seed(2)
    model = UpliftNet(PARTS_SMALL).eval()
    arm = [name for name, _, _ in PARTS].index("left_arm")
    with torch.no_grad():  # the left arm's head silenced: only the left arm's joints' outputs change
        before = model(torch.as_tensor(random_inputs(1, 27))).numpy()
        model.head[arm].weight.zero_()
        model.head[arm].bias.fill_(7.0)
        after = model(torch.as_tensor(random_inputs(1, 27))).numpy()
    changed = split_outputs(np.abs(after - before).max((0, 1)) > 0, PARTS_SMALL)
    assert changed["rotations"].any(-1).nonzero()[0].tolist() == [13, 16, 18, 20]  # collar, shoulder, elbow, wrist
    assert changed["log_bones"].nonzero()[0].tolist() == [12, 15, 17, 19]
    assert not changed["velocity"].any() and not changed["up"].any()
    # each part's token is embedded from its own points: the legs' from the hip centre, hips, knees, ankles, feet
    leg = [name for name, _, _ in PARTS].index("right_leg")
    assert model.parts[leg].tolist() == [KEYPOINT_INDEX[n] for n in PARTS[leg][1]]
    assert {"right_knee", "right_heel", "hip"} <= set(PARTS[leg][1]) and "left_knee" not in PARTS[leg][1]


def test_whole_frame_adds_one_embedding_of_all_points_to_every_part_token():
    """``whole_frame`` adds ``frame_embed`` (all 26 points' features of the frame) to each part's token and changes
    nothing else: with it silenced the network computes what the plain parts network with the same weights does."""
    torch.manual_seed(3)
    whole = UpliftNet(WHOLE_SMALL).eval()
    arrays = torch_state_to_arrays(whole)
    plain = {k: v for k, v in arrays.items() if not k.startswith("frame_embed.")}
    assert set(arrays) - set(plain) == {"frame_embed.weight", "frame_embed.bias"}
    assert arrays["frame_embed.weight"].shape == (WHOLE_SMALL.dim, 26 * WHOLE_SMALL.spatial_dim)
    x = random_inputs(2, 27, 4)
    with_context = numpy_forward(x, arrays, WHOLE_SMALL)
    silenced = arrays | {"frame_embed.weight": np.zeros_like(arrays["frame_embed.weight"])}
    silenced["frame_embed.bias"] = np.zeros_like(arrays["frame_embed.bias"])
    assert np.abs(numpy_forward(x, silenced, WHOLE_SMALL) - numpy_forward(x, plain, PARTS_SMALL)).max() < 1e-6
    assert np.abs(with_context - numpy_forward(x, plain, PARTS_SMALL)).max() > 1e-3


def test_local_parts_read_each_limb_from_its_own_points_and_the_torso():
    """``local``: moving the right leg's own points (knee, ankle, heel, toes) changes the right leg's outputs only;
    the torso's (with the root's velocity and the up direction) and the other limbs' stay exactly as they were. In
    the plain parts layout the same move reaches every part."""
    spatial, across = part_masks()
    assert (np.diag(spatial) == 0).all() and (np.diag(across) == 0).all()
    assert (across[1:, 0] == 0).all() and np.isinf(across[0, 1:]).all()  # limbs see the torso, the torso only itself
    own = [KEYPOINT_INDEX[n] for n in ("right_knee", "right_ankle", "right_heel", "right_big_toe", "right_small_toe")]
    x = random_inputs(2, 27, 5)
    moved = x.copy()
    moved[:, :, own, :2] += 0.5
    leg = [name for name, _, _ in PARTS].index("right_leg")
    leg_outputs = part_outputs(leg, LOCAL_SMALL)
    others = np.setdiff1d(np.arange(LOCAL_SMALL.output_size), leg_outputs)
    for config, local in ((LOCAL_SMALL, True), (PARTS_SMALL, False)):
        torch.manual_seed(6)
        weights = torch_state_to_arrays(UpliftNet(config))
        change = np.abs(numpy_forward(moved, weights, config) - numpy_forward(x, weights, config)).max((0, 1))
        assert change[leg_outputs].max() > 1e-3
        assert (change[others].max() < 1e-6) == local
    assert torch_free_shapes(LOCAL_SMALL) == torch_free_shapes(PARTS_SMALL)  # the same weights, another attention


def test_dropout_acts_in_training_only():
    """Dropout (train.py --dropout) changes nothing about the weights or the evaluated network: the numpy twin
    still computes what the torch model does in eval mode; in training mode the outputs are perturbed."""
    torch.manual_seed(0)
    model = UpliftNet(SMALL, dropout=0.3)
    weights = torch_state_to_arrays(model)
    assert set(weights) == set(torch_state_to_arrays(UpliftNet(SMALL)))
    x = torch.as_tensor(random_inputs(2, SMALL.window))
    with torch.no_grad():
        train_a, train_b = model.train()(x), model(x)
        evaluated = model.eval()(x).numpy()
    assert (train_a - train_b).abs().max() > 1e-3
    assert np.abs(numpy_forward(x.numpy(), weights, SMALL) - evaluated).max() < 1e-4


@pytest.mark.parametrize(
    "config", [SMALL, PARTS_SMALL, WHOLE_SMALL, LOCAL_SMALL], ids=["frame", "parts", "parts_whole_frame", "parts_local"]
)
def test_training_attention_computes_what_the_fused_kernel_does(config):
    """On the CPU a training step runs attention as plain matmuls (faster than the fused kernel there): without
    dropout it computes the same outputs and the same gradients as the fused kernel."""
    x = torch.as_tensor(random_inputs(2, config.window, 3))
    results = []
    for fused in (False, True):
        torch.manual_seed(0)
        model = UpliftNet(config).train()
        if fused:  # the fused kernel is what the CPU's evaluation runs for heads of 16 or more, and CUDA always
            for block in [model.spatial, *model.temporal, *getattr(model, "across", [])]:
                block.forward = _fused_forward.__get__(block)
        out = model(x)
        out.square().mean().backward()
        results.append((out.detach(), {n: q.grad.clone() for n, q in model.named_parameters()}))
    (plain, plain_grads), (fused_out, fused_grads) = results
    assert (plain - fused_out).abs().max() < 1e-4
    assert max((plain_grads[n] - fused_grads[n]).abs().max().item() for n in plain_grads) < 1e-5
    assert max(g.abs().max().item() for g in plain_grads.values()) > 1e-4


def _fused_forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    b, n, d = x.shape
    q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
    att = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    x = x + self.proj(att.transpose(1, 2).reshape(b, n, d))
    return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.norm2(x)), approximate="tanh"))


@pytest.mark.skipif(not DEFAULT_WEIGHTS.exists(), reason="no bundled weights")
def test_torch_and_numpy_agree_on_bundled_weights():
    weights, config = load_weights(DEFAULT_WEIGHTS)
    model = UpliftNet(config).eval()
    model.load_state_dict({k: torch.as_tensor(v) for k, v in weights.items()})
    x = random_inputs(2, config.window, 1)
    with torch.no_grad():
        expected = model(torch.as_tensor(x)).numpy()
    assert np.abs(numpy_forward(x, weights, config) - expected).max() < 1e-4
    assert DEFAULT_WEIGHTS.stat().st_size <= 20 * 1024 * 1024
    card = json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text())
    assert {"training", "config", "format"} <= set(card)


def test_masked_points_do_not_matter():
    torch.manual_seed(1)
    model = UpliftNet(SMALL).eval()
    weights = torch_state_to_arrays(model)
    x = random_inputs(1, SMALL.window)
    y = x.copy()
    y[:, :, 3, :2] = 1234.0  # coordinates of an absent point are ignored
    assert np.allclose(numpy_forward(x, weights, SMALL), numpy_forward(y, weights, SMALL))


def test_weights_round_trip_and_errors(tmp_path):
    model = UpliftNet(SMALL)
    path = tmp_path / "w.npz"
    save_weights(path, torch_state_to_arrays(model), SMALL, {"name": "test"})
    weights, config = load_weights(path)
    assert config == SMALL and json.loads(path.with_suffix(".json").read_text())["name"] == "test"
    parts = UpliftNet(PARTS_SMALL)
    save_weights(tmp_path / "parts.npz", torch_state_to_arrays(parts), PARTS_SMALL, {})
    assert load_weights(tmp_path / "parts.npz")[1] == PARTS_SMALL
    save_weights(tmp_path / "whole_frame.npz", torch_state_to_arrays(UpliftNet(WHOLE_SMALL)), WHOLE_SMALL, {})
    assert load_weights(tmp_path / "whole_frame.npz")[1] == WHOLE_SMALL
    old = {"format": "pose_uplift.weights/1", "config": {k: v for k, v in SMALL.__dict__.items() if k != "tokens"}}
    np.savez(tmp_path / "frame.npz", __meta__=np.array(json.dumps(old)), **weights)
    assert load_weights(tmp_path / "frame.npz")[1].tokens == "frame"  # files from before the layouts

    cases = {}
    cases["missing.npz"] = None
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04 not a zip")
    cases["corrupt.npz"] = "not a readable weights file"
    np.savez(tmp_path / "foreign.npz", a=np.zeros(3))
    cases["foreign.npz"] = "no weights metadata"
    meta = {"format": "pose_uplift.weights/0", "config": {}}
    np.savez(tmp_path / "old.npz", __meta__=np.array(json.dumps(meta)), **weights)
    cases["old.npz"] = "weights format"
    meta = {"format": "pose_uplift.weights/1", "config": {**SMALL.__dict__, "tokens": "graph"}}
    np.savez(tmp_path / "layout.npz", __meta__=np.array(json.dumps(meta)), **weights)
    cases["layout.npz"] = "network layout 'graph' unknown"
    meta = {"format": "pose_uplift.weights/1", "config": {**SMALL.__dict__, "stride": SMALL.window}}
    np.savez(tmp_path / "stride.npz", __meta__=np.array(json.dumps(meta)), **weights)
    cases["stride.npz"] = f"window stride {SMALL.window} should be 0 (half a window) or 1-{SMALL.window - 1}"
    meta = {"format": "pose_uplift.weights/1", "config": {**SMALL.__dict__, "whole_frame": True}}
    np.savez(tmp_path / "whole.npz", __meta__=np.array(json.dumps(meta)), **weights)
    cases["whole.npz"] = "whole_frame is an option of the parts layout"
    meta = {"format": "pose_uplift.weights/1", "config": {**SMALL.__dict__, "local": True}}
    np.savez(tmp_path / "local.npz", __meta__=np.array(json.dumps(meta)), **weights)
    cases["local.npz"] = "local is an option of the parts layout"
    bad = dict(weights)
    bad["head.bias"] = np.zeros(3, np.float32)
    save_weights(tmp_path / "shape.npz", bad, SMALL, {})
    cases["shape.npz"] = "head.bias should be"
    np.savez(tmp_path / "pickle.npz", __meta__=np.array([{"a": 1}], dtype=object))
    cases["pickle.npz"] = "not a readable weights file"
    for name, fragment in cases.items():
        with pytest.raises(WeightsError) as info:
            load_weights(tmp_path / name)
        assert name in str(info.value) and "\n" not in str(info.value)
        assert fragment is None or fragment in str(info.value)
