"""scripts/training/learning_curves.py --card: the bundled weights' whole record on one step axis."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("curves_script", ROOT / "scripts" / "training" / "learning_curves.py")
curves_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(curves_script)


def point(step: int, mm: float, **extra) -> dict:
    m = {"model_mm": mm, "rotations_on_true_skeleton_mm": mm - 2, "true_rotations_on_its_skeleton_mm": 20.0}
    return {"step": step, **{k: dict(m, mpjae_deg=mm / 4) for k in ("train_exact", "validation_exact")}, **extra}


def test_continuations_follow_the_stretch_before_them(tmp_path):
    card = {
        "learning_curves": {
            "curves": [point(500, 90.0), point(1000, 85.0)],
            "real_video": [{"step": 1000, "mean_pa_mpjpe_mm": 95.0}],
            "tilted_continuation": {"run": "x", "curves": [point(500, 84.0, real_video_mean_pa_mpjpe_mm=94.0)]},
            "leaf_continuation": [point(500, 83.0), point(1000, 82.0)],
        }
    }
    curves, real, marks = curves_script.card_lineage(card)
    assert [c["step"] for c in curves] == [500, 1000, 1500, 2000, 2500]
    assert [c["validation_exact"]["model_mm"] for c in curves] == [90.0, 85.0, 84.0, 83.0, 82.0]
    assert real == [{"step": 1000, "mean_pa_mpjpe_mm": 95.0}, {"step": 1500, "mean_pa_mpjpe_mm": 94.0}]
    assert [s for s, _ in marks] == [1000, 1500]  # where each continuation begins; the missing one is skipped
    assert card["learning_curves"]["leaf_continuation"][0]["step"] == 500  # the card itself is left as it was

    path = tmp_path / "card.json"
    path.write_text(json.dumps(card))
    png = tmp_path / "curves.png"
    assert curves_script.main(["--card", str(path), "--png", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_bundled_card_draws():
    card = json.loads((ROOT / "model" / "weights" / "pose_uplift.json").read_text())
    curves, _, marks = curves_script.card_lineage(card)
    steps = [c["step"] for c in curves]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert len(marks) == sum(key in card["learning_curves"] for key, _ in curves_script.LINEAGE)
    assert curves and all("validation_exact" in c and "train_exact" in c for c in curves)


def test_a_run_with_averaged_weights_shows_both(tmp_path, capsys):
    """A run trained with --average: each line shows the averaged weights' curve numbers and real-video score beside
    the weights' own (cached scores are read, not recomputed), and the picture is drawn."""
    run = tmp_path / "run"
    run.mkdir()
    points = [point(1000, 90.0, averaged=point(1000, 86.0)), point(2000, 85.0, averaged=point(2000, 80.0))]
    (run / "curves.jsonl").write_text("".join(json.dumps(p) + "\n" for p in points))
    (run / "realvideo.jsonl").write_text(json.dumps({"step": 2000, "mean_pa_mpjpe_mm": 88.0}) + "\n")
    (run / "realvideo_averaged.jsonl").write_text(json.dumps({"step": 2000, "mean_pa_mpjpe_mm": 84.5}) + "\n")
    assert curves_script.main([str(run), "--realvideo", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "averaged 86.0 / 86.0 mm" in lines[0] and "real video" not in lines[0]
    assert "real video 88.0 mm" in lines[1] and lines[1].endswith("averaged 80.0 / 80.0 mm | real video 84.5 mm")
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_run_beside_the_bundles_run(tmp_path, capsys):
    """--against a card: the card's first stretch up to twice the run's last step is drawn beside the run, and each
    line names the card's numbers at the same step."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "curves.jsonl").write_text("".join(json.dumps(point(s, 100.0 - s / 100)) + "\n" for s in (1000, 2000)))
    card = {
        "learning_curves": {
            "curves": [point(s, 110.0 - s / 100) for s in (1000, 2000, 3000, 4000, 5000)],
            "real_video": [{"step": s, "mean_pa_mpjpe_mm": 120.0 - s / 100} for s in (1000, 4000, 5000)],
        }
    }
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(card))
    other, other_real = curves_script.against_curves(path, [point(1000, 90.0), point(2000, 80.0)])
    assert [c["step"] for c in other] == [1000, 2000, 3000, 4000]
    assert [r["step"] for r in other_real] == [1000, 4000]
    assert curves_script.against_curves(None, [point(1000, 90.0)]) == ([], [])
    assert curves_script.main([str(run), "--realvideo", str(tmp_path / "none"), "--against", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("bundle same step 100.0 / 100.0 mm, real video 110.0 mm")
    assert lines[1].endswith("bundle same step 90.0 / 90.0 mm")
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
