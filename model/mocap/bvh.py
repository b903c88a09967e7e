"""BVH motion files: a reader (no bpy) and the retarget of a clip onto the canonical skeleton.

The retarget is for training and evaluation on real motion: each canonical joint takes the world rotation of the
BVH joint mapped to it, corrected once by the rest-pose difference between the two skeletons (the rotation taking
the canonical rest segment onto the BVH rest segment), so segment directions follow the clip exactly. Bone lengths
are fitted to the clip's subject. BVH files are Y-up; the canonical frame is x = left, y = up, z = forward, so a
BVH whose subject faces +Z with its left at +X (CMU, most exporters) needs no axis change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..kinematics import forward_kinematics
from ..motion import Motion
from ..rotations import elementary_rotation, matrix_to_quat, quat_continuity, rotation_between
from ..skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS, PARENTS, Skeleton


class BVHError(ValueError):
    """A BVH file that cannot be read or mapped; the message is one line naming the file."""


@dataclass
class BVHClip:
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


def rotated(clip: BVHClip, rot: np.ndarray) -> BVHClip:
    """The same clip in axes turned by ``rot`` (3, 3): positions and offsets rotated, rotations conjugated."""
    local = rot @ clip.local_rotations @ rot.T
    ends = {j: rot @ v for j, v in clip.end_sites.items()}
    return BVHClip(clip.names, clip.parents, clip.offsets @ rot.T, ends, local, clip.root_translation @ rot.T,
                   clip.frame_time)  # fmt: skip


def upright(clip: BVHClip, mapping: Mapping) -> BVHClip:
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


def read_bvh(path: str | Path) -> BVHClip:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except (OSError, UnicodeDecodeError) as exc:
        raise BVHError(f"{path}: cannot read the file ({exc})") from None
    tokens = text.split()
    if not tokens or tokens[0] != "HIERARCHY":
        raise BVHError(f"{path}: not a BVH file (no HIERARCHY)")
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[list[str]] = []
    end_sites: dict[int, np.ndarray] = {}
    stack: list[int] = []
    i = 1
    try:
        while tokens[i] != "MOTION":
            tok = tokens[i]
            if tok in ("ROOT", "JOINT"):
                names.append(tokens[i + 1])
                parents.append(stack[-1] if stack else -1)
                offsets.append([0.0, 0.0, 0.0])
                channels.append([])
                i += 2
            elif tok == "End":
                assert tokens[i + 2] == "{" and tokens[i + 3] == "OFFSET"
                end_sites[stack[-1]] = np.array([float(t) for t in tokens[i + 4 : i + 7]])
                assert tokens[i + 7] == "}"
                i += 8
            elif tok == "{":
                stack.append(len(names) - 1)
                i += 1
            elif tok == "}":
                stack.pop()
                i += 1
            elif tok == "OFFSET":
                offsets[-1] = [float(t) for t in tokens[i + 1 : i + 4]]
                i += 4
            elif tok == "CHANNELS":
                n = int(tokens[i + 1])
                channels[-1] = tokens[i + 2 : i + 2 + n]
                i += 2 + n
            else:
                raise BVHError(f"{path}: unexpected {tok!r} in the hierarchy")
        assert tokens[i + 1] == "Frames:" and tokens[i + 3] == "Frame" and tokens[i + 4] == "Time:"
        frames, frame_time = int(tokens[i + 2]), float(tokens[i + 5])
        data = np.array(tokens[i + 6 :], dtype=np.float64)
    except (IndexError, ValueError, AssertionError):
        raise BVHError(f"{path}: malformed BVH near token {i}") from None
    width = sum(len(c) for c in channels)
    if frames <= 0 or data.size < frames * width or frame_time <= 0:
        raise BVHError(f"{path}: {data.size} motion values, expected {frames} frames x {width} channels")
    data = data[: frames * width].reshape(frames, width)
    rot = np.tile(np.eye(3), (frames, len(names), 1, 1))
    root = np.tile(np.array(offsets[0]), (frames, 1))
    col = 0
    for j, chans in enumerate(channels):
        r = np.tile(np.eye(3), (frames, 1, 1))
        for ch in chans:
            v = data[:, col]
            col += 1
            if ch.endswith("rotation"):
                r = r @ elementary_rotation(ch[0], np.radians(v))
            elif ch.endswith("position") and j == 0:
                root[:, "XYZ".index(ch[0].upper())] = v
        rot[:, j] = r
    return BVHClip(names, parents, np.array(offsets), end_sites, rot, root, frame_time)


# Canonical joint -> source joint names tried in order: CMU BVH (31 joints), CMU ASF bones, cgspeed "Daz-friendly"
# (hip/abdomen/chest/lShldr/lThigh), cgspeed "3dsMax-friendly" (LeftHip = thigh, LeftShoulder = upper arm when a
# LeftCollar exists), the Reallusion iClone ``CC_Base_*`` rig, Mixamo and most exporters, Unity humanoids, Motive.
# A name is matched without namespace ("mixamorig:") and case; each source joint is used once, in this order.
DEFAULT_NAMES: dict[str, tuple[str, ...]] = {
    "pelvis": ("Hips", "hip", "pelvis", "root", "CC_Base_Hip", "Reference_Hips"),
    "left_hip": ("LeftUpLeg", "LeftHip", "LThigh", "lThigh", "LeftThigh", "lfemur", "CC_Base_L_Thigh", "LeftUpperLeg"),
    "right_hip": ("RightUpLeg", "RightHip", "RThigh", "rThigh", "RightThigh", "rfemur", "CC_Base_R_Thigh",
                  "RightUpperLeg"),
    "spine1": ("LowerBack", "lowerback", "Ab", "abdomen", "spine_01", "CC_Base_Waist", "Spine"),
    "left_knee": ("LeftLeg", "LeftKnee", "LeftShin", "LShin", "lShin", "ltibia", "CC_Base_L_Calf", "LeftLowerLeg"),
    "right_knee": ("RightLeg", "RightKnee", "RightShin", "RShin", "rShin", "rtibia", "CC_Base_R_Calf",
                   "RightLowerLeg"),
    "spine2": ("Spine", "upperback", "Chest", "chest", "spine_02", "CC_Base_Spine01", "Spine1"),
    "left_ankle": ("LeftFoot", "LeftAnkle", "LFoot", "lFoot", "lfoot", "CC_Base_L_Foot"),
    "right_ankle": ("RightFoot", "RightAnkle", "RFoot", "rFoot", "rfoot", "CC_Base_R_Foot"),
    "spine3": ("Spine1", "thorax", "Chest2", "Chest3", "chest2", "spine_03", "CC_Base_Spine02", "Spine2",
               "UpperChest"),
    "left_foot": ("LeftToeBase", "LeftToe", "LeftToes", "LToe", "lToe", "ltoes", "CC_Base_L_ToeBase"),
    "right_foot": ("RightToeBase", "RightToe", "RightToes", "RToe", "rToe", "rtoes", "CC_Base_R_ToeBase"),
    "neck": ("lowerneck", "Neck1", "Neck", "neck", "neck_01", "CC_Base_NeckTwist01"),
    "left_collar": ("LeftCollar", "lCollar", "lclavicle", "CC_Base_L_Clavicle", "clavicle_l", "LeftShoulder"),
    "right_collar": ("RightCollar", "rCollar", "rclavicle", "CC_Base_R_Clavicle", "clavicle_r", "RightShoulder"),
    "head": ("Head", "head", "CC_Base_Head"),
    "left_shoulder": ("LeftArm", "LeftUpArm", "LUArm", "lShldr", "LeftUpperArm", "lhumerus", "CC_Base_L_Upperarm",
                      "upperarm_l", "LeftShoulder"),
    "right_shoulder": ("RightArm", "RightUpArm", "RUArm", "rShldr", "RightUpperArm", "rhumerus",
                       "CC_Base_R_Upperarm", "upperarm_r", "RightShoulder"),
    "left_elbow": ("LeftForeArm", "LeftLowArm", "LFArm", "lForeArm", "LeftLowerArm", "LeftElbow", "lradius",
                   "CC_Base_L_Forearm", "lowerarm_l"),
    "right_elbow": ("RightForeArm", "RightLowArm", "RFArm", "rForeArm", "RightLowerArm", "RightElbow", "rradius",
                    "CC_Base_R_Forearm", "lowerarm_r"),
    "left_wrist": ("LeftHand", "LeftWrist", "lwrist", "LHand", "lHand", "CC_Base_L_Hand", "hand_l"),
    "right_wrist": ("RightHand", "RightWrist", "rwrist", "RHand", "rHand", "CC_Base_R_Hand", "hand_r"),
}  # fmt: skip

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


def joint_mapping(clip: BVHClip, mapping_file: str | Path | None = None, path: str = "") -> list[int]:
    """Index of the source joint mapped to each canonical joint (see :func:`map_joints`)."""
    return map_joints(clip, mapping_file, path).index


def map_joints(clip: BVHClip, mapping_file: str | Path | None = None, path: str = "") -> Mapping:
    """Canonical joints -> source joints: by names (``DEFAULT_NAMES``, overridden by a JSON mapping file of
    ``{"canonical_joint": "source name" or [names]}``), else by the tree's shape (chains from the root to the
    head, hands and feet); BVHError naming what is missing when both fail."""
    table = {k: list(v) for k, v in DEFAULT_NAMES.items()}
    method = "names"
    if mapping_file is not None:
        try:
            user = json.loads(Path(mapping_file).read_text())
        except (OSError, ValueError) as exc:
            raise BVHError(f"{mapping_file}: cannot read the mapping file ({exc})") from None
        if not isinstance(user, dict):
            raise BVHError(f"{mapping_file}: a mapping file is a JSON object {{canonical joint: source joint}}")
        for k, v in user.items():
            if k not in JOINT_INDEX:
                raise BVHError(f"{mapping_file}: {k!r} is not a canonical joint ({', '.join(JOINT_NAMES)})")
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
        raise BVHError(f"{path}: no source joint for {names} by name or by the skeleton's shape (give --mapping FILE)")
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


def _map_by_shape(clip: BVHClip) -> Mapping | None:
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
_UNIT_RANGES = ((0.9, 2.6, 1.0), (90.0, 260.0, 0.01), (900.0, 2600.0, 0.001), (24.0, 46.0, 0.0254 / 0.45),
                (48.0, 100.0, 0.0254))  # fmt: skip


def clip_height(clip: BVHClip) -> float:
    """The subject's rest height in file units (y extent of the joints and end sites)."""
    rest = clip.rest_positions()
    tips = rest + np.array([clip.end_sites.get(b, np.zeros(3)) for b in range(len(clip.names))])
    return float(max(np.ptp(rest[:, 1]), np.ptp(tips[:, 1])))


