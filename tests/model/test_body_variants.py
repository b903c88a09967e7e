"""scripts/training/body_variants.py: MakeHuman's macro sliders combined into target weights as MakeHuman combines
them, applied to a base mesh written back line for line, on a small stand-in for the base body and its targets."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("body_variants", ROOT / "scripts" / "training" / "body_variants.py")
bv = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bv)

MIDDLE = {"gender": 0.5, "age": 0.5, "muscle": 0.5, "weight": 0.5, "height": 0.5, "proportions": 0.5}
MIDDLE |= {"african": 1 / 3, "asian": 1 / 3, "caucasian": 1 / 3}


def test_each_factor_weighs_one_in_all_and_the_middle_is_the_average_body():
    rng = np.random.default_rng(0)
    for _ in range(50):
        f = bv.factor_weights(bv.draw_macro(rng))
        for name in ("gender", "age", "muscle", "weight", "race"):
            assert abs(sum(f[name].values()) - 1.0) < 1e-9, (name, f[name])
        assert all(v >= 0 for part in f.values() for v in part.values())
    mid = bv.factor_weights(MIDDLE)
    assert mid["muscle"] == {"averagemuscle": 1.0, "maxmuscle": 0.0} and mid["age"] == {"young": 1.0, "old": 0.0}
    assert mid["height"] == {"minheight": 0.0, "maxheight": 0.0}  # the middle height: no height target
    w = bv.target_weights(MIDDLE)
    assert w["universal-female-young-averagemuscle-averageweight.target.gz"] == pytest.approx(0.5)
    assert w["caucasian-male-young.target.gz"] == pytest.approx(1 / 6)
    assert not any(k.startswith(("height/", "proportions/")) for k in w)
    tall = bv.target_weights(MIDDLE | {"gender": 1.0, "height": 0.75})
    assert tall["height/male-young-averagemuscle-averageweight-maxheight.target.gz"] == pytest.approx(0.5)
    assert not any("female" in k for k in tall)


def _stand_in(tmp: Path) -> tuple[Path, Path]:
    """A five-vertex 'leg' (decimetres, Y up) with the skeleton's leg bones, and every macro target, all empty but
    the max-height ones, which move the ankle vertex 2 dm down."""
    assets = tmp / "assets"
    assets.mkdir()
    obj = "# a stand-in\nv 0 10 0\nv 1 10 0\nv 0 5 0\nv 0 0 0\nv 0 -5 0\ng body\nf 1 2 3\n"
    (assets / "base.obj").write_text(obj)
    joints = {"hip": [0, 1], "mid": [2], "knee": [3], "ankle": [4]}
    bones = {
        "upperleg01.L": {"head": "hip", "tail": "mid"},
        "upperleg02.L": {"head": "mid", "tail": "knee"},
        "lowerleg01.L": {"head": "knee", "tail": "ankle"},
        "lowerleg02.L": {"head": "ankle", "tail": "ankle"},
    }
    (assets / "default.mhskel").write_text(json.dumps({"joints": joints, "bones": bones}))
    (assets / "default_weights.mhw").write_text("{}")
    targets = tmp / "targets"
    (targets / "height").mkdir(parents=True)
    (targets / "proportions").mkdir()
    (targets / "macro.json").write_text("{}")
    names = []
    for g in ("female", "male"):
        for a in ("baby", "child", "young", "old"):
            names += [f"{r}-{g}-{a}.target.gz" for r in bv.RACES]
            for m in ("minmuscle", "averagemuscle", "maxmuscle"):
                for w in ("minweight", "averageweight", "maxweight"):
                    stem = f"{g}-{a}-{m}-{w}"
                    names += [f"universal-{stem}.target.gz", f"height/{stem}-minheight.target.gz"]
                    names += [f"height/{stem}-maxheight.target.gz", f"proportions/{stem}-idealproportions.target.gz"]
                    names += [f"proportions/{stem}-uncommonproportions.target.gz"]
    for name in names:
        with gzip.open(targets / name, "wt") as fh:
            fh.write("4 0 -2.0 0\n" if "maxheight" in name else "# nothing\n")
    return assets, targets


def test_a_body_is_the_base_file_with_its_vertices_moved_and_measured(tmp_path):
    assets, targets = _stand_in(tmp_path)
    lines = (assets / "base.obj").read_text().splitlines(keepends=True)
    base = bv.read_vertices(lines)
    tall = bv.apply_targets(base, targets, MIDDLE | {"height": 1.0})
    np.testing.assert_allclose(tall - base, [[0, 0, 0]] * 4 + [[0, -2.0, 0]])  # the max-height targets, weight 1
    np.testing.assert_allclose(bv.apply_targets(base, targets, MIDDLE), base)
    bv.write_obj(lines, tall, tmp_path / "out.obj")
    written = (tmp_path / "out.obj").read_text().splitlines()
    assert written[0] == "# a stand-in" and written[-2:] == ["g body", "f 1 2 3"]
    np.testing.assert_allclose(bv.read_vertices(written), tall)
    m = bv.measure(tall, json.loads((assets / "default.mhskel").read_text()))
    assert m["thigh_m"] == pytest.approx(0.1 * (np.hypot(0.5, 5.0) + 5.0), abs=1e-4)
    assert m["shin_m"] == pytest.approx(0.7) and m["height_m"] == pytest.approx(1.7)
    with pytest.raises(FileNotFoundError, match="target missing"):
        bv.apply_targets(base, tmp_path / "nowhere", MIDDLE | {"height": 0.9})


def test_bodies_written_with_their_builds(tmp_path, capsys):
    assets, targets = _stand_in(tmp_path)
    out = tmp_path / "bodies"
    assert bv.main(["--targets", str(targets), "--count", "3", "--out", str(out), "--assets", str(assets)]) == 0
    folders = sorted(out.iterdir())
    assert [f.name for f in folders] == ["body_00", "body_01", "body_02"]
    builds = [json.loads((f / "body.json").read_text()) for f in folders]
    for f, build in zip(folders, builds, strict=True):
        assert (f / "default.mhskel").read_text() == (assets / "default.mhskel").read_text()
        lo, hi = bv.RANGES["height"]
        assert lo <= build["macro"]["height"] <= hi
        taller = max(0.0, 2 * build["macro"]["height"] - 1)  # the stand-in's ankle moves with max height alone
        assert build["shin_m"] == pytest.approx(0.5 + 0.2 * taller, abs=1e-3)
    assert len({b["macro"]["gender"] for b in builds}) == 3  # drawn, not repeated
    assert capsys.readouterr().out.count("height") == 3
    assert bv.main(["--targets", str(tmp_path / "none"), "--count", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "macro.json not found" in err and "\n" not in err


def test_each_rendered_clip_gets_its_own_skin_tone_and_background():
    spec2 = importlib.util.spec_from_file_location("renders", ROOT / "scripts" / "training" / "detector_renders.py")
    renders = importlib.util.module_from_spec(spec2)
    spec2.loader.exec_module(renders)
    colours = [renders.clip_colours(np.random.default_rng(5000 + c)) for c in range(20)]
    assert colours[3] == renders.clip_colours(np.random.default_rng(5003))  # seeded by the clip's place
    skins = np.array([c["skin"] for c in colours])
    assert ((skins >= 0) & (skins <= 1)).all() and (skins[:, 0] >= skins[:, 2]).all()  # warm tones, red over blue
    assert np.ptp(skins.mean(1)) > 0.25  # light and dark ones
    backgrounds = np.array([c["background"] for c in colours])
    assert ((backgrounds >= 0.1) & (backgrounds <= 0.9)).all() and len({tuple(b) for b in backgrounds}) == 20


def test_a_later_render_folder_follows_on_from_an_earlier_one(tmp_path):
    """detector_renders.py --start N: clip N+k gets the cameras, body and colours it would have had as the (N+k)-th
    clip of one long list, so more clips rendered into a second folder neither repeat nor reshuffle the first's."""
    from model.motion import Motion
    from model.skeleton import NUM_JOINTS, Skeleton

    spec2 = importlib.util.spec_from_file_location("renders", ROOT / "scripts" / "training" / "detector_renders.py")
    renders = importlib.util.module_from_spec(spec2)
    spec2.loader.exec_module(renders)
    rot = np.tile([1.0, 0.0, 0.0, 0.0], (5, NUM_JOINTS, 1))
    clips = [
        ({"file": f"clip{k}.amc", "subject": f"s{k}"}, Motion(rot, np.zeros((5, 3)), Skeleton.default(), 30.0))
        for k in range(12)
    ]
    bodies = [f"body_{b}/character.blend" for b in range(8)]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    whole = renders.plan_jobs(clips, tmp_path / "one", 0, 2, bodies)
    later = renders.plan_jobs(clips[9:], tmp_path / "two", 9, 2, bodies)
    for a, b in zip(whole[9:], later, strict=True):
        assert a["views"] == b["views"] and a["character"] == b["character"] and a["skin"] == b["skin"]
        assert a["background"] == b["background"] and a["name"] == b["name"]
        assert Path(b["motion"]).parent == tmp_path / "two" and Path(b["motion"]).is_file()
    assert later[0]["character"] == "body_1/character.blend"  # clip 9 on body 9 mod 8
    assert len({tuple(map(tuple, j["views"].values())) for j in whole}) == 12  # cameras differ clip to clip
    fixed = renders.plan_jobs(clips[:1], tmp_path / "one")
    assert fixed[0]["views"] == renders.VIEWS and "character" not in fixed[0]


