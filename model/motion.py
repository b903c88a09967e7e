"""Motion: what the uplifter produces and everything downstream consumes.

Frames and units (see :mod:`.skeleton`): metres, seconds; the world frame is gravity-aligned, **x = the body's left
at rest, y = up, z = forward**, the floor is y = 0. For a clip uplifted from video the world's z axis is the camera's
viewing direction projected onto the floor, so a person walking towards the camera walks towards -z (the uplifter's
frame); :func:`model.pipeline.uplift` turns it half a turn (:meth:`Motion.turned`) so that +z points back at the
camera: Blender's Front view (which looks along +Y, the model's -z) then shows what the video shows.

- ``rotations`` (T, 22, 4): local joint rotations, quaternions (w, x, y, z), one hemisphere frame to frame.
  ``rotations[:, 0]`` is the body's orientation in the world.
- ``root_translation`` (T, 3): world position of the pelvis joint.
- ``skeleton``: the body's rest offsets (bone lengths), one per clip.
- ``joint_positions`` (T, 22, 3): root-relative joint positions in world axes, forward kinematics of the above.
- ``up_in_camera`` (T, 3) or None: the world's up direction in camera coordinates (x right, y down, z forward),
  for clips uplifted from video.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .body_points import FOOT_POINTS, keypoints_3d
from .kinematics import forward_kinematics
from .rotations import quat_continuity, quat_multiply, quat_normalize, quat_to_matrix
from .skeleton import NUM_JOINTS, Skeleton


@dataclass
class Motion:
    rotations: np.ndarray
    root_translation: np.ndarray
    skeleton: Skeleton
    fps: float
    joint_positions: np.ndarray | None = None
    up_in_camera: np.ndarray | None = None

    def __post_init__(self) -> None:
        rot = np.asarray(self.rotations, dtype=np.float64)
        if rot.ndim != 3 or rot.shape[1:] != (NUM_JOINTS, 4) or len(rot) == 0:
            raise ValueError(f"Motion.rotations must be (T, {NUM_JOINTS}, 4), got {rot.shape}")
        root = np.asarray(self.root_translation, dtype=np.float64)
        if root.shape != (len(rot), 3):
            raise ValueError(f"Motion.root_translation must be ({len(rot)}, 3), got {root.shape}")
        if not (np.isfinite(rot).all() and np.isfinite(root).all()):
            raise ValueError("Motion holds NaN or inf")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"Motion.fps must be positive, got {self.fps}")
        self.rotations = quat_continuity(quat_normalize(rot), axis=0)
        self.root_translation = root
        if self.joint_positions is None:
            pos, _ = forward_kinematics(self.rotations, self.skeleton.offsets, np.zeros_like(root))
            self.joint_positions = pos

    @property
    def num_frames(self) -> int:
        return int(self.rotations.shape[0])

    def world_positions(self) -> np.ndarray:
        """(T, 22, 3) joint positions in the world."""
        assert self.joint_positions is not None
        return self.joint_positions + self.root_translation[:, None, :]

    def foot_points(self) -> np.ndarray:
        """(T, 6, 3) world positions of the heels, big toes and small toes (the keypoint model's foot points)."""
        kp, _ = keypoints_3d(self.rotations, self.skeleton.offsets, self.root_translation)
        return kp[:, FOOT_POINTS]

    def grounded(self, percentile: float = 5.0) -> Motion:
        """A copy lifted or lowered so that the feet's low points (a low percentile over the clip) touch y = 0."""
        low = float(np.percentile(self.foot_points()[..., 1].min(1), percentile))
        root = self.root_translation.copy()
        root[:, 1] -= low
        return Motion(self.rotations, root, self.skeleton, self.fps, self.joint_positions, self.up_in_camera)

    def turned(self, yaw: float) -> Motion:
        """The same motion with the world turned by ``yaw`` radians about the vertical (y) axis."""
        c, s = np.cos(yaw / 2), np.sin(yaw / 2)
        rot = self.rotations.copy()
        rot[:, 0] = quat_multiply(np.array([c, 0.0, s, 0.0]), rot[:, 0])
        turn = quat_to_matrix(np.array([c, 0.0, s, 0.0]))
        return Motion(rot, self.root_translation @ turn.T, self.skeleton, self.fps, up_in_camera=self.up_in_camera)

    def resampled(self, fps: float) -> Motion:
        """The same motion at another frame rate (same duration)."""
        frames = max(1, int(round((self.num_frames - 1) * fps / self.fps)) + 1)
        up = self.up_in_camera if self.up_in_camera is not None else np.zeros((self.num_frames, 3))
        q, root, up2 = resample(self.rotations, self.root_translation, up, self.fps, fps, frames)
        return Motion(q, root, self.skeleton, fps, up_in_camera=up2 if self.up_in_camera is not None else None)


def resample(quats: np.ndarray, root: np.ndarray, up: np.ndarray, src: float, dst: float, frames: int):
    """Rotations by normalised linear interpolation of hemisphere-continuous quaternions (a close slerp for
    neighbouring frames), root and up linearly, from src fps to dst fps, exactly ``frames`` frames."""
    pos = np.clip(np.arange(frames) / dst * src, 0, len(quats) - 1)
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, len(quats) - 1)
    w = (pos - i0)[:, None]
    q = quat_normalize(quats[i0] * (1 - w[..., None]) + quats[i1] * w[..., None])
    return q, root[i0] * (1 - w) + root[i1] * w, up[i0] * (1 - w) + up[i1] * w
