"""Retargeting a Motion onto a character rig without IK: the math (numpy; the Blender side is ``addon.retarget``).

A rig is described by its bones' names, parents and rest matrices (Blender's ``bone.matrix_local``, armature space)
and the armature object's world matrix (``Rig``). Presets (``model/presets/*.json``, one per rig family) name, for
each of the 22 canonical joints, the candidate bone names of that family; one generic mapper reads them all. Names
are compared without a ``namespace:`` prefix (``mixamorig:Hips`` and ``Hips`` are the same bone).

Transfer (rotational and direct, any bone roll, T- or A-pose rest), all in Blender world axes:

- ``D_j(t) = C G_j(t) C^T``: joint j's rest-relative world rotation (``G_j`` global model rotation, ``C`` the
  model-to-Blender transform). The canonical segment of joint j points along ``s_j`` at rest.
- The target bone b mapped to j has rest orientation ``T_b`` (world) and direction ``d_b``: towards the bone mapped
  to j's main child (``rest_aims``; the bone's own axis for leaves), so unmapped bones in between count. Its rest is first aligned
  to the canonical T-pose by the smallest rotation ``A_b`` taking ``d_b`` onto ``s_j`` (this is where A-pose rigs
  are handled), then moved like the source: ``W_b(t) = D_j(t) A_b T_b``. So the bone points where the source
  segment points, and turns about its own axis as the source does (twist), whatever its roll.
- Unmapped bones keep their rest pose relative to their parent. A bone's pose quaternion is
  ``Q_b = T_b^T T_p W_p^T W_b`` (``p`` its parent; ``Q_b = T_b^T W_b`` for a root bone): identity for unmapped bones.
- Root motion: the bone mapped to the pelvis follows the source's root path scaled by the ratio of leg lengths
  (target / source), then the whole path is lifted or lowered so that the rig's feet touch its rest-pose floor
  (their rest height) at their low points; the location is written in that bone's local rest frame, in armature
  units, so object scale (Mixamo's 0.01) and rotation are handled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .kinematics import forward_kinematics
from .motion import Motion
from .rotations import matrix_to_quat, quat_continuity, quat_to_matrix, rotation_between
from .skeleton import JOINT_INDEX, JOINT_NAMES, MODEL_TO_BLENDER, main_child

PRESET_DIR = Path(__file__).resolve().parent / "presets"
#: Joints whose mapped bones decide the leg length and the floor.
_LEG = ("left_hip", "left_knee", "left_ankle")
_FEET = ("left_ankle", "right_ankle", "left_foot", "right_foot")
#: Fewer mapped joints than this, or no pelvis: the rig does not match the preset.
MIN_MAPPED = 12


class RetargetError(Exception):
    """One line for the user."""


@dataclass
class Rig:
    names: list[str]
    parents: list[int]  # -1 for root bones; parents come before children
    rest: np.ndarray  # (B, 4, 4) armature-space rest matrices (bone.matrix_local)
    tails: np.ndarray  # (B, 3) armature-space rest tails
    world: np.ndarray  # (4, 4) the armature object's world matrix

    def index(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.names)}


def bare(name: str) -> str:
    """A bone name without its namespace prefix (``mixamorig:Hips`` -> ``Hips``)."""
    return name.rpartition(":")[2]


def list_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.json"))


def load_preset(name_or_path: str | Path) -> dict:
    """A preset by name (``mixamo``) or a mapping file; a user mapping file is ``{"bones": {joint: bone}}``."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PRESET_DIR / f"{name_or_path}.json"
        if not path.is_file():
            raise RetargetError(f"unknown preset {name_or_path!r}; presets: {', '.join(list_presets())}")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise RetargetError(f"{path}: cannot read the mapping ({exc})") from None
    bones = data.get("bones") if isinstance(data, dict) else None
    if not isinstance(bones, dict):
        raise RetargetError(f"{path}: no 'bones' object (joint name -> bone name)")
    unknown = sorted(set(bones) - set(JOINT_NAMES))
    if unknown:
        raise RetargetError(f"{path}: unknown joint names {', '.join(unknown)}")
    data["bones"] = {j: [v] if isinstance(v, str) else list(v) for j, v in bones.items()}
    data.setdefault("name", path.stem)
    data.setdefault("path", str(path))
    return data


def map_bones(preset: dict, bone_names: list[str]) -> dict[str, str]:
    """joint -> bone of this rig, for the joints whose candidates the rig has."""
    by_bare: dict[str, str] = {}
    for name in bone_names:
        by_bare.setdefault(bare(name), name)
    exact = set(bone_names)
    mapping = {}
    for joint, candidates in preset["bones"].items():
        for cand in candidates:
            found = cand if cand in exact else by_bare.get(bare(cand))
            if found is not None:
                mapping[joint] = found
                break
    return mapping


def detect_preset(bone_names: list[str]) -> tuple[str, float, dict[str, str]]:
    """The preset that maps most joints of this rig: (name, score = mapped fraction, mapping)."""
    best: tuple[str, float, dict[str, str]] = ("", 0.0, {})
    for name in list_presets():
        mapping = map_bones(load_preset(name), bone_names)
        score = len(mapping) / len(JOINT_NAMES)
        if score > best[1]:
            best = (name, score, mapping)
    return best


