"""How new are the validation poses? For every validation pose, the nearest training pose (and, limb by limb, the
nearest training limb), so that an error on unseen motion can be told apart from missing data.

    python scripts/training/pose_coverage.py --library runs/motion_library.npz [--json OUT.json]

Poses are played on the canonical skeleton (one body for all), the pelvis at the origin, the heading removed; the
training poses are taken with their mirror images (training mirrors half of its crops). Whole poses: the nearest
training pose by plain distance, scored by PA-MPJPE (mm). Limbs: each limb's joints in the frame of the segment it
hangs from (arms: the chest; legs and torso: the pelvis), nearest by mean joint distance (mm). Training poses every
``--train-every``-th frame, validation poses every ``--val-every``-th.

With ``--weights``, the network's error against how new a pose is (``error_by_novelty``): fixed windows of the
validation subjects at exact 2D (as the learning curves'), per frame its rotations on the subject's true skeleton
(PA-MPJPE, mm) beside that frame's distance to the nearest training pose, by quartile of that distance; and the same
for windows of the training split with each frame's own clip left out of the search, so the two read on one scale.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

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
    train_pos: list[np.ndarray] = []
    val_pos: list[np.ndarray] = []
    train_limbs: defaultdict[str, list[np.ndarray]] = defaultdict(list)
    val_limbs: defaultdict[str, list[np.ndarray]] = defaultdict(list)
    val_group: list[str] = []
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
    out: dict[str, Any] = {
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


def error_by_novelty(library: str, weights: str, windows: int = 96, train_every: int = 3, seed: int = 4) -> dict:
    """Per split: the network's per-frame error (its rotations on the true skeleton, PA mm) by quartile of the frame's
    distance to the nearest training pose (PA mm; training frames: their own clip left out)."""
    import torch

    from model.network import load_weights, split_outputs
    from model.network_torch import UpliftNet
    from model.rotations import matrix_to_quat, rotation_to_matrix
    from model.training.library import library_clips
    from model.training.synthesis import make_batch

    arrays, cfg = load_weights(weights)
    net = UpliftNet(cfg)
    net.load_state_dict({k: torch.as_tensor(v) for k, v in arrays.items()})
    net.eval()
    poses, owner = [], []
    for info, motion in library_motions(library, "train"):
        for mirror in (False, True):
            pos, _ = canonical_poses(motion.rotations[::train_every], mirror)
            poses.append(pos)
            owner += [info["file"]] * len(pos)
    if not poses:
        raise ValueError(f"{library}: no training clips")
    train = np.concatenate(poses)
    flat, clips = train.reshape(len(train), -1), np.array(owner)
    t2 = (flat**2).sum(1)
    out: dict[str, dict] = {}
    for k, split in enumerate(("validation", "train")):
        if split == "train" and len(set(owner)) < 2:
            continue  # a training frame's neighbours come from other clips
        batch = make_batch(
            np.random.default_rng(seed + k),
            windows,
            cfg.window,
            cfg.fps,
            library_clips(Path(library), split),
            real_fraction=1.0,
            noise="exact",
        )
        with torch.no_grad():
            raw = net(torch.as_tensor(batch["inputs"])).numpy().astype(np.float64)
        rot = rotation_to_matrix(split_outputs(raw, cfg)["rotations"], cfg.rotation)
        off = np.broadcast_to(batch["offsets"][:, None].astype(np.float64), rot.shape[:3] + (3,))
        pred = forward_kinematics(rot, off, np.zeros(rot.shape[:2] + (3,)))[0].reshape(-1, len(PARENTS), 3)
        ref = batch["positions"].astype(np.float64).reshape(-1, len(PARENTS), 3)
        err = np.linalg.norm(procrustes(pred, ref) - ref, axis=-1).mean(-1) * 1000
        query, _ = canonical_poses(matrix_to_quat(batch["rotations"].astype(np.float64)).reshape(-1, len(PARENTS), 4))
        dist = np.empty(len(query))
        for i in range(0, len(query), 256):
            part = query[i : i + 256]
            d2 = t2[None] - 2 * part.reshape(len(part), -1) @ flat.T
            if split == "train":  # the frame's own clip: the one holding its exact pose
                d2 = np.where(clips[None] == clips[d2.argmin(1)][:, None], np.inf, d2)
            near = train[d2.argmin(1)]
            dist[i : i + 256] = np.linalg.norm(procrustes(near, part) - part, axis=-1).mean(-1) * 1000
        bins = np.digitize(dist, np.percentile(dist, [25, 50, 75]))
        out[split] = {
            "frames": len(err),
            "error_mm": round(float(err.mean()), 1),
            "nearest_training_pose_mm": round(float(dist.mean()), 1),
            "correlation": round(float(np.corrcoef(dist, err)[0, 1]), 2),
            "by_quartile": [
                {
                    "nearest_training_pose_mm": round(float(dist[bins == q].mean()), 1),
                    "error_mm": round(float(err[bins == q].mean()), 1),
                }
                for q in range(4)
                if (bins == q).any()
            ],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", required=True)
    parser.add_argument("--train-every", type=int, default=2)
    parser.add_argument("--val-every", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--weights", help="also the network's error by how new the pose is (error_by_novelty)")
    args = parser.parse_args(argv)
    try:
        result = coverage(args.library, args.train_every, args.val_every)
        if args.weights:
            result["error_by_novelty"] = error_by_novelty(args.library, args.weights)
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
