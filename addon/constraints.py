"""Rigs whose keyed bones hang under constraints (Rigify's FK controls under MCH bones that copy the root's
rotation): the channels that give each keyed bone the orientation the plain hierarchy would, found through Blender's
own evaluation of the rig. The rest math (what a channel turns) is ``model.retarget``'s."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import bpy
import numpy as np

from ..model.retarget import pose_matrices, rest_in_parent
from ..model.rotations import geodesic_angle, matrix_orthogonalize, matrix_to_quat, quat_continuity, quat_to_matrix


def dependency_levels(obj: Any, bones: list[str]) -> list[list[str]]:
    """The keyed bones in solve order for a rig with constraints: level k holds the bones whose pose depends (through
    parents, constraint targets and their parents) on keyed bones of levels < k only. Empty when neither the keyed
    bones nor anything they hang from has a constraint (the plain hierarchy is exact: nothing to evaluate)."""
    pose = obj.pose.bones
    keyed = set(bones)
    memo: dict[str, frozenset[str]] = {}

    def upstream(name: str) -> frozenset[str]:
        """Bones whose pose this bone's pose depends on (not counting itself)."""
        if name not in memo:
            memo[name] = frozenset()  # guards against dependency cycles
            pb = pose.get(name)
            deps: set[str] = set()
            if pb is not None:
                sources = [pb.parent.name] if pb.parent is not None else []
                sources += [
                    c.subtarget
                    for c in pb.constraints
                    if getattr(c, "target", None) == obj and getattr(c, "subtarget", "") and c.influence > 0
                ]
                for src in sources:
                    deps |= {src} | upstream(src)
            memo[name] = frozenset(deps - {name})
        return memo[name]

    constrained = any(
        len(pose[b].constraints) or any(len(pose[u].constraints) for u in upstream(b) if u in pose) for b in bones
    )
    if not constrained:
        return []
    level: dict[str, int] = {}

    def level_of(name: str) -> int:
        if name not in level:
            level[name] = 0
            level[name] = 1 + max((level_of(u) for u in upstream(name) if u in keyed and u != name), default=-1)
        return level[name]

    out: list[list[str]] = []
    for b in bones:
        k = level_of(b)
        out += [[] for _ in range(k + 1 - len(out))]
        out[k].append(b)
    return out


@contextmanager
def _scratch_pose(obj: Any) -> Iterator[None]:
    """The rig with its action and NLA switched off and every pose channel at rest, for probing its evaluation; all of
    it (channels, rotation modes, action, NLA) is put back afterwards, also on error."""
    pose = obj.pose.bones
    saved = {
        pb.name: (
            pb.rotation_mode,
            tuple(pb.location),
            tuple(pb.rotation_quaternion),
            tuple(pb.rotation_euler),
            tuple(pb.scale),
        )
        for pb in pose
    }
    anim = obj.animation_data
    saved_action = anim.action if anim is not None else None
    saved_nla = anim.use_nla if anim is not None else None
    try:
        if anim is not None:
            anim.action = None
            anim.use_nla = False
        for pb in pose:
            pb.location, pb.rotation_quaternion, pb.scale = (0, 0, 0), (1, 0, 0, 0), (1, 1, 1)
            pb.rotation_euler = (0, 0, 0)
        yield
    finally:
        for pb in pose:
            mode, loc, quat, euler, scale = saved[pb.name]
            pb.rotation_mode = mode
            pb.location, pb.rotation_quaternion, pb.rotation_euler, pb.scale = loc, quat, euler, scale
        if anim is not None:
            anim.action = saved_action
            anim.use_nla = saved_nla
        bpy.context.view_layer.update()


def _set_channels(obj: Any, quats: dict[str, np.ndarray], root_bone: str, location: np.ndarray) -> None:
    pose = obj.pose.bones
    for b, q in quats.items():
        pose[b].rotation_mode = "QUATERNION"
        pose[b].rotation_quaternion = q.tolist()
    pose[root_bone].location = location.tolist()
    bpy.context.view_layer.update()


def solve_constrained(obj, rig, quats, root_bone, locations, levels):
    """Channels that put each keyed bone at the armature-space orientation the plain hierarchy would give (and the root
    bone's head where it would be), on a rig whose keyed bones hang under constraint-driven parents, e.g. Rigify's FK
    controls under MCH bones that copy the root's rotation.

    Fast path: the rig is probed with a few random poses to find, for each keyed bone, what its evaluated parent
    turns with (one keyed bone, or nothing); when that relation is rigid (full-influence copy constraints, plain
    parenting) the channels follow in closed form for all frames at once. The result is checked against Blender's
    evaluation on a few frames; otherwise every frame is solved through the evaluation, level by level (slow)."""
    keyed = list(quats)
    target = pose_matrices(rig, quats, root_bone, locations, keyed)  # (T, keyed, 4, 4) armature space
    index = {b: k for k, b in enumerate(keyed)}
    with _scratch_pose(obj):
        solved = _solve_by_probing(obj, rig, target, index, root_bone)
        if solved is not None and _check(obj, target, index, solved, root_bone) > 0.5:
            solved = None
        if solved is None:
            solved = _solve_frame_by_frame(obj, target, index, keyed, root_bone, levels)
    q, loc = solved
    return {b: quat_continuity(v, axis=0) for b, v in q.items()}, loc


