"""Temporal smoothing of a Motion: Savitzky-Golay on the rotation manifold, and on the root path.

Rotations are filtered in the tangent space of a moving reference: for each frame ``t`` the neighbours' quaternions
are expressed relative to frame ``t`` (``conj(q_t) * q_s``, all near identity and on one hemisphere), their rotation
vectors (log map) are combined with the Savitzky-Golay weights, and the result is mapped back (exp map) and applied
to ``q_t``. This is the filter on SO(3) itself, not on the four quaternion numbers, so the result is always a unit
quaternion and never flips or shrinks. Savitzky-Golay (a local quadratic fit) keeps the peaks of fast motion that a
plain moving average would flatten.

``strength`` in [0, 1]: 0 leaves the motion unchanged; 1 fits over about a third of a second (11 frames at 30 fps).
"""

from __future__ import annotations

import numpy as np

from .motion import Motion
from .rotations import axis_angle_to_quat, quat_conjugate, quat_continuity, quat_multiply, quat_to_axis_angle


def savgol_weights(half: int, order: int = 2) -> np.ndarray:
    """The (2 * half + 1) smoothing weights of a Savitzky-Golay filter of the given polynomial order."""
    x = np.arange(-half, half + 1, dtype=np.float64)
    vander = x[:, None] ** np.arange(order + 1)[None, :]
    return np.linalg.pinv(vander)[0]


def window_half(strength: float, fps: float) -> int:
    """Half window in frames for a strength in [0, 1] at this frame rate (0 = no smoothing)."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"smoothing strength must be within 0 and 1, got {strength}")
    return int(round(strength * (1.0 / 6.0) * fps))


def _order(half: int, order: int) -> int:
    """The fit's order for a (2 * half + 1)-frame window: below the number of frames minus one, so that the filter
    smooths (a quadratic through three frames would pass through all of them: no smoothing at all)."""
    return min(order, 2 * half - 1)


def reflected_ends(x: np.ndarray, half: int) -> np.ndarray:
    """``half`` frames added at both ends (time is axis 0), each the point reflection of its mirror frame about the
    end frame (``2 x_0 - x_k``): a motion that keeps going at the ends is continued, not frozen, so the ends are
    smoothed without being pulled back towards a standstill."""
    start = 2 * x[:1] - x[half:0:-1]
    end = 2 * x[-1:] - x[-2 : -half - 2 : -1]
    return np.concatenate([start, x, end])


def _padded_quaternions(q: np.ndarray, half: int) -> np.ndarray:
    """The same for unit quaternions (hemisphere-continuous): ``q_0 conj(q_k) q_0``, the rotation as far from
    ``q_0`` the other way."""
    start = quat_multiply(quat_multiply(q[:1], quat_conjugate(q[half:0:-1])), q[:1])
    end = quat_multiply(quat_multiply(q[-1:], quat_conjugate(q[-2 : -half - 2 : -1])), q[-1:])
    return np.concatenate([start, q, end])


def smooth_quaternions(quats: np.ndarray, half: int, order: int = 2) -> np.ndarray:
    """(T, ..., 4) unit quaternions smoothed over time (axis 0) with a (2 * half + 1)-frame Savitzky-Golay filter."""
    if half <= 0 or len(quats) < 3:
        return quats.copy()
    half = min(half, (len(quats) - 1) // 2)
    weights = savgol_weights(half, _order(half, order))
    q = quat_continuity(_padded_quaternions(quat_continuity(quats, axis=0), half), axis=0)
    n = len(quats)
    centre = q[half : half + n]
    inv = quat_conjugate(centre)
    acc = np.zeros(centre.shape[:-1] + (3,))
    for k, w in enumerate(weights):
        rel = quat_multiply(inv, q[k : k + n])
        rel = np.where(rel[..., :1] < 0, -rel, rel)  # shortest way round
        acc += w * quat_to_axis_angle(rel)
    return quat_multiply(centre, axis_angle_to_quat(acc))


def smooth_points(points: np.ndarray, half: int, order: int = 2) -> np.ndarray:
    """(T, ...) values smoothed over time (axis 0) with the same filter."""
    if half <= 0 or len(points) < 3:
        return points.copy()
    half = min(half, (len(points) - 1) // 2)
    weights = savgol_weights(half, _order(half, order))
    p = reflected_ends(points, half)
    n = len(points)
    return sum(w * p[k : k + n] for k, w in enumerate(weights))


def smooth_motion(motion: Motion, strength: float) -> Motion:
    """A smoothed copy of ``motion`` (rotations on SO(3), root path, up direction); strength 0 returns it as is."""
    half = window_half(strength, motion.fps)
    if half == 0:
        return motion
    up = None if motion.up_in_camera is None else smooth_points(motion.up_in_camera, half)
    return Motion(
        smooth_quaternions(motion.rotations, half),
        smooth_points(motion.root_translation, half),
        motion.skeleton,
        motion.fps,
        up_in_camera=up,
    )
