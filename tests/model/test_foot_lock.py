"""Lock Feet (model/foot_lock.py): planted feet held in place by bending the legs, nothing else touched."""

from __future__ import annotations

import numpy as np

from model.foot_lock import LEGS, bend_leg, contact_runs, lock_feet, locked_targets
from model.kinematics import forward_kinematics
from model.motion import Motion
from model.rotations import axis_angle_to_quat
from model.skeleton import JOINT_INDEX, Skeleton

FPS = 30.0


def _standing(frames: int, wobble: float, seed: int = 0) -> Motion:
    """A T-pose standing on the floor, knees bent a little, whose hips and knees wobble by up to ``wobble`` radians
    (random, smooth over a few frames) and whose root wanders 1 cm: the feet slide a few centimetres while down."""
    rng = np.random.default_rng(seed)
    skel = Skeleton.default()
    aa = np.zeros((frames, 22, 3))
    kernel = np.ones(5) / 5
    for j in (*LEGS[0][:2], *LEGS[1][:2]):
        for axis in range(3):
            aa[:, j, axis] = np.convolve(rng.uniform(-wobble, wobble, frames + 4), kernel, "valid")
    aa[:, [LEGS[0][0], LEGS[1][0]], 0] -= 0.2  # hips flexed, knees bent twice as much: the shins upright
    aa[:, [LEGS[0][1], LEGS[1][1]], 0] += 0.4
    root = np.repeat(skel.offsets[0][None], frames, 0) + rng.normal(0, 0.003, (frames, 3)) * [1, 0, 1]
    motion = Motion(axis_angle_to_quat(aa), root, skel, FPS)
    low = motion.foot_points()[..., 1].min()
    return Motion(motion.rotations, root - [0.0, low, 0.0], skel, FPS)


def _horizontal_speed(motion: Motion, joint: int) -> np.ndarray:
    return np.linalg.norm(np.diff(motion.world_positions()[:, joint][:, [0, 2]], axis=0), axis=-1) * motion.fps


def test_contact_runs_and_targets():
    """Runs are the frames with weight >= 0.5; the place is the ankle's weighted mean over its run, reached in full
    inside it and faded out (cosine) over the blend on either side, untouched beyond."""
    weight = np.array([0, 0, 0.6, 1, 1, 0.7, 0.2, 0, 0, 0, 0, 0, 1, 1.0])
    assert contact_runs(weight) == [(2, 6), (12, 14)]
    ankle = np.stack([np.arange(14.0), np.zeros(14)], -1)
    place, amount = locked_targets(ankle, weight, fps=10.0, blend=0.2)
    expect = (np.arange(2, 6) * weight[2:6]).sum() / weight[2:6].sum()
    np.testing.assert_allclose(place[2:6, 0], expect)
    np.testing.assert_allclose(amount[[2, 3, 4, 5, 12, 13]], 1.0)
    np.testing.assert_allclose(amount[[0, 7, 10]], 0.0, atol=1e-12)
    np.testing.assert_allclose(amount[[1, 6, 11]], 0.5)
    np.testing.assert_allclose(place[8, 0], ankle[8, 0])  # outside every fade: the ankle itself


def test_planted_feet_stay_put_and_the_rest_is_untouched():
    """Standing with wobbling legs: the ankles' slide across the floor is gone (under a millimetre per frame against
    several before); their heights, the feet's orientation in the world, the bone lengths, the root and every joint
    but the legs' hips, knees and ankles are exactly as they were."""
    motion = _standing(60, 0.06)
    locked = lock_feet(motion)
    ankles = [JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]]
    for a in ankles:
        before, after = _horizontal_speed(motion, a), _horizontal_speed(locked, a)
        assert before.mean() > 0.05
        assert after.max() < 0.001 * FPS
    np.testing.assert_allclose(
        locked.world_positions()[:, ankles, 1], motion.world_positions()[:, ankles, 1], atol=1e-9
    )
    legs = sorted(j for leg in LEGS for j in leg)
    others = [j for j in range(22) if j not in legs]
    np.testing.assert_array_equal(locked.rotations[:, others], motion.rotations[:, others])
    np.testing.assert_array_equal(locked.root_translation, motion.root_translation)
    _, g0 = forward_kinematics(motion.rotations, motion.skeleton.offsets)
    _, g1 = forward_kinematics(locked.rotations, locked.skeleton.offsets)
    feet = [JOINT_INDEX[n] for n in ("left_ankle", "right_ankle", "left_foot", "right_foot")]
    np.testing.assert_allclose(g1[:, feet], g0[:, feet], atol=1e-9)
    p1 = locked.world_positions()
    bones = lambda p: np.linalg.norm(p[:, [4, 5, 7, 8]] - p[:, [1, 2, 4, 5]], axis=-1)  # noqa: E731
    np.testing.assert_allclose(bones(p1), bones(motion.world_positions()), atol=1e-9)


def test_feet_in_the_air_or_moving_fast_are_left_alone():
    """Lifted 20 cm off the floor, or carried across it at 2 m/s, the feet are not planted: the motion comes back
    unchanged."""
    motion = _standing(40, 0.06)
    lifted = Motion(motion.rotations, motion.root_translation + [0.0, 0.2, 0.0], motion.skeleton, FPS)
    np.testing.assert_array_equal(lock_feet(lifted).rotations, lifted.rotations)
    moving_root = motion.root_translation + np.arange(40)[:, None] / FPS * [0.0, 0.0, 2.0]
    moving = Motion(motion.rotations, moving_root, motion.skeleton, FPS)
    np.testing.assert_array_equal(lock_feet(moving).rotations, moving.rotations)


def test_bend_leg_reaches_targets_in_reach_and_straightens_towards_the_rest():
    """bend_leg: a target within reach is met exactly, the knee stays on its old side of the hip-target line; one
    beyond reach leaves the leg straight, pointing at it; bone lengths kept in both."""
    motion = _standing(2, 0.0)
    skel = motion.skeleton
    pos, glob = forward_kinematics(motion.rotations, skel.offsets, motion.root_translation)
    h, k, a = LEGS[0]
    l1, l2 = np.linalg.norm(skel.offsets[k]), np.linalg.norm(skel.offsets[a])
    near = pos[:, a] + [[0.05, 0.02, -0.04], [0.0, 0.0, 0.0]]
    far = pos[:, h] + [[0.0, -2.0, 0.0], [0.3, -2.0, 0.3]]
    for target, reachable in ((near, True), (far, False)):
        new_hip, new_knee = bend_leg(pos, glob, LEGS[0], target)
        knee = pos[:, h] + (new_hip @ skel.offsets[k][:, None])[..., 0]
        ankle = knee + (new_knee @ skel.offsets[a][:, None])[..., 0]
        np.testing.assert_allclose(np.linalg.norm(knee - pos[:, h], axis=-1), l1, atol=1e-9)
        np.testing.assert_allclose(np.linalg.norm(ankle - knee, axis=-1), l2, atol=1e-9)
        if reachable:
            np.testing.assert_allclose(ankle, target, atol=1e-9)
            assert (knee[:, 2] - 0.5 * (pos[:, h, 2] + ankle[:, 2]) > 0).all()  # still bent forward
        else:
            way = (target - pos[:, h]) / np.linalg.norm(target - pos[:, h], axis=-1, keepdims=True)
            np.testing.assert_allclose((ankle - pos[:, h]) / (l1 + l2), way, atol=1e-3)
