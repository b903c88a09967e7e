"""scripts/training/side_by_side.py: recipes trained at once for one budget, each scored on a real-video set laid out
as ../shared's (test_real_video.fake_set), a failed run reported and the exit status set."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "training"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the other tests' helpers


import side_by_side  # noqa: E402
from test_evaluate import write_library  # noqa: E402
from test_real_video import fake_set  # noqa: E402

FIX = ROOT / "tests" / "fixtures"
SMALL = "--dim 32 --layers 1 --batch 4 --threads 1 --lr 1e-3 --steps 3 --every 3 --curve-every 3"


def test_two_recipes_side_by_side_scored_and_a_failed_run_reported(tmp_path, capsys):
    from model.mocap import read_motion

    realvideo = fake_set(tmp_path / "set")
    train = read_motion(FIX / "deepmimic" / "humanoid3d_walk.txt").resampled(30.0)
    val = read_motion(FIX / "bvh" / "cmu_01_01_first120.bvh").resampled(30.0)
    library = write_library(tmp_path / "lib.npz", train, val)
    out = tmp_path / "sbs"
    common = f"{SMALL} --library {library} --window 9"
    runs = ["--run", "plain=", "--run", "averaged=--average 2", "--run", "broken=--rotation euler"]
    code = side_by_side.main(
        ["--out", str(out), "--minutes", "5", "--common", common, *runs, "--realvideo", str(realvideo)]
    )
    assert code == 1  # the broken run failed, the others did not
    summary = json.loads((out / "summary.json").read_text())
    plain, averaged, broken = (summary["runs"][k] for k in ("plain", "averaged", "broken"))
    assert plain["exit"] == 0 and plain["steps"] == 3 and plain["weights"].endswith("weights.npz")
    assert averaged["exit"] == 0 and averaged["weights"].endswith("averaged.npz")
    for run in (plain, averaged):
        assert run["last_curves"]["step"] == 3
        assert set(run["real_video"]["per_camera_pa_mpjpe_mm"]) == {"cam01", "cam02", "cam04"}
        assert run["real_video"]["mean_pa_mpjpe_mm"] > 0
    assert broken["exit"] != 0 and broken["weights"] is None and "real_video" not in broken
    assert "invalid choice" in (out / "broken.log").read_text()
    assert "--minutes 5" in (out / "plain.log").read_text().splitlines()[0]
    printed = capsys.readouterr().out
    assert "plain: exit 0, 3 steps, real video" in printed and "broken: exit 2, None steps, not scored" in printed


def test_run_names_must_be_plain_and_different(tmp_path):
    with pytest.raises(SystemExit):
        side_by_side.main(["--out", str(tmp_path), "--minutes", "1", "--run", "a b=--x"])
    with pytest.raises(SystemExit):
        side_by_side.main(["--out", str(tmp_path), "--minutes", "1", "--run", "a=", "--run", "a=--dim 8"])
