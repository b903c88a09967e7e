"""scripts/training/pose_coverage.py: how far validation poses are from the nearest training pose, whole and per
limb."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

from model.mocap import read_motion
from model.motion import Motion
from model.rotations import elementary_rotation, matrix_to_quat, quat_multiply
from model.skeleton import JOINT_INDEX

ROOT = Path(__file__).resolve().parents[2]
CMU = ROOT / "tests" / "fixtures" / "bvh" / "cmu_01_01_first120.bvh"
spec = importlib.util.spec_from_file_location("pose_coverage", ROOT / "scripts" / "training" / "pose_coverage.py")
pose_coverage = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pose_coverage)


def write_library(path: Path, train: Motion, val: Motion) -> Path:
    clips = [
        {"file": "a.bvh", "subject": "a", "split": "train", "start": 0, "frames": train.num_frames},
        {"file": "b.bvh", "subject": "b", "split": "validation", "start": train.num_frames, "frames": val.num_frames},
    ]
    np.savez(
        path,
        rotations=np.concatenate([train.rotations, val.rotations]).astype(np.float32),
        roots=np.concatenate([train.root_translation, val.root_translation]).astype(np.float32),
        offsets=np.stack([train.skeleton.offsets, val.skeleton.offsets]).astype(np.float32),
        meta=np.array(json.dumps({"format": "pose_uplift.motion_library/1", "fps": 30.0, "clips": clips})),
    )
    return path


def test_seen_poses_are_zero_and_a_new_arm_shows_in_that_arm_only(tmp_path):
    train = read_motion(CMU).resampled(30.0)
    same = pose_coverage.coverage(str(write_library(tmp_path / "same.npz", train, train)), 1, 1)
    assert same["whole_pose_pa"]["mean_mm"] < 0.5 and same["validation_poses"] == train.num_frames
    assert all(v["mean_mm"] < 0.5 for v in same["limbs"].values())
    # the same motion turned about the vertical: the heading is removed, so still seen
    turned = pose_coverage.coverage(str(write_library(tmp_path / "turned.npz", train, train.turned(1.0))), 1, 1)
    assert turned["whole_pose_pa"]["mean_mm"] < 0.5
    # the left arm raised 90 degrees sideways at the shoulder, on top of the same motion
    q = train.rotations.copy()
    j = JOINT_INDEX["left_shoulder"]
    q[:, j] = quat_multiply(q[:, j], matrix_to_quat(elementary_rotation("z", np.pi / 2)))
    raised = Motion(q, train.root_translation, train.skeleton, train.fps)
    out = pose_coverage.coverage(str(write_library(tmp_path / "raised.npz", train, raised)), 1, 1)
    assert out["whole_pose_pa"]["mean_mm"] > 20
    limbs = {k: v["mean_mm"] for k, v in out["limbs"].items()}
    assert limbs["left_arm"] > 100
    assert limbs["right_arm"] < 0.5 and limbs["left_leg"] < 0.5 and limbs["right_leg"] < 0.5 and limbs["torso"] < 0.5


def test_error_by_novelty_reads_the_distance_of_each_frame_it_scores(tmp_path):
    import torch

    from model.network import NetworkConfig, save_weights, torch_state_to_arrays
    from model.network_torch import UpliftNet

    torch.manual_seed(0)
    cfg = NetworkConfig(window=27, dim=32, layers=1, mlp=64)
    weights = tmp_path / "small.npz"
    save_weights(weights, torch_state_to_arrays(UpliftNet(cfg)), cfg, {"name": "small"})
    train = read_motion(CMU).resampled(30.0)
    seen = pose_coverage.error_by_novelty(str(write_library(tmp_path / "s.npz", train, train)), str(weights), 8, 1)
    assert "train" not in seen  # one training clip: no other clip to search
    v = seen["validation"]
    assert v["frames"] == 8 * 27 and v["nearest_training_pose_mm"] < 0.5 and np.isfinite(v["error_mm"])
    q = train.rotations.copy()
    j = JOINT_INDEX["left_shoulder"]
    q[:, j] = quat_multiply(q[:, j], matrix_to_quat(elementary_rotation("z", np.pi / 2)))
    raised = Motion(q, train.root_translation, train.skeleton, train.fps)
    new = pose_coverage.error_by_novelty(str(write_library(tmp_path / "r.npz", train, raised)), str(weights), 8, 1)
    quartiles = [b["nearest_training_pose_mm"] for b in new["validation"]["by_quartile"]]
    assert new["validation"]["nearest_training_pose_mm"] > 20 and quartiles == sorted(quartiles)
    assert len(quartiles) == 4
