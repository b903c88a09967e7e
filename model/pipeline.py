"""One path from a keypoint file to a Motion, used by the add-on's operators, the batch script and the evaluator.

    options = UpliftOptions(person=0, confidence=0.3, smooth=0.2)
    keypoints = read_person(path, options)             # KeypointFileError(path, problem): one line
    result = uplift(keypoints, options)                # the network; progress / cancel callbacks
    result.motion, result.frames, result.keyed, result.gaps.summary()

Frames with nobody (the chosen person has no point above the threshold) are never passed off as poses. With
``gaps="trim"`` (the default) leading and trailing frames without the person are cut, inner gaps up to
``bridge_seconds`` are bridged by the network (it sees the frames around them), and longer inner gaps are left
unkeyed (the armature holds its last pose); ``gaps="keep"`` keys every frame. Either way :class:`Gaps` says how many
frames had nobody and where, in the file's own frame numbers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .keypoints import Keypoints2D
from .motion import Motion
from .readers import KeypointFileError, read_tracks
from .skeleton import Skeleton
from .smoothing import smooth_motion
from .uplift import DEFAULT_WEIGHTS, Uplifter

#: Fewer confident points than this fraction over the whole clip: refused with a one-line error.
MIN_CONFIDENT_FRACTION = 0.05

GAP_MODES = ("trim", "keep")


@dataclass
class UpliftOptions:
    """Every option of an uplift; the side panel, the import operator and the batch script's flags are made from
    these fields (see ``OPTION_HELP``)."""

    person: int = 0  # index into the file's tracks (people), in the order the reader gives
    confidence: float = 0.0  # points below this confidence are masked (treated as missing)
    fps: float = 0.0  # 0: the file's frame rate (30 when the file has none)
    frame_start: int = 1
    update_scene: bool = True  # set the scene's fps and frame range to the clip's
    smooth: float = 0.0  # 0..1, see model.smoothing
    scale: float = 1.0
    backend: str = "auto"  # auto | torch | numpy
    device: str = "auto"  # auto | cpu | cuda
    flip: bool = False  # mirror averaging: each window also uplifted mirrored, both averaged (2x the work)
    gaps: str = "trim"  # trim | keep (see the module docstring)
    bridge_seconds: float = 1.0  # inner gaps up to this long are bridged; longer ones are left unkeyed


#: One-line descriptions of the options (tooltips and ``--help``).
OPTION_HELP: dict[str, str] = {
    "person": "which person (track) of the file, from 0",
    "confidence": "points below this confidence count as missing (0 to 1)",
    "fps": "frame rate of the clip; 0 uses the file's (30 when it has none)",
    "frame_start": "scene frame of the clip's first frame",
    "update_scene": "set the scene's frame rate and frame range to the clip's",
    "smooth": "temporal smoothing of rotations and root path, 0 (off) to 1",
    "scale": "scale of the body and its motion",
    "flip": "also uplift the mirrored video and average both (twice the work)",
    "gaps": "frames with nobody: trim the ends, bridge short gaps, leave long ones unkeyed (trim), or key all (keep)",
    "bridge_seconds": "inner gaps up to this many seconds are bridged by the network",
}


def read_person(path: str | Path, options: UpliftOptions) -> Keypoints2D:
    """One person's track from a keypoint file, low-confidence points masked; a one-line error when unusable."""
    tracks = read_tracks(path)
    if not 0 <= options.person < len(tracks):
        raise KeypointFileError(path, f"person {options.person} asked for, the file has {len(tracks)} (from 0)")
    kp = tracks[options.person]
    if options.confidence > 0:
        pts = kp.points.copy()
        low = pts[..., 2] < options.confidence
        pts[low] = 0.0
        kp = Keypoints2D(pts, kp.fps, kp.image_size, kp.track_id, kp.source_format, kp.source_path,
                         kp.source_layout, kp.first_frame, kp.normalized)  # fmt: skip
    seen = float((kp.points[..., 2] > 0).mean())
    if seen < MIN_CONFIDENT_FRACTION:
        raise KeypointFileError(
            path,
            f"only {100 * seen:.1f}% of the points are confident (threshold {options.confidence:g}); "
            "wrong layout, person or threshold?",
        )
    return kp


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index ranges, end exclusive, of the True runs of a 1-D mask."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


@dataclass
class Gaps:
    """Where the chosen person is missing, in the file's frame numbers (``first_frame`` + index)."""

    total: int  # frames in the file
    first_frame: int
    empty: list[tuple[int, int]]  # runs of frames with nobody, (start, end) end exclusive, file indices
    trimmed: list[tuple[int, int]] = field(default_factory=list)  # cut off at the ends
    bridged: list[tuple[int, int]] = field(default_factory=list)  # bridged by the network
    unkeyed: list[tuple[int, int]] = field(default_factory=list)  # left without keys (held pose)

    @property
    def frames_without_person(self) -> int:
        return sum(b - a for a, b in self.empty)

    def _ranges(self, runs: list[tuple[int, int]]) -> str:
        f = self.first_frame
        return ", ".join(f"{a + f}" if b - a == 1 else f"{a + f}-{b - 1 + f}" for a, b in runs)

    def summary(self) -> str:
        """One line, e.g. '64 of 230 frames without the person (0-2, 169-229): 64 trimmed'."""
        n = self.frames_without_person
        if not n:
            return f"the person is detected in all {self.total} frames"
        parts = []
        for label, runs in (("trimmed", self.trimmed), ("bridged", self.bridged), ("left unkeyed", self.unkeyed)):
            count = sum(b - a for a, b in runs)
            if count:
                parts.append(f"{count} {label}")
        kept = sum(b - a for a, b in self.empty) - sum(sum(b - a for a, b in r) for r in
                                                      (self.trimmed, self.bridged, self.unkeyed))  # fmt: skip
        if kept:
            parts.append(f"{kept} keyed with network guesses")
        return f"{n} of {self.total} frames without the person ({self._ranges(self.empty)}): " + ", ".join(parts)


