"""Forward kinematics on the canonical skeleton, batched, for numpy arrays and torch tensors alike.

``G[j] = G[parent] @ R[j]`` and ``p[j] = p[parent] + G[parent] @ offsets[j]``: with every joint frame aligned with
the world at rest (see :mod:`.skeleton`), a local rotation ``R[j]`` turns joint ``j``'s segments about joint ``j``
in its parent's frame, and the root's local rotation is the body's orientation in the world.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .rotations import _float, _is_torch, _stack, quat_to_matrix
from .skeleton import PARENTS

Array = Any


def forward_kinematics(
    local_rotations: Array,
    offsets: Array,
    root_translation: Array | None = None,
    parents: tuple[int, ...] = PARENTS,
) -> tuple[Array, Array]:
    """Joint positions and global rotations from local rotations.

    Args:
        local_rotations: (..., J, 3, 3) rotation matrices or (..., J, 4) quaternions (w, x, y, z).
        offsets: (J, 3) or (..., J, 3) rest offsets of each joint from its parent (see ``Skeleton.offsets``).
            The root's offset is ignored when ``root_translation`` is given.
        root_translation: (..., 3) world position of the root joint; ``None`` puts the root at ``offsets[0]``.
        parents: parent index of each joint, parents before children.

    Returns:
        positions (..., J, 3) and global rotations (..., J, 3, 3).
    """
    rot = _float(local_rotations)
    if rot.shape[-1] == 4:
        rot = quat_to_matrix(rot)
    if rot.shape[-2:] != (3, 3) or rot.shape[-3] != len(parents):
        raise ValueError(f"local_rotations must be (..., {len(parents)}, 3, 3) or (..., {len(parents)}, 4)")
    if _is_torch(rot):
        import torch

        offsets = torch.as_tensor(offsets, dtype=rot.dtype, device=rot.device)
        if root_translation is not None:
            root_translation = torch.as_tensor(root_translation, dtype=rot.dtype, device=rot.device)
    else:
        offsets = np.asarray(offsets, dtype=rot.dtype)
        if root_translation is not None:
            root_translation = np.asarray(root_translation, dtype=rot.dtype)

    batch = rot.shape[:-3]
    glob: list[Array] = []
    pos: list[Array] = []
    for j, p in enumerate(parents):
        off = offsets[..., j, :]
        if p < 0:
            glob.append(rot[..., j, :, :])
            root = off if root_translation is None else root_translation
            pos.append(root)
        else:
            glob.append(glob[p] @ rot[..., j, :, :])
            pos.append(pos[p] + (glob[p] @ off[..., None])[..., 0])
    positions = _stack([_broadcast(x, batch + (3,)) for x in pos], -2, rot)
    rotations = _stack(glob, -3, rot)
    return positions, rotations


def _broadcast(x: Array, shape: tuple) -> Array:
    if _is_torch(x):
        return x.expand(*shape)
    return np.broadcast_to(x, shape)


def segment_directions(positions: Array, parents: tuple[int, ...] = PARENTS) -> Array:
    """Unit vectors from each parent joint to its child, (..., J-1, 3), in joint order without the root."""
    children = [j for j, p in enumerate(parents) if p >= 0]
    parent_idx = [parents[j] for j in children]
    d = positions[..., children, :] - positions[..., parent_idx, :]
    if _is_torch(d):
        return d / d.norm(dim=-1, keepdim=True).clamp_min(1e-9)
    return d / np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-9)


__all__ = ["forward_kinematics", "segment_directions"]
