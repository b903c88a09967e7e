"""A :class:`~.clip.MotionClip` as canonical-skeleton :class:`~model.motion.Motion`: rotations relative to the
canonical T-pose on the canonical rest directions with the subject's own bone lengths, so that a label means the same
whatever the source; and the two numbers that say how well that went (label consistency, retarget fidelity).

Each canonical joint takes the world rotation of the source joint mapped to it times its rest correction (the
rotation taking the canonical rest frame onto the source joint's, :func:`canonical_rest`). BVH-style files are Y-up;
the canonical frame is x = left, y = up, z = forward, so a file whose subject faces +Z with its left at +X (CMU, most
exporters) needs no axis change (:func:`~.clip.upright` turns the others).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..kinematics import forward_kinematics
from ..motion import Motion
from ..rotations import (
    matrix_to_axis_angle,
    matrix_to_quat,
    quat_continuity,
    quat_normalize,
    quat_to_matrix,
    rotation_between,
)
from ..skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS, PARENTS, Skeleton, main_child
from .clip import Mapping, MotionClip, MotionFileError, clip_height, guess_unit_scale, map_joints, upright


def retarget_clip(
    clip: MotionClip, unit_scale: float | None = None, mapping_file: str | Path | None = None, path: str = ""
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
    primary = main_child(j)
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


def canonical_rest(clip: MotionClip, mapping: Mapping, unit_scale: float, path: str = "") -> CanonicalRest:
    """The source's rest pose brought onto the canonical rest directions, joint by joint from the root down.

    Each joint aims from where the canonical body puts it at rest (its parent may be off by a rest-direction
    difference) at the source joints it carries: its primary segment (spine3 -> neck, else the only child) exactly,
    the pelvis along the whole torso to the neck (``TORSO_PATH``), and where it carries more (pelvis: the hips;
    spine3: the collars; an ankle: the shank above it, ``TWIST_FROM_PARENT``) the twist about the primary segment
    that best matches them, so no error is carried down a limb. A leaf (head, feet, wrists) keeps
    its parent's correction, turned onto the leaf's end only where that end is the leaf's own (:func:`_leaf_rest`).
    Bone lengths are the subject's (at least ``MIN_SEGMENT``); a segment through stiff joints (ones the source
    lacks) takes the lengths along the canonical directions that best reach the source joint, near the canonical
    proportions. A source segment of zero length is looked past to the next joint. MotionFileError naming the file
    and joint when a joint has no rest direction at all."""
    idx = mapping.index
    rest = clip.rest_positions() * unit_scale
    for side in ("left", "right"):  # a rest pose that is no standing pose (iClone's: every bone points up)
        hip, ankle = JOINT_INDEX[f"{side}_hip"], JOINT_INDEX[f"{side}_ankle"]
        if rest[idx[ankle], 1] > rest[idx[hip], 1] - 0.2:
            raise MotionFileError(
                f"{path}: joint {clip.names[idx[ankle]]} ({JOINT_NAMES[ankle]}) is not below the hip in "
                "the file's rest pose: its rotations are not relative to a standing pose"
            )
    kids = [[k for k, p in enumerate(clip.parents) if p == b] for b in range(len(clip.names))]
    canon = Skeleton.default()
    unit = canon.offsets / np.linalg.norm(canon.offsets, axis=-1, keepdims=True)
    target = rest[idx]
    lh, rh = JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]
    leg = float(
        np.linalg.norm(target[JOINT_INDEX["left_knee"]] - target[lh])
        + np.linalg.norm(target[JOINT_INDEX["left_ankle"]] - target[JOINT_INDEX["left_knee"]])
    )
    ratio = leg / float(
        np.linalg.norm(canon.offsets[JOINT_INDEX["left_knee"]])
        + np.linalg.norm(canon.offsets[JOINT_INDEX["left_ankle"]])
    )
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
        if j > 0 and main_child(j) is None:
            align[j] = _leaf_rest(j, align[PARENTS[j]], clip, kids, idx, canon)
        elif j > 0:
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


#: The pelvis is aimed along the torso, at the neck (the canonical path there: spine1, spine2, spine3, neck), not at
#: its first spine joint: where a skeleton puts that joint (straight above the hips, or behind them as the canonical
#: body does) differs by up to 30 degrees between sources, and aiming at it tilted the pelvis of an upright person
#: that much (its forward axis, torso and thighs within 10-15 degrees of vertical: ASF/AMC -3 degrees, exponential
#: map 4, Daz and MotionBuilder BVH 19, DeepMimic 23, the dance BVH 29), the hips and spine taking the difference.
TORSO_PATH = tuple(JOINT_INDEX[n] for n in ("spine1", "spine2", "spine3", "neck"))
TORSO_END = TORSO_PATH[-1]

#: Joints with one segment below them whose twist about it comes from the segment above them: the ankles, whose
#: foot is the only child. The least turn onto the foot's rest direction alone rolled the foot about its own axis
#: wherever a source's foot rests turned out or pitched other than the canonical one: the CMU ASF skeleton's planted
#: feet (exponential-map files and ASF/AMC) came out rolled 15-20 degrees, every other source's -4 to +6. Matched to the
#: shank instead, a foot's sideways axis stays square to the shank as in the canonical rest.
TWIST_FROM_PARENT = frozenset({JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]})


def _aim(
    j: int,
    placed: np.ndarray,
    target: np.ndarray,
    clip: MotionClip,
    kids: list[list[int]],
    idx: list[int],
    mapping: Mapping,
    canon: Skeleton,
    unit_scale: float,
    path: str,
) -> np.ndarray:
    """Joint j's rest correction: its primary segment from where it is placed exactly onto the source's, the twist
    about it matching its other segments (for ``TWIST_FROM_PARENT``: the segment above it)."""
    pairs: list[tuple[np.ndarray, np.ndarray]] = []  # (canonical vector, source vector), metres
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
    if j == 0 and TORSO_END not in mapping.stiff:  # the pelvis: its up axis along the whole torso
        d_can = canon.offsets[list(TORSO_PATH)].sum(0)
        d_src = target[TORSO_END] - placed[0]
    if np.linalg.norm(d_src) < 1e-6 and segments[0][0] is None and j > 0:  # a leaf without an end goes on as it came
        d_can, d_src = canon.offsets[j], target[j] - target[PARENTS[j]]
    if np.linalg.norm(d_src) < 1e-6:
        raise MotionFileError(f"{path}: joint {clip.names[idx[j]]} ({JOINT_NAMES[j]}) has no rest direction")
    rot = rotation_between(d_can, d_src)
    axis = d_src / np.linalg.norm(d_src)
    num = den = 0.0
    others = list(zip(pairs[1:], [end for end, _ in segments[1:]], strict=True))
    if j in TWIST_FROM_PARENT:  # the only other segment there is: the one the joint hangs from
        others.append(((-canon.offsets[j], target[PARENTS[j]] - target[j]), None))
    for (c, s), end in others:
        if end is not None and np.linalg.norm(s - axis * (s @ axis)) < 0.3 * max(float(np.linalg.norm(s)), 0.1):
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


#: A leaf's end (head top, toe tip, hand tip) that points further than this from where its parent's rest frame puts
#: the canonical leaf's end is not the leaf's own segment (an eye, a thumb, a bone tail pointing anywhere). Measured on
#: the CMU archives: head tops, toe ends and hand tips lie 0-26 degrees from there, Daz's eyes and thumbs 54-62, the
#: bone tails of FBX files read through Blender 62-133.
LEAF_END_AGREEMENT_DEG = 40.0


def _leaf_rest(
    j: int, parent: np.ndarray, clip: MotionClip, kids: list[list[int]], idx: list[int], canon: Skeleton
) -> np.ndarray:
    """A leaf joint's rest correction: its parent's (the leaf neutral in the source's rest pose, as the canonical
    T-pose has it), turned the least way onto the source leaf's end when that end is the leaf's own segment (within
    ``LEAF_END_AGREEMENT_DEG``: CMU's head tops and toe ends). A leaf's end moves no joint, so neither label consistency
    nor retarget fidelity can see it; the points the keypoint model puts in its frame (face, toes) do."""
    d_src = _first_offset(clip, kids, idx[j])
    if np.linalg.norm(d_src) < 1e-9:
        return parent
    d_can = parent @ canon.leaf_ends[j]
    cos = float(d_can @ d_src) / (np.linalg.norm(d_can) * np.linalg.norm(d_src))
    if cos < np.cos(np.radians(LEAF_END_AGREEMENT_DEG)):
        return parent
    return rotation_between(d_can, d_src) @ parent


def _axis_rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def retarget_mapped(clip: MotionClip, mapping: Mapping, unit_scale: float | None = None, path: str = "") -> Motion:
    """The clip's motion as rotations relative to the canonical T-pose on the canonical offsets (canonical rest
    directions x the subject's own bone lengths, :func:`canonical_offsets`): each canonical joint takes the world
    rotation of its source joint times its rest correction (:func:`rest_alignment`), so a label means the same
    whatever the source; the source's own rest shape is only used to measure fidelity (:func:`retarget_error_mm`)."""
    idx = mapping.index
    height = clip_height(clip)
    if unit_scale is None:
        unit_scale = guess_unit_scale(height, path)
    if not 0.9 <= height * unit_scale <= 2.6:
        raise MotionFileError(f"{path}: implausible units: the body is {height * unit_scale:.3g} m tall at rest")
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
    normalise_hinges(local, offsets, rigid=mapping.stiff)
    quats = quat_continuity(matrix_to_quat(local), axis=0)
    motion = Motion(quats, root, Skeleton(offsets, Skeleton.default().leaf_ends), fps=clip.fps)
    return motion.grounded()


#: The hinges: (the upper segment's joint, the hinge, the lower segment's joint, the axis a bend turns about in the
#: canonical frame, or None where every source already shares it). The elbows' axis is the CMU skeleton's (most of the
#: library: ASF/AMC, the exponential-map set, the Daz and MotionBuilder BVH files bend about it within 0-8 degrees).
HINGES: tuple[tuple[str, str, str, tuple[float, float, float] | None], ...] = (
    ("left_shoulder", "left_elbow", "left_wrist", (0.0, -np.sqrt(0.75), 0.5)),
    ("right_shoulder", "right_elbow", "right_wrist", (0.0, np.sqrt(0.75), -0.5)),
    ("left_hip", "left_knee", "left_ankle", None),
    ("right_hip", "right_knee", "right_ankle", None),
)
#: Bends larger than this (degrees) tell a clip's hinge axis.
HINGE_EVIDENCE_DEG = 40.0


def _swing_twist(r: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotations (T, 3, 3) as swing @ twist: the twist about the unit axis ``u``, the swing about axes normal to it."""
    q = matrix_to_quat(r)
    proj = (q[:, 1:] @ u)[:, None] * u
    twist = quat_to_matrix(quat_normalize(np.concatenate([q[:, :1], proj], axis=1)))
    return r @ np.swapaxes(twist, -1, -2), twist


def normalise_hinges(local: np.ndarray, offsets: np.ndarray, rigid: Collection[int] = ()) -> None:
    """One meaning for the elbows' and knees' labels, in place on local rotations (T, 22, 3, 3); no joint moves.

    Sources split an arm's twist differently: CMU's skeleton keeps the forearm's twist in the wrist and bends the
    elbow about one axis, FBX rigs put some of it in the elbow, DeepMimic's upper arms rest 30 degrees turned.
    Each hinge's twist about its lower segment goes to the joint below (whose world rotation stays), and for the
    elbows the upper arm's twist is turned, once per clip, so that the clip's bends turn about the canonical axis
    (``HINGES``), the hand keeping its world rotation (a ``rigid`` hand, one the source lacks, turns with the
    forearm, as does a hand that never turns against it). A clip without bends over ``HINGE_EVIDENCE_DEG`` keeps its
    upper arm's twist."""
    for upper, hinge, lower, axis in HINGES:
        p, h, c = JOINT_INDEX[upper], JOINT_INDEX[hinge], JOINT_INDEX[lower]
        fixed = c in rigid or bool(np.abs(local[:, c] - np.eye(3)).max() < 1e-6)
        u = offsets[c] / np.linalg.norm(offsets[c])
        swing, twist = _swing_twist(local[:, h], u)
        local[:, h] = swing
        if not fixed:
            local[:, c] = twist @ local[:, c]
        if axis is None:
            continue
        aa = matrix_to_axis_angle(swing)
        angle = np.linalg.norm(aa, axis=-1)
        bent = angle > np.radians(HINGE_EVIDENCE_DEG)
        if bent.sum() < 5:
            continue
        target = np.asarray(axis)
        seen = (aa[bent] / angle[bent, None]).mean(0)  # an elbow bends one way: no sign to align
        seen = seen - u * (seen @ u)
        if np.linalg.norm(seen) < 1e-6:
            continue
        seen /= np.linalg.norm(seen)
        turn = _axis_rotation(u, float(np.arctan2(u @ np.cross(target, seen), target @ seen)))  # target -> seen
        local[:, p] = local[:, p] @ turn
        local[:, h] = turn.T @ local[:, h] @ turn
        if not fixed:
            local[:, c] = turn.T @ local[:, c]


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


def retarget_error_mm(clip: MotionClip, motion: Motion, mapping: Mapping, unit_scale: float) -> float:
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


def _first_offset(clip: MotionClip, children: list[list[int]], b: int) -> np.ndarray:
    """Offset of the first child (or the end site) of BVH joint b that is not at the joint itself."""
    for k in children[b]:
        if np.linalg.norm(clip.offsets[k]) > 1e-6:
            return clip.offsets[k]
    end = clip.end_sites.get(b)
    if (end is None or np.linalg.norm(end) <= 1e-6) and children[b]:  # a joint on this one: look through it
        return _first_offset(clip, children, children[b][0])
    return clip.end_sites.get(b, np.zeros(3))
