"""OpenPose per-frame JSON: ``<name>_<frame>_keypoints.json``, one file per frame, ``people[*].pose_keypoints_2d``.

BODY_25, COCO-18 and 26-point Halpe (as Pose2Sim / Sports2D write it) are told apart by the point count. A missing
point is written as (0, 0, 0) by OpenPose; it becomes confidence 0 here. ``person_id`` is used as the track id when
every person has a non-negative one; otherwise people are linked frame to frame by position.
"""

from __future__ import annotations

from pathlib import Path

from ._common import Detections, KeypointFileError, as_points, check_layout, frame_number_from_name, load_json

LAYOUTS = {25: "BODY_25", 18: "COCO-18", 26: "Halpe-26", 17: "COCO-17"}


def looks_like(doc: object) -> bool:
    return isinstance(doc, dict) and "people" in doc


def read_openpose(files: list[Path], source: Path) -> Detections:
    det = Detections(source, "openpose")
    numbers = [frame_number_from_name(f.name) for f in files]
    if any(n is None for n in numbers):
        numbers = list(range(len(files)))  # no numbers in the names: the sorted order is the time order
    if len(set(numbers)) != len(numbers):
        raise KeypointFileError(source, "two files claim the same frame number")
    for frame, f in sorted(zip(numbers, files)):
        assert frame is not None
        doc = load_json(f)
        if not looks_like(doc):
            raise KeypointFileError(f, "not an OpenPose frame: no 'people' list", frame)
        people = doc["people"]
        if not isinstance(people, list):
            raise KeypointFileError(f, "'people' must be a list", frame)
        before = len(det.frames)
        for person in people:
            if not isinstance(person, dict) or "pose_keypoints_2d" not in person:
                raise KeypointFileError(f, "a person without 'pose_keypoints_2d'", frame)
            pts = as_points(person["pose_keypoints_2d"], f, frame, "pose_keypoints_2d")
            if pts.shape[1] != 3:
                raise KeypointFileError(f, "pose_keypoints_2d must be flat x, y, confidence triples", frame)
            if len(pts) == 0 or not pts.any():
                continue
            check_layout(det, len(pts), frame, LAYOUTS)
            pid = person.get("person_id", -1)
            pid = pid[0] if isinstance(pid, list) and pid else pid
            det.add(frame, pts, pid if isinstance(pid, int) and not isinstance(pid, bool) and pid >= 0 else None)
        if len(det.frames) == before:
            det.empty_frames.append(frame)
    return det
