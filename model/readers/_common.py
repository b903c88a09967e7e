"""What every reader shares: the one-line error, safe file loading, and turning detections into tracks."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..keypoints import NUM_KEYPOINTS, Keypoints2D, to_halpe26


class KeypointFileError(ValueError):
    """A keypoint file that cannot be read. ``str()`` is one line: ``<file>: [frame N: ]<problem>``."""

    def __init__(self, path: str | Path, problem: str, frame: int | None = None):
        self.path = str(path)
        self.frame = frame
        self.problem = " ".join(str(problem).split())  # one line, whatever the cause said
        where = f"{self.path}: " + (f"frame {frame}: " if frame is not None else "")
        super().__init__(where + self.problem)


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeypointFileError(path, f"cannot read the file ({exc.strerror or exc})") from None
    if not data.strip():
        raise KeypointFileError(path, "the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KeypointFileError(
            path, f"not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r})"
        ) from None


def load_json(path: Path) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        what = "truncated JSON" if exc.pos >= len(text.rstrip()) - 1 else "invalid JSON"
        raise KeypointFileError(path, f"{what} at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise KeypointFileError(path, "JSON nested too deeply") from None


def frame_number_from_name(name: str) -> int | None:
    """The frame number in a file name such as ``clip_000000000042_keypoints.json`` or ``42.jpg`` (last digits)."""
    stem = re.sub(r"(_keypoints)?(\.[A-Za-z0-9]+)+$", "", Path(str(name)).name)
    found = re.findall(r"\d+", stem)
    return int(found[-1]) if found else None


def as_points(value: Any, path: Path, frame: int | None, what: str = "keypoints") -> np.ndarray:
    """A flat [x, y, c, ...] or nested [[x, y(, c)], ...] list -> (K, 2 or 3) float array, or a one-line error."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise KeypointFileError(path, f"{what} must be a list of numbers", frame) from None
    if arr.ndim == 1:
        if arr.size % 3:
            raise KeypointFileError(path, f"{what} has {arr.size} numbers, not a multiple of 3 (x, y, score)", frame)
        arr = arr.reshape(-1, 3)
    if arr.ndim != 2 or arr.shape[1] not in (2, 3, 4) or arr.shape[0] == 0:
        raise KeypointFileError(path, f"{what} must be points of (x, y) or (x, y, score), got shape {arr.shape}", frame)
    return arr


@dataclass
class Detections:
    """People found per frame in one file (or folder), in a source layout, before they become tracks.

    ``points`` holds one (K, 3) array per detection; no per-point Python objects are kept.
    """

    path: Path
    format: str
    frames: list[int] = field(default_factory=list)
    track_ids: list[int | str | None] = field(default_factory=list)
    points: list[np.ndarray] = field(default_factory=list)
    empty_frames: list[int] = field(default_factory=list)  # frames the file lists with nobody in them
    layout: tuple[str | None, ...] | None = None
    layout_name: str = ""
    fps: float | None = None
    image_size: tuple[int, int] | None = None
    normalized: bool = False

    def add(self, frame: int, pts: np.ndarray, track_id: int | str | None = None) -> None:
        pts = np.asarray(pts, dtype=np.float32)
        if pts.shape[1] == 2:
            pts = np.concatenate([pts, np.ones((len(pts), 1), np.float32)], 1)
        self.frames.append(int(frame))
        self.track_ids.append(track_id)
        self.points.append(pts[:, :3])


def check_layout(det: Detections, count: int, frame: int | None, layouts: dict[int, str]) -> None:
    """Set the layout from the first detection's point count; any later count that differs is an error."""
    from ..keypoints import LAYOUTS

    if det.layout is None:
        if count not in layouts:
            known = ", ".join(f"{n} ({layouts[n]})" for n in sorted(layouts))
            raise KeypointFileError(det.path, f"{count} points per person is no known layout (known: {known})", frame)
        det.layout_name = layouts[count]
        det.layout = LAYOUTS[det.layout_name]
    elif len(det.layout) != count:
        raise KeypointFileError(
            det.path,
            f"mixed layouts: {count} points per person here, {len(det.layout)} ({det.layout_name}) before",
            frame,
        )


