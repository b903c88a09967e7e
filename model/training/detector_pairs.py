"""Real detections paired with exact 3D: library motion played on the CC0 MakeHuman body (or on bodies of many
builds, ``--bodies``), rendered in Blender and run through MediaPipe (``scripts/training/detector_renders.py --split
train --random-views N``), read back as training sequences whose 2D is the detector's own output, not a noise
model's.

Each rendered view becomes a :class:`DetectorPair`: the motion's rotations (the rig takes them bone for bone: its
limb bones point within 1-6 degrees of the clip's) on the rendered rig's proportions (the canonical skeleton with its
limbs and hip width scaled to the rig's measured lengths, ``rig_offsets``), the root placed where
the rig's hips are, the render's camera in the model's world (``camera_from_blender``) and MediaPipe's points as the
readers give them. ``paired_windows`` cuts training windows from them; ``make_batch(pairs=...)`` mixes them in.

The labels keep the canonical rest directions, as every label does; the MakeHuman rig's torso does not have them
(with its legs placed exactly, its shoulders sit 6-10 cm from where any canonical-direction torso puts them; a torso
fitted freely reproduces them but with a spine no label has), so the shoulders' and arms' positions in the labels are
off the image by that much while their rotations are the rig's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..body_points import keypoints_3d
from ..skeleton import JOINT_INDEX, MODEL_TO_BLENDER, Skeleton
from .synthesis import Camera, Clip

#: The limb joints that the rendered set scores (``detector_renders.py``): shoulders, elbows, wrists, hips, knees,
#: ankles.
LIMBS = tuple(
    f"{side}_{joint}" for joint in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle") for side in ("left", "right")
)

#: The joints the renders record, in their order: the pelvis, then ``LIMBS``.
RECORDED = ("pelvis", *LIMBS)

#: Limb bones measured on the rig, (parent joint, child joint): the child's offset is scaled to the rig's length.
_LIMB_BONES = (("shoulder", "elbow"), ("elbow", "wrist"), ("hip", "knee"), ("knee", "ankle"))

#: Blender camera axes (x right, y up, looking down -z) -> the model's camera axes (x right, y down, z forward).
_BLENDER_TO_CV = np.diag([1.0, -1.0, -1.0])


@dataclass
class DetectorPair:
    """One rendered view: ``clip`` (one sample, T frames, model world), ``camera`` (one camera), ``points`` (T, 26, 3)
    MediaPipe's pixels and confidences, absent points (0, 0, 0)."""

    name: str
    clip: Clip
    camera: Camera
    points: np.ndarray


def camera_from_blender(world_to_camera: np.ndarray, focal: float, image: tuple[float, float]) -> Camera:
    """A Blender camera (its 4 x 4 world-to-camera matrix, focal length in pixels) as a one-sample :class:`Camera`
    in the model's world (``MODEL_TO_BLENDER``): the same pixels for the same point."""
    m = np.asarray(world_to_camera, dtype=np.float64)
    rot_b, t_b = m[:3, :3], m[:3, 3]
    rotation = _BLENDER_TO_CV @ rot_b @ MODEL_TO_BLENDER
    centre = MODEL_TO_BLENDER.T @ (-rot_b.T @ t_b)
    return Camera(rotation[None], centre[None], np.array([float(focal)]), np.array([image], dtype=np.float64))


def rig_offsets(rig_joints: np.ndarray) -> np.ndarray:
    """(22, 3) offsets for the rendered rig: the canonical skeleton with each limb bone (upper arm, forearm, thigh,
    shin; both sides pooled) and the hip width scaled to their median lengths in ``rig_joints`` (N, 13, 3) in
    ``RECORDED`` order. (The shoulders' width changes with the collars' pose: not measured.)"""
    offsets = Skeleton.default().offsets.copy()
    _, rest = keypoints_3d(np.tile([1.0, 0.0, 0.0, 0.0], (1, 22, 1)), offsets, np.zeros((1, 3)))
    rest = rest[0]

    def rig_length(a: str, b: str) -> float:
        return float(
            np.median(np.linalg.norm(rig_joints[:, RECORDED.index(b)] - rig_joints[:, RECORDED.index(a)], axis=-1))
        )

    def rest_length(a: str, b: str) -> float:
        return float(np.linalg.norm(rest[JOINT_INDEX[b]] - rest[JOINT_INDEX[a]]))

    for parent, child in _LIMB_BONES:
        ratio = np.mean(
            [
                rig_length(f"{s}_{parent}", f"{s}_{child}") / rest_length(f"{s}_{parent}", f"{s}_{child}")
                for s in ("left", "right")
            ]
        )
        for s in ("left", "right"):
            offsets[JOINT_INDEX[f"{s}_{child}"]] *= ratio
    width = rig_length("left_hip", "right_hip") / rest_length("left_hip", "right_hip")  # rigid: both on the pelvis
    for s in ("left", "right"):
        offsets[JOINT_INDEX[f"{s}_hip"], 0] *= width
    return offsets


def _root_under_hips(rotations: np.ndarray, offsets: np.ndarray, rig_joints_model: np.ndarray) -> np.ndarray:
    """(T, 3) root path that puts the skeleton's hips' midpoint where the rig's is in every frame."""
    _, joints = keypoints_3d(rotations, offsets, np.zeros((len(rotations), 3)))
    hips = [JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]]
    rig_hips = [RECORDED.index("left_hip"), RECORDED.index("right_hip")]
    return rig_joints_model[:, rig_hips].mean(1) - joints[:, hips].mean(1)


