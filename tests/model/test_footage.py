"""The footage camera: recovered from a body seen by a known camera, and consistent on the real sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.body_points import keypoints_3d
from model.footage import camera_to_world, footage_camera
from model.keypoints import Keypoints2D
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