def check_mapping(mapping: dict[str, str], bone_names: list[str], source: str = "mapping") -> list[str]:
    """Raise RetargetError when the mapping names bones the rig lacks or maps too little; returns the unmapped
    joints (for a warning)."""
    missing = sorted(b for b in mapping.values() if b not in set(bone_names))
    if missing:
        raise RetargetError(f"{source}: bones not in the rig: {', '.join(missing)}")
    if "pelvis" not in mapping or len(mapping) < MIN_MAPPED:
        raise RetargetError(
            f"{source}: only {len(mapping)} of {len(JOINT_NAMES)} joints map onto the rig's bones"
            + ("" if "pelvis" in mapping else ", and no pelvis/hips bone")
        )
    return [j for j in JOINT_NAMES if j not in mapping]


def _rotation_scale(world: np.ndarray) -> tuple[np.ndarray, float]:
    m = world[:3, :3]
    scale = float(np.cbrt(abs(np.linalg.det(m))))
    return m / scale, scale


def rest_relative_rotations(motion: Motion) -> np.ndarray:
    """(T, 22, 3, 3) ``D_j = C G_j C^T``: each joint's global rotation in Blender world axes."""
    _, g = forward_kinematics(motion.rotations, motion.skeleton.offsets)
    c = MODEL_TO_BLENDER
    return np.einsum("ij,tnjk,lk->tnil", c, g, c)


def segment_directions(motion: Motion) -> np.ndarray:
    """(22, 3) unit rest direction ``s_j`` of each joint's segment in Blender axes."""
    sk = motion.skeleton
    seg = (sk.segment_ends - sk.rest_positions) @ MODEL_TO_BLENDER.T
    return seg / np.linalg.norm(seg, axis=-1, keepdims=True)


def retarget(rig: Rig, mapping: dict[str, str], motion: Motion) -> tuple[dict[str, np.ndarray], str, np.ndarray]:
    """Pose quaternions for the mapped bones ``{bone: (T, 4)}``, the root motion bone and its (T, 3) locations."""
    index = rig.index()
    rot_world, obj_scale = _rotation_scale(rig.world)
    t_world = rot_world @ rig.rest[:, :3, :3]  # (B, 3, 3) rest orientations in world axes
    d = rest_relative_rotations(motion)
    seg = segment_directions(motion)
    joint_of = {index[b]: JOINT_INDEX[j] for j, b in mapping.items()}
    aims = rest_aims(rig, mapping)
    n_frames = motion.num_frames
    w = np.empty((n_frames, len(rig.names), 3, 3))
    quats: dict[str, np.ndarray] = {}
    for b, name in enumerate(rig.names):
        p = rig.parents[b]
        if b in joint_of:
            j = joint_of[b]
            align = rotation_between(aims[name], seg[j])
            w[:, b] = d[:, j] @ (align @ t_world[b])
            rel = w[:, b] if p < 0 else np.einsum("tji,tjk->tik", w[:, p], w[:, b])  # W_p^T W_b
            base = t_world[b].T if p < 0 else t_world[b].T @ t_world[p]
            quats[name] = quat_continuity(matrix_to_quat(base @ rel), axis=0)
        else:
            w[:, b] = t_world[b] if p < 0 else w[:, p] @ (t_world[p].T @ t_world[b])
    root_bone = mapping["pelvis"]
    locations = _root_locations(rig, mapping, motion, quats, root_bone, obj_scale)
    return quats, root_bone, locations


def rest_aims(rig: Rig, mapping: dict[str, str]) -> dict[str, np.ndarray]:
    """Bone name -> the unit rest direction ``d_b`` (world axes) that is aligned with its joint's segment: towards
    the rest head of the bone mapped to the joint's main child, so that the next mapped joint lands where the source's
    does even across unmapped bones in between (MPFB's upperleg01 -> upperleg02 -> lowerleg01 bends 9 degrees at
    rest, its spine 12-28); the bone's own axis for leaves and where that child is unmapped, not under this bone in the
    hierarchy (it would not follow), or nearer than half the bone's length (a control bone such as Rigify's torso,
    not a link of the chain)."""
    rot_world, _ = _rotation_scale(rig.world)
    index = rig.index()
    heads = rig.rest[:, :3, 3]
    aims = {}
    for joint, bone in mapping.items():
        b = index[bone]
        aim = rig.rest[b, :3, 1]
        child = main_child(JOINT_INDEX[joint])
        if child is not None and JOINT_NAMES[child] in mapping:
            c = index[mapping[JOINT_NAMES[child]]]
            to_child = heads[c] - heads[b]
            own = np.linalg.norm(rig.tails[b] - heads[b])
            if np.linalg.norm(to_child) >= 0.5 * own and _descends(rig, c, b):
                aim = to_child
        aim = rot_world @ aim
        aims[bone] = aim / np.linalg.norm(aim)
    return aims


