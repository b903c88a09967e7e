"""MediaPipe Pose landmarks (33 points) as JSON. The CSV form is read by :mod:`.tables` (named columns).

Pose Uplift's MediaPipe JSON (written by ``scripts/detect_mediapipe.py``, easy to write from any MediaPipe script)::

    {"format": "mediapipe_pose", "version": 1,
     "image_width": 1920, "image_height": 1080, "fps": 30.0,
     "normalized": true,
     "frames": [{"frame": 0, "poses": [[[x, y, z, visibility], ... 33 landmarks]]},
                {"frame": 1, "poses": []}]}

``normalized: true`` means x, y in [0, 1] of the image width and height (MediaPipe's own output); they are turned
into pixels when the image size is given. ``false`` means pixels. ``z`` is ignored. Confidence = ``visibility``
(``presence`` if that is missing, else 1; a row
of fewer than four numbers is x, y[, z] with confidence 1). A frame may give ``"landmarks": [...]`` (one person) instead of
``"poses"``; landmarks may also be objects ``{"x", "y", "z", "visibility"}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ._common import Detections, KeypointFileError, check_layout

LAYOUTS = {33: "MediaPipe-33"}


def looks_like(doc: Any) -> bool:
    return isinstance(doc, dict) and (
        doc.get("format") == "mediapipe_pose"
        or (
            isinstance(doc.get("frames"), list)
            and doc["frames"]
            and isinstance(doc["frames"][0], dict)
            and ("poses" in doc["frames"][0] or "landmarks" in doc["frames"][0])
        )
    )


def _landmarks(value: Any, path: Path, frame: int) -> np.ndarray:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        try:
            rows = [[lm["x"], lm["y"], lm.get("visibility", lm.get("presence", 1.0))] for lm in value]
        except (KeyError, TypeError):
            raise KeypointFileError(path, "a landmark without x and y", frame) from None
        value = rows
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise KeypointFileError(path, "landmarks must be lists of numbers", frame) from None
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise KeypointFileError(path, f"landmarks must be (33, 2..4), got shape {arr.shape}", frame)
    conf = arr[:, 3] if arr.shape[1] >= 4 else np.ones(len(arr))  # rows are (x, y[, z[, visibility]])
    return np.stack([arr[:, 0], arr[:, 1], conf], 1)


def read_mediapipe_json(doc: dict, path: Path) -> Detections:
    det = Detections(path, "mediapipe")
    frames = doc.get("frames")
    if not isinstance(frames, list):
        raise KeypointFileError(path, "'frames' must be a list")
    w, h = doc.get("image_width"), doc.get("image_height")
    size: tuple[float, float] | None = None
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) and v >= 1 for v in (w, h)):
        size = (float(w), float(h))  # type: ignore[arg-type]
    normalized = doc.get("normalized", True) is not False
    fps = doc.get("fps")
    if isinstance(fps, (int, float)) and not isinstance(fps, bool) and np.isfinite(fps) and fps > 0:
        det.fps = float(fps)
    if size is not None:
        det.image_size = (int(size[0]), int(size[1]))
    det.normalized = normalized and size is None
    for n, entry in enumerate(frames):
        if not isinstance(entry, dict):
            raise KeypointFileError(path, "each frame must be an object", n)
        frame = entry.get("frame", n)
        if isinstance(frame, bool) or not isinstance(frame, int):
            raise KeypointFileError(path, "'frame' must be an integer", n)
        poses = entry.get("poses")
        if poses is None:
            lm = entry.get("landmarks")
            poses = [lm] if lm else []
        if not isinstance(poses, list):
            raise KeypointFileError(path, "'poses' must be a list", frame)
        if not poses:
            det.empty_frames.append(frame)
        for pose in poses:
            pts = _landmarks(pose, path, frame)
            check_layout(det, len(pts), frame, LAYOUTS)
            if normalized and size is not None:
                pts[:, 0] *= size[0]
                pts[:, 1] *= size[1]
            det.add(frame, pts)
    return det
