"""scripts/training/evaluate.py: the semi-synthetic BVH protocol and real detections against a 3D marker reference (TRC)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from model.body_points import keypoints_3d
from model.keypoints import HALPE26
from model.mocap.bvh import read_bvh
from model.mocap.retarget import retarget_clip
from model.rotations import elementary_rotation
from model.skeleton import JOINT_NAMES, mirror_name
from model.training import evaluation as E
from model.training.synthesis import detector_noise

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"
CMU = FIX / "bvh" / "cmu_01_01_first120.bvh"
spec = importlib.util.spec_from_file_location("evaluate_script", ROOT / "scripts" / "training" / "evaluate.py")
evaluate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(evaluate)

TRC_NAMES = {
    "left_shoulder": "LShoulder",
    "right_shoulder": "RShoulder",
    "left_elbow": "LElbow",
    "right_elbow": "RElbow",
    "left_wrist": "LWrist",
    "right_wrist": "RWrist",
    "left_hip": "LHip",
    "right_hip": "RHip",
    "left_knee": "LKnee",
    "right_knee": "RKnee",
    "left_ankle": "LAnkle",
    "right_ankle": "RAnkle",
    "nose": "Nose",
    "neck": "Neck",
    "left_big_toe": "LBigToe",
    "right_big_toe": "RBigToe",
}


def write_trc(path: Path, names: list[str], xyz: np.ndarray, rate: float, units: str = "mm") -> None:
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        f"{rate}\t{rate}\t{len(xyz)}\t{len(names)}\t{units}\t{rate}\t1\t{len(xyz)}",
        "Frame#\tTime\t" + "\t\t\t".join(names),
        "\t\t" + "\t".join(f"X{i + 1}\tY{i + 1}\tZ{i + 1}" for i in range(len(names))),
        "",
    ]
    for t, row in enumerate(xyz):
        values = "\t".join("" if not np.isfinite(v) else f"{v:.3f}" for v in row.ravel())
        lines.append(f"{t + 1}\t{t / rate:.6f}\t{values}")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """The CMU excerpt as a lab would have it: 3D markers (Z up, mm, 120 Hz, one marker missing for a while) and
    2D detections of one camera (30 fps, detector noise) in a keypoint file."""
    tmp = tmp_path_factory.mktemp("rec")
    ref = retarget_clip(read_bvh(CMU))
    kp3d, _ = keypoints_3d(ref.rotations, ref.skeleton.offsets, ref.root_translation)  # (120, 26, 3), y up
    lab = kp3d @ elementary_rotation("x", np.pi / 2).T @ elementary_rotation("z", 0.7).T * 1000.0 + [300.0, -50, 0]
    names = list(TRC_NAMES)
    markers = lab[:, [HALPE26.index(n) for n in names]]
    markers[40:60, 0] = np.nan  # a marker lost for a while
    trc = tmp / "markers.trc"
    write_trc(trc, [TRC_NAMES[n] for n in names], markers, 120.0)
    cam = E.fixed_cameras(ref.root_translation.mean(0))[0]
    px, _ = cam.project(kp3d[::4])  # 30 fps
    noisy = detector_noise(np.random.default_rng(0), px, 30.0, level=1.0)[0]
    keypoints = tmp / "detections.npz"
    np.savez(keypoints, keypoints=noisy, fps=30.0, layout="Halpe-26")
    return keypoints, trc, markers


def test_perfect_prediction_scores_zero():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(50, 10, 3))
    pred = np.zeros((100, 26, 3))
    idx = list(range(10))
    rot = elementary_rotation("y", 0.4)
    pred[::2, :10] = 2.0 * ref @ rot.T + 1.0  # another frame, scale and place; the prediction at twice the rate
    pred[1::2, :10] = pred[::2, :10]
    out = E.compare_with_reference(pred[::2], 25.0, idx, np.arange(50) / 25.0, ref)
    assert out["pa_mpjpe_mm"] < 1e-6 and out["mpjpe_mm"] < 1e-6 and out["frames"] == 50
    assert len(out["per_point_pa_mm"]) == 10 and max(out["per_point_pa_mm"].values()) < 1e-3
    pred[::2, 3] += 0.1  # one point 10 cm off: it carries the error
    per = E.compare_with_reference(pred[::2], 25.0, idx, np.arange(50) / 25.0, ref)["per_point_pa_mm"]
    others = [v for k, v in per.items() if k != HALPE26[3]]
    assert max(per, key=per.get) == HALPE26[3] and per[HALPE26[3]] > 3 * max(others)


def test_real_detections_against_a_marker_reference(recording, tmp_path):
    keypoints, trc, markers = recording
    out_json = tmp_path / "out.json"
    assert evaluate.main(["--keypoints", str(keypoints), "--reference", str(trc), "--json", str(out_json)]) == 0
    result = json.loads(out_json.read_text())
    assert result["points"] == len(TRC_NAMES) and result["frames"] == 30
    assert 10.0 < result["pa_mpjpe_mm"] < 150.0, result
    assert result["mpjpe_mm"] >= result["pa_mpjpe_mm"]
    # the same body's points where MediaPipe puts them: a few cm moved, so near the plain score but not on it
    assert 0.0 < abs(result["placed_as_mediapipe_pa_mpjpe_mm"] - result["pa_mpjpe_mm"]) < 30.0, result
    # files without an image size keep the network's root path (and say so); given one, the perspective path
    assert result["root_path"] == "network" and "no image size" in result["notes"][0]
    sized = tmp_path / "sized.json"
    args = ["--keypoints", str(keypoints), "--reference", str(trc), "--image-size", "1920", "1080", "--fov", "50"]
    assert evaluate.main([*args, "--json", str(sized)]) == 0
    again = json.loads(sized.read_text())
    assert again["root_path"] == "perspective" and again["notes"] == []
    assert abs(again["pa_mpjpe_mm"] - result["pa_mpjpe_mm"]) < 1e-6  # the pose is the same; only the path moved
    assert again["mpjpe_mm"] != result["mpjpe_mm"]
    # the same detections against markers labelled the wrong way round (left <-> right): the metric sees it
    swapped = tmp_path / "swapped.trc"
    mirrored = [mirror_name(n) for n in TRC_NAMES]
    write_trc(swapped, [TRC_NAMES[n] for n in mirrored], markers, 120.0)
    worse = evaluate.evaluate_keypoints(str(keypoints), str(swapped), None)
    assert worse["pa_mpjpe_mm"] > result["pa_mpjpe_mm"] + 20.0, (worse, result)


def test_reference_errors_are_one_line(recording, tmp_path, capsys):
    keypoints, trc, _ = recording
    bad = tmp_path / "bad.trc"
    write_trc(bad, ["Marker1", "Marker2", "Marker3", "Marker4"], np.zeros((5, 4, 3)), 100.0)
    assert evaluate.main(["--keypoints", str(keypoints), "--reference", str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert "bad.trc" in err and "marker names map onto body keypoints" in err and "\n" not in err
    assert evaluate.main(["--keypoints", str(keypoints), "--reference", str(trc), "--offset", "100"]) == 1
    assert "no frame shares enough points" in capsys.readouterr().err


def test_motion_protocol_reports_every_metric_beside_baselines(tmp_path):
    out_json = tmp_path / "bvh.json"
    assert evaluate.main(["--bvh", str(CMU), "--json", str(out_json), "--ik-every", "60"]) == 0
    result = json.loads(out_json.read_text())
    for key in ("mpjpe_mm", "n_mpjpe_mm", "pa_mpjpe_mm", "mpjae_deg", "up_error_deg", "clip_aligned_mpjpe_mm"):
        assert np.isfinite(result["model"][key]), key
    assert result["ik"]["frames"] == 2 * 4 and result["bone_direction"]["frames"] == 2 * 4
    assert set(result["per_joint_pa_mm"]) == set(JOINT_NAMES)
    assert set(result["per_camera_pa_mpjpe_mm"]) == {"front", "left", "back", "right"}


def write_library(path: Path, train, val) -> Path:
    """A two-clip motion library: ``train`` (subject "dm") and ``val`` (subject "01", the validation split)."""
    clips = [
        {"file": "train.txt", "subject": "dm", "split": "train", "start": 0, "frames": train.num_frames},
        {
            "file": "val.bvh",
            "subject": "01",
            "split": "validation",
            "start": train.num_frames,
            "frames": val.num_frames,
        },
    ]
    meta = {"format": "pose_uplift.motion_library/1", "fps": 30.0, "clips": clips}
    np.savez(
        path,
        rotations=np.concatenate([train.rotations, val.rotations]).astype(np.float16),
        roots=np.concatenate([train.root_translation, val.root_translation]).astype(np.float32),
        offsets=np.stack([train.skeleton.offsets, val.skeleton.offsets]).astype(np.float32),
        meta=np.array(json.dumps(meta)),
    )
    return path


def test_library_protocol_and_constant_pose_baseline(tmp_path):
    """A two-clip library (the CMU and DeepMimic fixtures as train and validation subjects): the validation clip is
    evaluated from 6 cameras beside the training mean pose held constant, and the constant is what it says."""
    from model.mocap import read_motion
    from model.training.evaluation import mean_pose

    train = read_motion(FIX / "deepmimic" / "humanoid3d_walk.txt").resampled(30.0)
    val = read_motion(CMU).resampled(30.0)
    lib = write_library(tmp_path / "lib.npz", train, val)
    out_json = tmp_path / "lib.json"
    args = ["--library-split", "validation", "--library", str(lib), "--json", str(out_json), "--ik-every", "0"]
    assert evaluate.main(args) == 0
    result = json.loads(out_json.read_text())
    assert result["clips"] == 1 and result["frames"] == val.num_frames
    assert len(result["per_camera_pa_mpjpe_mm"]) == 6
    const = result["constant_mean_pose"]
    assert const["frames"] == 6 * val.num_frames and const["pa_mpjpe_mm"] > 0
    # every camera turned 25 degrees about its axis: the same motion, the same constant, other 2D
    rolled_json = tmp_path / "rolled.json"
    assert evaluate.main([*args[:-3], str(rolled_json), "--ik-every", "0", "--roll", "25"]) == 0
    rolled = json.loads(rolled_json.read_text())
    assert rolled["camera_roll_deg"] == 25.0 and result["camera_roll_deg"] == 0.0
    assert rolled["constant_mean_pose"] == const and rolled["model"] != result["model"]
    assert result["runtime"] == {"flip": True, "fix_swaps": True, "level": True}  # the extension's defaults
    plain_json = tmp_path / "plain.json"
    assert evaluate.main([*args[:-3], str(plain_json), "--ik-every", "0", "--no-level", "--keep-swaps"]) == 0
    assert json.loads(plain_json.read_text())["runtime"] == {"flip": True, "fix_swaps": False, "level": False}
    # the mean of a single repeated rotation is that rotation
    q = np.tile(train.rotations[:1], (5, 1, 1))
    m = mean_pose([q])
    assert np.allclose(np.abs((m[1:] * q[0, 1:]).sum(-1)), 1, atol=1e-6)


def test_jumps_and_crouches_truth_against_model():
    """A standing body that crouches (knees bent 120 degrees, frames 20-39) and jumps 30 cm (frames 60-71): scored
    against itself the model's jump height, crouch drop and knee flexion are the truth's; a model that keeps the
    feet on the floor and the knees straight scores 0 for all three."""
    from model.body_points import lowest_foot_height
    from model.motion import Motion
    from model.rotations import matrix_to_quat
    from model.skeleton import JOINT_INDEX, Skeleton

    sk = Skeleton.default()
    frames = 90
    rots = np.tile(np.eye(3), (frames, len(JOINT_NAMES), 1, 1))
    for side in ("left", "right"):
        rots[20:40, JOINT_INDEX[f"{side}_hip"]] = elementary_rotation("x", -np.pi / 3)
        rots[20:40, JOINT_INDEX[f"{side}_knee"]] = elementary_rotation("x", 2 * np.pi / 3)
    root = np.zeros((frames, 3))
    root[:, 1] = -lowest_foot_height(rots[None], sk.offsets[None])[0]  # feet on the floor, crouch included
    root[60:72, 1] += 0.3 * np.sin(np.linspace(0, np.pi, 14)[1:-1])
    truth = Motion(matrix_to_quat(rots), root, sk, 30.0).grounded()
    flat = Motion(matrix_to_quat(np.tile(np.eye(3), (frames, len(JOINT_NAMES), 1, 1))), np.zeros((frames, 3)), sk, 30.0)
    (flight,) = E.flight_phases(truth.foot_points()[..., 1].min(1))
    assert 60 <= flight[0] < flight[1] <= 72
    standing_on_a_box = np.zeros(120)
    standing_on_a_box[30:100] = 0.5  # 70 frames up there: not a jump
    standing_on_a_box[105:115] = 0.2
    assert E.flight_phases(standing_on_a_box) == [(30, 100), (105, 115)]
    assert E.flight_phases(standing_on_a_box, longest=30) == [(105, 115)]
    same = E.root_and_feet(truth, truth, np.eye(3))
    assert 250 < same["jump_height_truth_mm"] < 310 and same["jump_height_model_mm"] == same["jump_height_truth_mm"]
    assert same["crouch_knee_flexion_truth_deg"] == pytest.approx(120.0, abs=0.1)
    assert same["crouch_knee_flexion_model_deg"] == pytest.approx(120.0, abs=0.1)
    assert same["crouch_drop_truth_pct"] > 20 and same["crouch_drop_model_pct"] == pytest.approx(
        same["crouch_drop_truth_pct"]
    )
    still = E.root_and_feet(flat.grounded(), truth, np.eye(3))
    assert still["jump_height_model_mm"] < 1 and still["crouch_knee_flexion_model_deg"] < 1e-3
    assert same["floor_error_cm"] < 1e-6 and still["floor_error_cm"] < 1e-6  # both on the floor where the truth is
    assert abs(still["crouch_drop_model_pct"]) < 1e-6
    assert same["vertical_fast_mm"] < 1e-6 and same["truth_vertical_fast_mm"] > 20  # the jump, the crouch's edges
    # a pelvis that does not move misses all of it
    assert still["vertical_fast_mm"] == pytest.approx(still["truth_vertical_fast_mm"], rel=0.05)


def test_walking_toward_the_camera(tmp_path):
    """--approach: a body gliding 3.6 m in 6 s along the floor, seen by a camera on its line: the 4 s that travel
    furthest (2.4 m) are found, ending 1.5 m from the camera, and the perspective root path follows the depth."""
    from model.mocap import read_motion
    from model.motion import Motion

    train = read_motion(FIX / "deepmimic" / "humanoid3d_walk.txt").resampled(30.0)
    walk = read_motion(FIX / "deepmimic" / "humanoid3d_walk.txt").resampled(30.0)
    frames = 180
    q = np.tile(walk.rotations[:1], (frames, 1, 1))
    q[:, 0] = [1.0, 0.0, 0.0, 0.0]  # facing +z, the direction of travel
    root = np.zeros((frames, 3))
    root[:, 1] = walk.root_translation[0, 1]
    root[:, 2] = np.linspace(0.0, 3.6, frames)
    val = Motion(q, root, walk.skeleton, 30.0).grounded()
    lib = write_library(tmp_path / "lib.npz", train, val)
    out_json = tmp_path / "approach.json"
    args = ["--library-split", "validation", "--library", str(lib), "--approach", "--noise", "exact"]
    assert evaluate.main([*args, "--json", str(out_json)]) == 0
    result = json.loads(out_json.read_text())
    assert result["clips"] == 1
    clip = result["per_clip"][0]
    assert clip["truth_travel_m"] == pytest.approx(2.4, abs=0.05)
    assert clip["truth_depth_m"][1] == pytest.approx(1.5, abs=0.01)
    assert abs(result["perspective_travel_m"] - 2.4) < 0.6 and result["perspective_depth_error_m"] < 0.6


def test_real_video_split_with_the_cameras_calibration(recording, tmp_path, capsys):
    """With the camera's calibration the error is split: the model on the reference projected into the camera (exact
    2D), the detector's 2D error against that projection, and the camera's roll and pitch against the model's."""
    keypoints, trc, _ = recording
    ref = retarget_clip(read_bvh(CMU))
    cam = E.fixed_cameras(ref.root_translation.mean(0))[0]
    to_lab = elementary_rotation("z", 0.7) @ elementary_rotation("x", np.pi / 2)  # the fixture's lab frame, Z up
    offset = np.array([0.3, -0.05, 0.0])  # metres
    rotation = cam.rotation[0] @ to_lab.T  # lab -> camera
    translation = -rotation @ offset - cam.rotation[0] @ cam.centre[0]
    w, h = cam.image[0]
    f = float(cam.focal[0])
    level = {"K": [[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]], "dist": [0, 0, 0, 0, 0], "R": rotation.tolist()}
    level["t"] = translation.tolist()
    level["image_size_wh"] = [w, h]
    roll = elementary_rotation("z", np.radians(25.0))  # the same camera turned 25 degrees about its axis
    tilted = dict(level, R=(roll @ rotation).tolist(), t=(roll @ translation).tolist())
    calib = tmp_path / "cameras.json"
    calib.write_text(json.dumps({"cameras": {"front": level, "tilted": tilted}}))
    # the fixture's detections are the level camera's: the projection reproduces their clean points
    markers = E.read_reference_trc(trc)[2]
    uv = E.project_calibrated(markers, E.read_calibration(calib, "front"))
    kp3d, _ = keypoints_3d(ref.rotations, ref.skeleton.offsets, ref.root_translation)
    clean, _ = cam.project(kp3d[None])
    names = [HALPE26.index(n) for n in TRC_NAMES]
    assert np.nanmax(np.abs(uv - clean[0][:, names])) < 1e-2  # pixels (the file keeps micrometres)
    args = ["--keypoints", str(keypoints), "--reference", str(trc), "--calibration", str(calib), "front"]
    assert evaluate.main(args) == 0
    split = json.loads(capsys.readouterr().out)["split"]
    assert abs(split["camera_roll_deg"]) < 0.05 and abs(split["camera_pitch_down_deg"] - 2.3) < 0.1, split
    assert 0.5 < split["detector_2d_error_pct_height"] < 10.0, split  # the profile's noise, level 1
    assert set(split["detector_2d_error_pct_height_per_point"]) == set(TRC_NAMES)
    assert 5.0 < split["exact_2d_pa_mpjpe_mm"] < 150.0 and split["up_error_deg"] < 20.0, split
    assert evaluate.main(args[:-1] + ["tilted"]) == 0
    split = json.loads(capsys.readouterr().out)["split"]
    assert abs(split["camera_roll_deg"] - 25.0) < 0.05, split
    assert evaluate.main(args[:-1] + ["side"]) == 1
    err = capsys.readouterr().err.strip()
    assert "cameras.json" in err and "no camera 'side'" in err and "\n" not in err


