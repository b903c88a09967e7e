"""Read 2D keypoint files of any supported format into :class:`~model.keypoints.Keypoints2D` tracks.

``read_keypoints(path)`` gives one person (the one present in the most frames, or ``person=``);
``read_tracks(path)`` gives every person. ``path`` may be a file, a folder (OpenPose or MMPose per-frame JSON) or a
glob such as ``"clip/*_keypoints.json"``. The format is detected from the content, never only from the name.
Every failure is a :class:`KeypointFileError` whose message is one line naming the file, the frame where it
applies, and the problem.

Formats: OpenPose JSON (BODY_25, COCO-18, Halpe-26), COCO annotation files and result lists, AlphaPose results,
MMPose / RTMPose / ViTPose predictions, MediaPipe Pose JSON and CSV, TRC (2D pixel markers), DeepLabCut CSV, and
plain ``.npy`` / ``.npz`` / ``.csv`` arrays in a named layout.
"""

from __future__ import annotations

import glob as globlib
import re
from pathlib import Path

from ..keypoints import Keypoints2D
from . import coco, mediapipe, mmpose, openpose
from ._common import KeypointFileError, load_json, read_text, tracks_from_detections
from .arrays import read_array
from .tables import read_csv, read_deeplabcut, read_trc, read_trc_table

#: File name patterns the import dialog offers (a folder of OpenPose JSON is chosen as a folder).
FILE_PATTERNS = ("*.json", "*.csv", "*.trc", "*.npy", "*.npz")


def read_tracks(path: str | Path, layout: str | None = None) -> list[Keypoints2D]:
    """Every person in the file, most-present first. ``layout`` names the layout of bare arrays (e.g. H36M-17)."""
    spec = str(path)
    if any(ch in spec for ch in "*?[") and not Path(spec).exists():
        files = sorted(Path(p) for p in globlib.glob(spec) if Path(p).is_file())
        if not files:
            raise KeypointFileError(spec, "the pattern matches no files")
        return _read_json_frames(files, Path(spec))
    p = Path(spec)
    if p.is_dir():
        return _read_folder(p)
    if not p.exists():
        raise KeypointFileError(p, "no such file or folder")
    suffix = p.suffix.lower()
    if suffix in (".npy", ".npz"):
        return read_array(p, layout)
    if suffix == ".trc":
        return read_trc(p, layout)
    if suffix == ".json":
        sequence = openpose_sequence(p)
        return _read_json_frames(sequence, _sequence_source(p, sequence)) if len(sequence) > 1 else _read_json_file(p)
    if suffix in (".csv", ".txt"):
        first = read_text(p).lstrip()[:200]
        return read_deeplabcut(p) if first.startswith("scorer") else read_csv(p, layout)
    raise KeypointFileError(p, f"unknown keypoint format '{suffix or p.name}' (known: {', '.join(FILE_PATTERNS)})")


def read_keypoints(path: str | Path, person: int | str | None = None, layout: str | None = None) -> Keypoints2D:
    """One person's track: ``person`` is a track id, or ``None`` for the person present in the most frames."""
    tracks = read_tracks(path, layout)
    if person is None:
        return tracks[0]
    for t in tracks:
        if t.track_id == person or str(t.track_id) == str(person):
            return t
    ids = ", ".join(str(t.track_id) for t in tracks)
    raise KeypointFileError(path, f"no person with track id {person!r} (the file has: {ids})")


def _read_json_file(p: Path) -> list[Keypoints2D]:
    doc = load_json(p)
    if openpose.looks_like(doc):
        return tracks_from_detections(openpose.read_openpose([p], p))
    if coco.is_annotation_file(doc):
        return tracks_from_detections(coco.read_coco_annotations(doc, p))
    if mmpose.is_with_meta(doc) or mmpose.is_per_video(doc) or mmpose.is_per_image(doc):
        return tracks_from_detections(mmpose.read_mmpose_document(doc, p))
    if coco.is_result_list(doc):
        return tracks_from_detections(coco.read_result_list(doc, p))
    if mediapipe.looks_like(doc):
        return tracks_from_detections(mediapipe.read_mediapipe_json(doc, p))
    if doc == [] or doc == {}:
        raise KeypointFileError(p, "the JSON holds no detections")
    raise KeypointFileError(p, "unknown JSON keypoint format (not OpenPose, COCO, AlphaPose, MMPose or MediaPipe)")


_NUMBERED = re.compile(r"^(.*?)(\d+)_keypoints\.json$", re.IGNORECASE)


def openpose_sequence(path: Path) -> list[Path]:
    """Every file of the numbered ``<name>_<frame>_keypoints.json`` sequence that ``path`` belongs to (like an
    image sequence: picking any one of its files means the whole clip); ``[path]`` when it is no such file."""
    m = _NUMBERED.match(path.name)
    if not m:
        return [path]
    prefix = m.group(1)
    pattern = re.compile(re.escape(prefix) + r"\d+_keypoints\.json$", re.IGNORECASE)
    files = sorted(f for f in path.parent.iterdir() if pattern.match(f.name) and f.is_file())
    return files or [path]


def _sequence_source(path: Path, sequence: list[Path]) -> Path:
    """The folder when the sequence is all of its keypoint files, else the sequence's name pattern in it."""
    if len(sequence) == len(list(path.parent.glob("*_keypoints.json"))):
        return path.parent
    m = _NUMBERED.match(path.name)
    return path.parent / f"{m.group(1) if m else ''}#_keypoints.json"


def _read_folder(folder: Path) -> list[Keypoints2D]:
    files = sorted(folder.glob("*_keypoints.json")) or sorted(folder.glob("*.json"))
    if not files:
        raise KeypointFileError(folder, "the folder holds no keypoint files (*_keypoints.json or *.json)")
    return _read_json_frames(files, folder)


def _read_json_frames(files: list[Path], source: Path) -> list[Keypoints2D]:
    """Several JSON files as the frames of one clip: OpenPose per frame, or MMPose per image."""
    if len(files) == 1:
        return _read_json_file(files[0])
    first = load_json(files[0])
    if openpose.looks_like(first):
        return tracks_from_detections(openpose.read_openpose(files, source))
    if mmpose.is_per_image(first) or mmpose.is_with_meta(first) or first == []:
        return tracks_from_detections(mmpose.read_mmpose_images(files, source))
    raise KeypointFileError(files[0], "a folder of JSON files must hold OpenPose or MMPose per-frame predictions")


__all__ = ["FILE_PATTERNS", "KeypointFileError", "read_keypoints", "read_tracks", "read_trc_table"]