def test_a_start_past_the_split_s_clips_is_an_error_that_says_how_many_there_are(tmp_path, capsys):
    """--start beyond the clips long enough in the split renders nothing: one line says so, naming how many there
    are, before any character is built or any folder written."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_evaluate import write_library

    from model.mocap import read_motion

    fix = ROOT / "tests" / "fixtures"
    train = read_motion(fix / "deepmimic" / "humanoid3d_walk.txt").resampled(30.0)
    val = read_motion(fix / "bvh" / "cmu_01_01_first120.bvh").resampled(30.0)
    library = write_library(tmp_path / "lib.npz", train, val)
    spec2 = importlib.util.spec_from_file_location("renders", ROOT / "scripts" / "training" / "detector_renders.py")
    renders = importlib.util.module_from_spec(spec2)
    spec2.loader.exec_module(renders)
    out = tmp_path / "renders"
    args = ["--library", str(library), "--mediapipe-python", sys.executable, "--out", str(out), "--split", "train"]
    assert renders.main([*args, "--clips", "4", "--start", "3", "--frames", "10"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: --start 3: the train split has 1 clips of 40 frames or more", err
    assert not out.exists()


def test_the_rendered_set_scores_the_model_on_the_frames_mediapipe_found_the_person_in_too():
    """summarise: each column weighted by its views' frames; MediaPipe's own 3D and the model's like-for-like
    column by the frames MediaPipe found the person in (a view it missed half of counts half); views without any
    left out of those two."""
    spec2 = importlib.util.spec_from_file_location("renders", ROOT / "scripts" / "training" / "detector_renders.py")
    renders = importlib.util.module_from_spec(spec2)
    spec2.loader.exec_module(renders)
    rows = [
        {"frames": 120, "detected": 120, "model": 60.0, "model_exact_2d": 50.0, "mediapipe_world": 70.0,
         "model_detected_frames": 60.0, "constant_mean_pose": 150.0},
        {"frames": 120, "detected": 40, "model": 150.0, "model_exact_2d": 80.0, "mediapipe_world": 100.0,
         "model_detected_frames": 90.0, "constant_mean_pose": 170.0},
        {"frames": 60, "detected": 0, "model": 200.0, "model_exact_2d": 90.0, "mediapipe_world": None,
         "model_detected_frames": None, "constant_mean_pose": 190.0},
    ]  # fmt: skip
    got = renders.summarise(rows)
    assert got["model_pa_mpjpe_mm"] == round((120 * 60 + 120 * 150 + 60 * 200) / 300, 1)
    assert got["model_exact_2d_pa_mpjpe_mm"] == round((120 * 50 + 120 * 80 + 60 * 90) / 300, 1)
    assert got["mediapipe_world_pa_mpjpe_mm"] == round((120 * 70 + 40 * 100) / 160, 1)
    assert got["model_detected_frames_pa_mpjpe_mm"] == round((120 * 60 + 40 * 90) / 160, 1)
    assert got["constant_mean_pose_pa_mpjpe_mm"] == round((120 * 150 + 120 * 170 + 60 * 190) / 300, 1)
