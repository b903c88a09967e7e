"""CMU motion in the exponential-map CSV layout of the motion-prediction literature, as a :class:`~.clip.MotionClip`.

One row per frame, 117 comma-separated numbers: the root's position (3, CMU ASF units, y up) and 38 bones x 3
exponential-map values (axis times angle, radians), the root's rotation first. The 38 bones are the CMU ASF
skeleton's, each with a fixed rest vector (below, CMU ASF units, x = the subject's left, y up, z forward) that its
own rotation turns, as in ASF: the rotation stored with ``LeftArm`` turns the upper arm, the one with
``LeftShoulder`` (always zero) the clavicle. (Read as joints placed at the bones' ends, every rotation would move
the next segment down the chain: the upper arm would follow the clavicle's zero rotation and stay in the T-pose
while the forearm swung with the upper arm's rotation.) As a :class:`~.clip.MotionClip` each bone becomes the joint at
its start, named as in CMU's 31-joint BVH files. The layout stores rotations for a row-vector
convention (``p_child = offset @ R_parent + p_parent``, ``R_global = R_local @ R_parent_global``), so a joint's
local rotation in column-vector form is the transpose of the exponential map's matrix.

The files carry no frame rate: CMU captures at 120 fps, the default here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..rotations import axis_angle_to_matrix
from .clip import MotionClip, MotionFileError

# name, parent, rest offset from the parent (CMU ASF units)
_JOINTS: list[tuple[str, int, tuple[float, float, float]]] = [
    ("Hips", -1, (0.0, 0.0, 0.0)),
    ("LHipJoint", 0, (1.65674, -1.80282, 0.62477)),
    ("LeftUpLeg", 1, (2.59720, -7.13576, 0.0)),
    ("LeftLeg", 2, (2.49236, -6.84770, 0.0)),
    ("LeftFoot", 3, (0.19704, -0.54136, 2.14581)),
    ("LeftToeBase", 4, (0.0, 0.0, 1.11249)),
    ("LeftToeEnd", 5, (0.0, 0.0, 0.0)),
    ("RHipJoint", 0, (-1.61070, -1.80282, 0.62476)),
    ("RightUpLeg", 7, (-2.59502, -7.12977, 0.0)),
    ("RightLeg", 8, (-2.46780, -6.78024, 0.0)),
    ("RightFoot", 9, (-0.23024, -0.63258, 2.13368)),
    ("RightToeBase", 10, (0.0, 0.0, 1.11569)),
    ("RightToeEnd", 11, (0.0, 0.0, 0.0)),
    ("LowerBack", 0, (0.01961, 2.05450, -0.14112)),
    ("Spine", 13, (0.01021, 2.06436, -0.05921)),
    ("Spine1", 14, (0.0, 0.0, 0.0)),
    ("Neck", 15, (0.00713, 1.56711, 0.14968)),
    ("Neck1", 16, (0.03429, 1.56041, -0.10006)),
    ("Head", 17, (0.01305, 1.62560, -0.05265)),
    ("HeadEnd", 18, (0.0, 0.0, 0.0)),
    ("LeftShoulder", 15, (3.54205, 0.90436, -0.17364)),
    ("LeftArm", 20, (4.86513, 0.0, 0.0)),
    ("LeftForeArm", 21, (3.35554, 0.0, 0.0)),
    ("LeftHand", 22, (0.0, 0.0, 0.0)),
    ("LeftFingerBase", 23, (0.66117, 0.0, 0.0)),
    ("LeftHandIndex1", 24, (0.53306, 0.0, 0.0)),
    ("LeftHandIndexEnd", 25, (0.0, 0.0, 0.0)),
    ("LThumb", 23, (0.54120, 0.0, 0.54120)),
    ("LThumbEnd", 27, (0.0, 0.0, 0.0)),
    ("RightShoulder", 15, (-3.49802, 0.75994, -0.32616)),
    ("RightArm", 29, (-5.02649, 0.0, 0.0)),
    ("RightForeArm", 30, (-3.36431, 0.0, 0.0)),
    ("RightHand", 31, (0.0, 0.0, 0.0)),
    ("RightFingerBase", 32, (-0.73041, 0.0, 0.0)),
    ("RightHandIndex1", 33, (-0.58887, 0.0, 0.0)),
    ("RightHandIndexEnd", 34, (0.0, 0.0, 0.0)),
    ("RThumb", 32, (-0.59786, 0.0, 0.59786)),
    ("RThumbEnd", 36, (0.0, 0.0, 0.0)),
]
VALUES_PER_ROW = 3 + 3 * len(_JOINTS)
UNIT_SCALE = 0.0254 / 0.45  # metres per CMU ASF unit


def read_expmap(path: str | Path, fps: float = 120.0) -> MotionClip:
    path = Path(path)
    try:
        rows = [ln for ln in path.read_text(encoding="utf-8", errors="strict").splitlines() if ln.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise MotionFileError(f"{path}: cannot read the file ({exc})") from None
    if not rows:
        raise MotionFileError(f"{path}: no frames")
    data = np.zeros((len(rows), VALUES_PER_ROW))
    for f, row in enumerate(rows):
        cells = row.split(",")
        if len(cells) != VALUES_PER_ROW:
            raise MotionFileError(
                f"{path}: frame {f + 1}: {len(cells)} values, the exponential-map layout has {VALUES_PER_ROW}"
            )
        try:
            data[f] = [float(c) for c in cells]
        except ValueError:
            raise MotionFileError(f"{path}: frame {f + 1}: a value is not a number") from None
    if not np.isfinite(data).all():
        raise MotionFileError(f"{path}: NaN or infinite values")
    rot = axis_angle_to_matrix(data[:, 3:].reshape(len(rows), len(_JOINTS), 3))
    local = np.swapaxes(rot, -1, -2)
    names = [n for n, _, _ in _JOINTS]
    parents = [p for _, p, _ in _JOINTS]
    bones = np.array([o for _, _, o in _JOINTS])
    # each rotation turns its own bone (the offset stored with it): as a BVH joint it sits where its bone starts,
    # at the end of its parent's bone, and the bones that start at its end are its children
    offsets = np.array([bones[p] if p >= 0 else np.zeros(3) for p in parents])
    ends = {j: bones[j] for j in range(len(names)) if j not in parents}
    return MotionClip(names, parents, offsets, ends, local, data[:, :3].copy(), 1.0 / fps)
