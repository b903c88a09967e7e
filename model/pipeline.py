"""One path from a keypoint file to a Motion, used by the add-on's operators, the batch script and the evaluator.

    options = UpliftOptions(person=0, confidence=0.3, smooth=0.2)
    keypoints = read_person(path, options)             # KeypointFileError(path, problem): one line
    result = uplift(keypoints, options)                # the network; progress / cancel callbacks
    result.motion, result.frames, result.keyed, result.gaps.summary()

Frames with nobody (the chosen person has no point above the threshold) are never passed off as poses. With
``gaps="trim"`` (the default) leading and trailing frames without the person are cut, inner gaps up to
``bridge_seconds`` are bridged by the network (it sees the frames around them), and longer inner gaps are left
unkeyed (the armature holds its last pose); ``gaps="keep"`` keys every frame. The motion's world is turned so that
+z points from the person back at the camera: in Blender the video's view is the Front view (Numpad 1), not
mirrored. Either way :class:`Gaps` says how many
frames had nobody and where, in the file's own frame numbers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from .foot_lock import lock_feet
from .keypoints import Keypoints2D
from .motion import Motion
from .readers import KeypointFileError, read_tracks
from .root_path import DEFAULT_FOV
from .skeleton import Skeleton
from .smoothing import smooth_motion
from .uplift import DEFAULT_WEIGHTS, Uplifter

#: Fewer confident points than this fraction over the whole clip: refused with a one-line error.
MIN_CONFIDENT_FRACTION = 0.05


def _option(default: Any, label: str, help: str, **extra: Any) -> Any:
    """An option field: its default, and (metadata) the label, one-line help and range every front end shows."""
    return field(default=default, metadata={"label": label, "help": help, **extra})


@dataclass
class UpliftOptions:
    """Every option of an uplift, declared once here: name, type, default, range, label and help. The Blender
    properties of the side panel and the import dialog, the panel's rows and the batch script's flags are all made
    from these fields (``option_fields``); ``backend`` and ``device`` come from the add-on's preferences."""

    person: int = _option(0, "Person", "Which person (track) of the file, from 0 (the one seen longest)", min=0)
    all_people: bool = _option(
        False,
        "All People",
        "Uplift every person of the file seen for at least a second: a new armature each, placed side by side "
        "where the video shows them (Person is then ignored)",
    )
    confidence: float = _option(
        0.0, "Min Confidence", "Points below this confidence count as missing (0 to 1)", min=0.0, max=1.0
    )
    fps: float = _option(
        0.0, "FPS", "Frame rate of the clip; 0 uses the file's (30 when it has none)", min=0.0, max=1000.0
    )
    frame_start: int = _option(1, "Start Frame", "Scene frame of the file's frame 0")
    update_scene: bool = _option(True, "Set Scene Timing", "Set the scene's frame rate and frame range to the clip's")
    smooth: float = _option(
        0.6,
        "Smoothing",
        "Temporal smoothing of rotations and root path, 0 (off) to 1 (a third of a second); 0.6 halves the feet's "
        "jitter without losing accuracy",
        min=0.0,
        max=1.0,
        subtype="FACTOR",
    )
    scale: float = _option(1.0, "Scale", "Scale of the body and its motion", min=0.0001, max=1000.0)
    flip: bool = _option(
        True,
        "Mirror Averaging",
        "Also uplift the mirrored video and average both; where they disagree which way the body faces, the one "
        "that fits the points (twice the work; about 0.9 mm more accurate on the validation subjects, 2 on real video)",
    )
    level: bool = _option(
        True,
        "Level the Camera",
        "Find the camera's roll (a phone held at a slant) in a quick first pass and uplift the points turned upright: "
        "tilted footage comes out upright, level footage as before (about a quarter more work)",
    )
    fix_swaps: bool = _option(
        True,
        "Fix Left/Right Swaps",
        "Put back the detector's left and right where it swapped the whole body for some frames (common on side "
        "views); the note after the uplift says how many frames",
    )
    gaps: str = _option(
        "trim",
        "Missing Frames",
        "Frames without the person",
        choices=(
            (
                "trim",
                "Trim and Bridge",
                "Cut frames without the person at the ends, bridge short gaps, leave longer gaps "
                "unkeyed (the armature holds its last pose)",
            ),
            ("keep", "Key Every Frame", "Key every frame, including the network's guesses where nobody was seen"),
        ),
    )
    bridge_seconds: float = _option(
        1.0,
        "Bridge Gaps Up To",
        "Inner gaps up to this many seconds are bridged by the network; longer ones are left unkeyed",
        min=0.0,
        max=60.0,
    )
    root_path: str = _option(
        "perspective",
        "Root Path",
        "Where the body travels",
        choices=(
            (
                "perspective",
                "From the Video",
                "Where the camera sees the body in each frame (its size and place in the image): no drift; needs "
                "the camera's field of view",
            ),
            ("network", "Network Only", "The network's own velocity, added up: drifts over long clips"),
        ),
    )
    plant_feet: bool = _option(
        True,
        "Plant Feet",
        "Keep a foot that is down and still from sliding: the body is moved across the floor against the foot's "
        "drift (the poses stay the network's)",
    )
    lock_feet: bool = _option(
        True,
        "Lock Feet",
        "Hold a foot that is down and still in one place for the whole contact by bending its leg (hip and knee), "
        "after smoothing; the rest of the pose stays the network's",
    )
    fov: float = _option(
        DEFAULT_FOV,
        "Field of View",
        "Degrees across the video's long side: about 65-70 for a phone's main camera, 60-80 for a webcam, less when "
        "zoomed in; sets how far towards or away from the camera the body moves",
        min=5.0,
        max=150.0,
    )
    backend: str = "auto"  # auto | torch | numpy (the preferences)
    device: str = "auto"  # auto | cpu | cuda (the preferences)


