"""Anatomical joint angles per frame, in degrees, from a Motion's joint positions (what sports scientists read).

Definitions (L/R for each side; the body frame is the pelvis' own: x to the left hip, y up the trunk, z forward).
Hip, knee, ankle and elbow angles are zeroed at the skeleton's standing rest pose (its bones are not perfectly
straight: the knee and the ankle-to-toe line have a natural angle), so standing straight reads 0:

- ``knee_flexion``: 180 minus the angle at the knee between thigh and shank (0 = straight leg).
- ``elbow_flexion``: 180 minus the angle at the elbow between upper arm and forearm (0 = straight arm).
- ``hip_flexion``: the thigh's forward angle from the trunk's downward axis, in the sagittal plane (+ forward).
- ``hip_abduction``: the thigh's sideways angle out of the sagittal plane (+ away from the body).
- ``shoulder_elevation``: the angle between the upper arm and the trunk's downward axis (0 = arm at the side, 90 =
  horizontal, 180 = straight up), whatever the direction it is raised in.
- ``shoulder_elevation_plane``: the direction the arm is raised in, as biomechanics reports it (the plane of
  elevation): the upper arm's azimuth about the trunk's long axis, 0 = out to the side (abduction), 90 = straight
  forward (flexion), negative = behind the body (extension), above 90 = across the chest. Neither angle wraps
  within the human range of motion (the plane wraps only pointing backwards across the body); the plane is poorly
  defined while the arm hangs or points straight up (elevation under 20 or over 160 degrees), as in biomechanics.
- ``ankle_dorsiflexion``: the angle between shank and foot (ankle to toe joint) minus 90 (+ toes up).
- ``trunk_flexion``: the trunk's (pelvis to neck) forward lean from vertical, in its sagittal plane (+ forward).
- ``trunk_lateral``: the trunk's sideways lean from vertical (+ to the body's left).
"""

from __future__ import annotations

import numpy as np

from .motion import Motion
from .skeleton import JOINT_INDEX as J


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip((_unit(a) * _unit(b)).sum(-1), -1.0, 1.0)))


#: Angles measured from the skeleton's standing rest pose (so that standing straight reads 0), not raw geometry.
ZEROED_AT_REST = ("hip_flexion", "hip_abduction", "knee_flexion", "ankle_dorsiflexion", "elbow_flexion")


def joint_angles(motion: Motion) -> dict[str, np.ndarray]:
    """Column name -> (T,) angles in degrees, in a fixed order."""
    raw = _raw_angles(motion.world_positions())
    rest = _raw_angles(motion.skeleton.rest_positions[None])
    return {k: v - rest[k] if k.rsplit("_", 1)[0] in ZEROED_AT_REST else v for k, v in raw.items()}


def _raw_angles(p: np.ndarray) -> dict[str, np.ndarray]:
    left = _unit(p[:, J["left_hip"]] - p[:, J["right_hip"]])
    up_trunk = _unit(p[:, J["neck"]] - p[:, J["pelvis"]])
    fwd = _unit(np.cross(left, up_trunk))
    up = _unit(np.cross(fwd, left))  # trunk up, made orthogonal to the hip axis
    world_up = np.array([0.0, 1.0, 0.0])
    out: dict[str, np.ndarray] = {}
    trunk = p[:, J["neck"]] - p[:, J["pelvis"]]
    pel_left = left - (left @ world_up)[:, None] * world_up
    pel_fwd = _unit(np.cross(_unit(pel_left), world_up))
    out["trunk_flexion"] = np.degrees(np.arctan2((trunk * pel_fwd).sum(-1), trunk @ world_up))
    out["trunk_lateral"] = np.degrees(np.arctan2((trunk * _unit(pel_left)).sum(-1), trunk @ world_up))
    for side, s in (("left", "l"), ("right", "r")):
        hip, knee, ankle, foot = (p[:, J[f"{side}_{n}"]] for n in ("hip", "knee", "ankle", "foot"))
        shoulder, elbow, wrist = (p[:, J[f"{side}_{n}"]] for n in ("shoulder", "elbow", "wrist"))
        thigh, shank, foot_v = knee - hip, ankle - knee, foot - ankle
        upper, fore = elbow - shoulder, wrist - elbow
        outward = left if side == "left" else -left
        out[f"hip_flexion_{s}"] = np.degrees(np.arctan2((thigh * fwd).sum(-1), 0.0 - (thigh * up).sum(-1)))
        out[f"hip_abduction_{s}"] = np.degrees(np.arcsin(np.clip((_unit(thigh) * outward).sum(-1), -1, 1)))
        out[f"knee_flexion_{s}"] = _angle(thigh, shank)
        out[f"ankle_dorsiflexion_{s}"] = 90.0 - _angle(-shank, foot_v)
        out[f"shoulder_elevation_{s}"] = _angle(upper, -up)
        out[f"shoulder_elevation_plane_{s}"] = np.degrees(np.arctan2((upper * fwd).sum(-1), (upper * outward).sum(-1)))
        out[f"elbow_flexion_{s}"] = _angle(upper, fore)
    return out


def angles_csv(
    motion: Motion, frame_start: int = 1, frames: np.ndarray | None = None, detected: np.ndarray | None = None
) -> str:
    """The angles as CSV text: ``frame,time_s,detected,<angle columns>``, one row per frame, 2 decimals.

    ``frames`` are the file's frame numbers of the motion's frames (default 0, 1, ...; the ``frame`` column is
    ``frame_start`` + that), ``detected`` marks the frames where the person was seen: the others have ``detected``
    0 and empty angle cells (no number is made up for them)."""
    cols = joint_angles(motion)
    n = motion.num_frames
    frames = np.arange(n) if frames is None else np.asarray(frames)
    detected = np.ones(n, bool) if detected is None else np.asarray(detected, bool)
    header = "frame,time_s,detected," + ",".join(cols)
    data = np.column_stack(list(cols.values()))
    empty = "," * (len(cols) - 1)
    rows = [
        f"{frame_start + int(frames[t])},{frames[t] / motion.fps:.4f},{int(detected[t])},"
        + (",".join(f"{v:.2f}" for v in data[t]) if detected[t] else empty)
        for t in range(n)
    ]
    return "\n".join([header, *rows]) + "\n"