def load_detector_pairs(
    folder: str | Path, max_world_error_mm: float | None = None, left_out: list[str] | None = None
) -> list[DetectorPair]:
    """Every rendered view in ``folder`` (``detector_renders.py``'s ``--out``: ``jobs.json``, its ``.out.json`` and one
    MediaPipe JSON per view; a view without one, where MediaPipe found nobody, is left out) as a
    :class:`DetectorPair`. Each body's proportions (a job's ``character``; one body without) are measured over all of
    its views.

    ``max_world_error_mm``: leave out a view whose MediaPipe world landmarks (its own 3D, the same JSON) are further
    than this from the rig's limb joints (PA-MPJPE over the frames it found the person in): there the detector took
    the body for another pose, and its 2D with it. A view whose JSON has no world landmarks is kept. The names left
    out, with their errors, are appended to ``left_out``."""
    from ..pipeline import UpliftOptions, read_person

    folder = Path(folder)
    jobs = json.loads((folder / "jobs.json").read_text())
    rendered = json.loads((folder / "jobs.json.out.json").read_text())
    by_body: dict[str, list[np.ndarray]] = {}
    for job in jobs:
        by_body.setdefault(job.get("character", ""), []).extend(
            np.array(rec["joints"]) for rec in rendered[job["name"]].values()
        )
    body_offsets = {body: rig_offsets(np.concatenate(every)) for body, every in by_body.items()}
    leaf_ends = Skeleton.default().leaf_ends
    out = []
    for job in jobs:
        motion = np.load(Path(job["motion"]))
        rotations = motion["rotations"].astype(np.float64)
        offsets = body_offsets[job.get("character", "")]
        for view, rec in rendered[job["name"]].items():
            detections = Path(f"{job['dir']}_{view}.json")
            if not detections.is_file():
                continue
            if max_world_error_mm is not None:
                error = world_error_mm(detections, np.array(rec["joints"], dtype=np.float64))
                if error is not None and error > max_world_error_mm:
                    if left_out is not None:
                        left_out.append(f"{job['name']}_{view} ({error:.0f} mm)")
                    continue
            kp = read_person(detections, UpliftOptions())
            rig = np.array(rec["joints"], dtype=np.float64) @ MODEL_TO_BLENDER  # Blender world -> model world
            n = min(len(rotations), len(rig), len(kp.points))
            root = _root_under_hips(rotations[:n], offsets, rig[:n])
            clip = Clip(rotations[None, :n], root[None], offsets[None], [leaf_ends])
            camera = camera_from_blender(np.array(rec["world_to_camera"]), rec["focal_px"], kp.image_size or (640, 480))
            out.append(DetectorPair(f"{job['name']}_{view}", clip, camera, kp.points[:n].astype(np.float32)))
    return out


def world_error_mm(detections: str | Path, rig_joints: np.ndarray) -> float | None:
    """MediaPipe's own 3D (the world landmarks in ``detections``) against the rig's limb joints ``rig_joints`` (T, 13,
    3) in ``RECORDED`` order: PA-MPJPE in mm over the frames it found the person in, as ``detector_renders.py`` scores
    it; None where the JSON has no world landmarks or no such frame."""
    from ..keypoints import HALPE26
    from ..readers import KeypointFileError
    from .evaluation import pa_mpjpe, read_world_landmarks

    try:
        world = read_world_landmarks(detections)[0][:, [HALPE26.index(n) for n in LIMBS]]
    except KeypointFileError:
        return None
    truth = rig_joints[:, 1:]
    n = min(len(world), len(truth))
    seen = np.isfinite(world[:n]).all((-1, -2))
    return float(pa_mpjpe(world[:n][seen], truth[:n][seen])) if seen.any() else None


def paired_windows(
    rng: np.random.Generator, pairs: list[DetectorPair], batch: int, frames: int
) -> tuple[Clip, Camera, np.ndarray]:
    """``batch`` random windows of ``frames`` frames from ``pairs`` (a pair in proportion to its length): their motion,
    cameras and detections, for ``make_batch``'s targets."""
    lengths = np.array([len(p.points) - frames + 1 for p in pairs], dtype=np.float64)
    usable = np.maximum(lengths, 0)
    if usable.sum() <= 0:
        raise ValueError(f"no detector pair has {frames} frames")
    rots, roots, offs, leafs, cams, pts = [], [], [], [], [], []
    for k in rng.choice(len(pairs), size=batch, p=usable / usable.sum()):
        pair = pairs[int(k)]
        s = int(rng.integers(0, int(usable[k])))
        rots.append(pair.clip.rotations[0, s : s + frames])
        roots.append(pair.clip.root[0, s : s + frames])
        offs.append(pair.clip.offsets[0])
        leafs.append(pair.clip.leaf_ends[0])
        cams.append(pair.camera)
        pts.append(pair.points[s : s + frames])
    camera = Camera(
        np.concatenate([c.rotation for c in cams]),
        np.concatenate([c.centre for c in cams]),
        np.concatenate([c.focal for c in cams]),
        np.concatenate([c.image for c in cams]),
    )
    return Clip(np.stack(rots), np.stack(roots), np.stack(offs), leafs), camera, np.stack(pts)