def _descends(rig: Rig, bone: int, ancestor: int) -> bool:
    """Whether ``bone`` hangs under ``ancestor`` in the hierarchy (so it moves with it)."""
    p = rig.parents[bone]
    while p >= 0:
        if p == ancestor:
            return True
        p = rig.parents[p]
    return False


def rigid_inverse(m: np.ndarray) -> np.ndarray:
    """Inverse of (..., 4, 4) rotation + translation matrices (bone rest matrices), without a general inverse."""
    out = np.zeros_like(m)
    rt = np.swapaxes(m[..., :3, :3], -1, -2)
    out[..., :3, :3] = rt
    out[..., :3, 3] = -np.einsum("...ij,...j->...i", rt, m[..., :3, 3])
    out[..., 3, 3] = 1.0
    return out


def rest_in_parent(rig: Rig, bone: int | str) -> np.ndarray:
    """(4, 4) a bone's rest placement in its parent's space, ``parent_rest^-1 @ bone_rest`` (the armature's space
    for a root bone): what a pose channel of the bone turns, in every pose evaluation."""
    b = rig.index()[bone] if isinstance(bone, str) else bone
    p = rig.parents[b]
    return rig.rest[b] if p < 0 else rigid_inverse(rig.rest[p]) @ rig.rest[b]


def pose_matrices(
    rig: Rig, quats: dict[str, np.ndarray], root_bone: str, locations: np.ndarray, bones: list[str] | None = None
) -> np.ndarray:
    """(T, len(bones), 4, 4) armature-space pose matrices of ``bones`` (default: all) for the rig keyed with these
    channels, evaluated through the plain bone hierarchy (Blender's pose evaluation without constraints). Only the
    bones asked for and their ancestors are computed."""
    n = len(next(iter(quats.values()))) if quats else len(locations)
    index = rig.index()
    wanted = [index[b] for b in bones] if bones is not None else list(range(len(rig.names)))
    needed: set[int] = set()
    for b in wanted:
        while b >= 0 and b not in needed:
            needed.add(b)
            b = rig.parents[b]
    eye = np.eye(4)
    posed: dict[int, np.ndarray] = {}
    for b in sorted(needed):  # parents come before children
        name = rig.names[b]
        basis = np.tile(eye, (n, 1, 1))
        if name in quats:
            basis[:, :3, :3] = quat_to_matrix(quats[name])
        if name == root_bone:
            basis[:, :3, 3] = locations
        p = rig.parents[b]
        local = rest_in_parent(rig, b)
        posed[b] = (local @ basis) if p < 0 else posed[p] @ local @ basis
    return np.stack([posed[b] for b in wanted], 1)


def pose_heads_tails(
    rig: Rig, quats: dict[str, np.ndarray], root_bone: str, locations: np.ndarray, bones: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(T, len(bones), 3) world heads and tails of the posed rig's ``bones`` (default: all)."""
    index = rig.index()
    sel = [index[b] for b in bones] if bones is not None else list(range(len(rig.names)))
    tail_local = np.einsum("bij,bj->bi", rigid_inverse(rig.rest[sel]), np.c_[rig.tails[sel], np.ones(len(sel))])
    world = rig.world @ pose_matrices(rig, quats, root_bone, locations, bones)
    heads = world[..., :3, 3]
    tails = np.einsum("tbij,bj->tbi", world, tail_local)[..., :3]
    return heads, tails


def _transform(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(N, 3) points through a 4x4 matrix."""
    return points @ matrix[:3, :3].T + matrix[:3, 3]


def _root_locations(rig, mapping, motion, quats, root_bone, obj_scale):
    index = rig.index()
    c = MODEL_TO_BLENDER
    heads_rest = _transform(rig.world, rig.rest[:, :3, 3])
    leg = [heads_rest[index[mapping[j]]] for j in _LEG if j in mapping]
    sk = motion.skeleton
    src_leg = float(sk.bone_lengths()[[JOINT_INDEX["left_knee"], JOINT_INDEX["left_ankle"]]].sum())
    scale = float(np.linalg.norm(np.diff(leg, axis=0), axis=-1).sum()) / src_leg if len(leg) == 3 else obj_scale
    b0 = index[root_bone]
    path = heads_rest[b0] + scale * (motion.root_translation - sk.rest_positions[0]) @ c.T  # (T, 3) world
    rest_arm = rig.rest[b0]
    world_inv = np.linalg.inv(rig.world)

    def to_local(world_path: np.ndarray) -> np.ndarray:
        return (_transform(world_inv, world_path) - rest_arm[:3, 3]) @ rest_arm[:3, :3]  # R^T (p - h), row vectors

    feet = [index[mapping[j]] for j in _FEET if j in mapping]
    if feet:
        floor = min(heads_rest[feet, 2].min(), _transform(rig.world, rig.tails)[feet, 2].min())
        heads, tails = pose_heads_tails(rig, quats, root_bone, to_local(path), [rig.names[f] for f in feet])
        low = np.minimum(heads[..., 2].min(1), tails[..., 2].min(1))
        path[:, 2] += floor - float(np.percentile(low, 5.0))
    return to_local(path)
