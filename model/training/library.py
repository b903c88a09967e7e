"""The motion library written by ``scripts/training/build_motion_library.py``: real clips at 30 fps on the canonical
skeleton (each with its subject's bone offsets), an index with source, CMU subject, split and retarget error."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..motion import Motion
from ..skeleton import Skeleton
from .synthesis import Clip


def read_library(path: str | Path) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        if meta.get("format") != "pose_uplift.motion_library/1":
            raise ValueError(f"{path}: not a motion library file")
        return meta, data["rotations"].astype(np.float64), data["roots"].astype(np.float64), data["offsets"]


def library_motions(path: str | Path, split: str | None = None) -> list[tuple[dict, Motion]]:
    """(index entry, Motion) for each clip of the split ("train", "validation" or None for all)."""
    meta, rot, root, offsets = read_library(path)
    leaf_ends = Skeleton.default().leaf_ends
    out = []
    for k, clip in enumerate(meta["clips"]):
        if split is not None and clip["split"] != split:
            continue
        s, n = clip["start"], clip["frames"]
        skeleton = Skeleton(offsets[k].astype(np.float64), leaf_ends)
        out.append((clip, Motion(rot[s : s + n], root[s : s + n], skeleton, meta["fps"])))
    return out


def library_clips(path: str | Path, split: str = "train", min_frames: int = 16) -> list[Clip]:
    """The split's clips as one-sample training Clips (for ``make_batch(real=...)``)."""
    return [
        Clip(m.rotations[None], m.root_translation[None], m.skeleton.offsets[None], [m.skeleton.leaf_ends])
        for _, m in library_motions(path, split)
        if m.num_frames >= min_frames
    ]


def training_mean_pose(path: str | Path) -> np.ndarray:
    """(22, 4) the training split's average local rotation per joint: the constant-pose baseline."""
    from .evaluation import mean_pose

    return mean_pose([m.rotations for _, m in library_motions(path, "train")])
