"""Temporal smoothing: every strength above 0 smooths (the slider's low end included), slow motion passes, unit
quaternions stay unit."""

from __future__ import annotations

import numpy as np
import pytest

from model.motion import Motion
from model.rotations import axis_angle_to_quat
from model.skeleton import NUM_JOINTS, Skeleton
from model.smoothing import smooth_motion, window_half


def _noisy_motion(seed: int = 0, frames: int = 120, fps: float = 30.0) -> tuple[Motion, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / fps
    slow = np.stack([0.6 * np.sin(2 * np.pi * 0.5 * t), 0.3 * np.cos(2 * np.pi * 0.3 * t), 0.2 * t], -1)  # rad
    aa = np.repeat(slow[:, None], NUM_JOINTS, 1) + rng.normal(0, 0.05, (frames, NUM_JOINTS, 3))
    root = np.stack([t, 0.9 + 0.0 * t, 0.5 * t], -1) + rng.normal(0, 0.02, (frames, 3))
    return Motion(axis_angle_to_quat(aa), root, Skeleton.default(), fps), slow


def _jitter(x: np.ndarray) -> float:
    return float(np.abs(np.diff(x, n=2, axis=0)).mean())


@pytest.mark.parametrize("strength", [0.2, 0.3, 0.6, 1.0])
def test_every_strength_smooths(strength):
    motion, _ = _noisy_motion()
    assert window_half(strength, motion.fps) >= 1
    out = smooth_motion(motion, strength)
    assert _jitter(out.root_translation) < 0.7 * _jitter(motion.root_translation)
    assert _jitter(out.rotations) < 0.7 * _jitter(motion.rotations)
    assert np.allclose(np.linalg.norm(out.rotations, axis=-1), 1.0)


def test_zero_leaves_the_motion_and_slow_motion_passes():
    motion, slow = _noisy_motion()
    assert np.array_equal(smooth_motion(motion, 0.0).rotations, motion.rotations)
    clean = Motion(
        axis_angle_to_quat(np.repeat(slow[:, None], NUM_JOINTS, 1)),
        motion.root_translation,
        motion.skeleton,
        motion.fps,
    )
    out = smooth_motion(clean, 1.0)
    dots = np.abs((out.rotations * clean.rotations).sum(-1))
    assert np.degrees(2 * np.arccos(np.clip(dots, -1, 1))).max() < 1.0  # a slow swing is not flattened
