"""Rotation conversions against two independent oracles (roma and Blender's mathutils) on 10,000 random rotations,
plus the identity and 180-degree edge cases, in numpy and in torch."""

from __future__ import annotations

import numpy as np
import pytest
import roma
import torch

from model import rotations as R

N = 10_000
TOL = 1e-5


def random_quats(n: int = N, seed: int = 0) -> np.ndarray:
    q = np.random.default_rng(seed).normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    return q


def edge_quats() -> np.ndarray:
    """Identity, tiny angles, and 180-degree turns about axes and random directions."""
    axes = np.concatenate([np.eye(3), -np.eye(3), random_quats(20, 7)[:, 1:]])
    axes /= np.linalg.norm(axes, axis=-1, keepdims=True)
    out = [np.array([1.0, 0, 0, 0]), np.array([-1.0, 0, 0, 0])]
    for angle in (1e-9, 1e-7, 1e-4, np.pi - 1e-7, np.pi):
        for a in axes:
            out.append(np.concatenate([[np.cos(angle / 2)], np.sin(angle / 2) * a]))
    return np.array(out)


def all_quats() -> np.ndarray:
    return np.concatenate([random_quats(), edge_quats()])


def same_rotation_quat(a, b, tol=TOL):
    """q and -q are the same rotation."""
    d = np.minimum(np.abs(a - b).max(-1), np.abs(a + b).max(-1))
    assert d.max() < tol, d.max()


def to_roma(q):  # roma quaternions are (x, y, z, w)
    return torch.as_tensor(q[..., [1, 2, 3, 0]])


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_quat_to_matrix_matches_roma_and_back(backend):
    q = all_quats()
    x = torch.as_tensor(q) if backend == "torch" else q
    m = R.quat_to_matrix(x)
    m = m.numpy() if backend == "torch" else m
    expected = roma.unitquat_to_rotmat(to_roma(q)).numpy()
    assert np.abs(m - expected).max() < TOL
    back = R.matrix_to_quat(torch.as_tensor(m) if backend == "torch" else m)
    back = back.numpy() if backend == "torch" else back
    same_rotation_quat(back, q)
    assert (back[:, 0] >= 0).all()


