"""Real detections paired with exact 3D (model/training/detector_pairs.py): the render's camera in the model's world,
the rig's proportions recovered from its joints, and training windows whose targets match their 2D."""

from __future__ import annotations

import numpy as np

from model.body_points import keypoints_3d
from model.features import normalise_window
from model.keypoints import fill_midpoints
from model.rotations import quat_to_matrix
from model.skeleton import JOINT_INDEX, MODEL_TO_BLENDER, Skeleton
from model.training.detector_pairs import (
    RECORDED,
    DetectorPair,
    camera_from_blender,
    rig_offsets,
)
from model.training.synthesis import Clip, gravity_frame, make_batch, synthetic_motion


def _blender_camera(location, target) -> np.ndarray:
    """A Blender camera's world-to-camera matrix: at ``location``, looking at ``target`` (it looks down its -Z, its
    Y up), as ``bpy``'s ``to_track_quat("-Z", "Y")`` aims one."""
    fwd = np.asarray(target, float) - np.asarray(location, float)
    fwd /= np.linalg.norm(fwd)
    right = np.cross(fwd, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, fwd)
    cam_to_world = np.eye(4)
    cam_to_world[:3, :3] = np.stack([right, up, -fwd], 1)
    cam_to_world[:3, 3] = location
    return np.linalg.inv(cam_to_world)


def _blender_project(points_b: np.ndarray, world_to_camera: np.ndarray, focal: float) -> np.ndarray:
    """As detector_renders.py projects Blender world points into its 640 x 480 images."""
    h = np.concatenate([points_b, np.ones(points_b.shape[:-1] + (1,))], -1) @ world_to_camera.T
    return np.stack([320 + focal * h[..., 0] / -h[..., 2], 240 - focal * h[..., 1] / -h[..., 2]], -1)


def test_the_render_camera_projects_model_points_to_the_same_pixels():
    rng = np.random.default_rng(0)
    m = _blender_camera([3.0, -4.0, 1.7], [0.2, 0.1, 1.0])
    camera = camera_from_blender(m, 686.2, (640, 480))
    points_m = rng.normal(0, 0.5, size=(50, 3)) + [0.2, 1.0, -0.1]
    px, depth = camera.project(points_m[None, None])
    want = _blender_project(points_m @ MODEL_TO_BLENDER.T, m, 686.2)
    assert np.abs(px[0, 0] - want).max() < 1e-6
    assert (depth > 0).all()
    # the world's up (model +y) is Blender's +z: the camera sees it as up in the image (its -y)
    assert camera.up_in_camera()[0][1] < -0.9


def _rig_from(offsets: np.ndarray, clip: Clip) -> np.ndarray:
    """(T, 13, 3) the recorded joints of ``clip`` (one sample) played on ``offsets``."""
    _, joints = keypoints_3d(clip.rotations[0], offsets, clip.root[0])
    return joints[:, [JOINT_INDEX[n] for n in RECORDED]]


def test_the_rig_s_limb_lengths_and_widths_are_measured_from_its_joints():
    """A rig whose limbs and hips differ from the canonical skeleton: rig_offsets gets its limb lengths and hip width
    from its joints alone, so that the motion on those offsets puts its legs and arms' bones where the rig's are."""
    canonical = Skeleton.default().offsets
    truth = canonical.copy()
    for side in ("left", "right"):
        truth[JOINT_INDEX[f"{side}_elbow"]] *= 0.93
        truth[JOINT_INDEX[f"{side}_wrist"]] *= 1.04
        truth[JOINT_INDEX[f"{side}_knee"]] *= 1.06
        truth[JOINT_INDEX[f"{side}_ankle"]] *= 0.95
        truth[JOINT_INDEX[f"{side}_hip"], 0] *= 1.1
    clip = synthetic_motion(np.random.default_rng(1), 1, 40)
    rig = _rig_from(truth, clip)
    measured = rig_offsets(rig)
    assert np.allclose(measured[1:], truth[1:], atol=1e-6)
    fitted = _clip(clip.rotations[0], measured, rig)
    legs = [RECORDED.index(n) for n in RECORDED if n.endswith(("hip", "knee", "ankle"))]
    assert np.abs(_rig_from(measured, fitted)[:, legs] - rig[:, legs]).max() < 1e-6


