"""The canonical skeleton: topology, T-pose rest, symmetry, per-person scaling."""

from __future__ import annotations

import numpy as np
import pytest

from model.kinematics import forward_kinematics
from model.rotations import mirror_quat
from model.skeleton import JOINT_INDEX, JOINT_NAMES, MIRROR, NUM_JOINTS, PARENTS, Skeleton, size_ratio


def test_topology_is_smpl_body_order():
    assert NUM_JOINTS == 22
    assert JOINT_NAMES[:4] == ("pelvis", "left_hip", "right_hip", "spine1")
    assert JOINT_NAMES[-2:] == ("left_wrist", "right_wrist")
    assert PARENTS == (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19)
    assert all(p < j for j, p in enumerate(PARENTS))


def test_mirror_map_is_an_involution_that_swaps_sides():
    assert all(MIRROR[MIRROR[j]] == j for j in range(NUM_JOINTS))
    assert JOINT_NAMES[MIRROR[JOINT_INDEX["left_elbow"]]] == "right_elbow"
    assert MIRROR[JOINT_INDEX["neck"]] == JOINT_INDEX["neck"]


def test_rest_is_a_symmetric_upright_t_pose():
    body = Skeleton.default()
    pos = body.rest_positions
    flip = np.array([-1.0, 1, 1])
    assert np.allclose(pos[list(MIRROR)] * flip, pos)
    # arms straight out along +x (left) and -x (right), level with the shoulder
    for side, sign in (("left", 1), ("right", -1)):
        s, e, w = (pos[JOINT_INDEX[f"{side}_{n}"]] for n in ("shoulder", "elbow", "wrist"))
        assert np.allclose((e - s)[1:], 0) and np.allclose((w - e)[1:], 0) and sign * (w - s)[0] > 0.4
    # head above neck above pelvis above knees above ankles; feet near the floor; body height plausible
    y = pos[:, 1]
    i = JOINT_INDEX
    assert y[i["head"]] > y[i["neck"]] > y[i["pelvis"]] > y[i["left_knee"]] > y[i["left_ankle"]] > 0
    assert 0 <= y[i["left_foot"]] < 0.03
    assert body.height == pytest.approx(1.66, abs=0.01)


def test_scaling_height_and_proportions():
    base = Skeleton.default()
    tall = base.scaled(height=1.90)
    assert tall.height == pytest.approx(1.90)
    assert np.allclose(tall.bone_lengths()[1:] / base.bone_lengths()[1:], 1.90 / base.height)
    long_legs = base.scaled(thigh=1.2, shin=1.2)
    knee, ankle = JOINT_INDEX["left_knee"], JOINT_INDEX["left_ankle"]
    assert long_legs.bone_lengths()[knee] == pytest.approx(base.bone_lengths()[knee] * 1.2)
    assert long_legs.bone_lengths()[ankle] == pytest.approx(base.bone_lengths()[ankle] * 1.2)
    # the feet stay on the floor: the lowest point of both bodies is the same height
    assert long_legs.rest_positions[:, 1].min() == pytest.approx(base.rest_positions[:, 1].min())
    assert long_legs.height > base.height
    with pytest.raises(ValueError, match="unknown segment"):
        base.scaled(tail=2.0)
    with pytest.raises(ValueError):
        base.scaled(height=-1)


def test_size_ratio_is_the_bodies_size_against_the_canonical_body():
    base = Skeleton.default()
    tall = base.scaled(height=base.height * 1.25)
    bodies = np.stack([base.offsets, tall.offsets, base.scaled(thigh=1.2).offsets])
    ratio = size_ratio(bodies)
    assert ratio.shape == (3,)
    assert ratio[:2] == pytest.approx([1.0, 1.25])
    lengths = base.bone_lengths()[1:]  # longer thighs: the ratio grows by their share of the bones' sum
    extra = 0.2 * lengths[[JOINT_INDEX["left_knee"] - 1, JOINT_INDEX["right_knee"] - 1]].sum()
    assert ratio[2] == pytest.approx(1.0 + extra / lengths.sum())
    moved = base.offsets.copy()
    moved[0] += 5.0  # the root's place is not part of the size
    assert size_ratio(moved) == pytest.approx(1.0)


def test_mirrored_pose_is_the_reflection_of_the_pose():
    body = Skeleton.default().scaled(upper_arm=1.1)  # still symmetric
    rng = np.random.default_rng(0)
    q = rng.normal(size=(NUM_JOINTS, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    pos, _ = forward_kinematics(q, body.offsets)
    pos_m, _ = forward_kinematics(mirror_quat(q[list(MIRROR)]), body.mirrored().offsets)
    assert np.allclose(pos_m, (pos * [-1, 1, 1])[list(MIRROR)])


def test_bad_offsets_rejected():
    with pytest.raises(ValueError):
        Skeleton(np.zeros((21, 3)))
    bad = Skeleton.default().offsets.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError):
        Skeleton(bad)