def guess_unit_scale(height: float, path: str = "") -> float:
    """Metres per file unit from the subject's rest height in file units; BVHError for implausible heights."""
    for lo, hi, scale in _UNIT_RANGES:
        if lo <= height <= hi:
            return scale
    raise BVHError(f"{path}: implausible units: the body is {height:.3g} file units tall at rest "
                   "(no unit of m, cm, mm, inch or CMU's ASF unit gives a human height)")  # fmt: skip


def retarget_bvh(
    clip: BVHClip, unit_scale: float | None = None, mapping_file: str | Path | None = None, path: str = ""
) -> Motion:
    """The clip as canonical-skeleton motion with bone lengths fitted to the clip's subject.

    ``unit_scale`` is metres per file unit; ``None`` guesses it from the subject's rest height
    (:func:`guess_unit_scale`). A body under 0.9 m or over 2.6 m tall after scaling is rejected.
    """
    mapping = map_joints(clip, mapping_file, path)
    return retarget_mapped(upright(clip, mapping), mapping, unit_scale, path)


#: The shortest segment a retargeted body gets (m): a source joint that sits on its parent (CMU's LowerBack on the
#: Hips, its collars on the thorax) keeps the canonical direction at this length.
MIN_SEGMENT = 0.01


def _children(j: int) -> list[int]:
    return [k for k, p in enumerate(PARENTS) if p == j]


