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

from .kinematics import forward_kinematics
from .motion import Motion
from .rotations import elementary_rotation, matrix_to_quat, quat_continuity, rotation_between
from .skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS, PARENTS, Skeleton


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


# Canonical joint -> BVH joint names tried in order (CMU, Mixamo/most exporters, Motive/OptiTrack).
DEFAULT_NAMES: dict[str, tuple[str, ...]] = {
    "pelvis": ("Hips", "hip", "pelvis", "Pelvis"),
    "left_hip": ("LeftUpLeg", "LeftHip", "LThigh", "lThigh", "LeftThigh"),
    "right_hip": ("RightUpLeg", "RightHip", "RThigh", "rThigh", "RightThigh"),
    "spine1": ("LowerBack", "Spine", "Ab", "abdomen", "spine_01"),
    "left_knee": ("LeftLeg", "LeftKnee", "LeftShin", "LShin", "lShin"),
    "right_knee": ("RightLeg", "RightKnee", "RightShin", "RShin", "rShin"),
    "spine2": ("Spine", "Spine1", "Chest", "chest", "spine_02"),
    "left_ankle": ("LeftFoot", "LeftAnkle", "LFoot", "lFoot"),
    "right_ankle": ("RightFoot", "RightAnkle", "RFoot", "rFoot"),
    "spine3": ("Spine1", "Spine2", "Chest2", "Chest3", "chest2", "spine_03"),
    "left_foot": ("LeftToeBase", "LeftToe", "LeftToes", "LToe", "lToe"),
    "right_foot": ("RightToeBase", "RightToe", "RightToes", "RToe", "rToe"),
    "neck": ("Neck", "Neck1", "neck"),
    "left_collar": ("LeftShoulder", "LeftCollar", "LShoulder", "lCollar"),
    "right_collar": ("RightShoulder", "RightCollar", "RShoulder", "rCollar"),
    "head": ("Head", "head"),
    "left_shoulder": ("LeftArm", "LeftUpArm", "LUArm", "lShldr", "LeftUpperArm"),
    "right_shoulder": ("RightArm", "RightUpArm", "RUArm", "rShldr", "RightUpperArm"),
    "left_elbow": ("LeftForeArm", "LeftLowArm", "LFArm", "lForeArm", "LeftLowerArm"),
    "right_elbow": ("RightForeArm", "RightLowArm", "RFArm", "rForeArm", "RightLowerArm"),
    "left_wrist": ("LeftHand", "LHand", "lHand"),
    "right_wrist": ("RightHand", "RHand", "rHand"),
}


def joint_mapping(clip: BVHClip, mapping_file: str | Path | None = None, path: str = "") -> list[int]:
    """Index of the BVH joint mapped to each canonical joint (a JSON mapping file overrides the defaults)."""
    table = {k: list(v) for k, v in DEFAULT_NAMES.items()}
    if mapping_file is not None:
        user = json.loads(Path(mapping_file).read_text())
        for k, v in user.items():
            if k not in JOINT_INDEX:
                raise BVHError(f"{mapping_file}: {k!r} is not a canonical joint ({', '.join(JOINT_NAMES)})")
            table[k] = [v] if isinstance(v, str) else list(v)
    index = {_plain(n): i for i, n in enumerate(clip.names)}
    out, missing, used = [], [], set()
    for name in JOINT_NAMES:
        found = next(
            (index[_plain(c)] for c in table[name] if _plain(c) in index and index[_plain(c)] not in used), None
        )
        if found is None:
            missing.append(name)
        else:
            used.add(found)
            out.append(found)
    if missing:
        raise BVHError(f"{path}: no BVH joint for {', '.join(missing)} (give a mapping file)")
    return out


def _plain(name: str) -> str:
    return re.sub(r"^.*:", "", name).lower()  # drop namespaces such as "mixamorig:"


