"""scripts/training/average_weights.py: two weight sets of one network averaged into a third the runtime reads."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from model.network import NetworkConfig, load_weights, save_weights, torch_state_to_arrays
from model.network_torch import UpliftNet
from model.readers import read_keypoints
from model.uplift import Uplifter

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "model" / "samples" / "sample_mediapipe.json"
spec = importlib.util.spec_from_file_location("average_script", ROOT / "scripts" / "training" / "average_weights.py")
average = importlib.util.module_from_spec(spec)
spec.loader.exec_module(average)


def small(path: Path, seed: int, **changes) -> Path:
    torch.manual_seed(seed)
    cfg = replace(NetworkConfig(), window=27, dim=32, layers=1, mlp=64, **changes)
    save_weights(path, torch_state_to_arrays(UpliftNet(cfg)), cfg, {"name": path.stem})
    return path


def test_average_of_two_weight_sets(tmp_path, capsys):
    a, b = small(tmp_path / "a.npz", 0), small(tmp_path / "b.npz", 1)
    out = tmp_path / "mean.npz"
    assert average.main([str(a), str(b), "--out", str(out), "--share", "0.25"]) == 0
    assert "0.75 x a.npz + 0.25 x b.npz" in capsys.readouterr().out
    wa, cfg = load_weights(a)
    wb, _ = load_weights(b)
    wm, cfg_m = load_weights(out)
    assert cfg_m == cfg and set(wm) == set(wa)
    assert all(np.allclose(wm[k], 0.75 * wa[k] + 0.25 * wb[k], atol=1e-6) for k in wa)
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["share_of_second"] == 0.25 and card["averaged_from"] == [str(a), str(b)]
    # share 0 is the first set itself: the runtime gives the same motion
    same = tmp_path / "same.npz"
    assert average.main([str(a), str(b), "--out", str(same), "--share", "0"]) == 0
    kps = read_keypoints(SAMPLE)
    m1 = Uplifter(a, backend="numpy")(kps)
    m2 = Uplifter(same, backend="numpy")(kps)
    assert np.allclose(m1.rotations, m2.rotations, atol=1e-6)
    assert np.isfinite(Uplifter(out, backend="numpy")(kps).rotations).all()


def test_different_networks_are_not_averaged(tmp_path, capsys):
    a, b = small(tmp_path / "a.npz", 0), small(tmp_path / "wide.npz", 1, heads=4)
    assert average.main([str(a), str(b), "--out", str(tmp_path / "x.npz")]) == 1
    err = capsys.readouterr().err.strip()
    assert "wide.npz" in err and "heads" in err and "cannot be averaged" in err and "\n" not in err
    assert not (tmp_path / "x.npz").exists()
    assert average.main([str(a), str(tmp_path / "missing.npz"), "--out", str(tmp_path / "x.npz")]) == 1
    assert "missing.npz" in capsys.readouterr().err
    assert average.main([str(a), str(a), "--out", str(tmp_path / "x.npz"), "--share", "1.5"]) == 1
    assert "between 0 and 1" in capsys.readouterr().err
