"""Reference and training motion from files, onto the canonical skeleton, by file type:

- ``.bvh``: motion capture (CMU and other common joint namings; :mod:`.bvh`);
- ``.txt``: DeepMimic humanoid clips, as shipped in PyPI ``pybullet`` (:mod:`.deepmimic`);
- ``.npz``: SMPL / SMPL-H / SMPL-X motion in the AMASS layout, for users who own such data (:mod:`.amass`).
"""

from __future__ import annotations

from pathlib import Path

from .amass import read_amass
from .bvh import BVHError, read_bvh, retarget_bvh
from .deepmimic import read_deepmimic
from .motion import Motion

MOTION_SUFFIXES = (".bvh", ".txt", ".npz")


def read_motion(path: str | Path) -> Motion:
    """A motion file as canonical-skeleton Motion; BVHError (one line naming the file) when it cannot be read."""
    suffix = Path(path).suffix.lower()
    if suffix == ".bvh":
        return retarget_bvh(read_bvh(path), path=str(path))
    if suffix == ".txt":
        return retarget_bvh(read_deepmimic(path), unit_scale=1.0, path=str(path))
    if suffix == ".npz":
        return read_amass(path)
    raise BVHError(f"{path}: unknown motion file type (expected {', '.join(MOTION_SUFFIXES)})")
