"""Lock Feet: a foot that is down and still stays exactly where it is, by bending its leg.

The network's legs jitter from frame to frame; a planted foot then slides even where the body's path is right
(:func:`.root_path.pin_planted_feet` moves the body, not the legs). Here each contact (the foot's lowest point under
``height`` above the floor and its centre moving slower than ``speed`` across it, the same test as the body's) gets
one place on the floor: the ankle's mean position over the contact. On the contact's frames the leg is bent
analytically (hip and knee, two bones, the knee kept in its own bending plane) so that the ankle reaches that place
across the floor, its height left as it was; the foot keeps its orientation in the world. Over ``blend`` seconds before
and after a contact the correction fades in and out, so the leg does not jump. Everything else (the body, the root,
the other joints) is left as it was, so the pose stays the network's above the knees' correction."""

from __future__ import annotations

import numpy as np

from .body_points import FOOT_POINTS, keypoints_from_pose
from .kinematics import forward_kinematics
from .motion import Motion
from .root_path import planted_weights
from .rotations import matrix_to_quat, rotation_between
from .skeleton import JOINT_INDEX, PARENTS

LEGS: tuple[tuple[int, int, int], ...] = tuple(
    (JOINT_INDEX[f"{side}_hip"], JOINT_INDEX[f"{side}_knee"], JOINT_INDEX[f"{side}_ankle"])
    for side in ("left", "right")
)


def contact_runs(weight: np.ndarray) -> list[tuple[int, int]]:
    """The runs [start, stop) of frames whose contact ``weight`` is at least a half."""
    on = np.concatenate([[False], weight >= 0.5, [False]])
    edges = np.flatnonzero(np.diff(on.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def locked_targets(ankle: np.ndarray, weight: np.ndarray, fps: float, blend: float) -> tuple[np.ndarray, np.ndarray]:
    """Where one ankle should be across the floor, (T, 2) x and z, and how much of the way to go, (T,): 1 in a
    contact, fading (cosine) to 0 over ``blend`` seconds on either side; the place is the weighted mean of the
    ankle over the contact. Where two contacts' fades overlap, their places are averaged by their shares."""
    frames = len(ankle)
    ramp = max(1, int(round(blend * fps)))
    share = np.zeros(frames)
    place = np.zeros((frames, 2))
    t = np.arange(frames)
    for a, b in contact_runs(weight):
        w = weight[a:b]
        anchor = (ankle[a:b] * w[:, None]).sum(0) / w.sum()
        gap = np.maximum(np.maximum(a - t, t - (b - 1)), 0)  # frames outside the contact
        s = np.where(gap <= ramp, 0.5 * (1 + np.cos(np.pi * np.minimum(gap / ramp, 1.0))), 0.0)
        share += s
        place += s[:, None] * anchor
    amount = np.minimum(share, 1.0)
    place = np.where(share[:, None] > 0, place / np.maximum(share, 1e-12)[:, None], ankle)
    return place, amount


def bend_leg(
    pos: np.ndarray, glob: np.ndarray, leg: tuple[int, int, int], target: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """New global rotations (F, 3, 3) of a leg's hip and knee so that its ankle reaches ``target`` (F, 3) (as near as
    the leg's length allows), the knee staying in the plane through the hip, the target and the old knee."""
    h, k, a = leg
    hip, knee, ankle = pos[:, h], pos[:, k], pos[:, a]
    l1 = np.linalg.norm(knee - hip, axis=-1)
    l2 = np.linalg.norm(ankle - knee, axis=-1)
    reach = target - hip
    dist = np.linalg.norm(reach, axis=-1)
    u = reach / np.maximum(dist, 1e-9)[:, None]
    d = np.clip(dist, np.abs(l1 - l2) + 1e-4, (l1 + l2) * (1 - 1e-4))
    thigh = knee - hip
    v = thigh - (thigh * u).sum(-1, keepdims=True) * u  # the knee's side of the hip-target line
    forward = glob[:, h] @ np.array([0.0, 0.0, 1.0])  # a straight leg: the knee goes forward (where it bends)
    forward = forward - (forward * u).sum(-1, keepdims=True) * u
    v = np.where(np.linalg.norm(v, axis=-1, keepdims=True) > 1e-6, v, forward)
    v /= np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
    along = (l1**2 - l2**2 + d**2) / (2 * d)
    across = np.sqrt(np.maximum(l1**2 - along**2, 0.0))
    new_knee = hip + along[:, None] * u + across[:, None] * v
    new_ankle = hip + d[:, None] * u
    turn_hip = rotation_between(thigh, new_knee - hip)
    shin = (turn_hip @ (ankle - knee)[..., None])[..., 0]
    turn_knee = rotation_between(shin, new_ankle - new_knee) @ turn_hip
    return turn_hip @ glob[:, h], turn_knee @ glob[:, k]


def lock_feet(motion: Motion, height: float = 0.08, speed: float = 0.9, blend: float = 0.15) -> Motion:
    """A copy of ``motion`` with each planted foot held in one place across the floor for the whole contact (see the
    module). Frames out of every contact and its fades keep their rotations exactly."""
    frames = motion.num_frames
    if frames < 3:
        return motion
    fps = motion.fps
    pos, glob = forward_kinematics(motion.rotations, motion.skeleton.offsets, motion.root_translation)
    kp = keypoints_from_pose(pos, glob, motion.skeleton.offsets)
    weight = planted_weights(kp[:, FOOT_POINTS], fps, height, speed)  # (T, 2)
    glob = glob.copy()
    local = motion.rotations.copy()
    touched = False
    for side, leg in enumerate(LEGS):
        ankle = pos[:, leg[2]]
        place, amount = locked_targets(ankle[:, [0, 2]], weight[:, side], fps, blend)
        on = np.flatnonzero(amount > 0)
        if not len(on):
            continue
        target = ankle[on].copy()
        target[:, [0, 2]] += amount[on, None] * (place[on] - ankle[on][:, [0, 2]])
        h, k, a = leg
        glob[on, h], glob[on, k] = bend_leg(pos[on], glob[on], leg, target)  # the ankle's world rotation kept
        for j in leg:
            q = matrix_to_quat(np.swapaxes(glob[on, PARENTS[j]], -1, -2) @ glob[on, j])
            local[on, j] = q * np.where((q * local[on, j]).sum(-1, keepdims=True) < 0, -1.0, 1.0)
        touched = True
    if not touched:
        return motion
    return Motion(local, motion.root_translation, motion.skeleton, fps, up_in_camera=motion.up_in_camera)
