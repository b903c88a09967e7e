"""COCO keypoint files and the lists that COCO-style tools write.

- COCO annotation files: ``{"images": [...], "annotations": [{"image_id", "keypoints": [x, y, v, ...]}],
  "categories": [{"keypoints": [names]}]}``. Visibility ``v`` becomes confidence: 2 (visible) -> 1.0,
  1 (labelled, occluded) -> 0.5, 0 (not labelled) -> 0. Frame order: the frame number in each image's file name
  (``frame_id`` when given), else the image id; ``width``/``height`` give the image size.
- COCO result lists: ``[{"image_id": int, "category_id": 1, "keypoints": [x, y, score, ...], "score"}]``.
- AlphaPose results: the same list with ``image_id`` a file name (``"12.jpg"``) and ``idx`` the track id when
  AlphaPose ran with pose tracking; 17 (COCO), 26 (Halpe), 133 (COCO-WholeBody) and 136 (Halpe) points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._common import Detections, KeypointFileError, as_points, check_layout, frame_number_from_name

LAYOUTS = {17: "COCO-17", 26: "Halpe-26", 133: "COCO-WholeBody-133", 136: "Halpe-136"}


def is_annotation_file(doc: Any) -> bool:
    return isinstance(doc, dict) and "annotations" in doc and "images" in doc


def is_result_list(doc: Any) -> bool:
    return (
        isinstance(doc, list)
        and bool(doc)
        and isinstance(doc[0], dict)
        and "image_id" in doc[0]
        and "keypoints" in doc[0]
    )


def read_coco_annotations(doc: dict, path: Path) -> Detections:
    det = Detections(path, "coco")
    images, anns = doc.get("images"), doc.get("annotations")
    if not isinstance(images, list) or not isinstance(anns, list):
        raise KeypointFileError(path, "'images' and 'annotations' must be lists")
    frame_of: dict[Any, int] = {}
    by_name = [frame_number_from_name(str(im.get("file_name", ""))) if isinstance(im, dict) else None for im in images]
    for n, im in enumerate(images):
        if not isinstance(im, dict) or not isinstance(im.get("id"), (int, str)) or isinstance(im.get("id"), bool):
            raise KeypointFileError(path, f"image entry {n} has no 'id' (a number or a name)")
        if "frame_id" in im and isinstance(im["frame_id"], int):
            frame_of[im["id"]] = im["frame_id"]
        elif all(b is not None for b in by_name) and len(set(by_name)) == len(by_name):
            frame_of[im["id"]] = by_name[n]  # type: ignore[assignment]
        elif isinstance(im["id"], int):
            frame_of[im["id"]] = im["id"]
        else:
            frame_of[im["id"]] = n
        if det.image_size is None and isinstance(im.get("width"), int) and isinstance(im.get("height"), int):
            if im["width"] > 0 and im["height"] > 0:
                det.image_size = (im["width"], im["height"])
    cats = doc.get("categories")
    names = cats[0].get("keypoints") if isinstance(cats, list) and cats and isinstance(cats[0], dict) else None
    seen = set()
    for n, ann in enumerate(anns):
        if not isinstance(ann, dict) or "keypoints" not in ann:
            raise KeypointFileError(path, f"annotation {n} has no 'keypoints'")
        image_id = ann.get("image_id")
        if not isinstance(image_id, (int, str)) or image_id not in frame_of:
            raise KeypointFileError(
                path, f"annotation {n} refers to image {ann.get('image_id')!r}, which is not listed"
            )
        frame = frame_of[ann["image_id"]]
        pts = as_points(ann["keypoints"], path, frame)
        if pts.shape[1] != 3:
            raise KeypointFileError(path, "COCO keypoints must be flat x, y, v triples", frame)
        if (
            isinstance(names, list)
            and len(names) == len(pts)
            and det.layout is None
            and all(isinstance(n, str) for n in names)
        ):
            from ..keypoints import layout_from_names, layout_name_from_names

            det.layout, det.layout_name = layout_from_names(names), layout_name_from_names(names)
        check_layout(det, len(pts), frame, LAYOUTS)
        v = pts[:, 2]
        pts[:, 2] = (v >= 2) * 1.0 + (v == 1) * 0.5
        tid = ann.get("track_id")
        det.add(frame, pts, tid if isinstance(tid, int) and not isinstance(tid, bool) else None)
        seen.add(frame)
    det.empty_frames = sorted(set(frame_of.values()) - seen)
    return det


def read_result_list(doc: list, path: Path) -> Detections:
    alphapose = any(isinstance(d, dict) and ("idx" in d or isinstance(d.get("image_id"), str)) for d in doc)
    det = Detections(path, "alphapose" if alphapose else "coco_results")
    names: dict[str, int] = {}
    for n, d in enumerate(doc):
        if not isinstance(d, dict) or "keypoints" not in d or "image_id" not in d:
            raise KeypointFileError(path, f"entry {n} needs 'image_id' and 'keypoints'")
        image_id = d["image_id"]
        if isinstance(image_id, bool) or not isinstance(image_id, (int, str)):
            raise KeypointFileError(path, f"entry {n}: image_id must be a number or a file name")
        if isinstance(image_id, int):
            frame = image_id
        else:
            number = frame_number_from_name(image_id)
            frame = number if number is not None else names.setdefault(image_id, len(names))
        pts = as_points(d["keypoints"], path, frame)
        check_layout(det, len(pts), frame, LAYOUTS)
        idx = d.get("idx")
        if isinstance(idx, list) and len(idx) == 1:  # AlphaPose writes [id] in some versions
            idx = idx[0]
        if isinstance(idx, float) and idx.is_integer():
            idx = int(idx)
        det.add(frame, pts, idx if isinstance(idx, int) and not isinstance(idx, bool) else None)
    return det
