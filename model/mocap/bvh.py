"""BVH motion files: the reader (no bpy). Mapping and retargeting are format-neutral (:mod:`.clip`, :mod:`.retarget`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..rotations import elementary_rotation
from .clip import MotionClip, MotionFileError


def read_bvh(path: str | Path) -> MotionClip:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except (OSError, UnicodeDecodeError) as exc:
        raise MotionFileError(f"{path}: cannot read the file ({exc})") from None
    tokens = text.split()
    if not tokens or tokens[0] != "HIERARCHY":
        raise MotionFileError(f"{path}: not a BVH file (no HIERARCHY)")
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[list[str]] = []
    end_sites: dict[int, np.ndarray] = {}
    stack: list[int] = []
    i = 1
    try:
        while tokens[i] != "MOTION":
            tok = tokens[i]
            if tok in ("ROOT", "JOINT"):
                names.append(tokens[i + 1])
                parents.append(stack[-1] if stack else -1)
                offsets.append([0.0, 0.0, 0.0])
                channels.append([])
                i += 2
            elif tok == "End":
                assert tokens[i + 2] == "{" and tokens[i + 3] == "OFFSET"
                end_sites[stack[-1]] = np.array([float(t) for t in tokens[i + 4 : i + 7]])
                assert tokens[i + 7] == "}"
                i += 8
            elif tok == "{":
                stack.append(len(names) - 1)
                i += 1
            elif tok == "}":
                stack.pop()
                i += 1
            elif tok == "OFFSET":
                offsets[-1] = [float(t) for t in tokens[i + 1 : i + 4]]
                i += 4
            elif tok == "CHANNELS":
                n = int(tokens[i + 1])
                channels[-1] = tokens[i + 2 : i + 2 + n]
                i += 2 + n
            else:
                raise MotionFileError(f"{path}: unexpected {tok!r} in the hierarchy")
        assert tokens[i + 1] == "Frames:" and tokens[i + 3] == "Frame" and tokens[i + 4] == "Time:"
        frames, frame_time = int(tokens[i + 2]), float(tokens[i + 5])
        data = np.array(tokens[i + 6 :], dtype=np.float64)
    except (IndexError, ValueError, AssertionError):
        raise MotionFileError(f"{path}: malformed BVH near token {i}") from None
    width = sum(len(c) for c in channels)
    if frames <= 0 or data.size < frames * width or frame_time <= 0:
        raise MotionFileError(f"{path}: {data.size} motion values, expected {frames} frames x {width} channels")
    data = data[: frames * width].reshape(frames, width)
    rot = np.tile(np.eye(3), (frames, len(names), 1, 1))
    root = np.tile(np.array(offsets[0]), (frames, 1))
    col = 0
    for j, chans in enumerate(channels):
        r = np.tile(np.eye(3), (frames, 1, 1))
        for ch in chans:
            v = data[:, col]
            col += 1
            if ch.endswith("rotation"):
                r = r @ elementary_rotation(ch[0], np.radians(v))
            elif ch.endswith("position") and j == 0:
                root[:, "XYZ".index(ch[0].upper())] = v
        rot[:, j] = r
    return MotionClip(names, parents, np.array(offsets), end_sites, rot, root, frame_time)
