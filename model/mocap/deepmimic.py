"""DeepMimic motion clips (``humanoid3d_*.txt``, shipped in PyPI ``pybullet`` under ``pybullet_data/data/motions``).

A clip is JSON: ``{"Loop": "wrap" | "none", "Frames": [[dt, root xyz, root wxyz, chest wxyz, neck wxyz, right hip
wxyz, right knee angle, right ankle wxyz, right shoulder wxyz, right elbow angle, left hip ..., left elbow angle]]}``
(44 numbers a frame) for the humanoid of ``pybullet_data/humanoid/humanoid.urdf``: x forward, y up, z to the right,
rest pose standing with the arms hanging, knees and elbows hinges about z, lengths in the URDF at 4x scale.

:func:`read_deepmimic` turns a clip into the equivalent :class:`~model.mocap.clip.MotionClip` (metres, the canonical axes:
x left, y up, z forward) with BVH joint names, so :func:`~model.mocap.retarget.retarget_clip` maps it onto the canonical
skeleton like any BVH clip. The humanoid has one chest joint, no collars, wrists or toes: those canonical joints
get stiff in-between joints (identity rotation). Looping clips (``"wrap"``) are repeated, each cycle continuing
from where the last one ended, to at least ``min_seconds``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..rotations import elementary_rotation, quat_to_matrix
from .clip import MotionClip, MotionFileError

#: DeepMimic axes (x forward, y up, z right) -> canonical axes (x left, y up, z forward).
_TO_CANONICAL = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])

_URDF_SCALE = 0.25  # humanoid.urdf lengths are 4x metres

# name, parent, offset from the parent in DeepMimic axes (metres), source of the local rotation:
# ("quat", column) a spherical joint, ("hinge", column) a knee or elbow, None a stiff in-between joint
_HIERARCHY: list[tuple[str, str | None, tuple[float, float, float], tuple[str, int] | None]] = [
    ("Hips", None, (0.0, 0.0, 0.0), ("quat", 4)),
    ("LowerBack", "Hips", (0.0, 0.09, 0.0), None),
    ("Spine", "LowerBack", (0.0, 0.944604 * _URDF_SCALE - 0.09, 0.0), ("quat", 8)),
    ("Spine1", "Spine", (0.0, 0.11, 0.0), None),
    ("Neck", "Spine1", (0.0, 0.895576 * _URDF_SCALE - 0.11, 0.0), ("quat", 12)),
    ("Head", "Neck", (0.0, 0.09, 0.0), None),
    ("RightShoulder", "Spine1", (-0.0962 * _URDF_SCALE, 0.974 * _URDF_SCALE - 0.11, 0.03), None),
    ("RightArm", "RightShoulder", (0.0, 0.0, 0.73244 * _URDF_SCALE - 0.03), ("quat", 25)),
    ("RightForeArm", "RightArm", (0.0, -1.099152 * _URDF_SCALE, 0.0), ("hinge", 29)),
    ("RightHand", "RightForeArm", (0.0, -1.035788 * _URDF_SCALE, 0.0), None),
    ("LeftShoulder", "Spine1", (-0.0962 * _URDF_SCALE, 0.974 * _URDF_SCALE - 0.11, -0.03), None),
    ("LeftArm", "LeftShoulder", (0.0, 0.0, -0.73244 * _URDF_SCALE + 0.03), ("quat", 39)),
    ("LeftForeArm", "LeftArm", (0.0, -1.099152 * _URDF_SCALE, 0.0), ("hinge", 43)),
    ("LeftHand", "LeftForeArm", (0.0, -1.035788 * _URDF_SCALE, 0.0), None),
    ("RightUpLeg", "Hips", (0.0, 0.0, 0.339548 * _URDF_SCALE), ("quat", 16)),
    ("RightLeg", "RightUpLeg", (0.0, -1.686184 * _URDF_SCALE, 0.0), ("hinge", 20)),
    ("RightFoot", "RightLeg", (0.0, -1.63948 * _URDF_SCALE, 0.0), ("quat", 21)),
    ("RightToeBase", "RightFoot", (0.10, -0.05, 0.0), None),
    ("LeftUpLeg", "Hips", (0.0, 0.0, -0.339548 * _URDF_SCALE), ("quat", 30)),
    ("LeftLeg", "LeftUpLeg", (0.0, -1.686184 * _URDF_SCALE, 0.0), ("hinge", 34)),
    ("LeftFoot", "LeftLeg", (0.0, -1.63948 * _URDF_SCALE, 0.0), ("quat", 35)),
    ("LeftToeBase", "LeftFoot", (0.10, -0.05, 0.0), None),
]
_END_SITES = {
    "Head": (0.0, 0.12, 0.0),
    "RightHand": (0.0, -0.08, 0.0),
    "LeftHand": (0.0, -0.08, 0.0),
    "RightToeBase": (0.05, 0.0, 0.0),
    "LeftToeBase": (0.05, 0.0, 0.0),
}
_FRAME_SIZE = 44


def read_deepmimic(path: str | Path, min_seconds: float = 4.0) -> MotionClip:
    """A DeepMimic humanoid clip as a :class:`MotionClip` in metres and canonical axes (see the module text)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        frames = np.asarray(data["Frames"], dtype=np.float64)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise MotionFileError(f"{path}: not a DeepMimic motion file ({exc})") from None
    if frames.ndim != 2 or frames.shape[1] != _FRAME_SIZE or len(frames) < 2:
        raise MotionFileError(f"{path}: expected frames of {_FRAME_SIZE} numbers, got shape {frames.shape}")
    if not np.isfinite(frames).all():
        bad = int(np.argwhere(~np.isfinite(frames))[0, 0])
        raise MotionFileError(f"{path}: frame {bad}: value is not a finite number")
    dt = float(frames[0, 0]) if frames[0, 0] > 0 else 1.0 / 30.0
    root = frames[:, 1:4].copy()
    if data.get("Loop") == "wrap":
        cycles = max(1, int(np.ceil(min_seconds / (dt * (len(frames) - 1)))))
        one = frames[:-1]  # the last frame repeats the first, shifted
        shift = root[-1] - root[0]
        shift[1] = 0.0
        frames = np.concatenate([one] * cycles + [frames[-1:]])
        root = np.concatenate([root[:-1] + k * shift for k in range(cycles)] + [root[-1:] + (cycles - 1) * shift])

    names = [h[0] for h in _HIERARCHY]
    parents = [names.index(h[1]) if h[1] else -1 for h in _HIERARCHY]
    p = _TO_CANONICAL
    offsets = np.array([h[2] for h in _HIERARCHY]) @ p.T
    n = len(frames)
    local = np.tile(np.eye(3), (n, len(names), 1, 1))
    for j, (_, _, _, source) in enumerate(_HIERARCHY):
        if source is None:
            continue
        kind, col = source
        if kind == "quat":
            m = quat_to_matrix(frames[:, col : col + 4])
        else:
            m = elementary_rotation("z", frames[:, col])
        local[:, j] = p @ m @ p.T
    end_sites = {names.index(k): np.asarray(v) @ p.T for k, v in _END_SITES.items()}
    return MotionClip(names, parents, offsets, end_sites, local, root @ p.T, dt)
