"""Forward kinematics against a hand-computed chain and against mathutils matrix products."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model import rotations as R
from model.kinematics import forward_kinematics, segment_directions
from model.skeleton import NUM_JOINTS, PARENTS, Skeleton


def test_hand_computed_chain():
    # root at (1, 0, 0); child 1 m up the y axis; grandchild 1 m further up.
    parents = (-1, 0, 1)
    offsets = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 1.0, 0]])
    quarter_z = np.array([np.cos(np.pi / 4), 0, 0, np.sin(np.pi / 4)])  # +90 degrees about z: y -> -x
    ident = np.array([1.0, 0, 0, 0])
    # root turned 90 degrees about z, joint 1 turned another 90 degrees about z
    pos, glob = forward_kinematics(np.stack([quarter_z, quarter_z, ident]), offsets, parents=parents)
    # joint 1 = root + Rz90 @ (0,1,0) = (1,0,0) + (-1,0,0) = (0,0,0)
    # joint 2 = joint1 + Rz180 @ (0,1,0) = (0,-1,0)
    assert np.allclose(pos, [[1, 0, 0], [0, 0, 0], [0, -1, 0]], atol=1e-12)
    assert np.allclose(glob[2], np.diag([-1.0, -1.0, 1.0]), atol=1e-12)
    # root translation overrides the root offset
    pos2, _ = forward_kinematics(
        np.stack([ident] * 3), offsets, root_translation=np.array([0, 0, 5.0]), parents=parents
    )
    assert np.allclose(pos2, [[0, 0, 5], [0, 1, 5], [0, 2, 5]])


def test_rest_pose_reproduces_rest_positions():
    body = Skeleton.default()
    pos, glob = forward_kinematics(np.tile([1.0, 0, 0, 0], (NUM_JOINTS, 1)), body.offsets)
    assert np.allclose(pos, body.rest_positions)
    assert np.allclose(glob, np.eye(3))


def test_matches_mathutils_on_random_poses(mathutils):
    body = Skeleton.default()
    rng = np.random.default_rng(0)
    q = rng.normal(size=(50, NUM_JOINTS, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    root = rng.normal(size=(50, 3))
    pos, glob = forward_kinematics(q, body.offsets, root_translation=root)
    for f in range(50):
        world = []
        for j, p in enumerate(PARENTS):
            local = mathutils.Quaternion(q[f, j]).to_matrix().to_4x4()
            local.translation = mathutils.Vector(root[f] if p < 0 else body.offsets[j])
            world.append(local if p < 0 else world[p] @ local)
        expected_pos = np.array([list(m.translation) for m in world])
        expected_rot = np.array([[list(r) for r in m.to_3x3()] for m in world])
        assert np.abs(expected_pos - pos[f]).max() < 1e-5
        assert np.abs(expected_rot - glob[f]).max() < 1e-5


def test_torch_and_numpy_agree_and_batch():
    body = Skeleton.default()
    rng = np.random.default_rng(1)
    sixd = rng.normal(size=(4, 7, NUM_JOINTS, 6))
    rot = R.sixd_to_matrix(sixd)
    root = rng.normal(size=(4, 7, 3))
    p_np, g_np = forward_kinematics(rot, body.offsets, root)
    p_t, g_t = forward_kinematics(torch.as_tensor(rot), torch.as_tensor(body.offsets), torch.as_tensor(root))
    assert p_np.shape == (4, 7, NUM_JOINTS, 3) and g_np.shape == (4, 7, NUM_JOINTS, 3, 3)
    assert np.allclose(p_t.numpy(), p_np) and np.allclose(g_t.numpy(), g_np)
    # per-frame offsets (a different body in every frame) broadcast too
    offsets = np.broadcast_to(body.offsets, (4, 7, NUM_JOINTS, 3)) * 1.1
    p_scaled, _ = forward_kinematics(rot, offsets, root * 1.1)
    assert np.allclose(p_scaled, p_np * 1.1)
    # bone lengths are preserved by any rotation
    d = p_np[..., 1:, :] - p_np[..., [PARENTS[j] for j in range(1, NUM_JOINTS)], :]
    assert np.allclose(np.linalg.norm(d, axis=-1), np.linalg.norm(body.offsets[1:], axis=-1))


def test_gradients_flow_to_rotations():
    body = Skeleton.default()
    sixd = torch.randn(3, NUM_JOINTS, 6, dtype=torch.float64, requires_grad=True)
    pos, _ = forward_kinematics(R.sixd_to_matrix(sixd), body.offsets)
    pos.square().sum().backward()
    assert torch.isfinite(sixd.grad).all() and sixd.grad.abs().sum() > 0


def test_segment_directions_are_unit():
    body = Skeleton.default()
    d = segment_directions(body.rest_positions)
    assert d.shape == (NUM_JOINTS - 1, 3)
    assert np.allclose(np.linalg.norm(d, axis=-1), 1.0)


def test_wrong_shapes_are_rejected():
    with pytest.raises(ValueError):
        forward_kinematics(np.zeros((5, 4)), Skeleton.default().offsets)