def _segments(j: int, stiff: frozenset[int]) -> list[tuple[int | None, list[int]]]:
    """The segments joint ``j`` carries: (the non-stiff joint a segment ends at, or None for a leaf's end; the
    canonical joints along it, whose offsets add up to it). A stiff child's segments are carried by ``j``."""
    out: list[tuple[int | None, list[int]]] = []

    def walk(c: int, path: list[int]) -> None:
        if c not in stiff:
            out.append((c, path + [c]))
            return
        kids = _children(c)
        if not kids:
            out.append((None, path + [c]))
        for k in kids:
            walk(k, path + [c])

    for c in _children(j):
        walk(c, [])
    if not out:
        out.append((None, []))
    primary = _primary_child(j)
    out.sort(key=lambda seg: 0 if (seg[1][:1] == [primary] or not seg[1]) else 1)
    return out


@dataclass
class CanonicalRest:
    """How a source skeleton is brought onto the canonical rest directions: each canonical joint's rest correction
    (the rotation taking its canonical rest frame onto the source joint's, (22, 3, 3)), the canonical offsets with
    the subject's own bone lengths (22, 3, metres) and where the canonical pelvis sits in the source root's frame
    (metres): between the source's hip joints as in the canonical body, which puts many roots (CMU's) higher."""

    align: np.ndarray
    offsets: np.ndarray
    pelvis: np.ndarray