def dense_track(
    points: np.ndarray,
    layout: tuple[str | None, ...],
    *,
    path: Path,
    format: str,
    layout_name: str,
    frames: np.ndarray | None = None,
    fps: float | None = None,
    image_size: tuple[int, int] | None = None,
    track_id: int | str | None = 0,
    normalized: bool = False,
) -> Keypoints2D:
    """One person already as a (T, K, 3) array (tables, arrays): map to Halpe-26, fill frame gaps."""
    halpe = to_halpe26(points, layout)
    first = 0
    if frames is not None:
        frames = np.asarray(frames, dtype=np.int64)
        if len(frames) and (np.diff(frames) <= 0).any():
            bad = int(np.argmax(np.diff(frames) <= 0)) + 1
            raise KeypointFileError(path, "frame numbers are not increasing", int(frames[bad]))
        first = int(frames[0]) if len(frames) else 0
        span = int(frames[-1] - first + 1) if len(frames) else 0
        if span != len(frames):
            full = np.zeros((span, NUM_KEYPOINTS, 3), np.float32)
            full[frames - first] = halpe
            halpe = full
    if len(halpe) == 0:
        raise KeypointFileError(path, "no frames")
    return Keypoints2D(halpe, fps, image_size, track_id, format, str(path), layout_name, first, normalized)


def tracks_from_detections(det: Detections) -> list[Keypoints2D]:
    """Group detections into people over time, gaps as confidence-0 frames, most-present person first."""
    if not det.frames and not det.empty_frames:
        raise KeypointFileError(det.path, "no people and no frames in the file")
    all_frames = det.frames + det.empty_frames
    first, last = min(all_frames), max(all_frames)
    if det.layout is None or not det.frames:
        raise KeypointFileError(det.path, f"nobody detected in any of its {last - first + 1} frames")
    halpe = to_halpe26(np.stack(det.points), det.layout)  # (N, 26, 3), one array for all detections
    frames = np.asarray(det.frames)
    ids: list[int | str | None] = list(det.track_ids)
    if any(t is None for t in ids):
        ids = list(_link_people(frames, halpe))
    tracks: list[Keypoints2D] = []
    for tid in dict.fromkeys(ids):  # first-seen order
        sel = np.array([i for i, t in enumerate(ids) if t == tid])
        pts = np.zeros((last - first + 1, NUM_KEYPOINTS, 3), np.float32)
        # one detection per frame and person: if a file repeats one, keep the more confident
        order = sel[np.argsort(halpe[sel, :, 2].sum(-1))]
        pts[frames[order] - first] = halpe[order]
        tracks.append(
            Keypoints2D(
                pts, det.fps, det.image_size, tid, det.format, str(det.path), det.layout_name, first, det.normalized
            )
        )
    tracks.sort(key=lambda k: -k.frames_present())
    return tracks


def _link_people(frames: np.ndarray, halpe: np.ndarray, max_gap: int = 30) -> list[int]:
    """Track ids for detections without any: greedy nearest match to each person's last pose.

    The cost is the mean distance over points confident in both poses, divided by the person's size (its box
    diagonal), so the same threshold works at any resolution. A person unseen for ``max_gap`` frames is closed.
    """
    ids = [-1] * len(frames)
    last_pose: dict[int, tuple[int, np.ndarray]] = {}
    next_id = 0
    order = np.argsort(frames, kind="stable")
    i = 0
    while i < len(order):
        f = frames[order[i]]
        group = []
        while i < len(order) and frames[order[i]] == f:
            group.append(int(order[i]))
            i += 1
        live = [t for t, (lf, _) in last_pose.items() if f - lf <= max_gap]
        pairs = []
        for d in group:
            for t in live:
                pairs.append((_pose_distance(halpe[d], last_pose[t][1]), d, t))
        pairs.sort()
        used_d: set[int] = set()
        used_t: set[int] = set()
        for cost, d, t in pairs:
            if cost < 0.5 and d not in used_d and t not in used_t:
                ids[d] = t
                used_d.add(d)
                used_t.add(t)
        for d in group:
            if ids[d] < 0:
                ids[d] = next_id
                next_id += 1
            last_pose[ids[d]] = (int(f), halpe[d])
    return ids


def _pose_distance(a: np.ndarray, b: np.ndarray) -> float:
    both = (a[:, 2] > 0) & (b[:, 2] > 0)
    if not both.any():
        return float("inf")
    seen = b[b[:, 2] > 0, :2]
    size = float(np.linalg.norm(seen.max(0) - seen.min(0))) or 1.0
    return float(np.linalg.norm(a[both, :2] - b[both, :2], axis=-1).mean() / size)
