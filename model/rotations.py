"""Rotation conversions that work the same on numpy arrays and torch tensors.

Conventions (decided once, used everywhere in Pose Uplift):

- Quaternions are ``(w, x, y, z)``, scalar first, like Blender's ``mathutils.Quaternion``.
- Rotation matrices act on column vectors: ``v_rotated = R @ v``.
- Axis-angle is a 3-vector whose direction is the axis and whose norm is the angle in radians.
- 6D is the first two *columns* of the rotation matrix, flattened as ``(c0x, c0y, c0z, c1x, c1y, c1z)``
  (Zhou et al. 2019); :func:`sixd_to_matrix` turns any 6-vector back into a rotation by Gram-Schmidt.
- A rotation's mirror is its reflection through the body's sagittal plane ``x = 0`` (x is the body's left):
  ``M' = S M S`` with ``S = diag(-1, 1, 1)``.

Every function takes arrays with any number of leading batch dimensions and returns the same kind of array
(numpy in, numpy out; torch in, torch out, differentiable). The torch import happens only when a tensor arrives,
so the numpy path runs in a stock Blender with nothing installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Array = Any  # numpy.ndarray or torch.Tensor

_EPS = 1e-12


def _is_torch(x: Array) -> bool:
    return type(x).__module__.startswith("torch")


def _xp(x: Array) -> Any:
    if _is_torch(x):
        import torch

        return torch
    return np


def _stack(xs: list, axis: int, like: Array) -> Array:
    if _is_torch(like):
        import torch

        return torch.stack(xs, dim=axis)
    return np.stack(xs, axis=axis)


def _cat(xs: list, axis: int, like: Array) -> Array:
    if _is_torch(like):
        import torch

        return torch.cat(xs, dim=axis)
    return np.concatenate(xs, axis=axis)


def _norm(x: Array, keepdims: bool = True) -> Array:
    if _is_torch(x):
        return x.norm(dim=-1, keepdim=keepdims)
    return np.linalg.norm(x, axis=-1, keepdims=keepdims)


def _cross(a: Array, b: Array) -> Array:
    if _is_torch(a):
        import torch

        return torch.linalg.cross(a, b, dim=-1)
    return np.cross(a, b)


def _dot(a: Array, b: Array) -> Array:
    """Dot product over the last axis, keeping it (size 1)."""
    return (a * b).sum(-1, keepdim=True) if _is_torch(a) else (a * b).sum(-1, keepdims=True)


def _clip(x: Array, lo: float, hi: float) -> Array:
    return x.clamp(lo, hi) if _is_torch(x) else np.clip(x, lo, hi)


def _transpose(m: Array) -> Array:
    return m.transpose(-1, -2) if _is_torch(m) else np.swapaxes(m, -1, -2)


def _eye_like(m: Array) -> Array:
    """An identity matrix broadcastable against the (..., 3, 3) array ``m``."""
    if _is_torch(m):
        import torch

        return torch.eye(3, dtype=m.dtype, device=m.device)
    return np.eye(3, dtype=m.dtype)


def _float(x: Array) -> Array:
    if _is_torch(x):
        return x if x.is_floating_point() else x.float()
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


# --------------------------------------------------------------------------------------------- quaternions


def quat_normalize(q: Array) -> Array:
    """Unit quaternion in the same direction (a zero quaternion becomes the identity)."""
    q = _float(q)
    n = _norm(q)
    xp = _xp(q)
    ident = xp.zeros_like(q)
    ident[..., 0] = 1.0
    return xp.where(n > _EPS, q / xp.where(n > _EPS, n, 1.0), ident)


def quat_conjugate(q: Array) -> Array:
    """Inverse of a unit quaternion."""
    q = _float(q)
    return _cat([q[..., :1], -q[..., 1:]], -1, q)


def quat_multiply(a: Array, b: Array) -> Array:
    """Hamilton product ``a * b`` (apply ``b`` first, then ``a``), like ``mathutils.Quaternion.__matmul__``."""
    a, b = _float(a), _float(b)
    aw, ax, ay, az = a[..., 0], a[..., 1], a[..., 2], a[..., 3]
    bw, bx, by, bz = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    return _stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        -1,
        a,
    )


def quat_rotate(q: Array, v: Array) -> Array:
    """Rotate 3-vectors ``v`` by unit quaternions ``q``."""
    q, v = _float(q), _float(v)
    w, u = q[..., :1], q[..., 1:]
    t = 2.0 * _cross(u, v)
    return v + w * t + _cross(u, t)


def quat_to_matrix(q: Array) -> Array:
    """Unit quaternion (w, x, y, z) -> rotation matrix (..., 3, 3). The input is normalised first."""
    q = quat_normalize(q)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    rows = [
        _stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1, q),
        _stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1, q),
        _stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1, q),
    ]
    return _stack(rows, -2, q)


def matrix_to_quat(m: Array) -> Array:
    """Rotation matrix -> unit quaternion with ``w >= 0``.

    Shepperd's method: of the four candidate formulas, each row uses the one with the largest divisor, so the
    result is exact near 180 degrees as well as near the identity.
    """
    m = _float(m)
    xp = _xp(m)
    m00, m01, m02 = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2]
    m10, m11, m12 = m[..., 1, 0], m[..., 1, 1], m[..., 1, 2]
    m20, m21, m22 = m[..., 2, 0], m[..., 2, 1], m[..., 2, 2]
    # 4*w^2, 4*x^2, 4*y^2, 4*z^2
    d = _stack([1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22], -1, m)
    cands = _stack(
        [
            _stack([d[..., 0], m21 - m12, m02 - m20, m10 - m01], -1, m),
            _stack([m21 - m12, d[..., 1], m10 + m01, m02 + m20], -1, m),
            _stack([m02 - m20, m10 + m01, d[..., 2], m21 + m12], -1, m),
            _stack([m10 - m01, m02 + m20, m21 + m12, d[..., 3]], -1, m),
        ],
        -2,
        m,
    )  # (..., 4 candidates, 4 components), each candidate = 4*q_k * q
    best = d.argmax(-1) if _is_torch(m) else np.argmax(d, axis=-1)
    if _is_torch(m):
        idx = best[..., None, None].expand(*best.shape, 1, 4)
        q = cands.gather(-2, idx)[..., 0, :]
    else:
        q = np.take_along_axis(cands, best[..., None, None], axis=-2)[..., 0, :]
    q = quat_normalize(q)
    return xp.where(q[..., :1] < 0, -q, q)


def quat_continuity(q: Array, axis: int = 0) -> Array:
    """Flip signs along ``axis`` (time) so consecutive quaternions lie on one hemisphere (dot >= 0).

    ``q`` and ``-q`` are the same rotation; interpolating keyframes between them spins the long way round.
    """
    q = _float(q)
    xp = _xp(q)
    q = xp.moveaxis(q, axis, 0)
    if q.shape[0] < 2:
        return xp.moveaxis(q, 0, axis)
    dots = (q[1:] * q[:-1]).sum(-1)
    flips = (dots < 0).to(q.dtype) if _is_torch(q) else (dots < 0).astype(q.dtype)
    cum = xp.cumsum(flips, 0) if not _is_torch(q) else flips.cumsum(0)
    first = xp.zeros_like(cum[:1])
    parity = _cat([first, cum], 0, q) % 2
    sign = 1.0 - 2.0 * parity
    return xp.moveaxis(q * sign[..., None], 0, axis)


# --------------------------------------------------------------------------------------------- axis-angle


def axis_angle_to_quat(aa: Array) -> Array:
    """Axis-angle (..., 3) -> unit quaternion (..., 4)."""
    aa = _float(aa)
    xp = _xp(aa)
    angle = _norm(aa)
    half = 0.5 * angle
    small = angle < 1e-6
    # sin(a/2)/a, with its Taylor series near zero
    safe = xp.where(small, xp.ones_like(angle), angle)
    k = xp.where(small, 0.5 - angle * angle / 48.0, xp.sin(half) / safe)
    return _cat([xp.cos(half), aa * k], -1, aa)


def quat_to_axis_angle(q: Array) -> Array:
    """Unit quaternion -> axis-angle with angle in [0, pi]."""
    q = quat_normalize(q)
    xp = _xp(q)
    q = xp.where(q[..., :1] < 0, -q, q)
    sin_half = _norm(q[..., 1:])
    angle = 2.0 * xp.arctan2(sin_half, q[..., :1])
    small = sin_half < 1e-6
    safe = xp.where(small, xp.ones_like(sin_half), sin_half)
    k = xp.where(small, 2.0 / xp.where(small, q[..., :1], 1.0), angle / safe)
    return q[..., 1:] * k


def axis_angle_to_matrix(aa: Array) -> Array:
    return quat_to_matrix(axis_angle_to_quat(aa))


def matrix_to_axis_angle(m: Array) -> Array:
    return quat_to_axis_angle(matrix_to_quat(m))


# --------------------------------------------------------------------------------------------- 6D and matrices


def sixd_to_matrix(d6: Array) -> Array:
    """6D (first two columns) -> rotation matrix by Gram-Schmidt. Any non-degenerate 6-vector is accepted."""
    d6 = _float(d6)
    a1, a2 = d6[..., :3], d6[..., 3:]
    b1 = a1 / _clip(_norm(a1), _EPS, float("inf"))
    b2 = a2 - _dot(b1, a2) * b1
    b2 = b2 / _clip(_norm(b2), _EPS, float("inf"))
    b3 = _cross(b1, b2)
    return _stack([b1, b2, b3], -1, d6)


def matrix_to_sixd(m: Array) -> Array:
    """Rotation matrix -> 6D: its first two columns."""
    m = _float(m)
    return _cat([m[..., :, 0], m[..., :, 1]], -1, m)


def matrix_orthogonalize(m: Array) -> Array:
    """Nearest rotation matrix (Frobenius norm) to any 3x3 matrix, by SVD with the determinant fixed to +1."""
    m = _float(m)
    xp = _xp(m)
    u, _, vt = xp.linalg.svd(m)
    det = xp.linalg.det(u @ vt)
    if _is_torch(m):
        import torch

        ones = torch.ones(*det.shape, 2, dtype=m.dtype, device=m.device)
        return u @ torch.diag_embed(torch.cat([ones, det[..., None]], -1)) @ vt
    fix = np.ones(det.shape + (3,), dtype=m.dtype)
    fix[..., 2] = det
    return (u * fix[..., None, :]) @ vt


# --------------------------------------------------------------------------------------------- distances, mirror


def geodesic_angle(a: Array, b: Array) -> Array:
    """Angle in radians of the rotation taking ``a`` to ``b``; both (..., 3, 3) matrices or both (..., 4) quaternions."""
    a, b = _float(a), _float(b)
    xp = _xp(a)
    if a.shape[-1] == 4:
        dot = xp.abs((quat_normalize(a) * quat_normalize(b)).sum(-1))
        # 2*atan2(|cross|, |dot|) is accurate near 0 and pi, unlike 2*acos(dot)
        rel = quat_multiply(quat_conjugate(quat_normalize(a)), quat_normalize(b))
        return 2.0 * xp.arctan2(_norm(rel[..., 1:], keepdims=False), dot)
    rel = _transpose(a) @ b
    trace = rel[..., 0, 0] + rel[..., 1, 1] + rel[..., 2, 2]
    cos = _clip((trace - 1.0) / 2.0, -1.0, 1.0)
    skew = _stack(
        [rel[..., 2, 1] - rel[..., 1, 2], rel[..., 0, 2] - rel[..., 2, 0], rel[..., 1, 0] - rel[..., 0, 1]], -1, a
    )
    sin = 0.5 * _norm(skew, keepdims=False)
    return xp.arctan2(sin, cos)


def mirror_matrix(m: Array) -> Array:
    """Reflect rotations through the sagittal plane x = 0: ``S M S`` with ``S = diag(-1, 1, 1)``."""
    m = _float(m)
    s: Array = np.array([-1.0, 1.0, 1.0])
    if _is_torch(m):
        import torch

        s = torch.as_tensor(s, dtype=m.dtype, device=m.device)
    return m * s[:, None] * s[None, :]


def mirror_quat(q: Array) -> Array:
    """The quaternion form of :func:`mirror_matrix`: (w, x, y, z) -> (w, x, -y, -z)."""
    q = _float(q)
    return _cat([q[..., :2], -q[..., 2:]], -1, q)


def mirror_axis_angle(aa: Array) -> Array:
    aa = _float(aa)
    return _cat([aa[..., :1], -aa[..., 1:]], -1, aa)


def elementary_rotation(axis: str, angle: np.ndarray | float) -> np.ndarray:
    """Rotation matrices (..., 3, 3) about the x, y or z axis (either case) by ``angle`` radians (numpy)."""
    angle = np.asarray(angle, dtype=np.float64)
    c, s = np.cos(angle), np.sin(angle)
    z, o = np.zeros_like(angle), np.ones_like(angle)
    rows = {
        "x": [[o, z, z], [z, c, -s], [z, s, c]],
        "y": [[c, z, s], [z, o, z], [-s, z, c]],
        "z": [[c, -s, z], [s, c, z], [z, z, o]],
    }[axis.lower()]
    return np.stack([np.stack(r, -1) for r in rows], -2)


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotations (..., 3, 3) taking directions ``a`` onto directions ``b`` (numpy, broadcasting).

    Opposite directions turn 180 degrees about an axis perpendicular to ``a``.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), 1e-12)
    a, b = np.broadcast_arrays(a, b)
    v = np.cross(a, b)
    c = (a * b).sum(-1)[..., None, None]
    vx = np.zeros(v.shape[:-1] + (3, 3))
    vx[..., 0, 1], vx[..., 0, 2], vx[..., 1, 2] = -v[..., 2], v[..., 1], -v[..., 0]
    vx[..., 1, 0], vx[..., 2, 0], vx[..., 2, 1] = v[..., 2], -v[..., 1], v[..., 0]
    out = np.eye(3) + vx + vx @ vx / np.maximum(1 + c, 1e-12)
    opposite = c[..., 0, 0] < -1 + 1e-9
    if opposite.any():
        helper = np.where(np.abs(a[..., :1]) < 0.9, [1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
        axis = np.cross(a, helper)
        axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
        flip = 2 * axis[..., :, None] * axis[..., None, :] - np.eye(3)
        out = np.where(opposite[..., None, None], flip, out)
    return out


__all__ = [
    "axis_angle_to_matrix",
    "axis_angle_to_quat",
    "elementary_rotation",
    "geodesic_angle",
    "matrix_orthogonalize",
    "matrix_to_axis_angle",
    "matrix_to_quat",
    "matrix_to_sixd",
    "mirror_axis_angle",
    "mirror_matrix",
    "mirror_quat",
    "quat_conjugate",
    "quat_continuity",
    "quat_multiply",
    "quat_normalize",
    "quat_rotate",
    "quat_to_axis_angle",
    "quat_to_matrix",
    "rotation_between",
    "sixd_to_matrix",
]


def rotation_to_matrix(raw: Any, kind: str) -> Any:
    """A rotation representation ('6d', 'quaternion', 'axis_angle', 'matrix'; ..., size) -> rotation matrices
    (..., 3, 3), any backend (the matrix one orthogonalised by SVD)."""
    if kind == "6d":
        return sixd_to_matrix(raw)
    if kind == "quaternion":
        return quat_to_matrix(raw)
    if kind == "axis_angle":
        return axis_angle_to_matrix(raw)
    if kind == "matrix":
        return matrix_orthogonalize(raw.reshape(*raw.shape[:-1], 3, 3))
    raise ValueError(f"unknown rotation representation {kind!r}")


def matrix_to_rotation(m: Any, kind: str) -> Any:
    """Rotation matrices (..., 3, 3) -> a rotation representation (..., size), any backend."""
    if kind == "6d":
        return matrix_to_sixd(m)
    if kind == "quaternion":
        return matrix_to_quat(m)
    if kind == "axis_angle":
        return matrix_to_axis_angle(m)
    return m.reshape(*m.shape[:-2], 9)