def _solve_by_probing(obj, rig, target, index, root_bone):
    """(quats, root locations) in closed form when every keyed bone's evaluated parent turns rigidly with one keyed
    bone or with nothing; None otherwise. ``target`` (T, keyed, 4, 4), ``index``: keyed bone -> its column."""
    pose = obj.pose.bones
    keyed = list(index)
    rng = np.random.default_rng(0)
    probes = []
    for k in range(4):
        qs = {b: np.array([1.0, 0, 0, 0]) for b in keyed}
        if k:
            for b in keyed:
                axis = rng.normal(size=3)
                angle = rng.uniform(0.2, 1.0)
                qs[b] = np.r_[np.cos(angle / 2), np.sin(angle / 2) * axis / np.linalg.norm(axis)]
        _set_channels(obj, qs, root_bone, rng.normal(scale=0.1, size=3) if k else np.zeros(3))
        world = {b: matrix_orthogonalize(np.array(pose[b].matrix)[:3, :3]) for b in keyed}
        parent = {b: np.array(pose[b].parent.matrix) if pose[b].parent else np.eye(4) for b in keyed}
        probes.append((world, parent))
    drivers: dict[str, str | None] = {}
    for b in keyed:
        for k in [None, *keyed]:
            if k == b:
                continue
            rel = [(np.eye(3) if k is None else w[k]).T @ matrix_orthogonalize(p[b][:3, :3]) for w, p in probes]
            if all(np.abs(r - rel[0]).max() < 1e-4 for r in rel[1:]):
                drivers[b] = k
                break
        else:
            return None
    if drivers[root_bone] is not None:
        return None
    base = {b: matrix_orthogonalize(rest_in_parent(rig, b)[:3, :3]) for b in keyed}
    _, parent0 = probes[0]
    out_q = {}
    for b in keyed:
        driver = drivers[b]
        parent_rot = matrix_orthogonalize(parent0[b][:3, :3])
        c = parent_rot if driver is None else probes[0][0][driver].T @ parent_rot
        p_rot = c if driver is None else target[:, index[driver], :3, :3] @ c  # the parent's orientation, (T,) 3, 3
        basis = np.swapaxes(p_rot @ base[b], -1, -2) @ target[:, index[b], :3, :3]
        out_q[b] = matrix_to_quat(basis)
    full = parent0[root_bone] @ rest_in_parent(rig, root_bone)
    goal = target[:, index[root_bone]].copy()
    goal[:, :3, :3] = np.einsum("ij,tjk->tik", full[:3, :3], quat_to_matrix(out_q[root_bone]))  # keep its scale
    loc = (np.linalg.inv(full) @ goal)[:, :3, 3]
    return out_q, loc


def _check(obj, target, index, solved, root_bone) -> float:
    """Worst angle (degrees) between the evaluated and the wanted orientation of the keyed bones, on a few frames."""
    q, loc = solved
    worst = 0.0
    for t in np.unique(np.linspace(0, len(loc) - 1, 5).astype(int)):
        _set_channels(obj, {b: v[t] for b, v in q.items()}, root_bone, loc[t])
        for b in q:
            m = matrix_orthogonalize(np.array(obj.pose.bones[b].matrix)[:3, :3])
            worst = max(worst, float(np.degrees(geodesic_angle(m, target[t, index[b], :3, :3]))))
    return worst


def _solve_frame_by_frame(obj, target, index, keyed, root_bone, levels):
    """Every frame through Blender's evaluation: level by level, each keyed bone's armature-space matrix is set
    against its parent's evaluated matrix and the dependency graph re-evaluated."""
    from mathutils import Matrix

    pose = obj.pose.bones
    view_layer = bpy.context.view_layer
    n = len(target)
    out_q = {b: np.empty((n, 4)) for b in keyed}
    out_loc = np.empty((n, 3))
    for b in keyed:
        pose[b].rotation_mode = "QUATERNION"
    view_layer.update()
    for t in range(n):
        for level in levels:
            for b in level:
                m = target[t, index[b]]
                pb = pose[b]
                if b != root_bone:  # rotation only: the head stays where the evaluated parent puts it
                    m = m.copy()
                    m[:3, 3] = np.array(pb.matrix.translation)
                pb.matrix = Matrix(m.tolist())
            view_layer.update()
        for b in keyed:
            out_q[b][t] = pose[b].rotation_quaternion
        out_loc[t] = pose[root_bone].location
    return out_q, out_loc
