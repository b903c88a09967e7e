"""scripts/training/curve_score.py: any weights scored on the learning curves' windows reproduce what the run that
made them wrote in its curves.jsonl at that step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"


sys.path.insert(0, str(ROOT / "scripts" / "training"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the other tests' helpers
import curve_score  # noqa: E402
from test_evaluate import write_library  # noqa: E402


def test_scores_match_the_runs_own_curve(tmp_path, capsys):
    from model.mocap import read_motion

    train = read_motion(FIX / "deepmimic" / "humanoid3d_walk.txt").resampled(30.0)
    val = read_motion(FIX / "bvh" / "cmu_01_01_first120.bvh").resampled(30.0)
    library = write_library(tmp_path / "lib.npz", train, val)
    run = tmp_path / "run"
    args = ["--out", str(run), "--library", str(library), "--window", "9", "--steps", "3", "--curve-every", "3"]
    args += ["--every", "3", "--dim", "32", "--layers", "1", "--batch", "4", "--threads", "1", "--lr", "1e-3"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "training" / "train.py"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | {"OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    point = json.loads((run / "curves.jsonl").read_text().splitlines()[-1])
    out = tmp_path / "scores.json"
    weights = str(run / "weights_step3.npz")
    assert curve_score.main([weights, "--library", str(library), "--json", str(out)]) == 0
    scored = json.loads(out.read_text())[weights]
    assert set(scored) == {"train_exact", "validation_exact", "validation_mediapipe", "train_assembled_exact"}
    for name, metrics in scored.items():
        assert metrics == point[name], name
    line = capsys.readouterr().out
    assert line.startswith(weights) and f"validation_exact {scored['validation_exact']['model_mm']:.1f}" in line
