"""What the network sees: windows of Halpe-26 points normalised for position and person size, at the network's fps.

``normalise_window`` maps pixels to a frame where the window's mean point position is the origin and the person's
RMS radius about it is 1, so image size, person size and position do not matter (and normalised [0, 1] coordinates
work the same). Absent points (confidence 0) stay (0, 0, 0) and are masked by the network. The image's aspect ratio
is kept: x and y share one scale.
"""

from __future__ import annotations

import numpy as np


def normalise_window(points: np.ndarray) -> np.ndarray:
    """(..., T, 26, 3) points -> same shape, normalised per window (over all its frames)."""
    pts = np.asarray(points, dtype=np.float32)
    conf = pts[..., 2]
    seen = (conf > 0).astype(np.float32)
    count = np.maximum(seen.sum((-1, -2)), 1.0)[..., None, None]
    centre = (pts[..., :2] * seen[..., None]).sum((-2, -3), keepdims=True) / count[..., None]
    d2 = (((pts[..., :2] - centre) ** 2).sum(-1) * seen).sum((-1, -2))[..., None, None] / count
    scale = np.sqrt(np.maximum(d2, 1e-12))[..., None]
    out = np.concatenate([(pts[..., :2] - centre) / scale, conf[..., None]], -1)
    out[conf <= 0] = 0.0
    return out.astype(np.float32)


def resample_points(points: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    """(T, 26, 3) points from src_fps to dst_fps by linear interpolation; a point is absent at a new frame when
    either neighbour is absent."""
    t_src = np.arange(len(points)) / src_fps
    n = max(1, int(np.floor(t_src[-1] * dst_fps + 1e-6)) + 1)
    t_dst = np.arange(n) / dst_fps
    pos = np.clip(t_dst * src_fps, 0, len(points) - 1)
    near = np.round(pos)
    pos = np.where(np.abs(pos - near) < 1e-6, near, pos)  # a source frame, not a hair before it (rates like 59.99...)
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, len(points) - 1)
    w = (pos - i0)[:, None, None].astype(np.float32)
    a, b = points[i0], points[i1]
    out = a * (1 - w) + b * w
    both = (a[..., 2] > 0) & ((b[..., 2] > 0) | (w[..., 0] == 0))
    out[~both] = 0.0
    return out.astype(np.float32)


def window_starts(frames: int, window: int, stride: int) -> list[int]:
    """Start frames of overlapping windows covering ``frames`` (the last window ends at the last frame)."""
    if frames <= window:
        return [0]
    starts = list(range(0, frames - window + 1, stride))
    if starts[-1] != frames - window:
        starts.append(frames - window)
    return starts


def blend_weights(window: int) -> np.ndarray:
    """Per-frame weights for overlap blending: highest in the middle of a window, small but non-zero at its ends."""
    x = (np.arange(window) + 0.5) / window
    return (np.sin(np.pi * x) ** 2 + 1e-3).astype(np.float32)