def find_gaps(keypoints: Keypoints2D, options: UpliftOptions, fps: float) -> tuple[Gaps, slice, np.ndarray]:
    """The gaps, the frame range to uplift (leading / trailing empty frames cut with ``gaps="trim"``) and which of
    those frames get keys."""
    detected = (keypoints.points[..., 2] > 0).any(-1)
    total = len(detected)
    gaps = Gaps(total, keypoints.first_frame, _runs(~detected))
    if options.gaps not in GAP_MODES:
        raise ValueError(f"gaps must be one of {', '.join(GAP_MODES)}, got {options.gaps!r}")
    if options.gaps == "keep" or not detected.any():
        return gaps, slice(0, total), np.ones(total, bool)
    first = int(np.argmax(detected))
    last = total - int(np.argmax(detected[::-1]))
    keyed = np.ones(last - first, bool)
    for a, b in gaps.empty:
        if b <= first or a >= last:
            gaps.trimmed.append((a, b))
        elif b - a <= options.bridge_seconds * fps + 1e-9:
            gaps.bridged.append((a, b))
        else:
            gaps.unkeyed.append((a, b))
            keyed[a - first : b - first] = False
    return gaps, slice(first, last), keyed


@dataclass
class UpliftResult:
    motion: Motion  # the uplifted frames (after trimming)
    keypoints: Keypoints2D  # the track they came from (whole file)
    frames: np.ndarray  # (T,) the file's frame index of each motion frame
    keyed: np.ndarray  # (T,) bool: frames to key (False inside long gaps)
    detected: np.ndarray  # (T,) bool: the person was detected in the frame
    gaps: Gaps
    notes: list[str]


_UPLIFTERS: dict[tuple[str, str, str], Uplifter] = {}
_LOCK = threading.Lock()
LAST_BACKEND: dict[str, Any] = {}  # what the last run used and why, shown in the panel and preferences


def get_uplifter(backend: str = "auto", device: str = "auto", weights: str | Path | None = None) -> Uplifter:
    """The network, loaded once per (weights, backend, device)."""
    key = (str(weights or DEFAULT_WEIGHTS), backend, device)
    with _LOCK:
        if key not in _UPLIFTERS:
            _UPLIFTERS[key] = Uplifter(weights, backend=backend, device=device)
        return _UPLIFTERS[key]


def uplift(
    keypoints: Keypoints2D,
    options: UpliftOptions,
    progress: Callable[[float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    weights: str | Path | None = None,
) -> UpliftResult:
    """Keypoints -> Motion with the bundled network (no bpy: runs in a worker thread), gaps handled (see the module
    docstring), smoothed and scaled."""
    uplifter = get_uplifter(options.backend, options.device, weights)
    fps = float(options.fps or keypoints.fps or 30.0)
    gaps, span, keyed = find_gaps(keypoints, options, fps)
    pts = keypoints.points[span]
    part = Keypoints2D(pts, keypoints.fps, keypoints.image_size, keypoints.track_id, keypoints.source_format,
                       keypoints.source_path, keypoints.source_layout, keypoints.first_frame + span.start,
                       keypoints.normalized)  # fmt: skip
    motion = uplifter(part, fps=options.fps or None, progress=progress, should_cancel=should_cancel,
                      flip=options.flip)  # fmt: skip
    motion = smooth_motion(motion, options.smooth)
    if options.scale != 1.0:
        motion = scaled_motion(motion, options.scale)
    LAST_BACKEND.update(backend=uplifter.backend, device=uplifter.device, notes=list(uplifter.notes))
    frames = np.arange(span.start, span.stop)
    detected = (pts[..., 2] > 0).any(-1)
    return UpliftResult(motion, keypoints, frames, keyed, detected, gaps, list(uplifter.notes))


def scaled_motion(motion: Motion, scale: float) -> Motion:
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be positive, got {scale}")
    sk = motion.skeleton
    body = Skeleton(sk.offsets * scale, {j: v * scale for j, v in sk.leaf_ends.items()})
    return Motion(motion.rotations, motion.root_translation * scale, body, motion.fps, up_in_camera=motion.up_in_camera)


def clip_name(keypoints: Keypoints2D) -> str:
    stem = Path(keypoints.source_path).stem if keypoints.source_path else "keypoints"
    return stem or "keypoints"