def test_matrix_to_quat_matches_roma():
    q = all_quats()
    m = roma.unitquat_to_rotmat(to_roma(q))
    ours = R.matrix_to_quat(m.numpy())
    theirs = roma.rotmat_to_unitquat(m).numpy()[:, [3, 0, 1, 2]]
    same_rotation_quat(ours, theirs)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_axis_angle_matches_roma(backend):
    q = all_quats()
    rotvec_roma = roma.unitquat_to_rotvec(to_roma(q)).numpy()
    x = torch.as_tensor(q) if backend == "torch" else q
    aa = R.quat_to_axis_angle(x)
    aa = aa.numpy() if backend == "torch" else aa
    # at exactly pi the axis sign is arbitrary: compare as rotations
    m_ours = roma.rotvec_to_rotmat(torch.as_tensor(aa)).numpy()
    m_roma = roma.rotvec_to_rotmat(torch.as_tensor(rotvec_roma)).numpy()
    assert np.abs(m_ours - m_roma).max() < TOL
    assert (np.linalg.norm(aa, axis=-1) <= np.pi + 1e-9).all()
    # and forwards: axis-angle -> quaternion / matrix
    rv = np.random.default_rng(1).normal(size=(N, 3)) * 2.0
    rv = np.concatenate([rv, np.zeros((1, 3)), [[np.pi, 0, 0]], [[0, 1e-9, 0]]])
    x = torch.as_tensor(rv) if backend == "torch" else rv
    m = R.axis_angle_to_matrix(x)
    m = m.numpy() if backend == "torch" else m
    assert np.abs(m - roma.rotvec_to_rotmat(torch.as_tensor(rv)).numpy()).max() < TOL
    q2 = R.axis_angle_to_quat(x)
    q2 = q2.numpy() if backend == "torch" else q2
    same_rotation_quat(q2, roma.rotvec_to_unitquat(torch.as_tensor(rv)).numpy()[:, [3, 0, 1, 2]])


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_sixd_matches_roma_gram_schmidt(backend):
    raw = np.random.default_rng(2).normal(size=(N, 6))
    x = torch.as_tensor(raw) if backend == "torch" else raw
    m = R.sixd_to_matrix(x)
    m = m.numpy() if backend == "torch" else m
    cols = torch.as_tensor(raw).reshape(N, 2, 3).transpose(-1, -2)  # (N, 3, 2): the two columns
    assert np.abs(m - roma.special_gramschmidt(cols).numpy()).max() < TOL
    # round trip from a rotation
    rot = R.quat_to_matrix(all_quats())
    assert np.abs(R.sixd_to_matrix(R.matrix_to_sixd(rot)) - rot).max() < TOL


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_orthogonalize_matches_roma_procrustes(backend):
    raw = np.random.default_rng(3).normal(size=(N, 3, 3))
    x = torch.as_tensor(raw) if backend == "torch" else raw
    m = R.matrix_orthogonalize(x)
    m = m.numpy() if backend == "torch" else m
    assert np.abs(m - roma.special_procrustes(torch.as_tensor(raw)).numpy()).max() < TOL
    assert np.abs(np.linalg.det(m) - 1).max() < TOL


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_geodesic_angle_matches_roma(backend):
    a, b = all_quats(), random_quats(len(all_quats()), 4)
    ma, mb = R.quat_to_matrix(a), R.quat_to_matrix(b)
    expected = roma.rotmat_geodesic_distance(torch.as_tensor(ma), torch.as_tensor(mb)).numpy()
    conv = (lambda v: torch.as_tensor(v)) if backend == "torch" else (lambda v: v)
    for got in (R.geodesic_angle(conv(ma), conv(mb)), R.geodesic_angle(conv(a), conv(b))):
        got = got.numpy() if backend == "torch" else got
        assert np.abs(got - expected).max() < TOL
    # identity and 180 degrees exactly
    pi_turn = np.array([[0.0, 0, 0, 1]])
    assert R.geodesic_angle(np.array([[1.0, 0, 0, 0]]), pi_turn)[0] == pytest.approx(np.pi, abs=1e-9)
    assert R.geodesic_angle(pi_turn, -pi_turn)[0] == pytest.approx(0.0, abs=1e-9)


def test_quaternion_product_and_rotation_match_mathutils(mathutils):
    a, b = random_quats(N, 5), random_quats(N, 6)
    v = np.random.default_rng(8).normal(size=(N, 3))
    ab = R.quat_multiply(a, b)
    rv = R.quat_rotate(a, v)
    for i in range(0, N, 7):  # mathutils is per-object: every 7th of the 10,000 keeps the test quick
        qa, qb = mathutils.Quaternion(a[i]), mathutils.Quaternion(b[i])
        expected = qa @ qb
        assert np.abs(np.array(expected) - ab[i]).max() < TOL
        assert np.abs(np.array(qa @ mathutils.Vector(v[i])) - rv[i]).max() < 1e-5 * (1 + np.abs(v[i]).max())


def test_conversions_match_mathutils_on_10k(mathutils):
    q = all_quats()
    m = R.quat_to_matrix(q)
    aa = R.quat_to_axis_angle(q)
    back = R.matrix_to_quat(m)
    for i in range(len(q)):
        mq = mathutils.Quaternion(q[i])
        assert np.abs(np.array(mq.to_matrix()) - m[i]).max() < TOL
        # mathutils is float32 inside: its acos-based to_axis_angle loses digits near the identity, so check the
        # exact direction (axis, angle) -> quaternion, which is sin/cos only
        angle = float(np.linalg.norm(aa[i]))
        if angle > 1e-6:
            expected = np.array(mathutils.Quaternion(aa[i] / angle, angle))
            same_rotation_quat(R.axis_angle_to_quat(aa[i])[None], expected[None])
        assert (
            np.abs(np.array(mathutils.Matrix(m[i].tolist()).to_quaternion()) - back[i]).max() < TOL
            or np.abs(np.array(mathutils.Matrix(m[i].tolist()).to_quaternion()) + back[i]).max() < TOL
        )


