"""The format-neutral side of motion-capture files: :class:`MotionClip` (a source skeleton and its motion, as every
reader returns it), :class:`MotionFileError`, the mapping of source joints onto the canonical ones (by names, by the
skeleton's shape, or by a file), turning a clip upright, and its units."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..kinematics import forward_kinematics
from ..skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS, PARENTS


class MotionFileError(ValueError):
    """A motion file that cannot be read or mapped; the message is one line naming the file."""


@dataclass
class MotionClip:
    """A source skeleton and its motion as BVH holds them: joints at their bones' starts, rest offsets from the
    parent in file units (the rest pose: every rotation identity), local rotations turning the children's offsets."""

    names: list[str]
    parents: list[int]
    offsets: np.ndarray  # (J, 3) rest offsets from the parent, file units
    end_sites: dict[int, np.ndarray]  # joint -> end-site offset
    local_rotations: np.ndarray  # (T, J, 3, 3)
    root_translation: np.ndarray  # (T, 3) file units
    frame_time: float

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    def rest_positions(self) -> np.ndarray:
        pos = np.zeros((len(self.names), 3))
        for j, p in enumerate(self.parents):
            pos[j] = self.offsets[j] + (pos[p] if p >= 0 else 0.0)
        return pos

    def world(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions (T, J, 3) in file units and global rotations (T, J, 3, 3)."""
        return forward_kinematics(self.local_rotations, self.offsets, self.root_translation, tuple(self.parents))


def rotated(clip: MotionClip, rot: np.ndarray) -> MotionClip:
    """The same clip in axes turned by ``rot`` (3, 3): positions and offsets rotated, rotations conjugated."""
    local = rot @ clip.local_rotations @ rot.T
    ends = {j: rot @ v for j, v in clip.end_sites.items()}
    return MotionClip(
        clip.names, clip.parents, clip.offsets @ rot.T, ends, local, clip.root_translation @ rot.T, clip.frame_time
    )


def upright(clip: MotionClip, mapping: Mapping) -> MotionClip:
    """The clip in canonical axes: the axis-aligned turn (of the 24) that best puts the rest pose's pelvis-to-head
    direction on +y and its right-to-left hip direction on +x; most files need none (identity)."""
    rest = clip.rest_positions()
    i = mapping.index
    up = rest[i[JOINT_INDEX["head"]]] - rest[i[0]]
    left = rest[i[JOINT_INDEX["left_hip"]]] - rest[i[JOINT_INDEX["right_hip"]]]
    best, score = np.eye(3), -np.inf
    for perm in ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)):
        for signs in np.array(np.meshgrid([1, -1], [1, -1], [1, -1])).T.reshape(-1, 3):
            rot = np.eye(3)[list(perm)] * signs[:, None]
            if np.linalg.det(rot) < 0:
                continue
            value = (rot @ up)[1] / (np.linalg.norm(up) + 1e-12) + (rot @ left)[0] / (np.linalg.norm(left) + 1e-12)
            if value > score + 1e-9:
                best, score = rot, value
    return clip if np.allclose(best, np.eye(3)) else rotated(clip, best)


# Canonical joint -> source joint names tried in order: CMU BVH (31 joints), CMU ASF bones, cgspeed "Daz-friendly"
# (hip/abdomen/chest/lShldr/lThigh), cgspeed "3dsMax-friendly" (LeftHip = thigh, LeftShoulder = upper arm when a
# LeftCollar exists), the Reallusion iClone ``CC_Base_*`` rig, Mixamo and most exporters, Unity humanoids, Motive.
# A name is matched without namespace ("mixamorig:") and case; each source joint is used once, in this order.
DEFAULT_NAMES: dict[str, tuple[str, ...]] = {
    "pelvis": ("Hips", "hip", "pelvis", "root", "CC_Base_Hip", "Reference_Hips"),
    "left_hip": ("LeftUpLeg", "LeftHip", "LThigh", "lThigh", "LeftThigh", "lfemur", "CC_Base_L_Thigh", "LeftUpperLeg"),
    "right_hip": (
        "RightUpLeg",
        "RightHip",
        "RThigh",
        "rThigh",
        "RightThigh",
        "rfemur",
        "CC_Base_R_Thigh",
        "RightUpperLeg",
    ),
    "spine1": ("LowerBack", "lowerback", "Ab", "abdomen", "spine_01", "CC_Base_Waist", "Spine"),
    "left_knee": ("LeftLeg", "LeftKnee", "LeftShin", "LShin", "lShin", "ltibia", "CC_Base_L_Calf", "LeftLowerLeg"),
    "right_knee": ("RightLeg", "RightKnee", "RightShin", "RShin", "rShin", "rtibia", "CC_Base_R_Calf", "RightLowerLeg"),
    "spine2": ("Spine", "upperback", "Chest", "chest", "spine_02", "CC_Base_Spine01", "Spine1"),
    "left_ankle": ("LeftFoot", "LeftAnkle", "LFoot", "lFoot", "lfoot", "CC_Base_L_Foot"),
    "right_ankle": ("RightFoot", "RightAnkle", "RFoot", "rFoot", "rfoot", "CC_Base_R_Foot"),
    "spine3": ("Spine1", "thorax", "Chest2", "Chest3", "chest2", "spine_03", "CC_Base_Spine02", "Spine2", "UpperChest"),
    "left_foot": ("LeftToeBase", "LeftToe", "LeftToes", "LToe", "lToe", "ltoes", "CC_Base_L_ToeBase"),
    "right_foot": ("RightToeBase", "RightToe", "RightToes", "RToe", "rToe", "rtoes", "CC_Base_R_ToeBase"),
    "neck": ("lowerneck", "Neck1", "Neck", "neck", "neck_01", "CC_Base_NeckTwist01"),
    "left_collar": ("LeftCollar", "lCollar", "lclavicle", "CC_Base_L_Clavicle", "clavicle_l", "LeftShoulder"),
    "right_collar": ("RightCollar", "rCollar", "rclavicle", "CC_Base_R_Clavicle", "clavicle_r", "RightShoulder"),
    "head": ("Head", "head", "CC_Base_Head"),
    "left_shoulder": (
        "LeftArm",
        "LeftUpArm",
        "LUArm",
        "lShldr",
        "LeftUpperArm",
        "lhumerus",
        "CC_Base_L_Upperarm",
        "upperarm_l",
        "LeftShoulder",
    ),
    "right_shoulder": (
        "RightArm",
        "RightUpArm",
        "RUArm",
        "rShldr",
        "RightUpperArm",
        "rhumerus",
        "CC_Base_R_Upperarm",
        "upperarm_r",
        "RightShoulder",
    ),
    "left_elbow": (
        "LeftForeArm",
        "LeftLowArm",
        "LFArm",
        "lForeArm",
        "LeftLowerArm",
        "LeftElbow",
        "lradius",
        "CC_Base_L_Forearm",
        "lowerarm_l",
    ),
    "right_elbow": (
        "RightForeArm",
        "RightLowArm",
        "RFArm",
        "rForeArm",
        "RightLowerArm",
        "RightElbow",
        "rradius",
        "CC_Base_R_Forearm",
        "lowerarm_r",
    ),
    "left_wrist": ("LeftHand", "LeftWrist", "lwrist", "LHand", "lHand", "CC_Base_L_Hand", "hand_l"),
    "right_wrist": ("RightHand", "RightWrist", "rwrist", "RHand", "rHand", "CC_Base_R_Hand", "hand_r"),
}

#: Canonical joints a source skeleton may lack: they become stiff (identity local rotation), their segment
#: carried by the parent's mapped joint (two-joint spines, no collars, no toes).
OPTIONAL: frozenset[int] = frozenset(
    JOINT_INDEX[n] for n in ("spine2", "spine3", "neck", "left_collar", "right_collar", "left_foot", "right_foot")
)


@dataclass
class Mapping:
    """Source joint of each canonical joint; ``stiff`` joints have none of their own (they reuse the parent's)."""

    index: list[int]
    stiff: frozenset[int]
    method: str  # "names", "shape" or "file"


def joint_mapping(clip: MotionClip, mapping_file: str | Path | None = None, path: str = "") -> list[int]:
    """Index of the source joint mapped to each canonical joint (see :func:`map_joints`)."""
    return map_joints(clip, mapping_file, path).index


def map_joints(clip: MotionClip, mapping_file: str | Path | None = None, path: str = "") -> Mapping:
    """Canonical joints -> source joints: by names (``DEFAULT_NAMES``, overridden by a JSON mapping file of
    ``{"canonical_joint": "source name" or [names]}``), else by the tree's shape (chains from the root to the
    head, hands and feet); MotionFileError naming what is missing when both fail."""
    table = {k: list(v) for k, v in DEFAULT_NAMES.items()}
    method = "names"
    if mapping_file is not None:
        try:
            user = json.loads(Path(mapping_file).read_text())
        except (OSError, ValueError) as exc:
            raise MotionFileError(f"{mapping_file}: cannot read the mapping file ({exc})") from None
        if not isinstance(user, dict):
            raise MotionFileError(f"{mapping_file}: a mapping file is a JSON object {{canonical joint: source joint}}")
        for k, v in user.items():
            if k not in JOINT_INDEX:
                raise MotionFileError(f"{mapping_file}: {k!r} is not a canonical joint ({', '.join(JOINT_NAMES)})")
            table[k] = [v] if isinstance(v, str) else list(v)
        method = "file"
    index = {_plain(n): i for i, n in enumerate(clip.names)}
    for i, n in enumerate(clip.names):  # a rig prefix such as Unity's "Neo_" or 3ds Max's "Bip01 "
        short = re.sub(r"^[A-Za-z0-9]+[_ ]", "", _plain(n))
        if short and short != _plain(n):
            index.setdefault(short, i)
    found: dict[int, int] = {}
    used: set[int] = set()
    for j, name in enumerate(JOINT_NAMES):
        hit = next((index[_plain(c)] for c in table[name] if _plain(c) in index and index[_plain(c)] not in used), None)
        if hit is not None:
            found[j] = hit
            used.add(hit)
    missing = [j for j in range(NUM_JOINTS) if j not in found and j not in OPTIONAL]
    if missing and method == "names":
        shape = _map_by_shape(clip)
        if shape is not None:
            return shape
    if missing:
        names = ", ".join(JOINT_NAMES[j] for j in missing)
        raise MotionFileError(
            f"{path}: no source joint for {names} by name or by the skeleton's shape (give --mapping FILE)"
        )
    return _complete(found, method)


def _complete(found: dict[int, int], method: str) -> Mapping:
    index, stiff = [], set()
    for j in range(NUM_JOINTS):
        if j in found:
            index.append(found[j])
        else:  # optional joint: carried by its parent
            index.append(index[PARENTS[j]])
            stiff.add(j)
    return Mapping(index, frozenset(stiff), method)


def _map_by_shape(clip: MotionClip) -> Mapping | None:
    """Map by the tree's shape at rest (y up, the body's left at +x, facing +z, as BVH files are): the head is
    the highest end, the feet the two lowest, the hands the two furthest sideways of the ends that branch off the
    spine above the root (arms may hang); along each chain the last two of the long segments (over half the
    longest) are the thigh and shin, or the upper arm and forearm (a clavicle may come before them)."""
    rest = clip.rest_positions()
    n = len(clip.names)
    children = [[k for k, p in enumerate(clip.parents) if p == b] for b in range(n)]
    leaves = [b for b in range(n) if not children[b]]
    if len(leaves) < 5:
        return None

    def chain(b: int) -> list[int]:
        out = [b]
        while clip.parents[out[-1]] >= 0:
            out.append(clip.parents[out[-1]])
        return out[::-1]

    def tip(b: int) -> np.ndarray:
        return rest[b] + clip.end_sites.get(b, np.zeros(3))

    height = float(np.ptp([tip(b)[1] for b in range(n)]))
    if height <= 0:
        return None
    head_leaf = max(leaves, key=lambda b: tip(b)[1])
    rest_leaves = [b for b in leaves if b != head_leaf]
    feet = sorted(rest_leaves, key=lambda b: tip(b)[1])[:2]
    spine_path = chain(head_leaf)
    others = [b for b in rest_leaves if b not in feet and max(k for k, a in enumerate(chain(b)) if a in spine_path) > 0]
    if len(others) < 2:
        return None
    hands = [max(others, key=lambda b: tip(b)[0]), min(others, key=lambda b: tip(b)[0])]
    if hands[0] == hands[1] or tip(hands[0])[0] <= tip(hands[1])[0]:
        return None
    feet.sort(key=lambda b: -tip(b)[0])  # left (+x) first
    found: dict[int, int] = {0: 0}

    def distinct(joints: list[int]) -> list[int]:  # drop joints sitting where the next one sits (keep the last)
        out: list[int] = []
        for k, b in enumerate(joints):
            nxt = joints[k + 1] if k + 1 < len(joints) else None
            if nxt is not None and np.linalg.norm(rest[nxt] - rest[b]) < 1e-3 * height:
                continue
            out.append(b)
        return out

    def limb(leaf: int, names: tuple[str, str, str], before: str | None, after: str | None) -> bool:
        path = chain(leaf)
        branch = max(k for k, b in enumerate(path) if b in spine_path or b == 0)
        joints = distinct(path[branch + 1 :])
        pts = [rest[b] for b in joints] + [tip(joints[-1])] if joints else []
        if len(joints) < 3:
            return False
        seg = [float(np.linalg.norm(pts[k + 1] - pts[k])) for k in range(len(pts) - 1)]
        long = [i for i in range(len(seg)) if seg[i] > 0.5 * max(seg)]  # collar, upper arm, forearm / thigh, shin
        k = (
            long[-2]
            if len(long) >= 2 and long[-1] == long[-2] + 1
            else max(range(len(seg) - 1), key=lambda i: seg[i] + seg[i + 1])
        )
        if k + 2 >= len(joints):
            return False
        for name, b in zip(names, joints[k : k + 3], strict=True):
            found[JOINT_INDEX[name]] = b
        if before is not None and k > 0:
            found[JOINT_INDEX[before]] = joints[k - 1]
        if after is not None and k + 3 < len(joints):
            found[JOINT_INDEX[after]] = joints[k + 3]
        return True

    for side, leaf in zip(("left", "right"), feet, strict=True):
        if not limb(leaf, (f"{side}_hip", f"{side}_knee", f"{side}_ankle"), None, f"{side}_foot"):
            return None
    for side, leaf in zip(("left", "right"), hands, strict=True):
        if not limb(leaf, (f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist"), f"{side}_collar", None):
            return None
    # spine: root .. the arms' branch point (spine3) .. neck .. head
    arm_path = chain(hands[0])
    branch = max(k for k, b in enumerate(spine_path) if b in arm_path)
    torso = distinct(spine_path[1 : branch + 1])
    if not torso:
        return None
    found[JOINT_INDEX["spine1"]] = torso[0]
    if len(torso) >= 3:
        found[JOINT_INDEX["spine2"]] = torso[len(torso) // 2]
    if len(torso) >= 2:
        found[JOINT_INDEX["spine3"]] = torso[-1]
    upper = distinct(spine_path[branch + 1 :])
    if not upper:
        return None
    found[JOINT_INDEX["head"]] = (
        upper[-1] if clip.end_sites.get(upper[-1]) is not None or len(upper) == 1 else upper[-2]
    )
    if len(upper) >= 2 and upper[0] != found[JOINT_INDEX["head"]]:
        found[JOINT_INDEX["neck"]] = upper[0]
    if len(set(found.values())) != len(found):
        return None
    return _complete(found, "shape")


def _plain(name: str) -> str:
    return re.sub(r"^.*:", "", name).lower()  # drop namespaces such as "mixamorig:"


#: Body heights (rest, file units) by unit: metres per unit for each plausible range. CMU's ASF unit is
#: 1/0.45 inch (ASF ``length 0.45``), in which CMU BVH files are written too.
_UNIT_RANGES = (
    (0.9, 2.6, 1.0),
    (90.0, 260.0, 0.01),
    (900.0, 2600.0, 0.001),
    (24.0, 46.0, 0.0254 / 0.45),
    (48.0, 100.0, 0.0254),
)


def clip_height(clip: MotionClip) -> float:
    """The subject's rest height in file units (y extent of the joints and end sites)."""
    rest = clip.rest_positions()
    tips = rest + np.array([clip.end_sites.get(b, np.zeros(3)) for b in range(len(clip.names))])
    return float(max(np.ptp(rest[:, 1]), np.ptp(tips[:, 1])))


def guess_unit_scale(height: float, path: str = "") -> float:
    """Metres per file unit from the subject's rest height in file units; MotionFileError for implausible heights."""
    for lo, hi, scale in _UNIT_RANGES:
        if lo <= height <= hi:
            return scale
    raise MotionFileError(
        f"{path}: implausible units: the body is {height:.3g} file units tall at rest "
        "(no unit of m, cm, mm, inch or CMU's ASF unit gives a human height)"
    )
