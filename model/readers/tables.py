"""Text tables: TRC (Pose2Sim / Sports2D ``*_px_*.trc``), DeepLabCut CSV, and plain CSV with named or counted columns.

Tables are parsed in chunks with numpy, so a 100,000-frame file is read in bounded memory and no per-point Python
objects are kept. Empty cells and NaN are missing points (confidence 0).

- TRC: tab-separated; header lines ``PathFileType``, the ``DataRate ...`` names and values, marker names, then
  ``X1 Y1 Z1 ...``; rows ``Frame#, Time, x, y, z, ...``. For 2D pixel TRC files the y axis may be written pointing
  up (negated, as Sports2D does): when every y is <= 0 it is flipped back to image y-down. Files whose ``Units``
  say ``m`` with all values below 10 hold pixels / 1000 (older Sports2D) and are scaled back. Confidence is 1
  where a marker has a value. Marker names map onto Halpe-26 (``LShoulder``, ``RBigToe``, ...).
- DeepLabCut CSV: header rows ``scorer``, (``individuals``,) ``bodyparts``, ``coords`` (x, y, likelihood); one or
  three index columns. Each individual is a track.
- Plain CSV with a header: ``frame`` (optional), then ``<point>_x``, ``<point>_y`` and optionally
  ``<point>_score`` (also ``_c``, ``_conf``, ``_confidence``, ``_likelihood``, ``_visibility``; ``_z`` is ignored),
  point names as any tool writes them (COCO, Halpe, OpenPose, MediaPipe names). Lines starting with ``#`` may carry
  ``key=value`` metadata: ``fps``, ``image_width``, ``image_height``, ``normalized`` (x, y in [0, 1]).
  MediaPipe's 33 landmarks written this way are the MediaPipe CSV form.
- Plain CSV without a header: each row one frame, K*3 (x, y, score) or K*2 (x, y) numbers, K a known layout's
  point count (17 means COCO-17 unless the layout is named).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..keypoints import LAYOUT_BY_COUNT, LAYOUTS, Keypoints2D, halpe_name, layout_from_names, layout_name_from_names
from ._common import KeypointFileError, dense_track, read_text

_CHUNK = 20_000
_EMPTY_CELL = {",": re.compile(r"(?<=,)(?=,|$)|^(?=,)", re.M), "\t": re.compile(r"(?<=\t)(?=\t|$)|^(?=\t)", re.M)}


def _numeric_rows(lines: Iterator[str], delimiter: str, ncols: int, path: Path, first_row: int) -> np.ndarray:
    """Parse data lines into a (N, ncols) float32 array, chunk by chunk. Short rows are padded with NaN."""
    chunks: list[np.ndarray] = []
    row = first_row
    buf: list[str] = []

    def flush() -> None:
        nonlocal row
        if not buf:
            return
        text = _EMPTY_CELL[delimiter].sub("nan", "\n".join(buf))
        try:
            arr = np.loadtxt(io.StringIO(text), delimiter=delimiter, dtype=np.float64, ndmin=2, comments=None)
            if arr.shape[1] != ncols:
                raise ValueError
        except ValueError:
            arr = np.full((len(buf), ncols), np.nan)
            for i, line in enumerate(buf):
                cells = [c.strip() for c in line.split(delimiter)]
                if len(cells) > ncols and any(cells[ncols:]):
                    raise KeypointFileError(
                        path, f"{len(cells)} values, the header has {ncols} columns", row + i
                    ) from None
                try:
                    vals = [float(c) if c else np.nan for c in cells[:ncols]]
                except ValueError:
                    bad = next(c for c in cells if c and not _is_number(c))
                    raise KeypointFileError(path, f"not a number: {bad[:40]!r}", row + i) from None
                arr[i, : len(vals)] = vals
        chunks.append(arr.astype(np.float32))
        row += len(buf)
        buf.clear()

    for line in lines:
        if line.strip():
            buf.append(line.rstrip("\r\n").rstrip(delimiter) if delimiter == "\t" else line.rstrip("\r\n"))
        if len(buf) >= _CHUNK:
            flush()
    flush()
    if not chunks:
        raise KeypointFileError(path, "the header is there but no data rows follow")
    return np.concatenate(chunks)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _open_lines(path: Path) -> Iterator[str]:
    read_text(path)  # empty / not UTF-8 -> one-line error before anything else
    with open(path, encoding="utf-8-sig", newline="") as fh:
        yield from fh


# ----------------------------------------------------------------------------------------------------------- TRC


def read_trc_table(path: Path) -> tuple[list[str], np.ndarray, np.ndarray, float | None, str]:
    """A TRC file as (marker names, frame numbers (T,), values (T, M, 3), data rate or None, units)."""
    lines = _open_lines(path)
    header = [next(lines, "") for _ in range(5)]
    if not header[0].startswith("PathFileType"):
        raise KeypointFileError(path, "not a TRC file: the first line must start with 'PathFileType'")
    keys = header[1].rstrip("\r\n").split("\t")
    vals = header[2].rstrip("\r\n").split("\t")
    meta = dict(zip(keys, vals))
    rate: float | None
    try:
        rate = float(meta.get("DataRate", "nan"))
        rate = rate if np.isfinite(rate) and rate > 0 else None
    except ValueError:
        rate = None
    names = [n.strip() for n in header[3].rstrip("\r\n").split("\t")[2:] if n.strip()]
    if not names or not header[3].startswith("Frame#"):
        raise KeypointFileError(path, "TRC line 4 must be 'Frame#', 'Time' and the marker names")
    ncols = 2 + 3 * len(names)
    data = _numeric_rows(lines, "\t", ncols, path, first_row=1)
    if "NumMarkers" in meta and meta["NumMarkers"].strip().isdigit() and int(meta["NumMarkers"]) != len(names):
        raise KeypointFileError(path, f"NumMarkers says {meta['NumMarkers']} but line 4 names {len(names)} markers")
    frames = data[:, 0]
    if not np.isfinite(frames).all():
        frames = np.arange(len(data), dtype=np.float32)
    return names, frames.astype(np.int64), data[:, 2:].reshape(len(data), len(names), 3), rate, meta.get("Units", "")


def read_trc(path: Path, layout: str | None = None) -> list[Keypoints2D]:
    names, frames, xyz, rate, units = read_trc_table(path)
    mapped = layout_from_names(names)
    if not any(mapped):
        raise KeypointFileError(path, f"no marker name maps onto body keypoints (first names: {', '.join(names[:5])})")
    xy = xyz[..., :2].copy()
    finite_y = xy[..., 1][np.isfinite(xy[..., 1])]
    if units.strip().lower() == "m" and finite_y.size and np.abs(xy[np.isfinite(xy)]).max() < 10:
        xy *= 1000.0
        finite_y = finite_y * 1000.0
    if finite_y.size and (finite_y <= 0).all():
        xy[..., 1] *= -1.0
    conf = np.isfinite(xy).all(-1).astype(np.float32)
    pts = np.concatenate([xy, conf[..., None]], -1)
    return [
        dense_track(
            pts, mapped, path=path, format="trc", layout_name=layout_name_from_names(names), frames=frames, fps=rate
        )
    ]


# ---------------------------------------------------------------------------------------------------- DeepLabCut


def read_deeplabcut(path: Path) -> list[Keypoints2D]:
    lines = _open_lines(path)
    rows = []
    for _ in range(4):
        line = next(lines, None)
        if line is None:
            raise KeypointFileError(path, "truncated DeepLabCut header (needs scorer, bodyparts and coords rows)")
        rows.append([c.strip() for c in line.rstrip("\r\n").split(",")])
    if rows[0][0] != "scorer":
        raise KeypointFileError(path, "not a DeepLabCut CSV: the first row must start with 'scorer'")
    coords_at = next((i for i, r in enumerate(rows) if "coords" in r[:3]), None)
    if coords_at is None:
        raise KeypointFileError(path, "DeepLabCut CSV without a 'coords' header row")
    data_lines: Iterator[str] = lines
    if coords_at == 2:  # single animal: the 4th line read is already data
        data_lines = _chain([",".join(rows[3])], lines)
    coords = rows[coords_at]
    n_index = next(i for i, c in enumerate(coords) if c in ("x", "y", "likelihood"))
    bodyparts = next((r for r in rows[:coords_at] if "bodyparts" in r[:3]), None)
    if bodyparts is None:
        raise KeypointFileError(path, "DeepLabCut CSV without a 'bodyparts' header row")
    individuals = next((r for r in rows[:coords_at] if "individuals" in r[:3]), None)
    ncols = len(coords)
    cols = coords[n_index:]
    parts = bodyparts[n_index:]
    inds = individuals[n_index:] if individuals else [""] * len(cols)
    if len(parts) != len(cols) or len(inds) != len(cols):
        raise KeypointFileError(path, "the DeepLabCut header rows have different lengths")
    # index column(s) may hold image paths: parse only the numeric part of each row
    frame_numbers, data = _strip_index(data_lines, n_index)
    values = _numeric_rows(iter(data), ",", ncols - n_index, path, first_row=0)
    frames = np.array(frame_numbers, dtype=np.int64)
    tracks = []
    for ind in dict.fromkeys(inds):
        point_names = list(dict.fromkeys(p for p, i in zip(parts, inds) if i == ind))
        pts = np.zeros((len(values), len(point_names), 3), np.float32)
        for k, name in enumerate(point_names):
            for c, coord in enumerate(("x", "y", "likelihood")):
                idx = [j for j in range(len(cols)) if parts[j] == name and inds[j] == ind and cols[j] == coord]
                if idx:
                    pts[:, k, c] = values[:, idx[0]]
                elif coord == "likelihood":
                    pts[:, k, c] = 1.0
        mapped = layout_from_names(point_names)
        if not any(mapped):
            continue
        tracks.append(
            dense_track(
                pts,
                mapped,
                path=path,
                format="deeplabcut",
                layout_name=layout_name_from_names(point_names),
                frames=frames,
                track_id=ind or 0,
            )
        )
    if not tracks:
        raise KeypointFileError(path, f"no DeepLabCut body part maps onto body keypoints ({', '.join(parts[:5])} ...)")
    return tracks


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _strip_index(lines: Iterator[str], n_index: int) -> tuple[list[int], list[str]]:
    frames: list[int] = []
    data: list[str] = []
    for n, line in enumerate(lines):
        if not line.strip():
            continue
        parts = line.rstrip("\r\n").split(",", n_index)
        label = parts[n_index - 1] if n_index else str(n)
        digits = re.findall(r"\d+", label)
        frames.append(int(digits[-1]) if digits else n)
        data.append(parts[n_index] if len(parts) > n_index else "")
    return frames, data


# ---------------------------------------------------------------------------------------------------- plain CSV

_SCORE_SUFFIXES = ("score", "c", "conf", "confidence", "likelihood", "visibility", "p", "prob")


def read_csv(path: Path, layout: str | None = None) -> list[Keypoints2D]:
    meta: dict[str, str] = {}
    lines = _open_lines(path)
    first = None
    for line in lines:
        if line.startswith("#"):
            meta.update(re.findall(r"(\w+)\s*=\s*([^\s,;]+)", line))
            continue
        if line.strip():
            first = line.rstrip("\r\n")
            break
    if first is None:
        raise KeypointFileError(path, "no rows in the CSV")
    cells = [c.strip() for c in first.split(",")]
    fps = _meta_float(meta, "fps")
    size = (_meta_float(meta, "image_width"), _meta_float(meta, "image_height"))
    image_size = (int(size[0]), int(size[1])) if size[0] and size[1] else None
    normalized = meta.get("normalized", "").lower() in ("1", "true", "yes")
    if all(_is_number(c) or c == "" for c in cells):
        return [_read_counted_csv(_chain([first], lines), len(cells), path, layout, fps, image_size)]
    return [_read_named_csv(lines, cells, path, fps, image_size, normalized)]


def _meta_float(meta: dict[str, str], key: str) -> float | None:
    try:
        v = float(meta[key])
    except (KeyError, ValueError):
        return None
    return v if np.isfinite(v) and v > 0 else None


def _read_named_csv(lines: Iterator[str], header: list[str], path: Path, fps, image_size, normalized) -> Keypoints2D:
    frame_col = next((i for i, c in enumerate(header) if c.lower() in ("frame", "frame#", "frame_id", "index")), None)
    points: dict[str, dict[str, int]] = {}
    for i, col in enumerate(header):
        m = re.fullmatch(r"(.+?)[_. ](x|y|z|" + "|".join(_SCORE_SUFFIXES) + r")", col, flags=re.I)
        if m:
            kind = m.group(2).lower()
            points.setdefault(m.group(1), {})["score" if kind in _SCORE_SUFFIXES else kind] = i
    names = [n for n, c in points.items() if "x" in c and "y" in c]
    if not names:
        raise KeypointFileError(path, "the CSV header names no '<point>_x', '<point>_y' columns")
    mapped = layout_from_names(names)
    if not any(mapped):
        raise KeypointFileError(path, f"no column names a known body point (first: {', '.join(names[:5])})")
    values = _numeric_rows(lines, ",", len(header), path, first_row=0)
    pts = np.zeros((len(values), len(names), 3), np.float32)
    for k, name in enumerate(names):
        c = points[name]
        pts[:, k, 0], pts[:, k, 1] = values[:, c["x"]], values[:, c["y"]]
        pts[:, k, 2] = values[:, c["score"]] if "score" in c else 1.0
    if normalized and image_size is not None:
        pts[..., 0] *= image_size[0]
        pts[..., 1] *= image_size[1]
    frames = (
        values[:, frame_col].astype(np.int64)
        if frame_col is not None and np.isfinite(values[:, frame_col]).all()
        else None
    )
    layout_name = layout_name_from_names(names)
    fmt = "mediapipe_csv" if layout_name == "MediaPipe-33" else "csv"
    return dense_track(
        pts,
        mapped,
        path=path,
        format=fmt,
        layout_name=layout_name,
        frames=frames,
        fps=fps,
        image_size=image_size,
        normalized=normalized and image_size is None,
    )


def _read_counted_csv(lines: Iterator[str], ncols: int, path: Path, layout: str | None, fps, image_size) -> Keypoints2D:
    layout_name, per_point = counted_layout(ncols, layout, path)
    values = _numeric_rows(lines, ",", ncols, path, first_row=0)
    pts = values.reshape(len(values), -1, per_point)
    if per_point == 2:
        pts = np.concatenate([pts, np.ones(pts.shape[:-1] + (1,), np.float32)], -1)
    return dense_track(
        pts, LAYOUTS[layout_name], path=path, format="csv", layout_name=layout_name, fps=fps, image_size=image_size
    )


def counted_layout(ncols: int, layout: str | None, path: Path) -> tuple[str, int]:
    """Which layout and values per point (3: x, y, score; 2: x, y) a row of ``ncols`` numbers holds."""
    if layout is not None:
        if layout not in LAYOUTS:
            raise KeypointFileError(path, f"unknown layout {layout!r} (known: {', '.join(LAYOUTS)})")
        for per in (3, 2):
            if ncols == per * len(LAYOUTS[layout]):
                return layout, per
        raise KeypointFileError(
            path, f"{ncols} values per row do not fit layout {layout} ({len(LAYOUTS[layout])} points)"
        )
    for per in (3, 2):
        if ncols % per == 0 and ncols // per in LAYOUT_BY_COUNT:
            return LAYOUT_BY_COUNT[ncols // per], per
    raise KeypointFileError(path, f"{ncols} values per row match no known layout (x, y[, score] per point)")


__all__ = ["halpe_name", "read_csv", "read_deeplabcut", "read_trc", "read_trc_table"]
