"""The footage camera: recovered from a body seen by a known camera, and consistent on the real sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.body_points import keypoints_3d
from model.footage import camera_to_world, footage_camera
from model.keypoints import KEYPOINT_INDEX, Keypoints2D
from model.mocap import read_motion
from model.motion import Motion
from model.pipeline import UpliftOptions, read_person, uplift

FIX = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLE = Path(__file__).resolve().parents[2] / "model" / "samples" / "sample_mediapipe.json"


def test_a_known_camera_is_recovered():
    ref = read_motion(FIX / "bvh" / "cmu_01_01_first120.bvh").resampled(30.0)
    # a camera 4 m in front of the walk's middle, 1.5 m up, tilted 10 degrees down, rolled 3 degrees
    tilt, roll = np.radians(10.0), np.radians(3.0)
    up_cam = np.array([np.sin(roll), -np.cos(tilt) * np.cos(roll), np.sin(tilt)])
    up_cam /= np.linalg.norm(up_cam)
    rot = camera_to_world(up_cam)  # camera -> world, the world's z the camera's flattened view direction
    target = ref.root_translation.mean(0)
    position = target - rot @ np.array([0.0, 0.0, 4.0]) + np.array([0.0, 0.4, 0.0])
    kp, _ = keypoints_3d(ref.rotations, ref.skeleton.offsets, ref.root_translation)
    cam = (kp - position) @ rot
    focal = 1920 / 2 / np.tan(np.radians(30.0))
    px = focal * cam[..., :2] / cam[..., 2:] + [960.0, 540.0]
    points = np.concatenate([px, np.ones(px.shape[:-1] + (1,))], -1)
    kps = Keypoints2D(points, fps=30.0, image_size=(1920, 1080))
    motion = Motion(
        ref.rotations, ref.root_translation, ref.skeleton, 30.0, up_in_camera=np.repeat(up_cam[None], ref.num_frames, 0)
    )
    found = footage_camera(motion, kps, np.arange(ref.num_frames), fov_deg=60.0, yaw=0.0)
    assert np.linalg.norm(found.position - position) < 0.02, (found.position, position)
    assert np.abs(found.rotation - rot).max() < 1e-6
    assert np.abs(found.project(kp) - px).max() < 1.0


def test_the_sample_is_seen_where_it_was_detected():
    options = UpliftOptions()
    kps = read_person(SAMPLE, options)
    result = uplift(kps, options)
    cam = footage_camera(result.motion, kps, result.frames)
    kp3d, _ = keypoints_3d(result.motion.rotations, result.motion.skeleton.offsets, result.motion.root_translation)
    seen = kps.points[result.frames, :, 2] > 0.5
    err = np.linalg.norm(cam.project(kp3d) - kps.points[result.frames, :, :2], axis=-1)[seen]
    height = np.ptp(kps.points[result.frames][..., 1][seen.any(-1)], axis=-1).mean()
    # the rig over the person: the body's points within a tenth of the person's height of the detections (median)
    assert np.median(err) < 0.1 * height, (np.median(err), height)
    assert 1.0 < np.linalg.norm(cam.position - result.motion.root_translation.mean(0)) < 20.0


def _three_people(tmp_path: Path) -> Path:
    """The sample's first shot (160 frames, before the video cuts) as three people: itself, a copy 400 px to its right
    and 0.8x as large (further away), and a passer-by seen for 10 frames only."""
    import json

    doc = json.loads(SAMPLE.read_text())
    doc["frames"] = doc["frames"][:160]
    w = doc["image_width"]
    for n, frame in enumerate(doc["frames"]):
        extra = []
        for pose in frame["poses"]:
            far = [[0.5 + (x - 0.5) * 0.8 + 400 / w, 0.5 + (y - 0.5) * 0.8, z, v] for x, y, z, v in pose]
            extra.append(far)
            if 100 <= n < 110:
                extra.append([[x - 300 / w, y, z, v] for x, y, z, v in pose])
        frame["poses"] = frame["poses"] + extra
    path = tmp_path / "three_people.json"
    path.write_text(json.dumps(doc))
    return path


def test_several_people_stand_where_the_video_shows_them(tmp_path):
    from model.footage import people_offsets
    from model.pipeline import read_people

    path = _three_people(tmp_path)
    people = read_people(path, UpliftOptions(all_people=True, backend="numpy"))
    assert [o.person for o, _ in people] == [0, 1]  # the passer-by (10 frames, under a second) left out
    results = [(o, uplift(k, o)) for o, k in people]
    offsets = people_offsets([(r.motion, r.keypoints, r.frames) for _, r in results])
    assert np.allclose(offsets[0], 0.0)
    placed = [r.motion.root_translation.mean(0) + o for (_, r), o in zip(results, offsets)]
    assert np.linalg.norm(placed[1] - placed[0]) > 0.5  # apart, as in the video
    # the first person's camera sees the second, moved by its offset, where the second's hips were detected
    first = results[0][1]
    cam = footage_camera(first.motion, first.keypoints, first.frames)
    second = results[1][1]
    hips = [KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"]]
    t = np.arange(20, second.motion.num_frames, 20)
    seen = second.keypoints.points[second.frames[t]][:, hips, :2].mean(1)
    shown = cam.project(second.motion.root_translation[t] + offsets[1])
    assert np.median(np.linalg.norm(shown - seen, axis=-1)) < 40.0, np.median(np.linalg.norm(shown - seen, axis=-1))
    # and a single person is not moved
    assert np.allclose(people_offsets([(first.motion, first.keypoints, first.frames)])[0], 0.0)