def canonical_rest(clip: BVHClip, mapping: Mapping, unit_scale: float, path: str = "") -> CanonicalRest:
    """The source's rest pose brought onto the canonical rest directions, joint by joint from the root down.

    Each joint aims from where the canonical body puts it at rest (its parent may be off by a rest-direction
    difference) at the source joints it carries: its primary segment (pelvis -> spine1, spine3 -> neck, else the
    only child or the leaf's end) exactly, and where it carries more (pelvis: the hips; spine3: the collars) the
    twist about the primary segment that best matches them, so no error is carried down a limb. Bone lengths are
    the subject's (at least ``MIN_SEGMENT``); a segment through stiff joints (ones the source lacks) takes the
    lengths along the canonical directions that best reach the source joint, near the canonical proportions.
    A source segment of zero length is looked past to the next joint. BVHError naming the file and joint when a
    joint has no rest direction at all."""
    idx = mapping.index
    rest = clip.rest_positions() * unit_scale
    for side in ("left", "right"):  # a rest pose that is no standing pose (iClone's: every bone points up)
        hip, ankle = JOINT_INDEX[f"{side}_hip"], JOINT_INDEX[f"{side}_ankle"]
        if rest[idx[ankle], 1] > rest[idx[hip], 1] - 0.2:
            raise BVHError(f"{path}: joint {clip.names[idx[ankle]]} ({JOINT_NAMES[ankle]}) is not below the hip in "
                           "the file's rest pose: its rotations are not relative to a standing pose")  # fmt: skip
    kids = [[k for k, p in enumerate(clip.parents) if p == b] for b in range(len(clip.names))]
    canon = Skeleton.default()
    unit = canon.offsets / np.linalg.norm(canon.offsets, axis=-1, keepdims=True)
    target = rest[idx]
    lh, rh = JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]
    leg = float(np.linalg.norm(target[JOINT_INDEX["left_knee"]] - target[lh])
                + np.linalg.norm(target[JOINT_INDEX["left_ankle"]] - target[JOINT_INDEX["left_knee"]]))  # fmt: skip
    ratio = leg / float(np.linalg.norm(canon.offsets[JOINT_INDEX["left_knee"]])
                        + np.linalg.norm(canon.offsets[JOINT_INDEX["left_ankle"]]))  # fmt: skip
    offsets = canon.offsets * ratio  # stiff leaf joints (feet without toes) keep the body's proportion
    hip_centre = -(canon.offsets[lh] + canon.offsets[rh]) / 2 * ratio  # the pelvis from the hips' midpoint
    align = np.tile(np.eye(3), (NUM_JOINTS, 1, 1))
    placed = np.zeros((NUM_JOINTS, 3))  # the canonical rest body, in the source's rest frame
    for _ in range(2):  # the pelvis' place depends (slightly) on its own rest correction
        placed[0] = (target[lh] + target[rh]) / 2 + align[0] @ hip_centre
        align[0] = _aim(0, placed, target, clip, kids, idx, mapping, canon, unit_scale, path)
    done: set[int] = set()
    for j in range(NUM_JOINTS):
        if j in mapping.stiff:
            continue
        if j > 0:
            align[j] = _aim(j, placed, target, clip, kids, idx, mapping, canon, unit_scale, path)
        for end, joints in _segments(j, mapping.stiff):
            if end is None:
                continue
            t = align[j].T @ (target[end] - placed[j])  # in j's canonical rest frame
            free = [k for k in joints if k not in done]
            fixed = sum((offsets[k] for k in joints if k in done), np.zeros(3))
            if len(free) == 1:
                k = free[0]
                length = float(np.linalg.norm(t)) if len(joints) == 1 else float((t - fixed) @ unit[k])
                offsets[k] = unit[k] * max(length, MIN_SEGMENT)
            elif free:
                offsets[free] = unit[free] * _path_lengths(unit[free], canon.bone_lengths()[free], t - fixed)[:, None]
            done.update(free)
            acc = placed[j].copy()
            for k in joints:
                acc = acc + align[j] @ offsets[k]
                placed[k] = acc
        for k in _children(j):
            if k in mapping.stiff:
                align[k] = align[j]
    return CanonicalRest(align, offsets, placed[0] - rest[idx[0]])


