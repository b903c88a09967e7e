"""scripts/training/train.py: a few real optimisation steps on a small network, checkpoint and resume, both supervision modes,
real clips of each file type, and the DistributedDataParallel path through torchrun (2 CPU processes, gloo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model.readers import read_keypoints
from model.uplift import Uplifter

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SMALL = ["--dim", "32", "--layers", "1", "--batch", "4", "--threads", "1", "--lr", "1e-3"]


def _train(args: list[str], runner: list[str] | None = None) -> subprocess.CompletedProcess:
    cmd = (runner or [sys.executable]) + [str(ROOT / "scripts" / "training" / "train.py"), *args]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, cwd=ROOT, env=os.environ | {"OMP_NUM_THREADS": "1"}
    )


def test_train_checkpoint_resume_and_use_the_weights(tmp_path):
    out = tmp_path / "run"
    real = [str(FIXTURES / "bvh" / "cmu_01_01_first120.bvh"), str(FIXTURES / "deepmimic" / "humanoid3d_walk.txt")]
    done = _train(
        ["--out", str(out), "--steps", "4", "--every", "2", *SMALL, "--real", *real, "--real-fraction", "0.5"]
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (out / "checkpoint.pt").is_file() and "step 4/4" in (out / "train.log").read_text()
    resumed = _train(["--out", str(out), "--steps", "6", "--resume", *SMALL])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    log = (out / "train.log").read_text().splitlines()
    assert log[-1].startswith("step 6/6") and not any(line.startswith("step 2/6") for line in log)  # continued at 4
    card = json.loads((out / "weights.json").read_text())
    assert card["training"]["steps"] == 6 and np.isfinite(card["validation_synthetic"]["mpjpe_mm"])
    motion = Uplifter(out / "weights.npz", backend="numpy")(
        read_keypoints(ROOT / "model" / "samples" / "sample_mediapipe.json")
    )
    assert np.isfinite(motion.rotations).all() and motion.num_frames == 230


@pytest.mark.parametrize("rotation, loss", [("quaternion", "mse"), ("axis_angle", "geodesic"), ("matrix", "mse")])
def test_representations_losses_and_positions_only(tmp_path, rotation, loss):
    done = _train(
        [
            "--out",
            str(tmp_path / "r"),
            "--steps",
            "2",
            *SMALL,
            "--rotation",
            rotation,
            "--loss",
            loss,
            "--supervision",
            "positions_only" if rotation == "matrix" else "full",
        ]
    )
    assert done.returncode == 0, done.stderr[-2000:]
    card = json.loads((tmp_path / "r" / "weights.json").read_text())
    assert card["config"]["rotation"] == rotation and np.isfinite(card["validation_synthetic"]["mpjae_deg"])


def test_distributed_data_parallel_on_two_cpu_processes(tmp_path):
    pytest.importorskip("torch.distributed.run")
    runner = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29517"]
    done = _train(["--out", str(tmp_path / "ddp"), "--steps", "2", *SMALL, "--device", "cpu"], runner)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "ddp" / "weights.npz").is_file()
    assert "step 2/2" in (tmp_path / "ddp" / "train.log").read_text()


def test_batches_made_by_worker_processes(tmp_path):
    """--workers: batches made ahead by other processes; the run trains and writes its weights the same way."""
    out = tmp_path / "workers"
    done = _train(["--out", str(out), "--steps", "3", "--every", "3", *SMALL, "--workers", "2"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert (out / "weights.npz").is_file() and "step 3/3" in (out / "train.log").read_text()


def test_init_from_a_shallower_network_adds_identity_layers(tmp_path):
    """--init with fewer --layers: the weights load and the added layers start as identities, so the deeper network
    (before any learning: learning rate 0) computes what the shallower one did."""
    done = _train(["--out", str(tmp_path / "one"), "--steps", "2", *SMALL])
    assert done.returncode == 0, done.stderr[-2000:]
    deeper = ["--dim", "32", "--layers", "3", "--batch", "4", "--threads", "1", "--lr", "0"]
    done = _train(
        ["--out", str(tmp_path / "three"), "--steps", "1", *deeper, "--init", str(tmp_path / "one" / "weights.npz")]
    )
    assert done.returncode == 0, done.stderr[-2000:]
    card = json.loads((tmp_path / "three" / "weights.json").read_text())
    assert card["config"]["layers"] == 3
    keypoints = read_keypoints(ROOT / "model" / "samples" / "sample_mediapipe.json")
    one = Uplifter(tmp_path / "one" / "weights.npz", backend="numpy")(keypoints)
    three = Uplifter(tmp_path / "three" / "weights.npz", backend="numpy")(keypoints)
    np.testing.assert_allclose(three.rotations, one.rotations, atol=1e-5)
    refused = _train(
        ["--out", str(tmp_path / "back"), "--steps", "1", *SMALL, "--init", str(tmp_path / "three" / "weights.npz")]
    )
    assert refused.returncode != 0 and "network shape differs" in refused.stderr


def test_parts_network_trains_and_uplifts_on_both_backends(tmp_path):
    """--tokens parts: trains, its weights run in the extension on torch and numpy alike, and cannot seed a
    frame-token network."""
    parts = ["--dim", "32", "--layers", "1", "--heads", "4", "--batch", "4", "--threads", "1", "--tokens", "parts"]
    done = _train(["--out", str(tmp_path / "parts"), "--steps", "2", *parts])
    assert done.returncode == 0, done.stderr[-2000:]
    weights = tmp_path / "parts" / "weights.npz"
    assert json.loads(weights.with_suffix(".json").read_text())["config"]["tokens"] == "parts"
    keypoints = read_keypoints(ROOT / "model" / "samples" / "sample_mediapipe.json")
    on_numpy = Uplifter(weights, backend="numpy")(keypoints)
    on_torch = Uplifter(weights, backend="torch")(keypoints)
    assert np.isfinite(on_numpy.rotations).all() and on_numpy.num_frames == 230
    np.testing.assert_allclose(on_torch.rotations, on_numpy.rotations, atol=1e-3)
    refused = _train(["--out", str(tmp_path / "frame"), "--steps", "1", *SMALL, "--init", str(weights)])
    assert refused.returncode != 0 and "network shape differs" in refused.stderr


def _train_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_script", ROOT / "scripts" / "training" / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_weight_average_is_the_exponential_mean_of_the_weights():
    """Half-life 1 step: each update moves the average half-way to the live weights; a saved state continues it, and
    copy_into gives a network the average."""
    import torch

    WeightAverage = _train_module().WeightAverage
    lin = torch.nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.zero_()
        lin.bias.fill_(2.0)
    average = WeightAverage(lin, half_life=1.0)
    for value in (1.0, 1.0, 3.0):
        with torch.no_grad():
            lin.weight.fill_(value)
        average.update()
    assert torch.allclose(average.state_dict()["weight"], torch.full((1, 2), 1.875))  # 0 -> 0.5 -> 0.75 -> 1.875
    assert torch.allclose(average.state_dict()["bias"], torch.tensor([2.0]))
    resumed = WeightAverage(lin, half_life=1.0, state=average.state_dict())
    resumed.update()
    assert torch.allclose(resumed.state_dict()["weight"], torch.full((1, 2), 2.4375))
    assert torch.allclose(average.state_dict()["weight"], torch.full((1, 2), 1.875))  # its own copy
    other = torch.nn.Linear(2, 1)
    resumed.copy_into(other)
    assert torch.allclose(other.weight, torch.full((1, 2), 2.4375))
    assert torch.allclose(lin.weight, torch.full((1, 2), 3.0))  # the live weights untouched
    with pytest.raises(ValueError):
        WeightAverage(lin, half_life=0.0)


def test_averaged_weights_are_scored_saved_and_resumed(tmp_path):
    """--average with a library: each curve point scores the average beside the weights, each snapshot has its
    averaged twin, the end writes averaged.npz, and --resume continues the checkpointed average (at learning rate 0
    the weights stand still and the average halves its distance to them every half-life)."""
    import importlib.util

    from model.mocap import read_motion
    from model.network import load_weights

    spec = importlib.util.spec_from_file_location("evaluate_tests", ROOT / "tests" / "model" / "test_evaluate.py")
    tests_evaluate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tests_evaluate)
    train = read_motion(FIXTURES / "deepmimic" / "humanoid3d_walk.txt").resampled(30.0)
    val = read_motion(FIXTURES / "bvh" / "cmu_01_01_first120.bvh").resampled(30.0)
    lib = tests_evaluate.write_library(tmp_path / "lib.npz", train, val)
    out = tmp_path / "avg"
    common = ["--out", str(out), "--library", str(lib), "--window", "27", "--curve-every", "2", "--average", "2"]
    done = _train([*common, "--steps", "4", "--every", "2", *SMALL])
    assert done.returncode == 0, done.stderr[-2000:]
    points = [json.loads(line) for line in (out / "curves.jsonl").read_text().splitlines()]
    assert [p["step"] for p in points] == [2, 4]
    for p in points:
        assert set(p["averaged"]) == {
            "train_exact",
            "validation_exact",
            "validation_mediapipe",
            "train_assembled_exact",
        }
        assert np.isfinite(p["averaged"]["validation_exact"]["model_mm"])
        assert np.isfinite(p["averaged"]["train_assembled_exact"]["model_mm"])
    assert (out / "averaged_step2.npz").is_file() and (out / "averaged_step4.npz").is_file()
    live4, _ = load_weights(out / "weights_step4.npz")
    avg4, _ = load_weights(out / "averaged_step4.npz")
    assert max(np.abs(avg4[k] - live4[k]).max() for k in live4) > 1e-5
    resumed = _train([*common, "--steps", "6", "--every", "2", "--resume", *SMALL[:-2], "--lr", "0"])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    live6, _ = load_weights(out / "weights.npz")
    avg6, cfg = load_weights(out / "averaged.npz")
    for k in live4:
        np.testing.assert_allclose(live6[k], live4[k], atol=1e-6)
        np.testing.assert_allclose(avg6[k] - live6[k], 0.5 * (avg4[k] - live4[k]), atol=1e-5)
    card = json.loads((out / "averaged.json").read_text())
    assert card["training"]["average_half_life_steps"] == 2 and card["config"]["layers"] == cfg.layers
    motion = Uplifter(out / "averaged.npz", backend="numpy")(
        read_keypoints(ROOT / "model" / "samples" / "sample_mediapipe.json")
    )
    assert np.isfinite(motion.rotations).all()


def test_a_wall_clock_budget_ends_the_schedule_and_the_run(tmp_path):
    """--minutes: the run stops when its budget is spent, well before --steps, and still writes its last curve point,
    checkpoint and weights; the learning rate has come down to (nearly) zero by then."""
    out = tmp_path / "budget"
    done = _train(["--out", str(out), "--steps", "100000", "--every", "100000", *SMALL, "--minutes", "0.05"])
    assert done.returncode == 0, done.stderr[-2000:]
    lines = (out / "train.log").read_text().splitlines()
    last = lines[-1].split()
    steps_done = int(last[1].split("/")[0])
    assert 0 < steps_done < 100000
    by_steps = 1e-3 * min(1.0, steps_done / 500) * 0.5 * (1 + np.cos(np.pi * steps_done / 100000))
    assert float(last[last.index("lr") + 1]) < 0.5 * by_steps  # the cosine ran by the clock, not by the steps
    assert (out / "weights.npz").is_file() and (out / "checkpoint.pt").is_file()


def test_whole_frame_parts_network_trains_and_the_option_needs_the_parts_layout(tmp_path):
    out = tmp_path / "whole"
    parts = ["--tokens", "parts", "--heads", "4", "--whole-frame"]
    done = _train(["--out", str(out), "--steps", "2", "--every", "2", *SMALL, *parts])
    assert done.returncode == 0, done.stderr[-2000:]
    card = json.loads((out / "weights.json").read_text())
    assert card["config"]["whole_frame"] is True and card["config"]["tokens"] == "parts"
    done = _train(["--out", str(tmp_path / "frame"), "--steps", "1", *SMALL, "--whole-frame"])
    assert done.returncode != 0 and "--whole-frame is an option of the parts layout" in done.stderr
    done = _train(["--out", str(tmp_path / "frame_local"), "--steps", "1", *SMALL, "--local"])
    assert done.returncode != 0 and "--local is an option of the parts layout" in done.stderr
