"""BVH reading and the retarget onto the canonical skeleton, on a real CMU excerpt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.mocap.bvh import read_bvh
from model.mocap.clip import MotionFileError, joint_mapping
from model.mocap.retarget import retarget_clip
from model.skeleton import JOINT_INDEX, NUM_JOINTS, PARENTS

CLIP = Path(__file__).resolve().parents[1] / "fixtures" / "bvh" / "cmu_01_01_first120.bvh"


def test_reads_cmu_clip():
    clip = read_bvh(CLIP)
    assert len(clip.names) == 31 and clip.names[0] == "Hips"
    assert clip.local_rotations.shape == (120, 31, 3, 3)
    assert clip.fps == pytest.approx(120, abs=0.01)
    assert np.allclose(np.linalg.det(clip.local_rotations), 1.0)


def test_retarget_follows_the_clip_segment_directions():
    clip = read_bvh(CLIP)
    motion = retarget_clip(clip, unit_scale=0.056444)
    idx = joint_mapping(clip)
    bvh_pos, _ = clip.world()
    ours = motion.world_positions()
    # limbs: the canonical segment points where the clip's segment points, every frame (within 3 degrees)
    for child in (
        "left_knee",
        "right_knee",
        "left_ankle",
        "right_ankle",
        "left_elbow",
        "right_elbow",
        "left_wrist",
        "right_wrist",
    ):
        c, p = JOINT_INDEX[child], PARENTS[JOINT_INDEX[child]]
        a = ours[:, c] - ours[:, p]
        b = bvh_pos[:, idx[c]] - bvh_pos[:, idx[p]]
        cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
        assert np.degrees(np.arccos(np.clip(cos, -1, 1))).max() < 3.0, child
    # fitted to the subject: about 1.7 m, feet on the floor, quaternions continuous
    assert 1.4 < motion.skeleton.height < 1.9
    assert abs(np.percentile(motion.foot_points()[..., 1].min(1), 5)) < 0.03
    assert ((motion.rotations[1:] * motion.rotations[:-1]).sum(-1) >= 0).all()
    assert motion.rotations.shape == (120, NUM_JOINTS, 4)


def test_bad_bvh_and_missing_joints(tmp_path):
    bad = tmp_path / "bad.bvh"
    bad.write_text("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0\n")
    with pytest.raises(MotionFileError, match="bad.bvh"):
        read_bvh(bad)
    (tmp_path / "not.bvh").write_text("hello")
    with pytest.raises(MotionFileError, match="not a BVH"):
        read_bvh(tmp_path / "not.bvh")
    mapping = tmp_path / "map.json"
    mapping.write_text('{"left_elbow": "NoSuchBone"}')
    with pytest.raises(MotionFileError, match="left_elbow"):
        retarget_clip(read_bvh(CLIP), mapping_file=mapping)
