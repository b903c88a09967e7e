"""The keypoint model: where the 26 Halpe detector points sit on the canonical skeleton.

Each point is a joint, or a fixed offset in a joint's frame (nose, eyes, ears and head top in the head's frame;
toes in the foot's; heels in the ankle's), given for the 1.66 m canonical body and scaled with the body's size. The
neck and hip points are the midpoints of the shoulders and of the hips, as detectors without those points make them
(``keypoints.to_halpe26``: COCO-17, MediaPipe) and as OpenPose and Halpe place theirs, not the neck and pelvis
joints (the neck joint is 9 cm above the shoulders' midpoint on the canonical body).
Training data, grounding (feet on the floor) and evaluation all use this one model.
"""

from __future__ import annotations

import numpy as np

from .keypoints import HALPE26, KEYPOINT_INDEX
from .kinematics import forward_kinematics
from .skeleton import JOINT_INDEX, size_ratio

# Halpe point -> (joint, offset in that joint's frame, metres for the 1.66 m canonical body; scaled with the body)
_HEAD = JOINT_INDEX["head"]
KEYPOINT_SOURCES: dict[str, tuple[int, tuple[float, float, float]]] = {
    "nose": (_HEAD, (0.0, 0.045, 0.105)),
    "left_eye": (_HEAD, (0.032, 0.075, 0.085)),
    "right_eye": (_HEAD, (-0.032, 0.075, 0.085)),
    "left_ear": (_HEAD, (0.075, 0.05, -0.005)),
    "right_ear": (_HEAD, (-0.075, 0.05, -0.005)),
    "head": (_HEAD, (0.0, 0.148, -0.007)),
    "neck": (JOINT_INDEX["neck"], (0.0, 0.0, 0.0)),  # replaced by the shoulders' midpoint (keypoints_from_pose)
    "hip": (JOINT_INDEX["pelvis"], (0.0, 0.0, 0.0)),  # replaced by the hips' midpoint
}
for _side, _s in (("left", 1.0), ("right", -1.0)):
    for _part in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"):
        KEYPOINT_SOURCES[f"{_side}_{_part}"] = (JOINT_INDEX[f"{_side}_{_part}"], (0.0, 0.0, 0.0))
    KEYPOINT_SOURCES[f"{_side}_big_toe"] = (JOINT_INDEX[f"{_side}_foot"], (-0.01 * _s, 0.0, 0.07))
    KEYPOINT_SOURCES[f"{_side}_small_toe"] = (JOINT_INDEX[f"{_side}_foot"], (0.035 * _s, 0.0, 0.035))
    KEYPOINT_SOURCES[f"{_side}_heel"] = (JOINT_INDEX[f"{_side}_ankle"], (0.0, -0.05, -0.06))

_KP_JOINT = np.array([KEYPOINT_SOURCES[n][0] for n in HALPE26])
_KP_OFFSET = np.array([KEYPOINT_SOURCES[n][1] for n in HALPE26])
_MIDPOINTS = [
    (KEYPOINT_INDEX[mid], KEYPOINT_INDEX[f"left_{pair}"], KEYPOINT_INDEX[f"right_{pair}"])
    for mid, pair in (("neck", "shoulder"), ("hip", "hip"))
]


FOOT_POINTS = [
    KEYPOINT_INDEX[f"{side}_{part}"] for side in ("left", "right") for part in ("heel", "big_toe", "small_toe")
]


def lowest_foot_height(rotations: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(B, T) height of the lowest heel or toe point relative to the root (root at the origin)."""
    kp, _ = keypoints_3d(rotations, offsets, np.zeros(rotations.shape[:-3] + (3,)))
    return kp[..., FOOT_POINTS, 1].min(-1)


def keypoints_3d(rotations: np.ndarray, offsets: np.ndarray, root: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World positions of the 26 Halpe points (..., T, 26, 3) and of the 22 joints (..., T, 22, 3)."""
    pos, glob = forward_kinematics(rotations, offsets[..., None, :, :], root)
    return keypoints_from_pose(pos, glob, offsets), pos


def keypoints_from_pose(pos: np.ndarray, glob: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The 26 Halpe points (..., T, 26, 3) of a posed body: its joints' world positions (..., T, 22, 3) and global
    rotations (..., T, 22, 3, 3) from forward kinematics, ``offsets`` (..., 22, 3) its bones."""
    off = _KP_OFFSET * size_ratio(offsets)[..., None, None, None]  # (..., 1, 26, 3)
    points = pos[..., _KP_JOINT, :] + (glob[..., _KP_JOINT, :, :] @ off[..., None])[..., 0]
    for mid, a, b in _MIDPOINTS:
        points[..., mid, :] = 0.5 * (points[..., a, :] + points[..., b, :])
    return points
