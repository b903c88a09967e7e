"""scripts/training/real_video.py: weights scored on a real-video set laid out as ../shared's pose2sim trial (one
camera's detections against the reference triangulated without it), and the angular jerk of the network's motion."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

from model.body_points import keypoints_3d
from model.keypoints import HALPE26
from model.mocap.bvh import read_bvh
from model.mocap.retarget import retarget_clip
from model.rotations import elementary_rotation, matrix_to_quat
from model.training import evaluation as E
from model.training.synthesis import detector_noise

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "model" / "weights" / "pose_uplift.npz"
CMU = ROOT / "tests" / "fixtures" / "bvh" / "cmu_01_01_first120.bvh"
sys.path.insert(0, str(ROOT / "scripts" / "training"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the other tests' helpers
spec = importlib.util.spec_from_file_location("real_video_script", ROOT / "scripts" / "training" / "real_video.py")
real_video = importlib.util.module_from_spec(spec)
from test_evaluate import write_trc  # noqa: E402

spec.loader.exec_module(real_video)

MARKERS = {"left_shoulder": "LShoulder", "right_shoulder": "RShoulder", "left_elbow": "LElbow", "right_elbow": "RElbow"}
MARKERS |= {"left_wrist": "LWrist", "right_wrist": "RWrist", "left_hip": "LHip", "right_hip": "RHip"}
MARKERS |= {"left_knee": "LKnee", "right_knee": "RKnee", "left_ankle": "LAnkle", "right_ankle": "RAnkle"}


def fake_set(tmp: Path, swap_reference_for: str | None = None) -> Path:
    """A set laid out as pose2sim_trial1: the CMU excerpt's 26 points seen by three cameras (60 fps, detector noise)
    as OpenPose-style JSON folders, the reference (Z up, metres) once per camera; ``swap_reference_for`` labels that
    camera's reference left for right."""
    ref = retarget_clip(read_bvh(CMU))
    kp3d, _ = keypoints_3d(ref.rotations, ref.skeleton.offsets, ref.root_translation)
    lab = kp3d @ elementary_rotation("x", np.pi / 2).T
    names = list(MARKERS)
    cams = E.fixed_cameras(ref.root_translation.mean(0))
    out = tmp / "set"
    out.mkdir(parents=True)
    (out / "cameras.json").write_text("{}")
    for k, cam in enumerate(real_video.REAL_CAMERAS):
        px, _ = cams[k].project(kp3d)
        noisy = detector_noise(np.random.default_rng(k), px, 60.0, level=1.0)[0]
        folder = out / f"{cam}_json"
        folder.mkdir()
        for t, frame in enumerate(noisy):
            person = {"person_id": [-1], "pose_keypoints_2d": [round(float(v), 3) for v in frame.ravel()]}
            (folder / f"{cam}_{t:012d}_keypoints.json").write_text(json.dumps({"version": 1.3, "people": [person]}))
        labels = [MARKERS[n] for n in names]
        if cam == swap_reference_for:
            labels = [lab.replace("L", "#").replace("R", "L").replace("#", "R") for lab in labels]
        reference = lab[:, [HALPE26.index(n) for n in names]] * 1000.0  # mm
        write_trc(out / f"reference_3d_without_{cam}.trc", labels, reference, 60.0)
    return out


def test_angular_jerk_is_zero_at_a_steady_turn_and_sees_a_change_of_speed():
    angles = np.radians(np.arange(10) * 2.0)  # 2 degrees a frame about y
    steady = matrix_to_quat(np.stack([elementary_rotation("y", a) for a in angles]))[:, None]
    assert real_video.angular_jerk(steady).shape == (8, 1)
    assert np.abs(real_video.angular_jerk(steady)).max() < 1e-6
    speeds = np.array([0, 2, 2, 5, 5, 5, 1, 1, 1, 1], float)  # degrees a frame
    changing = matrix_to_quat(np.stack([elementary_rotation("y", a) for a in np.radians(np.cumsum(speeds))]))[:, None]
    np.testing.assert_allclose(real_video.angular_jerk(changing)[:, 0], np.abs(np.diff(speeds[1:])), atol=1e-5)


def test_scores_each_camera_against_its_own_reference(tmp_path, capsys):
    good = fake_set(tmp_path / "a")
    out_json = tmp_path / "out.json"
    assert real_video.main([str(WEIGHTS), "--realvideo", str(good), "--json", str(out_json)]) == 0
    (result,) = json.loads(out_json.read_text())
    per = result["per_camera_pa_mpjpe_mm"]
    assert list(per) == ["cam01", "cam02", "cam04"] and all(10.0 < v < 150.0 for v in per.values()), result
    assert abs(result["mean_pa_mpjpe_mm"] - np.mean(list(per.values()))) < 0.01
    assert 0.0 < result["angular_jerk_deg"] < result["angular_jerk_p99_deg"]
    line = capsys.readouterr().out.strip()
    assert line.startswith(str(WEIGHTS)) and f"{result['mean_pa_mpjpe_mm']:.2f} mm" in line
    # one camera's reference labelled the wrong way round: that camera, and only it, scores worse
    swapped = fake_set(tmp_path / "b", swap_reference_for="cam02")
    worse = real_video.score(str(WEIGHTS), swapped)["per_camera_pa_mpjpe_mm"]
    assert worse["cam02"] > per["cam02"] + 20.0 and abs(worse["cam01"] - per["cam01"]) < 1e-6, (worse, per)


def test_a_folder_that_is_not_the_set_is_one_line(tmp_path, capsys):
    assert real_video.main([str(WEIGHTS), "--realvideo", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert str(tmp_path) in err and "not the real-video set" in err and "\n" not in err