def _clip(rotations: np.ndarray, offsets: np.ndarray | None = None, rig: np.ndarray | None = None) -> Clip:
    """``rotations`` as a one-sample clip, its root under the rig's hips (at the origin without a rig)."""
    from model.training.detector_pairs import _root_under_hips

    offsets = Skeleton.default().offsets if offsets is None else offsets
    root = np.zeros((len(rotations), 3)) if rig is None else _root_under_hips(rotations, offsets, rig)
    return Clip(rotations[None], root[None], offsets[None], [Skeleton.default().leaf_ends])


def test_paired_windows_carry_the_detector_s_2d_and_their_motion_s_targets():
    rng = np.random.default_rng(3)
    motion = synthetic_motion(rng, 1, 60)
    m = _blender_camera([0.5, -4.0, 1.3], [0.0, 0.0, 1.0])
    camera = camera_from_blender(m, 686.2, (640, 480))
    points, joints = keypoints_3d(motion.rotations[0], motion.offsets[0], motion.root[0])
    px, _ = camera.project(points[None])
    detections = np.concatenate([px[0], np.full(px.shape[1:-1] + (1,), 0.9)], -1).astype(np.float32)
    pair = DetectorPair("one", motion, camera, detections)
    batch = make_batch(np.random.default_rng(4), 6, 27, 30.0, None, 0.0, pairs=[pair], pairs_fraction=1.0)
    g = gravity_frame(camera)[0]
    for b in range(6):
        # which window: the one whose detections are this sample's input
        starts = [
            s
            for s in range(60 - 27 + 1)
            if np.allclose(
                normalise_window(fill_midpoints(detections[s : s + 27].copy())), batch["inputs"][b], atol=1e-5
            )
        ]
        assert len(starts) == 1
        s = starts[0]
        rel = (joints[s : s + 27] - joints[s : s + 27, :1]) @ g.T
        assert np.allclose(batch["positions"][b], rel, atol=1e-5)
        root = quat_to_matrix(motion.rotations[0, s : s + 27, 0])
        assert np.allclose(batch["rotations"][b, :, 0], g @ root, atol=1e-5)
        assert np.allclose(batch["up"][b], camera.up_in_camera()[0], atol=1e-6)


def test_pairs_take_their_share_from_the_synthetic_motion():
    rng = np.random.default_rng(5)
    motion = synthetic_motion(rng, 1, 40)
    camera = camera_from_blender(_blender_camera([0.0, -4.0, 1.3], [0.0, 0.0, 1.0]), 686.2, (640, 480))
    points, _ = keypoints_3d(motion.rotations[0], motion.offsets[0], motion.root[0])
    px, _ = camera.project(points[None])
    det = np.concatenate([px[0], np.ones(px.shape[1:-1] + (1,))], -1).astype(np.float32)
    pair = DetectorPair("one", motion, camera, det)
    batch = make_batch(np.random.default_rng(6), 10, 27, 30.0, None, 0.0, pairs=[pair], pairs_fraction=0.3)
    assert batch["inputs"].shape[0] == 10
    # the last three are the pair's: their bodies are the pair's own
    assert np.allclose(batch["offsets"][-3:], motion.offsets[0], atol=1e-6)
    assert not np.allclose(batch["offsets"][0], motion.offsets[0], atol=1e-3)


#: MediaPipe's 33 landmarks that the Halpe-26 points come from (the rest are filled with the nose).
_MEDIAPIPE_FROM_HALPE = {
    0: "nose",
    2: "left_eye",
    5: "right_eye",
    7: "left_ear",
    8: "right_ear",
    11: "left_shoulder",
    12: "right_shoulder",
    13: "left_elbow",
    14: "right_elbow",
    15: "left_wrist",
    16: "right_wrist",
    23: "left_hip",
    24: "right_hip",
    25: "left_knee",
    26: "right_knee",
    27: "left_ankle",
    28: "right_ankle",
    29: "left_heel",
    30: "right_heel",
    31: "left_big_toe",
    32: "right_big_toe",
}