def option_fields() -> list[Field]:
    """The user-facing options of :class:`UpliftOptions`, in order (every field with a label)."""
    return [f for f in fields(UpliftOptions) if "label" in f.metadata]


def check_options(options: UpliftOptions) -> str | None:
    """None, or one line naming the first option outside its range or choices."""
    for f in option_fields():
        value, meta = getattr(options, f.name), f.metadata
        if "choices" in meta and value not in [c[0] for c in meta["choices"]]:
            return f"{f.name} must be one of {', '.join(c[0] for c in meta['choices'])}, got {value!r}"
        if ("min" in meta and value < meta["min"]) or ("max" in meta and value > meta["max"]):
            return f"{f.name} must be within {meta.get('min', '-inf')} and {meta.get('max', 'inf')}, got {value}"
    return None


GAP_MODES = tuple(c[0] for c in next(f for f in fields(UpliftOptions) if f.name == "gaps").metadata["choices"])


def first_line(exc: BaseException, path: str | Path | None = None) -> str:
    """An exception as the one line users see: its first line (or its type), naming ``path`` when it does not."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if path is None or str(path) in text else f"{path}: {text}"


def read_person(path: str | Path, options: UpliftOptions, tracks: list[Keypoints2D] | None = None) -> Keypoints2D:
    """One person's track from a keypoint file, low-confidence points masked; a one-line error when unusable."""
    tracks = read_tracks(path) if tracks is None else tracks
    if not 0 <= options.person < len(tracks):
        raise KeypointFileError(path, f"person {options.person} asked for, the file has {len(tracks)} (from 0)")
    kp = tracks[options.person]
    if options.confidence > 0:
        pts = kp.points.copy()
        low = pts[..., 2] < options.confidence
        pts[low] = 0.0
        kp = replace(kp, points=pts)
    seen = float((kp.points[..., 2] > 0).mean())
    if seen < MIN_CONFIDENT_FRACTION:
        raise KeypointFileError(
            path,
            f"only {100 * seen:.1f}% of the points are confident (threshold {options.confidence:g}); "
            "wrong layout, person or threshold?",
        )
    return kp


