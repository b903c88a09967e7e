"""How new are the validation poses? For every validation pose, the nearest training pose (and, limb by limb, the
nearest training limb), so that an error on unseen motion can be told apart from missing data.

    python scripts/training/pose_coverage.py --library runs/motion_library.npz [--json OUT.json]

Poses are played on the canonical skeleton (one body for all), the pelvis at the origin, the heading removed; the
training poses are taken with their mirror images (training mirrors half of its crops). Whole poses: the nearest
training pose by plain distance, scored by PA-MPJPE (mm). Limbs: each limb's joints in the frame of the segment it
hangs from (arms: the chest; legs and torso: the pelvis), nearest by mean joint distance (mm). Training poses every
``--train-every``-th frame, validation poses every ``--val-every``-th.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from model.kinematics import forward_kinematics  # noqa: E402
from model.rotations import quat_to_matrix  # noqa: E402
from model.skeleton import JOINT_INDEX, MIRROR, PARENTS, Skeleton  # noqa: E402
from model.training.evaluation import procrustes  # noqa: E402
from model.training.library import library_motions  # noqa: E402

#: limb -> (the joint whose frame it is seen in, its joints)
LIMBS = {
    "left_arm": ("spine3", ("left_elbow", "left_wrist")),
    "right_arm": ("spine3", ("right_elbow", "right_wrist")),
    "left_leg": ("pelvis", ("left_knee", "left_ankle", "left_foot")),
    "right_leg": ("pelvis", ("right_knee", "right_ankle", "right_foot")),
    "torso": ("pelvis", ("spine3", "neck", "head")),
}
_FLIP = np.array([[1.0, -1.0, -1.0], [-1.0, 1.0, 1.0], [-1.0, 1.0, 1.0]])  # S R S, S = diag(-1, 1, 1)


def canonical_poses(rotations: np.ndarray, mirror: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Joint positions (T, 22, 3) and global rotations (T, 22, 3, 3) of local ``rotations`` (T, 22, 4) on the
    canonical skeleton, pelvis at the origin, heading turned to +z; mirrored left/right with ``mirror``."""
    mats = quat_to_matrix(rotations)
    fwd = mats[:, 0, :, 2].copy()
    fwd[:, 1] = 0.0
    yaw = np.arctan2(fwd[:, 0], fwd[:, 2])
    c, s = np.cos(-yaw), np.sin(-yaw)
    turn = np.zeros((len(yaw), 3, 3))
    turn[:, 0, 0], turn[:, 0, 2], turn[:, 1, 1], turn[:, 2, 0], turn[:, 2, 2] = c, s, 1.0, -s, c
    mats[:, 0] = turn @ mats[:, 0]
    pos, glob = forward_kinematics(mats, Skeleton.default().offsets, np.zeros((len(mats), 3)))
    if mirror:
        pos = pos[:, list(MIRROR)] * [-1.0, 1.0, 1.0]
        glob = glob[:, list(MIRROR)] * _FLIP
    return pos, glob


def limb_features(pos: np.ndarray, glob: np.ndarray) -> dict[str, np.ndarray]:
    """Per limb (T, 3 x joints): its joints relative to the limb's first joint's parent, in the base joint's frame."""
    out = {}
    for limb, (base, joints) in LIMBS.items():
        idx = [JOINT_INDEX[j] for j in joints]
        rel = pos[:, idx] - pos[:, PARENTS[idx[0]]][:, None]
        out[limb] = np.einsum("tji,tkj->tki", glob[:, JOINT_INDEX[base]], rel).reshape(len(pos), -1)
    return out


def nearest(train: np.ndarray, query: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Index of the nearest row of ``train`` (N, D) for every row of ``query`` (M, D), by Euclidean distance."""
    t2 = (train**2).sum(1)
    return np.concatenate(
        [(t2[None] - 2 * query[i : i + chunk] @ train.T).argmin(1) for i in range(0, len(query), chunk)]
    )


def coverage(library: str, train_every: int = 2, val_every: int = 5) -> dict:
    train_pos, train_limbs, val_pos, val_limbs, val_group = [], defaultdict(list), [], defaultdict(list), []
    for split, every in (("train", train_every), ("validation", val_every)):
        for info, motion in library_motions(library, split):
            for mirror in (False, True) if split == "train" else (False,):
                pos, glob = canonical_poses(motion.rotations[::every], mirror)
                (train_pos if split == "train" else val_pos).append(pos)
                for limb, feats in limb_features(pos, glob).items():
                    (train_limbs if split == "train" else val_limbs)[limb].append(feats)
            if split == "validation":
                val_group += [info["subject"]] * len(pos)
    if not train_pos or not val_pos:
        raise ValueError(f"{library}: needs clips in both splits")
    tr, va = np.concatenate(train_pos), np.concatenate(val_pos)
    best = nearest(tr.reshape(len(tr), -1), va.reshape(len(va), -1))
    err = np.linalg.norm(procrustes(tr[best], va) - va, axis=-1).mean(-1) * 1000
    stats = lambda e: {  # noqa: E731
        "mean_mm": round(float(e.mean()), 1),
        "median_mm": round(float(np.median(e)), 1),
        "p90_mm": round(float(np.percentile(e, 90)), 1),
    }
    groups = np.array(val_group)
    out = {
        "train_poses": len(tr),
        "validation_poses": len(va),
        "whole_pose_pa": stats(err),
        "whole_pose_pa_by_subject": {g: round(float(err[groups == g].mean()), 1) for g in dict.fromkeys(val_group)},
        "limbs": {},
    }
    for limb in LIMBS:
        t, v = np.concatenate(train_limbs[limb]), np.concatenate(val_limbs[limb])
        b = nearest(t, v)
        e = np.linalg.norm((t[b] - v).reshape(len(v), -1, 3), axis=-1).mean(-1) * 1000
        out["limbs"][limb] = stats(e)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", required=True)
    parser.add_argument("--train-every", type=int, default=2)
    parser.add_argument("--val-every", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    try:
        result = coverage(args.library, args.train_every, args.val_every)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
