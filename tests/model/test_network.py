"""The network: torch and numpy forward passes agree; weights files load safely or fail with one line."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from model.network import (
    NetworkConfig,
    WeightsError,
    load_weights,
    numpy_forward,
    save_weights,
    torch_state_to_arrays,
)
from model.network_torch import UpliftNet
from model.uplift import DEFAULT_WEIGHTS

SMALL = replace(NetworkConfig(), window=27, dim=64, layers=2, mlp=128)


def random_inputs(b: int, t: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(b, t, 26, 3)).astype(np.float32)
    x[..., 2] = np.abs(x[..., 2])
    x[:, :, 3] = 0.0  # an absent point
    return x


def test_torch_and_numpy_agree_on_random_weights():
    torch.manual_seed(0)
    model = UpliftNet(SMALL).eval()
    weights = torch_state_to_arrays(model)
    x = random_inputs(3, SMALL.window)
    with torch.no_grad():
        expected = model(torch.as_tensor(x)).numpy()
    assert np.abs(numpy_forward(x, weights, SMALL) - expected).max() < 1e-4


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

    cases = {}
    cases["missing.npz"] = None
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04 not a zip")
    cases["corrupt.npz"] = "not a readable weights file"
    np.savez(tmp_path / "foreign.npz", a=np.zeros(3))
    cases["foreign.npz"] = "no weights metadata"
    meta = {"format": "pose_uplift.weights/0", "config": {}}
    np.savez(tmp_path / "old.npz", __meta__=np.array(json.dumps(meta)), **weights)
    cases["old.npz"] = "weights format"
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
