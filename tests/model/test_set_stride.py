"""scripts/training/set_stride.py: a copy of a weights file with its run-time windows a chosen distance apart."""

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
spec = importlib.util.spec_from_file_location("set_stride_script", ROOT / "scripts" / "training" / "set_stride.py")
set_stride = importlib.util.module_from_spec(spec)
spec.loader.exec_module(set_stride)


def small(path: Path) -> Path:
    torch.manual_seed(0)
    cfg = replace(NetworkConfig(), window=27, dim=32, layers=1, mlp=64)
    save_weights(path, torch_state_to_arrays(UpliftNet(cfg)), cfg, {"name": path.stem, "trained": "for a test"})
    return path


def test_stride_copy_keeps_the_weights_and_changes_the_windows(tmp_path, capsys):
    src = small(tmp_path / "net.npz")
    before = src.read_bytes()
    out = tmp_path / "net_22.npz"
    assert set_stride.main([str(src), "--stride", "22", "--out", str(out)]) == 0
    assert "22 frames apart" in capsys.readouterr().out
    w, cfg = load_weights(src)
    w2, cfg2 = load_weights(out)
    assert cfg2 == replace(cfg, stride=22) and cfg2.window_stride == 22 and cfg.window_stride == 13
    assert set(w2) == set(w) and all(np.array_equal(w2[k], w[k]) for k in w)
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["config"]["stride"] == 22 and card["trained"] == "for a test"
    assert card["stride_set_from"] == str(src) and card["name"] == "net_22"
    assert src.read_bytes() == before
    # the runtime reads it: other windows, so (slightly) other motion, still finite
    kps = read_keypoints(SAMPLE)
    m13 = Uplifter(src, backend="numpy")(kps)
    m22 = Uplifter(out, backend="numpy")(kps)
    assert m22.rotations.shape == m13.rotations.shape and np.isfinite(m22.rotations).all()
    assert not np.allclose(m22.rotations, m13.rotations)
    # back to the default: the same motion as the source
    back = tmp_path / "net_0.npz"
    assert set_stride.main([str(out), "--stride", "0", "--out", str(back)]) == 0
    assert "half a window apart" in capsys.readouterr().out
    assert np.allclose(Uplifter(back, backend="numpy")(kps).rotations, m13.rotations, atol=1e-6)


def test_bad_strides_and_files_are_refused_in_one_line(tmp_path, capsys):
    src = small(tmp_path / "net.npz")
    for stride in ("27", "-1"):
        assert set_stride.main([str(src), "--stride", stride, "--out", str(tmp_path / "x.npz")]) == 1
        err = capsys.readouterr().err.strip()
        assert "net.npz" in err and "1-26" in err and "\n" not in err
    assert set_stride.main([str(src), "--stride", "5", "--out", str(src)]) == 1
    assert "is the source" in capsys.readouterr().err
    assert set_stride.main([str(tmp_path / "missing.npz"), "--stride", "5", "--out", str(tmp_path / "x.npz")]) == 1
    assert "missing.npz" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()
    assert load_weights(src)[1].stride == 0