def _path_lengths(units: np.ndarray, canon_lengths: np.ndarray, t: np.ndarray, weight: float = 0.05) -> np.ndarray:
    """Lengths along ``units`` (n, 3) whose sum best reaches ``t``, drawn towards the canonical proportions."""
    k = float(np.linalg.norm(t)) / max(float(np.linalg.norm(canon_lengths @ units)), 1e-9)
    a = units @ units.T + weight * np.eye(len(units))
    b = units @ t + weight * k * canon_lengths
    return np.maximum(np.linalg.solve(a, b), MIN_SEGMENT)


def _aim(j: int, placed: np.ndarray, target: np.ndarray, clip: BVHClip, kids: list[list[int]], idx: list[int],
         mapping: Mapping, canon: Skeleton, unit_scale: float, path: str) -> np.ndarray:  # fmt: skip
    """Joint j's rest correction: its primary segment from where it is placed exactly onto the source's, the twist
    about it matching its other segments."""
    pairs = []  # (canonical vector, source vector), metres
    segments = _segments(j, mapping.stiff)
    for end, joints in segments:
        d_can = canon.offsets[joints].sum(0) if joints else np.zeros(3)
        if end is None:
            d_can = d_can + canon.leaf_ends[joints[-1] if joints else j]
            d_src = _first_offset(clip, kids, idx[j]) * unit_scale
        else:
            d_src = target[end] - placed[j]
            if np.linalg.norm(d_src) < MIN_SEGMENT and not pairs:  # primary of zero length: one joint further
                nxt_end, nxt = _segments(end, mapping.stiff)[0]
                d_can = d_can + (canon.offsets[nxt].sum(0) if nxt else np.zeros(3))
                if nxt_end is None:
                    d_can = d_can + canon.leaf_ends[nxt[-1] if nxt else end]
                    d_src = d_src + _first_offset(clip, kids, idx[end]) * unit_scale
                else:
                    d_src = target[nxt_end] - placed[j]
        pairs.append((d_can, d_src))
    d_can, d_src = pairs[0]
    if np.linalg.norm(d_src) < 1e-6 and segments[0][0] is None and j > 0:  # a leaf without an end goes on as it came
        d_can, d_src = canon.offsets[j], target[j] - target[PARENTS[j]]
    if np.linalg.norm(d_src) < 1e-6:
        raise BVHError(f"{path}: joint {clip.names[idx[j]]} ({JOINT_NAMES[j]}) has no rest direction")
    rot = rotation_between(d_can, d_src)
    axis = d_src / np.linalg.norm(d_src)
    num = den = 0.0
    for (c, s), (end, _) in zip(pairs[1:], segments[1:], strict=True):
        if end is not None and np.linalg.norm(s - axis * (s @ axis)) < 0.3 * max(np.linalg.norm(s), 0.1):
            # nearly along the primary segment (CMU's collars start where its neck does): its next joint tells
            nxt_end, nxt = _segments(end, mapping.stiff)[0]
            if nxt_end is None:
                continue
            c, s = c + canon.offsets[nxt].sum(0), target[nxt_end] - placed[j]
        u = rot @ c
        u, w = u - axis * (u @ axis), s - axis * (s @ axis)
        num += float(axis @ np.cross(u, w))
        den += float(u @ w)
    if num or den:
        rot = _axis_rotation(axis, float(np.arctan2(num, den))) @ rot
    return rot


