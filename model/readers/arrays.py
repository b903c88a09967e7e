"""Plain arrays: ``.npy`` and ``.npz``.

- ``.npy``: (T, K, 2 or 3) for one person or (T, P, K, 2 or 3) for P people slots; x, y[, score]. Memory-mapped,
  so a long clip is read without loading it twice.
- ``.npz``: the array under ``keypoints`` (or the file's only array), and optionally ``scores`` (T[, P], K),
  ``layout`` (a layout name), ``fps``, ``image_size`` (width, height), ``frames`` (T,) frame numbers.

K picks the layout (17 means COCO-17 unless ``layout`` says H36M-17). Nothing is unpickled.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..keypoints import LAYOUT_BY_COUNT, LAYOUTS, Keypoints2D
from ._common import KeypointFileError, dense_track


def read_array(path: Path, layout: str | None = None) -> list[Keypoints2D]:
    fps = None
    image_size = None
    frames = None
    scores = None
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.keys())
                key = "keypoints" if "keypoints" in keys else (keys[0] if len(keys) == 1 else None)
                if key is None:
                    raise KeypointFileError(
                        path, f"no 'keypoints' array in the archive (it has {', '.join(keys) or 'none'})"
                    )
                arr = np.asarray(z[key], dtype=np.float32)
                if "scores" in keys:
                    scores = np.asarray(z["scores"], dtype=np.float32)
                if "layout" in keys and layout is None:
                    layout = str(z["layout"])
                if "fps" in keys:
                    fps = float(z["fps"])
                if "image_size" in keys:
                    w, h = np.asarray(z["image_size"]).reshape(-1)[:2]
                    image_size = (int(w), int(h))
                if "frames" in keys:
                    frames = np.asarray(z["frames"]).astype(np.int64)
        else:
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except KeypointFileError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, TypeError) as exc:
        raise KeypointFileError(path, f"not a readable numpy array file ({' '.join(str(exc).split())[:120]})") from None
    if not np.issubdtype(arr.dtype, np.number):
        raise KeypointFileError(path, f"the array holds {arr.dtype}, not numbers")
    if arr.ndim not in (3, 4) or arr.shape[-1] not in (2, 3):
        raise KeypointFileError(
            path, f"expected (frames, points, 2|3) or (frames, people, points, 2|3), got {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise KeypointFileError(path, f"the array has no frames (shape {arr.shape})")
    if arr.ndim == 3:
        arr = arr[:, None]
        scores = scores[:, None] if scores is not None and scores.ndim == 2 else scores
    k = arr.shape[2]
    if layout is None:
        if k not in LAYOUT_BY_COUNT:
            raise KeypointFileError(path, f"{k} points per person is no known layout; name one ({', '.join(LAYOUTS)})")
        layout = LAYOUT_BY_COUNT[k]
    if layout not in LAYOUTS or len(LAYOUTS[layout]) != k:
        raise KeypointFileError(path, f"layout {layout!r} does not fit {k} points per person")
    if fps is not None and not (np.isfinite(fps) and fps > 0):
        raise KeypointFileError(path, f"fps {fps} is not a positive number")
    if frames is not None and len(frames) != arr.shape[0]:
        raise KeypointFileError(path, f"{len(frames)} frame numbers for {arr.shape[0]} frames")
    tracks = []
    for person in range(arr.shape[1]):
        pts = np.asarray(arr[:, person], dtype=np.float32)
        if pts.shape[-1] == 2:
            conf = np.ones(pts.shape[:-1] + (1,), np.float32)
            if scores is not None:
                if scores.shape != arr.shape[:3]:
                    raise KeypointFileError(
                        path, f"scores shape {scores.shape} does not match keypoints {arr.shape[:3]}"
                    )
                conf = scores[:, person, :, None]
            pts = np.concatenate([pts, conf], -1)
        if not (np.isfinite(pts).all(-1) & (pts[..., 2] > 0)).any():
            continue  # an empty people slot
        tracks.append(
            dense_track(
                pts,
                LAYOUTS[layout],
                path=path,
                format=path.suffix.lower()[1:],
                layout_name=layout,
                frames=frames,
                fps=fps,
                image_size=image_size,
                track_id=person,
            )
        )
    if not tracks:
        raise KeypointFileError(path, "no confident point in any frame")
    return tracks
