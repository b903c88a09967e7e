"""MMPose / RTMPose / ViTPose prediction JSON, in the three shapes those tools write.

- per image: ``[{"keypoints": [[x, y], ...], "keypoint_scores": [...], "bbox": ...}, ...]`` (one file per image;
  a folder or glob of them is a clip, frame numbers from the file names);
- per video: ``[{"frame_id": n, "instances": [ ...as above... ]}, ...]``;
- with metadata: ``{"meta_info": {"dataset_name", "keypoint_id2name", ...}, "instance_info": <either of the above>}``.

17 points are COCO-17 unless ``meta_info`` names the dataset ``h36m`` or names the points; 26 Halpe-26; 133
COCO-WholeBody. ``track_id`` on an instance is used when present.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..keypoints import LAYOUTS as KNOWN_LAYOUTS
from ..keypoints import layout_from_names, layout_name_from_names
from ._common import Detections, KeypointFileError, as_points, check_layout, frame_number_from_name, load_json

LAYOUTS = {17: "COCO-17", 26: "Halpe-26", 133: "COCO-WholeBody-133", 136: "Halpe-136"}


def is_instance(x: Any) -> bool:
    return isinstance(x, dict) and "keypoints" in x and ("keypoint_scores" in x or "bbox" in x)


def is_per_video(doc: Any) -> bool:
    return isinstance(doc, list) and bool(doc) and isinstance(doc[0], dict) and "instances" in doc[0]


def is_per_image(doc: Any) -> bool:
    return isinstance(doc, list) and bool(doc) and is_instance(doc[0])


def is_with_meta(doc: Any) -> bool:
    return isinstance(doc, dict) and "instance_info" in doc


def _add_instances(det: Detections, instances: Any, frame: int, path: Path) -> None:
    if not isinstance(instances, list):
        raise KeypointFileError(path, "'instances' must be a list", frame)
    if not instances:
        det.empty_frames.append(frame)
    for inst in instances:
        if not is_instance(inst):
            raise KeypointFileError(path, "an instance without 'keypoints' and 'keypoint_scores'", frame)
        pts = as_points(inst["keypoints"], path, frame)
        pts = pts[:, :2] if pts.shape[1] > 2 else pts
        scores = inst.get("keypoint_scores")
        if scores is not None:
            try:
                s = np.asarray(scores, dtype=np.float64).reshape(-1)
            except (TypeError, ValueError):
                raise KeypointFileError(path, "keypoint_scores must be numbers", frame) from None
            if len(s) != len(pts):
                raise KeypointFileError(path, f"{len(pts)} keypoints but {len(s)} keypoint_scores", frame)
            pts = np.concatenate([pts, s[:, None]], 1)
        check_layout(det, len(pts), frame, LAYOUTS)
        tid = inst.get("track_id")
        det.add(frame, pts, tid if isinstance(tid, int) and not isinstance(tid, bool) else None)


def _apply_meta(det: Detections, meta: Any) -> None:
    if not isinstance(meta, dict):
        return
    names = meta.get("keypoint_id2name")
    if isinstance(names, dict):
        try:
            ordered = [str(names[k]) for k in sorted(names, key=lambda k: int(k))]
        except (TypeError, ValueError):
            ordered = []
        if ordered:
            det.layout, det.layout_name = layout_from_names(ordered), layout_name_from_names(ordered)
            return
    if str(meta.get("dataset_name", "")).lower() in ("h36m", "human36m"):
        det.layout, det.layout_name = KNOWN_LAYOUTS["H36M-17"], "H36M-17"


def read_mmpose_document(doc: Any, path: Path) -> Detections:
    det = Detections(path, "mmpose")
    if is_with_meta(doc):
        _apply_meta(det, doc.get("meta_info"))
        doc = doc["instance_info"]
        if isinstance(doc, list) and doc and is_instance(doc[0]):
            _add_instances(det, doc, 0, path)
            return det
    if not isinstance(doc, list):
        raise KeypointFileError(path, "MMPose predictions must be a list")
    if is_per_image(doc):
        _add_instances(det, doc, 0, path)
        return det
    for n, entry in enumerate(doc):
        if not isinstance(entry, dict) or "instances" not in entry:
            raise KeypointFileError(path, f"entry {n} has no 'instances'")
        frame = entry.get("frame_id", n)
        if isinstance(frame, bool) or not isinstance(frame, int):
            raise KeypointFileError(path, f"entry {n}: frame_id must be an integer")
        _add_instances(det, entry["instances"], frame, path)
    return det


def read_mmpose_images(files: list[Path], source: Path) -> Detections:
    """A folder or glob of per-image prediction files: one frame each."""
    numbers = [frame_number_from_name(f.name) for f in files]
    if any(n is None for n in numbers):
        numbers = list(range(len(files)))
    det = Detections(source, "mmpose")
    for frame, f in sorted(zip(numbers, files)):
        assert frame is not None
        doc = load_json(f)
        if is_with_meta(doc):
            _apply_meta(det, doc.get("meta_info"))
            doc = doc["instance_info"]
        if doc == []:
            det.empty_frames.append(frame)
            continue
        if not is_per_image(doc):
            raise KeypointFileError(f, "not an MMPose per-image prediction list", frame)
        _add_instances(det, doc, frame, f)
    return det