def _render_folder(
    folder, name="a", scale=1.05, character=None, world_noise=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A folder as detector_renders.py writes it (jobs, the rig's joints and camera per view, MediaPipe's JSON) for
    one 30-frame motion on a rig with thighs ``scale`` times the canonical, seen by one camera; its Halpe points
    written as MediaPipe's landmarks; another ``name`` adds a job (on body ``character``) to the folder; with
    ``world_noise`` (m) the JSON has world landmarks too: the 3D points, each moved that far at random. Returns the
    rig's recorded joints (Blender world), the points' normalised pixels and the motion."""
    import json

    from model.keypoints import HALPE26

    truth = Skeleton.default().offsets.copy()
    truth[[JOINT_INDEX["left_knee"], JOINT_INDEX["right_knee"]]] *= scale
    motion = synthetic_motion(np.random.default_rng(7), 1, 30)
    points, joints = keypoints_3d(motion.rotations[0], truth, motion.root[0])
    np.savez(
        folder / f"{name}.npz", rotations=motion.rotations[0], root=motion.root[0], offsets=motion.offsets[0], fps=30.0
    )
    m = _blender_camera([0.3, -4.0, 1.3], [0.0, 0.0, 1.0])
    rig_b = joints[:, [JOINT_INDEX[n] for n in RECORDED]] @ MODEL_TO_BLENDER.T
    job = {
        "name": name,
        "motion": str(folder / f"{name}.npz"),
        "dir": str(folder / name),
        "views": {"v0": [5.0, 4.0, 1.3]},
    }
    if character:
        job["character"] = character
    jobs_path, out_path = folder / "jobs.json", folder / "jobs.json.out.json"
    jobs = json.loads(jobs_path.read_text()) if jobs_path.is_file() else []
    out = json.loads(out_path.read_text()) if out_path.is_file() else {}
    jobs_path.write_text(json.dumps([*jobs, job]))
    out[name] = {"v0": {"joints": rig_b.tolist(), "world_to_camera": m.tolist(), "focal_px": 686.2}}
    out_path.write_text(json.dumps(out))
    px = _blender_project(points @ MODEL_TO_BLENDER.T, m, 686.2) / [640.0, 480.0]
    frames = []
    for t in range(len(px)):
        marks = [[*px[t, HALPE26.index(_MEDIAPIPE_FROM_HALPE.get(i, "nose"))], 0.0, 0.95] for i in range(33)]
        frames.append({"frame": t, "poses": [marks]})
        if world_noise is not None:
            moved = points[t] + np.random.default_rng(t).normal(0.0, world_noise, points[t].shape)
            frames[-1]["world"] = [
                [moved[HALPE26.index(_MEDIAPIPE_FROM_HALPE.get(i, "nose"))].tolist() for i in range(33)]
            ]
    doc = {"format": "mediapipe_pose", "version": 1, "image_width": 640, "image_height": 480, "fps": 30.0}
    (folder / f"{name}_v0.json").write_text(json.dumps({**doc, "normalized": True, "frames": frames}))
    return rig_b, px, motion.rotations[0]


def test_a_folder_of_renders_reads_back_as_pairs_whose_labels_reproduce_the_rig(tmp_path):
    """detector_renders.py's output read back: the motion on the measured offsets puts the rig's recorded joints
    where they were, and the detections are in pixels."""
    from model.keypoints import HALPE26
    from model.training.detector_pairs import load_detector_pairs

    rig_b, px, _ = _render_folder(tmp_path)
    (pair,) = load_detector_pairs(tmp_path)
    assert np.abs(_rig_from(pair.clip.offsets[0], pair.clip) - rig_b @ MODEL_TO_BLENDER).max() < 1e-6
    assert pair.points.shape == (30, 26, 3)
    wrist = HALPE26.index("left_wrist")
    assert np.abs(pair.points[:, wrist, :2] - px[:, wrist] * [640.0, 480.0]).max() < 0.05
    assert tuple(pair.camera.image[0]) == (640.0, 480.0)


def test_each_body_has_its_own_proportions_and_a_view_nobody_was_found_in_is_left_out(tmp_path):
    """Renders of two bodies (detector_renders.py --bodies): each pair's labels reproduce its own rig, not a mean of
    the two; a view without MediaPipe's JSON (nobody found) is not read."""
    from model.training.detector_pairs import load_detector_pairs

    rig_a, _, _ = _render_folder(tmp_path, "a", 1.05, "body_00.blend")
    rig_b, _, _ = _render_folder(tmp_path, "b", 0.85, "body_01.blend")
    _render_folder(tmp_path, "c", 0.85, "body_01.blend")  # the same body again: its JSON removed below
    (tmp_path / "c_v0.json").unlink()
    pairs = load_detector_pairs(tmp_path)
    assert [p.name for p in pairs] == ["a_v0", "b_v0"]
    for pair, rig in zip(pairs, (rig_a, rig_b), strict=True):
        assert np.abs(_rig_from(pair.clip.offsets[0], pair.clip) - rig @ MODEL_TO_BLENDER).max() < 1e-6
    knee = JOINT_INDEX["left_knee"]
    ratio = np.linalg.norm(pairs[0].clip.offsets[0][knee]) / np.linalg.norm(pairs[1].clip.offsets[0][knee])
    assert abs(ratio - 1.05 / 0.85) < 1e-6


def test_views_where_mediapipe_s_own_3d_is_far_off_can_be_left_out(tmp_path):
    """load_detector_pairs(max_world_error_mm=...): a view whose world landmarks are far from the rig is left out and
    named with its error; one whose world landmarks match, and one without any, are kept; no limit keeps all."""
    from model.training.detector_pairs import load_detector_pairs, world_error_mm

    rig, _, _ = _render_folder(tmp_path, "near", world_noise=0.0)
    _render_folder(tmp_path, "far", world_noise=0.3)
    _render_folder(tmp_path, "none")
    near = world_error_mm(tmp_path / "near_v0.json", rig)
    far = world_error_mm(tmp_path / "far_v0.json", rig)
    assert near is not None and near < 20.0
    assert far is not None and far > 200.0
    assert world_error_mm(tmp_path / "none_v0.json", rig) is None
    left_out: list[str] = []
    pairs = load_detector_pairs(tmp_path, 140.0, left_out)
    assert [p.name for p in pairs] == ["near_v0", "none_v0"]
    assert left_out == [f"far_v0 ({far:.0f} mm)"]
    assert [p.name for p in load_detector_pairs(tmp_path)] == ["near_v0", "far_v0", "none_v0"]


def test_training_takes_detector_pairs(tmp_path):
    """train.py --detector-pairs DIR [DIR ...] --pairs-fraction F --pairs-max-world-mm M: the run trains on every
    folder's views but those where MediaPipe's own 3D is far off, says which it left out, and its card names the
    folders and the limit."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    renders, more = tmp_path / "renders", tmp_path / "more"
    renders.mkdir()
    more.mkdir()
    _render_folder(renders)
    _render_folder(more, name="b", scale=0.9)
    _render_folder(more, name="c", scale=0.9, world_noise=0.3)
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "run"
    small = ["--dim", "32", "--layers", "1", "--batch", "4", "--threads", "1", "--lr", "1e-3", "--window", "27"]
    args = ["--out", str(out), "--steps", "2", "--every", "2", *small, "--detector-pairs", str(renders), str(more)]
    done = subprocess.run(
        [
            sys.executable,
            str(root / "scripts" / "training" / "train.py"),
            *args,
            "--pairs-fraction",
            "0.5",
            "--pairs-max-world-mm",
            "140",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=root,
        env=os.environ | {"OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    card = json.loads((out / "weights.json").read_text())
    assert card["training"]["detector_pairs"] == [str(renders), str(more)] and card["training"]["pairs_fraction"] == 0.5
    assert card["training"]["pairs_max_world_mm"] == 140.0
    assert "detector pairs: 2 views from 2 folders" in done.stdout
    assert "detector pairs left out, MediaPipe's own 3D over 140 mm: c_v0 (" in done.stdout
