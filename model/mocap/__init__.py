"""Motion-capture files as canonical-skeleton :class:`~model.motion.Motion`, by file type (left out of the extension):

- ``.bvh``: any common joint naming (CMU 31-joint, cgspeed Daz- and 3dsMax-friendly, iClone ``CC_Base_*``,
  Mixamo, Unreal, ...; :mod:`.bvh`), else mapped by the skeleton's shape, or by a ``mapping`` file;
- ``.amc``: Acclaim ASF/AMC with its ``.asf`` found beside it or given as ``skeleton`` (:mod:`.asf`);
- ``.csv`` / ``.txt`` with 117 numbers a row: CMU in the exponential-map layout (:mod:`.expmap`);
- ``.txt`` JSON: DeepMimic humanoid clips (:mod:`.deepmimic`);
- ``.fbx``: through Blender's own FBX importer, in a Blender process (:mod:`.fbx`);
- ``.npz``: SMPL / SMPL-H / SMPL-X motion in the AMASS layout, for users who own such data (:mod:`.amass`).

Every error is a :class:`MotionFileError` whose message is one line naming the file and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..motion import Motion
from .amass import read_amass
from .asf import read_asf_amc
from .bvh import read_bvh
from .clip import Mapping, MotionClip, MotionFileError, clip_height, guess_unit_scale, map_joints, upright
from .deepmimic import read_deepmimic
from .expmap import UNIT_SCALE as EXPMAP_UNIT_SCALE
from .expmap import VALUES_PER_ROW as EXPMAP_VALUES
from .expmap import read_expmap
from .retarget import label_consistency_mm, retarget_clip, retarget_error_mm, retarget_mapped

MOTION_SUFFIXES = (".bvh", ".amc", ".csv", ".txt", ".fbx", ".npz")


@dataclass
class SourceMotion:
    """A motion file read and retargeted: the canonical motion, and what it came from."""

    motion: Motion
    clip: MotionClip | None  # the source skeleton and motion (None for AMASS files)
    mapping: Mapping | None
    unit_scale: float
    kind: str  # "bvh", "asf/amc", "expmap", "deepmimic", "fbx", "amass"

    def retarget_fidelity_mm(self) -> float | None:
        """Mean joint distance (mm) between the canonical motion and its source's own joints after one similarity
        (see ``retarget_error_mm``); None for files without a source skeleton (AMASS)."""
        if self.clip is None or self.mapping is None:
            return None
        return retarget_error_mm(self.clip, self.motion, self.mapping, self.unit_scale)

    def label_consistency_mm(self) -> float:
        """Forward kinematics of the labels on the canonical rest directions against the joints the motion reports
        (mm, largest): 0 when the labels mean the same as every other source's (see ``label_consistency_mm``)."""
        return label_consistency_mm(self.motion)


def _is_expmap(path: Path) -> bool:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
    except OSError:
        return False
    return first.count(",") == EXPMAP_VALUES - 1


def load_motion(
    path: str | Path, mapping: str | Path | None = None, skeleton: str | Path | None = None, blender: str | None = None
) -> SourceMotion:
    """Read any supported motion file (see the module docstring) onto the canonical skeleton."""
    path = Path(path)
    if not path.is_file():
        raise MotionFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    clip: MotionClip
    scale: float | None = None
    if suffix == ".bvh":
        clip, kind = read_bvh(path), "bvh"
    elif suffix in (".amc",):
        clip, scale = read_asf_amc(path, skeleton)
        kind = "asf/amc"
    elif suffix in (".csv", ".txt") and _is_expmap(path):
        clip, scale, kind = read_expmap(path), EXPMAP_UNIT_SCALE, "expmap"
    elif suffix == ".txt":
        clip, scale, kind = read_deepmimic(path), 1.0, "deepmimic"
    elif suffix == ".fbx":
        from .fbx import read_fbx

        clip, kind = read_fbx(path, blender), "fbx"
    elif suffix == ".npz":
        return SourceMotion(read_amass(path), None, None, 1.0, "amass")
    else:
        raise MotionFileError(f"{path}: unknown motion file type (expected {', '.join(MOTION_SUFFIXES)})")
    found = map_joints(clip, mapping, str(path))
    clip = upright(clip, found)
    if scale is None:
        scale = guess_unit_scale(clip_height(clip), str(path))
    motion = retarget_mapped(clip, found, scale, str(path))
    return SourceMotion(motion, clip, found, scale, kind)


def read_motion(path: str | Path, mapping: str | Path | None = None, skeleton: str | Path | None = None) -> Motion:
    """A motion file as canonical-skeleton Motion; MotionFileError (one line naming the file) when it cannot be."""
    return load_motion(path, mapping, skeleton).motion


__all__ = [
    "MOTION_SUFFIXES",
    "MotionClip",
    "MotionFileError",
    "SourceMotion",
    "load_motion",
    "read_motion",
    "read_bvh",
    "retarget_clip",
]