#: With ``all_people``, a track seen for less than this (in seconds of frames with the person) is left out.
MIN_PERSON_SECONDS = 1.0


def min_person_frames(options: UpliftOptions, file_fps: float | None) -> float:
    """Frames with the person that ``all_people`` needs to uplift a track (``MIN_PERSON_SECONDS`` at the clip's rate)."""
    return MIN_PERSON_SECONDS * float(options.fps or file_fps or 30.0)


def read_people(path: str | Path, options: UpliftOptions) -> list[tuple[UpliftOptions, Keypoints2D]]:
    """The people to uplift, each with its options (``person`` set): the chosen one, or with ``all_people`` every
    track seen for at least ``MIN_PERSON_SECONDS`` and confident enough, longest seen first; a one-line error when
    none is usable."""
    if not options.all_people:
        return [(options, read_person(path, options))]
    tracks = read_tracks(path)
    people = []
    for k, track in enumerate(tracks):
        if track.frames_present() < min_person_frames(options, track.fps):
            continue
        each = replace(options, person=k)
        try:
            people.append((each, read_person(path, each, tracks)))
        except KeypointFileError:
            continue
    if not people:
        raise KeypointFileError(
            path, f"none of its {len(tracks)} people is seen for {MIN_PERSON_SECONDS:g} s with confident points"
        )
    return people


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
        kept = sum(b - a for a, b in self.empty) - sum(
            sum(b - a for a, b in r) for r in (self.trimmed, self.bridged, self.unkeyed)
        )
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
    backend: str  # what ran: "torch" or "numpy"
    device: str  # "cpu" or "cuda"
    notes: list[str]  # why (e.g. CUDA asked for, none found)

    @property
    def ran_on(self) -> str:
        """E.g. "numpy on cpu"."""
        return f"{self.backend} on {self.device}"


_UPLIFTERS: dict[tuple[str, str, str], Uplifter] = {}
_LOCK = threading.Lock()


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
    part = replace(keypoints, points=pts, first_frame=keypoints.first_frame + span.start)
    notes = list(uplifter.notes)  # the backend's, then this uplift's
    motion = uplifter(
        part,
        fps=options.fps or None,
        progress=progress,
        should_cancel=should_cancel,
        flip=options.flip,
        root_path=options.root_path,
        fov=options.fov,
        notes=notes,
        plant_feet=options.plant_feet,
        fix_swaps=options.fix_swaps,
        level=options.level,
    )
    motion = smooth_motion(motion, options.smooth)
    if options.lock_feet:
        motion = lock_feet(motion)
    motion = motion.turned(np.pi)  # +z back at the camera: Blender's Front view
    if options.scale != 1.0:
        motion = scaled_motion(motion, options.scale)
    frames = np.arange(span.start, span.stop)
    detected = (pts[..., 2] > 0).any(-1)
    return UpliftResult(
        motion,
        keypoints,
        frames,
        keyed,
        detected,
        gaps,
        uplifter.backend,
        uplifter.device,
        notes,
    )


def scaled_motion(motion: Motion, scale: float) -> Motion:
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be positive, got {scale}")
    sk = motion.skeleton
    body = Skeleton(sk.offsets * scale, {j: v * scale for j, v in sk.leaf_ends.items()})
    return Motion(motion.rotations, motion.root_translation * scale, body, motion.fps, up_in_camera=motion.up_in_camera)


def clip_name(keypoints: Keypoints2D, options: UpliftOptions | None = None) -> str:
    """The name of the armature and action: the file's stem, and the person where the file has several."""
    stem = (Path(keypoints.source_path).stem if keypoints.source_path else "keypoints") or "keypoints"
    if options is not None and (options.all_people or options.person):
        stem += f" person {options.person}"
    return stem