def _axis_rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def retarget_mapped(clip: BVHClip, mapping: Mapping, unit_scale: float | None = None, path: str = "") -> Motion:
    """The clip's motion as rotations relative to the canonical T-pose on the canonical offsets (canonical rest
    directions x the subject's own bone lengths, :func:`canonical_offsets`): each canonical joint takes the world
    rotation of its source joint times its rest correction (:func:`rest_alignment`), so a label means the same
    whatever the source; the source's own rest shape is only used to measure fidelity (:func:`retarget_error_mm`)."""
    idx = mapping.index
    height = clip_height(clip)
    if unit_scale is None:
        unit_scale = guess_unit_scale(height, path)
    if not 0.9 <= height * unit_scale <= 2.6:
        raise BVHError(f"{path}: implausible units: the body is {height * unit_scale:.3g} m tall at rest")
    body = canonical_rest(clip, mapping, unit_scale, path)
    align, offsets = body.align, body.offsets
    pos_src, glob = clip.world()
    g = glob[:, idx] @ align  # canonical global rotations (T, 22, 3, 3)
    for j in range(NUM_JOINTS):  # stiff joints turn with their parent
        if j in mapping.stiff:
            g[:, j] = g[:, PARENTS[j]]
    local = g.copy()
    for j, p in enumerate(PARENTS):
        if p >= 0:
            local[:, j] = np.swapaxes(g[:, p], -1, -2) @ g[:, j]
    root = pos_src[:, idx[0]] * unit_scale + glob[:, idx[0]] @ body.pelvis  # the canonical pelvis
    quats = quat_continuity(matrix_to_quat(local), axis=0)
    motion = Motion(quats, root, Skeleton(offsets, Skeleton.default().leaf_ends), fps=clip.fps)
    return motion.grounded()


def label_consistency_mm(motion: Motion) -> float:
    """Largest distance (mm) between the joints a retargeted motion reports and forward kinematics of its labels on
    the canonical rest directions with its own bone lengths: 0 when every label is relative to the canonical T-pose."""
    canon = Skeleton.default().offsets
    lengths = motion.skeleton.bone_lengths()[:, None]
    offsets = canon / np.linalg.norm(canon, axis=-1, keepdims=True) * lengths
    offsets[0] = motion.skeleton.offsets[0]
    pos, _ = forward_kinematics(motion.rotations, offsets, np.zeros((motion.num_frames, 3)))
    assert motion.joint_positions is not None
    return float(np.linalg.norm(pos - motion.joint_positions, axis=-1).max() * 1000)


def retarget_error_mm(clip: BVHClip, motion: Motion, mapping: Mapping, unit_scale: float) -> float:
    """Retarget fidelity: mean distance (mm) between the retargeted joints and the source joints they map to, in the
    world, after one similarity (rotation, scale, translation) for the whole clip. The pelvis (placed between the
    hips, not on the source's root) and stiff joints are left out."""
    src, _ = clip.world()
    joints = [j for j in range(NUM_JOINTS) if j not in mapping.stiff and j != 0]
    a = src[:, [mapping.index[j] for j in joints]] * unit_scale
    b = motion.world_positions()[:, joints]
    frames = min(len(a), len(b))
    a, b = a[:frames].reshape(-1, 3), b[:frames].reshape(-1, 3)
    a0, b0 = a - a.mean(0), b - b.mean(0)
    u, s, vt = np.linalg.svd(b0.T @ a0)
    d = np.sign(np.linalg.det(u @ vt))
    rot = (u @ np.diag([1.0, 1.0, d]) @ vt).T  # b -> a
    scale = float((s * [1.0, 1.0, d]).sum() / max((b0 * b0).sum(), 1e-12))
    return float(np.linalg.norm(a0 - scale * b0 @ rot.T, axis=-1).mean() * 1000)


def _first_offset(clip: BVHClip, children: list[list[int]], b: int) -> np.ndarray:
    """Offset of the first child (or the end site) of BVH joint b that is not at the joint itself."""
    for k in children[b]:
        if np.linalg.norm(clip.offsets[k]) > 1e-6:
            return clip.offsets[k]
    end = clip.end_sites.get(b)
    if (end is None or np.linalg.norm(end) <= 1e-6) and children[b]:  # a joint on this one: look through it
        return _first_offset(clip, children, children[b][0])
    return clip.end_sites.get(b, np.zeros(3))


def _primary_child(j: int) -> int | None:
    preferred = {"pelvis": "spine1", "spine3": "neck"}
    name = JOINT_NAMES[j]
    if name in preferred:
        return JOINT_INDEX[preferred[name]]
    kids = [k for k, p in enumerate(PARENTS) if p == j]
    return kids[0] if kids else None