def test_continuity_removes_sign_flips_and_keeps_rotations():
    rng = np.random.default_rng(9)
    t = np.linspace(0, 6 * np.pi, 400)
    axis = np.array([0.3, 0.9, -0.3]) / np.linalg.norm([0.3, 0.9, -0.3])
    smooth = np.concatenate([np.cos(t / 2)[:, None], np.sin(t / 2)[:, None] * axis], -1)  # passes w = 0 often
    flipped = smooth * rng.choice([-1.0, 1.0], size=(400, 1))
    fixed = R.quat_continuity(flipped[:, None, :], axis=0)[:, 0]
    assert ((fixed[1:] * fixed[:-1]).sum(-1) >= 0).all()
    same_rotation_quat(fixed, flipped)
    fixed_t = R.quat_continuity(torch.as_tensor(flipped), axis=0).numpy()
    assert np.allclose(fixed_t, fixed)


def test_mirror_is_reflection_of_the_motion():
    q = random_quats(1000, 10)
    v = np.random.default_rng(11).normal(size=(1000, 3))
    s = np.array([-1.0, 1.0, 1.0])
    # mirrored rotation applied to a mirrored vector = mirror of the rotated vector
    assert np.allclose(R.quat_rotate(R.mirror_quat(q), v * s), R.quat_rotate(q, v) * s)
    assert np.allclose(R.quat_to_matrix(R.mirror_quat(q)), R.mirror_matrix(R.quat_to_matrix(q)))
    aa = R.quat_to_axis_angle(q)
    assert np.allclose(R.axis_angle_to_matrix(R.mirror_axis_angle(aa)), R.mirror_matrix(R.quat_to_matrix(q)))
    assert np.allclose(R.mirror_quat(R.mirror_quat(q)), q)


def test_torch_gradients_are_finite_at_edge_cases():
    q = torch.as_tensor(edge_quats(), dtype=torch.float64).requires_grad_(True)
    loss = R.geodesic_angle(R.quat_to_matrix(q), torch.eye(3, dtype=torch.float64)).sum()
    loss = loss + R.quat_to_axis_angle(q).sum() + R.sixd_to_matrix(R.matrix_to_sixd(R.quat_to_matrix(q))).sum()
    loss.backward()
    assert torch.isfinite(q.grad).all()


def test_rotation_between_and_elementary_rotations(mathutils):
    rng = np.random.default_rng(12)
    a, b = rng.normal(size=(1000, 3)), rng.normal(size=(1000, 3))
    r = R.rotation_between(a, b)
    unit = lambda v: v / np.linalg.norm(v, axis=-1, keepdims=True)  # noqa: E731
    assert np.allclose((r @ unit(a)[..., None])[..., 0], unit(b), atol=1e-9)
    assert np.allclose(np.linalg.det(r), 1.0)
    # no twist: the axis is perpendicular to both, so the smallest angle is the angle between them
    angle = np.degrees(R.geodesic_angle(r, np.eye(3)))
    assert np.allclose(angle, np.degrees(np.arccos(np.clip((unit(a) * unit(b)).sum(-1), -1, 1))), atol=1e-6)
    flip = R.rotation_between(np.array([0.0, 1, 0]), np.array([0.0, -1, 0]))
    assert np.allclose(flip @ [0, 1, 0], [0, -1, 0]) and np.isclose(np.linalg.det(flip), 1.0)
    for axis in "xyz":
        expected = np.array(mathutils.Matrix.Rotation(0.7, 3, axis.upper()))
        assert np.abs(R.elementary_rotation(axis, np.array(0.7)) - expected).max() < 1e-6