def test_twist_is_the_turn_about_the_segment():
    """An error about a joint's own segment is all twist; one that only moves the segment is none; a mix splits."""
    d = np.array([[1.0, 0.0, 0.0]])  # the segment along x
    ref = np.eye(3)[None, None]
    twist = elementary_rotation("x", 0.5)[None, None]
    swing = elementary_rotation("z", 0.3)[None, None]
    np.testing.assert_allclose(E.twist_angle(twist, ref, d), 0.5, atol=1e-9)
    np.testing.assert_allclose(E.twist_angle(swing, ref, d), 0.0, atol=1e-9)
    np.testing.assert_allclose(E.twist_angle(swing @ twist, ref, d), 0.5, atol=1e-9)


def test_limb_directions_split_the_image_from_the_depth():
    """A limb pointed the other way toward the camera (its depth mirrored) keeps its direction in the image and has
    every depth sign wrong; one turned in the image plane by 20 degrees has that error in the image and none in
    depth; the truth itself scores 0 everywhere."""
    from model.skeleton import Skeleton

    rng = np.random.default_rng(3)
    ref = Skeleton.default().rest_positions[None] + rng.normal(0, 0.15, (40, 22, 3))
    zero = E.limb_directions(ref, ref)
    assert max(abs(v) for v in zero.values()) < 1e-5 and set(zero) >= {"forearm_in_image_deg", "thigh_depth_error"}
    i, j = JOINT_NAMES.index("left_elbow"), JOINT_NAMES.index("left_wrist")
    mirrored = ref.copy()
    mirrored[:, j, 2] = 2 * ref[:, i, 2] - ref[:, j, 2]  # the left forearm's depth mirrored about the elbow
    out = E.limb_directions(mirrored, ref)
    seg = ref[:, j] - ref[:, i]
    r = ref[:, JOINT_NAMES.index("right_wrist")] - ref[:, JOINT_NAMES.index("right_elbow")]

    def deep(v):  # frames where a segment points at least 0.4 of its length toward or away from the camera
        return np.abs(v[:, 2]) >= 0.4 * np.linalg.norm(v, axis=-1)

    def flat(v):  # frames where it lies at least half in the image plane
        return np.linalg.norm(v[:, :2], axis=-1) >= 0.5 * np.linalg.norm(v, axis=-1)

    # both sides pooled, the right forearm untouched: every deep left one wrong, no right one
    assert deep(seg).any()
    assert np.isclose(out["forearm_depth_sign_wrong_pct"], 100.0 * deep(seg).sum() / (deep(seg).sum() + deep(r).sum()))
    assert out["forearm_in_image_deg"] < 1e-9 and out["forearm_depth_error"] < 1e-9 and out["forearm_deg"] > 1.0
    turned = ref.copy()
    turned[:, j] = ref[:, i] + seg @ elementary_rotation("z", np.radians(20.0)).T  # in the image plane
    out = E.limb_directions(turned, ref)
    assert np.isclose(out["forearm_in_image_deg"], 20.0 * flat(seg).sum() / (flat(seg).sum() + flat(r).sum()))
    assert out["forearm_depth_error"] < 1e-9 and out["forearm_depth_sign_wrong_pct"] == 0.0
