"""Training data: joint ranges, grounded motion, keypoints, cameras, noise and the gravity-aligned targets."""

from __future__ import annotations

import numpy as np

from model.body_points import keypoints_3d
from model.keypoints import KEYPOINT_INDEX
from model.rotations import quat_to_matrix
from model.skeleton import JOINT_INDEX, MIRROR
from model.synthesis import (
    JOINT_RANGES,
    OKS_SIGMAS,
    detector_noise,
    gravity_frame,
    make_batch,
    random_cameras,
    synthetic_motion,
)


def test_ranges_cover_every_joint_and_mirror():
    assert set(JOINT_RANGES) == set(range(22))
    for j, (order, lims) in JOINT_RANGES.items():
        m_order, m_lims = JOINT_RANGES[MIRROR[j]]
        assert order == m_order
        for axis, (lo, hi), (mlo, mhi) in zip(order, lims, m_lims):
            assert lo < hi
            if MIRROR[j] != j:
                assert (mlo, mhi) == ((lo, hi) if axis == "x" else (-hi, -lo))


def test_synthetic_motion_is_smooth_grounded_and_finite():
    rng = np.random.default_rng(0)
    clip = synthetic_motion(rng, 16, 90, 30.0)
    assert clip.rotations.shape == (16, 90, 22, 4) and np.isfinite(clip.rotations).all()
    # smooth: no joint turns faster than 1000 degrees per second (fast human limbs), most far slower
    dots = np.abs((clip.rotations[:, 1:] * clip.rotations[:, :-1]).sum(-1)).clip(0, 1)
    speed = np.degrees(2 * np.arccos(dots)) * 30
    assert speed.max() < 1000 and np.median(speed) < 200
    kp, joints = keypoints_3d(clip.rotations, clip.offsets, clip.root)
    lowest = kp[..., [KEYPOINT_INDEX[n] for n in ("left_heel", "right_heel", "left_big_toe", "right_big_toe")], 1]
    # the lowest foot point is on the floor (jumps lift it for a moment)
    assert np.median(lowest.min(-1)) < 0.06 and lowest.min() > -0.08
    # knees bend forward, never backward: the knee rotation is about +x within range
    knee = quat_to_matrix(clip.rotations[:, :, JOINT_INDEX["left_knee"]])
    assert (np.degrees(np.arccos(np.clip(knee[..., 1, 1], -1, 1))) <= 136).all()


def test_cameras_see_the_person_and_noise_has_its_documented_size():
    rng = np.random.default_rng(1)
    clip = synthetic_motion(rng, 32, 60, 30.0)
    kp, _ = keypoints_3d(clip.rotations, clip.offsets, clip.root)
    cam = random_cameras(rng, clip.root.mean(1))
    px, depth = cam.project(kp)
    assert (depth > 0.5).mean() > 0.99
    inside = (px[..., 0] > -200) & (px[..., 0] < cam.image[:, None, None, 0] + 200)
    assert inside.mean() > 0.9
    noisy = detector_noise(np.random.default_rng(2), px, 30.0, level=1.0)
    height = np.ptp(px[..., 1], axis=-1).mean(-1)
    err = np.linalg.norm(noisy[..., :2] - px, axis=-1)
    kept = noisy[..., 2] > 0
    expected = OKS_SIGMAS[None, None] * height[:, None, None] * np.sqrt(2 * 0.98)
    ratio = np.median(err[kept] / np.broadcast_to(expected, err.shape)[kept])
    assert 0.5 < ratio < 1.6
    assert 0.01 < (~kept).mean() < 0.1  # dropouts
    g = gravity_frame(cam)
    assert np.allclose(g @ np.swapaxes(g, 1, 2), np.eye(3), atol=1e-9) and np.allclose(g[:, 1], [0, 1, 0])


def test_batch_targets_are_consistent():
    from model.kinematics import forward_kinematics

    b = make_batch(np.random.default_rng(3), 8, 27, 30.0)
    pos, _ = forward_kinematics(b["rotations"].astype(np.float64), b["offsets"][:, None].astype(np.float64))
    rel = pos - pos[..., :1, :]
    assert np.abs(rel - b["positions"]).max() < 1e-4  # positions are the FK of the rotation targets
    assert np.allclose(np.linalg.norm(b["up"], axis=-1), 1.0, atol=1e-5)
    assert b["inputs"].shape == (8, 27, 26, 3) and np.isfinite(b["inputs"]).all()