def retarget_bvh(
    clip: BVHClip, unit_scale: float | None = None, mapping_file: str | Path | None = None, path: str = ""
) -> Motion:
    """The clip as canonical-skeleton motion with bone lengths fitted to the clip's subject.

    ``unit_scale`` is metres per file unit; ``None`` guesses it from the subject's rest height (1.0 when it already
    looks like metres, 0.01 for centimetres, else scaled to 1.75 m).
    """
    idx = joint_mapping(clip, mapping_file, path)
    rest = clip.rest_positions()
    if unit_scale is None:
        height = float(np.ptp(rest[:, 1]))
        unit_scale = 1.0 if 1.0 < height < 2.5 else 0.01 if 100 < height < 250 else 1.60 / max(height, 1e-9)
    pos_bvh, glob = clip.world()
    canon = Skeleton.default()
    canon_rest = canon.rest_positions
    children = [[k for k, p in enumerate(clip.parents) if p == b] for b in range(len(clip.names))]
    align = np.tile(np.eye(3), (NUM_JOINTS, 1, 1))
    for j in range(NUM_JOINTS):
        child = _primary_child(j)
        if child is None:
            d_can = canon.leaf_ends[j]
            d_bvh = _first_offset(clip, children, idx[j])
        else:
            d_can = canon_rest[child] - canon_rest[j]
            d_bvh = rest[idx[child]] - rest[idx[j]]
            if np.linalg.norm(d_bvh) < 1e-6:  # e.g. CMU's Neck sits on Spine1: look one joint further
                d_bvh = rest[idx[child]] + _first_offset(clip, children, idx[child]) - rest[idx[j]]
        if np.linalg.norm(d_bvh) > 1e-6:
            align[j] = rotation_between(d_can, d_bvh)

    # bone lengths: the limbs from the clip, the torso the canonical proportions scaled to the clip's legs
    def seg(a: str, b: str, table: np.ndarray, index: list[int] | None = None) -> float:
        ia, ib = JOINT_INDEX[a], JOINT_INDEX[b]
        if index is not None:
            ia, ib = index[ia], index[ib]
        return float(np.linalg.norm(table[ib] - table[ia]))

    leg_bvh = (seg("left_hip", "left_knee", rest, idx) + seg("left_knee", "left_ankle", rest, idx)) * unit_scale
    leg_can = seg("left_hip", "left_knee", canon_rest) + seg("left_knee", "left_ankle", canon_rest)
    offsets = canon.offsets * (leg_bvh / leg_can)
    for name in ("knee", "ankle", "elbow", "wrist", "foot"):
        for side in ("left_", "right_"):
            j = JOINT_INDEX[side + name]
            length = np.linalg.norm(rest[idx[j]] - rest[idx[PARENTS[j]]]) * unit_scale
            if length > 1e-3:
                offsets[j] = canon.offsets[j] / np.linalg.norm(canon.offsets[j]) * length
    g = glob[:, idx] @ align  # canonical global rotations (T, 22, 3, 3)
    local = g.copy()
    for j, p in enumerate(PARENTS):
        if p >= 0:
            local[:, j] = np.swapaxes(g[:, p], -1, -2) @ g[:, j]
    root = pos_bvh[:, idx[0]] * unit_scale
    quats = quat_continuity(matrix_to_quat(local), axis=0)
    motion = Motion(quats, root, Skeleton(offsets, canon.leaf_ends), fps=clip.fps)
    return motion.grounded()


def _first_offset(clip: BVHClip, children: list[list[int]], b: int) -> np.ndarray:
    """Offset of the first child (or the end site) of BVH joint b that is not at the joint itself."""
    for k in children[b]:
        if np.linalg.norm(clip.offsets[k]) > 1e-6:
            return clip.offsets[k]
    return clip.end_sites.get(b, np.zeros(3))


def _primary_child(j: int) -> int | None:
    preferred = {"pelvis": "spine1", "spine3": "neck"}
    name = JOINT_NAMES[j]
    if name in preferred:
        return JOINT_INDEX[preferred[name]]
    kids = [k for k, p in enumerate(PARENTS) if p == j]
    return kids[0] if kids else None
