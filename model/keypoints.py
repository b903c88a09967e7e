"""2D keypoints in one layout: the Halpe-26 superset, with a confidence per point.

Every reader maps its format into this layout; the network never sees format differences.

- ``Keypoints2D.points`` is (T, 26, 3) float32: x, y in **pixels** (x right, y down, origin at the image's top-left
  corner) and a confidence in [0, 1]. When a format gives normalised coordinates and no image size, x and y stay in
  [0, 1] units and ``image_size`` is ``None``; the network's input normalisation does not depend on either.
- A point that is absent (not in the source layout, not detected, NaN/inf, frame missing) has confidence 0 and
  x = y = 0. Consumers mask such points; they never mean "(0, 0)".
- Frame ``t`` of the array is source frame ``first_frame + t``: gaps in the source become frames with confidence 0,
  so time stays right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .skeleton import mirror_name

HALPE26: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "head",
    "neck",
    "hip",
    "left_big_toe",
    "right_big_toe",
    "left_small_toe",
    "right_small_toe",
    "left_heel",
    "right_heel",
)
NUM_KEYPOINTS = len(HALPE26)
KEYPOINT_INDEX = {n: i for i, n in enumerate(HALPE26)}
#: ``HALPE_MIRROR[k]`` is the point that ``k`` becomes when the image is reflected left <-> right.
HALPE_MIRROR: tuple[int, ...] = tuple(KEYPOINT_INDEX[mirror_name(n)] for n in HALPE26)

# Each layout lists, per source point, the Halpe-26 name it maps to (None: no Halpe counterpart, dropped).
_COCO17 = HALPE26[:17]
LAYOUTS: dict[str, tuple[str | None, ...]] = {
    "COCO-17": _COCO17,
    "Halpe-26": HALPE26,
    "BODY_25": (
        "nose",
        "neck",
        "right_shoulder",
        "right_elbow",
        "right_wrist",
        "left_shoulder",
        "left_elbow",
        "left_wrist",
        "hip",
        "right_hip",
        "right_knee",
        "right_ankle",
        "left_hip",
        "left_knee",
        "left_ankle",
        "right_eye",
        "left_eye",
        "right_ear",
        "left_ear",
        "left_big_toe",
        "left_small_toe",
        "left_heel",
        "right_big_toe",
        "right_small_toe",
        "right_heel",
    ),
    "COCO-18": (
        "nose",
        "neck",
        "right_shoulder",
        "right_elbow",
        "right_wrist",
        "left_shoulder",
        "left_elbow",
        "left_wrist",
        "right_hip",
        "right_knee",
        "right_ankle",
        "left_hip",
        "left_knee",
        "left_ankle",
        "right_eye",
        "left_eye",
        "right_ear",
        "left_ear",
    ),
    "H36M-17": (
        "hip",
        "right_hip",
        "right_knee",
        "right_ankle",
        "left_hip",
        "left_knee",
        "left_ankle",
        None,
        "neck",
        "nose",
        "head",
        "left_shoulder",
        "left_elbow",
        "left_wrist",
        "right_shoulder",
        "right_elbow",
        "right_wrist",
    ),
    "MediaPipe-33": (
        "nose",
        None,
        "left_eye",
        None,
        None,
        "right_eye",
        None,
        "left_ear",
        "right_ear",
        None,
        None,
        "left_shoulder",
        "right_shoulder",
        "left_elbow",
        "right_elbow",
        "left_wrist",
        "right_wrist",
        None,
        None,
        None,
        None,
        None,
        None,
        "left_hip",
        "right_hip",
        "left_knee",
        "right_knee",
        "left_ankle",
        "right_ankle",
        "left_heel",
        "right_heel",
        "left_big_toe",
        "right_big_toe",
    ),
    # COCO-WholeBody: body 17, then feet (left big toe, small toe, heel, right ...), then face and hands (dropped)
    "COCO-WholeBody-133": _COCO17
    + ("left_big_toe", "left_small_toe", "left_heel", "right_big_toe", "right_small_toe", "right_heel")
    + (None,) * 110,
    # Halpe-136: Halpe-26, then face and hands (dropped)
    "Halpe-136": HALPE26 + (None,) * 110,
}

#: Which layout a bare point count means when nothing else says (17 could also be H36M-17: name it then).
LAYOUT_BY_COUNT = {
    17: "COCO-17",
    18: "COCO-18",
    25: "BODY_25",
    26: "Halpe-26",
    33: "MediaPipe-33",
    133: "COCO-WholeBody-133",
    136: "Halpe-136",
}

# Point names as tools write them, normalised by _normalise_name, mapped onto Halpe-26 names.
_ALIASES = {
    "nose": "nose",
    "head": "head",
    "headtop": "head",
    "tophead": "head",
    "topofhead": "head",
    "neck": "neck",
    "thorax": "neck",
    "hip": "hip",
    "midhip": "hip",
    "pelvis": "hip",
    "hips": "hip",
    "root": "hip",
}
for _side in ("l", "r"):
    _full = "left" if _side == "l" else "right"
    for _part, _names in {
        "eye": ("eye",),
        "ear": ("ear",),
        "shoulder": ("shoulder",),
        "elbow": ("elbow",),
        "wrist": ("wrist",),
        "hip": ("hip",),
        "knee": ("knee",),
        "ankle": ("ankle",),
        "big_toe": ("bigtoe", "toe", "footindex", "toetip"),
        "small_toe": ("smalltoe", "littletoe"),
        "heel": ("heel",),
    }.items():
        for _n in _names:
            _ALIASES[_side + _n] = f"{_full}_{_part}"


def _normalise_name(name: str) -> str:
    """ "LShoulder", "left_shoulder", "Left Shoulder", "shoulder.L" -> "lshoulder"; "MidHip" -> "midhip"."""
    spaced = re.sub(r"([a-z0-9])([A-Z])|([A-Z])([A-Z][a-z])", r"\1\3 \2\4", name.strip())
    tokens = re.findall(r"[a-z]+|[0-9]+", spaced.lower())
    if len(tokens) == 1:  # glued: "leftshoulder"
        tokens = re.findall(r"^(?:left|right)|.+", tokens[0])
    side = {"l": "l", "left": "l", "r": "r", "right": "r"}
    if len(tokens) > 1 and tokens[0] in side:
        return side[tokens[0]] + "".join(tokens[1:])
    if len(tokens) > 1 and tokens[-1] in side:
        return side[tokens[-1]] + "".join(tokens[:-1])
    return "".join(tokens)


def halpe_name(name: str) -> str | None:
    """The Halpe-26 name of a point as some tool writes it ("LShoulder", "left_shoulder", "left shoulder"...)."""
    return _ALIASES.get(_normalise_name(name)) if isinstance(name, str) else None


def layout_from_names(names: list[str]) -> tuple[str | None, ...]:
    """A layout (per source point, its Halpe-26 name or None) from the point names a file gives."""
    return tuple(halpe_name(n) for n in names)


def layout_name_from_names(names: list[str]) -> str:
    """The well-known layout these names match, else ``"named"``."""
    mapped = layout_from_names(names)
    for layout_name, layout in LAYOUTS.items():
        if layout == mapped:
            return layout_name
    if {"left_pinky", "right_foot_index"} <= {str(n).strip().lower() for n in names}:
        return "MediaPipe-33"
    return "named"


def to_halpe26(points: np.ndarray, layout: tuple[str | None, ...]) -> np.ndarray:
    """Map (..., K, 3) points of a source layout into (..., 26, 3) Halpe-26, vectorised.

    Neck and hip (pelvis), when the layout lacks them, are the midpoints of the shoulders and of the hips, with the
    smaller of the two confidences. NaN/inf points get confidence 0 and zero coordinates.
    """
    points = np.asarray(points, dtype=np.float32)
    if points.shape[-2] != len(layout):
        raise ValueError(f"{points.shape[-2]} points per frame, the layout has {len(layout)}")
    out = np.zeros(points.shape[:-2] + (NUM_KEYPOINTS, 3), dtype=np.float32)
    src = [i for i, n in enumerate(layout) if n is not None]
    dst = [KEYPOINT_INDEX[layout[i]] for i in src]  # type: ignore[index]
    out[..., dst, :] = points[..., src, :]
    clean_points(out)
    return fill_midpoints(out, [mid for mid in ("neck", "hip") if mid not in layout])


def fill_midpoints(points: np.ndarray, which: list[str] | tuple[str, ...] = ("neck", "hip")) -> np.ndarray:
    """In place on (..., 26, 3) points: ``which`` of neck and hip become the midpoints of the shoulders and of the
    hips, with the smaller of the two confidences (absent when either is)."""
    for mid in which:
        pair = "shoulder" if mid == "neck" else "hip"
        ia, ib, im = KEYPOINT_INDEX[f"left_{pair}"], KEYPOINT_INDEX[f"right_{pair}"], KEYPOINT_INDEX[mid]
        conf = np.minimum(points[..., ia, 2], points[..., ib, 2])
        points[..., im, :2] = np.where(conf[..., None] > 0, 0.5 * (points[..., ia, :2] + points[..., ib, :2]), 0.0)
        points[..., im, 2] = conf
    return points


def clean_points(points: np.ndarray) -> np.ndarray:
    """In place: NaN/inf anywhere in a point, or confidence <= 0, makes the point absent (0, 0, 0)."""
    bad = ~np.isfinite(points).all(-1) | ~(points[..., 2] > 0)
    points[bad] = 0.0
    np.clip(points[..., 2], 0.0, 1.0, out=points[..., 2])
    return points


@dataclass
class Keypoints2D:
    """One person's 2D keypoint track: (T, 26, 3) Halpe-26 points (see the module docstring for conventions)."""

    points: np.ndarray
    fps: float | None = None
    image_size: tuple[int, int] | None = None  # (width, height) in pixels
    track_id: int | str | None = None
    source_format: str = ""
    source_path: str = ""
    source_layout: str = ""
    first_frame: int = 0
    normalized: bool = False  # x, y in [0, 1] image units rather than pixels

    def __post_init__(self) -> None:
        pts = np.ascontiguousarray(self.points, dtype=np.float32)
        if pts.ndim != 3 or pts.shape[1:] != (NUM_KEYPOINTS, 3):
            raise ValueError(f"Keypoints2D.points must be (T, {NUM_KEYPOINTS}, 3), got {pts.shape}")
        if pts.shape[0] == 0:
            raise ValueError("Keypoints2D needs at least one frame")
        self.points = clean_points(pts)
        if self.fps is not None and not (np.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"fps must be a positive number, got {self.fps}")
        if self.image_size is not None:
            w, h = self.image_size
            if not (w > 0 and h > 0):
                raise ValueError(f"image size must be positive, got {self.image_size}")
            self.image_size = (int(w), int(h))

    @property
    def num_frames(self) -> int:
        return int(self.points.shape[0])

    @property
    def confidence(self) -> np.ndarray:
        return self.points[..., 2]

    def frames_present(self, threshold: float = 0.0) -> int:
        """Number of frames with at least one point above the confidence threshold."""
        return int((self.confidence > threshold).any(-1).sum())

    def confident_fraction(self, threshold: float = 0.3) -> float:
        """Fraction of all points (frames x 26) above the confidence threshold."""
        return float((self.confidence > threshold).mean())
