"""SMPL / SMPL-H / SMPL-X motion in the AMASS ``.npz`` layout, for users who own such data (none is shipped).

The canonical skeleton has SMPL's body topology, joint order and rest convention (T-pose, every joint frame aligned
with the body at rest), so the first 22 joint rotations of such a file are our local rotations as they are:

- ``root_orient`` (T, 3) with ``pose_body`` (T, 63) when present (AMASS SMPL-X files), else ``poses`` (T, 3 x J)
  axis-angle, J = 24 (SMPL), 52 (SMPL-H) or 55 (SMPL-X);
- ``trans`` (T, 3) metres; ``mocap_framerate`` or ``mocap_frame_rate``; ``betas`` is ignored: bone lengths are the
  canonical proportions scaled to ``height`` (no body model is shipped or needed).

AMASS stores motion Z-up (``up="z"``); files already Y-up pass ``up="y"``. ``up="auto"`` picks the axis the body's
spine points along on average. The result is a :class:`~model.motion.Motion` in the model's world frame (y up),
standing on the floor; ``scripts/training/train.py --real`` and ``scripts/training/evaluate.py --bvh`` read such files directly.
Hands, jaw and eyes are dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..kinematics import forward_kinematics
from ..motion import Motion
from ..rotations import axis_angle_to_quat, elementary_rotation, matrix_to_quat, quat_multiply
from ..skeleton import JOINT_INDEX, NUM_JOINTS, Skeleton
from .clip import MotionFileError

__all__ = ["read_amass"]

_Z_UP_TO_Y_UP = elementary_rotation("x", -np.pi / 2)  # (x, y, z) z-up -> (x, z, -y): z becomes y


def read_amass(path: str | Path, up: str = "auto", height: float | None = None) -> Motion:
    """An AMASS-layout ``.npz`` as canonical-skeleton Motion (see the module text)."""
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
        keys = set(data.files)
    except (OSError, ValueError) as exc:
        raise MotionFileError(f"{path}: not a readable .npz file ({exc})") from None
    if {"root_orient", "pose_body"} <= keys:
        body = np.concatenate([data["root_orient"], data["pose_body"]], 1).astype(np.float64)
        if body.shape[1] != 3 * NUM_JOINTS:
            raise MotionFileError(f"{path}: root_orient + pose_body must hold 22 joints, got {body.shape[1] // 3}")
    elif "poses" in keys:
        poses = np.asarray(data["poses"], dtype=np.float64)
        if poses.ndim != 2 or poses.shape[1] < 3 * NUM_JOINTS or poses.shape[1] % 3:
            raise MotionFileError(
                f"{path}: 'poses' must be (frames, 3 x joints) with at least 22 joints, got {poses.shape}"
            )
        body = poses[:, : 3 * NUM_JOINTS]
    else:
        raise MotionFileError(f"{path}: no 'poses' (or 'root_orient' + 'pose_body') array: not an AMASS-layout file")
    frames = len(body)
    trans = np.asarray(data["trans"], dtype=np.float64) if "trans" in keys else np.zeros((frames, 3))
    if frames < 1 or trans.shape != (frames, 3):
        raise MotionFileError(f"{path}: 'trans' must be ({frames}, 3), got {trans.shape}")
    fps_key = next((k for k in ("mocap_framerate", "mocap_frame_rate", "fps") if k in keys), None)
    fps = float(data[fps_key]) if fps_key else 30.0
    if not (np.isfinite(body).all() and np.isfinite(trans).all()):
        bad = int(np.argwhere(~(np.isfinite(body).all(1) & np.isfinite(trans).all(1)))[0, 0])
        raise MotionFileError(f"{path}: frame {bad}: value is not a finite number")
    quats = axis_angle_to_quat(body.reshape(frames, NUM_JOINTS, 3))
    skeleton = Skeleton.default() if height is None else Skeleton.default().scaled(height=height)
    if up == "auto":
        pos, _ = forward_kinematics(quats, skeleton.offsets, np.zeros((frames, 3)))
        spine = (pos[:, JOINT_INDEX["neck"]] - pos[:, JOINT_INDEX["pelvis"]]).mean(0)
        up = "yz"[int(np.argmax(np.abs(spine[1:])))]
    if up not in ("y", "z"):
        raise ValueError(f"up must be 'y', 'z' or 'auto', got {up!r}")
    if up == "z":
        turn = matrix_to_quat(_Z_UP_TO_Y_UP)
        quats[:, 0] = quat_multiply(turn, quats[:, 0])
        trans = trans @ _Z_UP_TO_Y_UP.T
    # trans moves the body model's origin, a constant offset from the pelvis: grounding sets the height
    return Motion(quats, trans, skeleton, fps).grounded()
