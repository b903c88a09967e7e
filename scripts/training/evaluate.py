"""Evaluate the bundled model (or any weights) on motion it never saw, always beside the baselines a user would
compare with, so that a model no better than a constant pose cannot hide.

    python scripts/training/evaluate.py --library-split validation --library runs/motion_library.npz --json OUT.json
    python scripts/training/evaluate.py --motion FILE --json OUT.json [--weights W.npz] [--ik-every 10] [--max-frames N]
    python scripts/training/evaluate.py --keypoints PATH --reference FILE.trc [--fps 60] [--world-baseline MP.json]
                                        [--image-size W H] [--fov DEG]

Semi-synthetic (``--motion`` any motion file, alias ``--bvh``; or ``--library-split``: every clip of the motion
library's validation subjects): the clip on the canonical skeleton (its subject's bone lengths) gives the 26
detector points, projected through fixed virtual cameras (``--motion``: 4 at azimuth 0/90/180/270 degrees, 5 m away,
1.2 m high, 60 degrees, 1920 x 1080; ``--library-split``: those 4, a phone held upright 3 m in front and a high corner
camera), with ``--noise``: exact points, or a detector profile at level 1 (default MediaPipe's, measured, with its
point placement), a fixed seed, points outside the image dropped; uplifted and compared with the reference: MPJPE,
N-MPJPE, PA-MPJPE, MPJAE (all 22 joints, the root's in the gravity frame), the root path (``clip_aligned_mpjpe_mm``:
world positions after one similarity transform for the whole clip; ``root_path_mm``: the pelvis alone), the feet
(``planted_foot_speed_m_s``: the model's foot speed where the truth's foot is still), the vertical (the pelvis'
height range, truth and model), the up direction, per-joint and per-camera tables (``per_joint_twist_deg``: of each
joint's angle error, the turn about its own segment). Where the error is: the model's
rotations on the true skeleton (``rotations_on_true_skeleton``) and the true rotations on the model's skeleton
(``true_rotations_on_its_skeleton``); each limb segment's direction in the image against the part toward the camera
(``limb_directions``: ``evaluation.limb_directions``); ``--library-split train`` asks whether the model fits its own training data. Baselines: IK and bone direction from the model's own 3D joints on every
``--ik-every``-th frame (``model_on_baseline_frames`` is the model on exactly those frames), and the training set's
mean pose held constant (``--library``). ``--approach`` (with ``--library-split``): a person walking toward the
camera instead, the root's depth from the camera, truth and model (``evaluate_approach``). ``--roll DEG`` (with ``--library-split``) turns every camera about its axis: footage from
a tilted hand-held camera.

With ``--keypoints`` (any keypoint file or folder the add-on reads) and ``--reference`` (a 3D marker TRC with
Halpe-style names such as LShoulder, RKnee, LAnkle, Nose; mm, cm or m): real 2D detections are uplifted and the
predicted 26 points compared with the markers of the same names, matched in time (keypoint frame 0 = reference time
0; ``--offset`` shifts the reference). ``pa_mpjpe_mm`` per frame after the best similarity transform, ``mpjpe_mm``
after one similarity transform for the whole clip (the root trajectory counts); ``placed_as_mediapipe_pa_mpjpe_mm``
the same with the predicted body's points moved to where MediaPipe puts them (``synthesis.MEDIAPIPE_PLACEMENT``,
measured on rendered bodies), for references triangulated from MediaPipe. Baselines: the reference's own mean
pose held constant (an oracle), the training mean pose (``--library``), MediaPipe's world landmarks
(``--world-baseline``). ``--calibration FILE.json CAMERA`` (the camera's K, distortion, R, t) splits the error: the
model on the reference projected into that camera (exact 2D: the lifting's share), the detector's 2D error against
that projection, and the camera's roll and pitch beside the ones the model's up direction implies.

Every uplift runs with the extension's defaults: Mirror Averaging, Fix Left/Right Swaps and Level the Camera
(``--no-flip``: one pass; ``--keep-swaps``: the detections as they are; ``--no-level``: the points as the camera
saw them).

Prints the JSON; exit code 1 with a one-line error for an unreadable clip.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from model import rotations as R  # noqa: E402
from model.body_points import keypoints_3d  # noqa: E402
from model.keypoints import HALPE26, NUM_KEYPOINTS, Keypoints2D  # noqa: E402
from model.kinematics import forward_kinematics  # noqa: E402
from model.mocap import read_motion  # noqa: E402
from model.mocap.clip import MotionFileError  # noqa: E402
from model.motion import Motion  # noqa: E402
from model.network import WeightsError  # noqa: E402
from model.readers import KeypointFileError, read_tracks  # noqa: E402
from model.root_path import DEFAULT_FOV  # noqa: E402
from model.rotations import quat_to_matrix  # noqa: E402
from model.skeleton import JOINT_NAMES, Skeleton  # noqa: E402
from model.training import evaluation as E  # noqa: E402
from model.training.library import training_mean_pose  # noqa: E402
from model.training.synthesis import (  # noqa: E402
    NOISE_PROFILES,
    Clip,
    detector_noise,
    detector_placement,
    gravity_frame,
    placement_shift,
)
from model.uplift import Uplifter  # noqa: E402

#: How every uplift here runs unless a function's ``runtime`` says otherwise (``Uplifter`` keywords): the extension's
#: defaults (Mirror Averaging, Fix Left/Right Swaps, Level the Camera).
RUNTIME_DEFAULTS = {"flip": True, "fix_swaps": True, "level": True}
#: Each joint's segment at rest (to its main child, or a leaf's end): the axis its twist error is measured about.
SEGMENT_DIRECTIONS = Skeleton.default().segment_ends - Skeleton.default().rest_positions


def seen_by(ref: Motion, kp3d: np.ndarray, cam, noise: str, rng: np.random.Generator) -> Keypoints2D:
    """The 26 points ``kp3d`` (1, T, 26, 3) of ``ref`` as one camera's detections: exact, or a detector profile at
    level 1 with its measured point placement; points outside the image dropped."""
    if noise == "exact":
        px, depth = cam.project(kp3d)
        noisy = np.concatenate([px, np.ones(px.shape[:-1] + (1,))], -1)
    else:
        clip = Clip(
            ref.rotations[None], ref.root_translation[None], ref.skeleton.offsets[None], [ref.skeleton.leaf_ends]
        )
        px, depth = cam.project(detector_placement(rng, kp3d, clip, level=1.0))
        noisy = detector_noise(rng, px, ref.fps, level=1.0, profile=noise)
    noisy[((px < 0) | (px > cam.image[:, None, None, :])).any(-1) | (depth <= 0.1)] = 0.0  # out of the image
    w, h = (float(v) for v in cam.image[0])
    return Keypoints2D(noisy[0], fps=ref.fps, image_size=(int(w), int(h)), source_format="semi-synthetic")


def evaluate_motion(
    ref: Motion,
    uplifter: Uplifter,
    cameras: list,
    ik_every: int,
    constant: np.ndarray | None,
    seed: int = 0,
    noise: str = "mediapipe",
) -> list[dict]:
    """One reference motion seen by each camera: a row of metrics per camera (model, the split of its error, and
    baselines on every ``ik_every``-th frame), plus per-joint errors. ``noise``: "exact" (the keypoint model's
    points) or a detector profile of ``NOISE_PROFILES`` at level 1 with its measured point placement."""
    frames = ref.num_frames
    rot_ref = quat_to_matrix(ref.rotations)
    root = ref.root_translation
    kp3d, _ = keypoints_3d(ref.rotations[None], ref.skeleton.offsets[None], root[None])
    sub = np.arange(0, frames, ik_every) if ik_every > 0 else np.arange(0)
    rows = []
    for k, cam in enumerate(cameras):
        kps = seen_by(ref, kp3d, cam, noise, np.random.default_rng(seed + k))
        t0 = time.perf_counter()
        motion = uplifter(kps)
        seconds = time.perf_counter() - t0
        g = gravity_frame(cam)[0]
        ref_pos = ref.joint_positions @ g.T
        ref_world = ref.world_positions() @ g.T
        ref_rot = rot_ref.copy()
        ref_rot[:, 0] = g @ ref_rot[:, 0]
        pred_rot = quat_to_matrix(motion.rotations)
        row: dict = {
            "camera": E.CAMERA_NAMES[k] if k < len(E.CAMERA_NAMES) else str(k),
            "frames": frames,
            "seconds": seconds,
        }
        row["model"] = E.position_metrics(motion.joint_positions, ref_pos) | {
            "mpjae_deg": E.mpjae(pred_rot, ref_rot),
            "clip_aligned_mpjpe_mm": E.clip_aligned_mpjpe(motion.world_positions(), ref_world),
            "up_error_deg": E.angle_between(motion.up_in_camera, np.repeat(cam.up_in_camera(), frames, 0)),
        }
        # where the error is: its rotations on the true skeleton, the true rotations on its skeleton
        zero = np.zeros((frames, 3))
        on_true, _ = forward_kinematics(pred_rot, ref.skeleton.offsets, zero)
        true_on_its, _ = forward_kinematics(ref_rot, motion.skeleton.offsets, zero)
        row["rotations_on_true_skeleton"] = E.position_metrics(on_true, ref_pos)
        row["true_rotations_on_its_skeleton"] = E.position_metrics(true_on_its, ref_pos)
        to_camera = (cam.rotation[0] @ g.T).T  # G -> the camera's frame (rows: G's axes in the camera)
        row["limb_directions"] = E.limb_directions(motion.joint_positions @ to_camera, ref_pos @ to_camera)
        row["model"] |= E.root_and_feet(motion, ref, g)
        aligned = E.procrustes(motion.joint_positions, ref_pos)
        row["per_joint_pa_mm"] = (np.linalg.norm(aligned - ref_pos, axis=-1).mean(0) * 1000).tolist()
        row["per_joint_angle_deg"] = np.degrees(R.geodesic_angle(pred_rot, ref_rot).mean(0)).tolist()
        row["per_joint_twist_deg"] = np.degrees(E.twist_angle(pred_rot, ref_rot, SEGMENT_DIRECTIONS).mean(0)).tolist()
        if constant is not None:  # the training set's mean pose, held constant (root: the truth's, for fairness)
            q = np.repeat(constant[None], frames, 0)
            pos, _ = forward_kinematics(q, ref.skeleton.offsets, np.zeros((frames, 3)))
            rots = quat_to_matrix(q)
            rots[:, 0] = ref_rot[:, 0]
            row["constant_mean_pose"] = E.position_metrics(pos, ref_pos) | {"mpjae_deg": E.mpjae(rots, ref_rot)}
        if len(sub):
            joints = motion.joint_positions[sub]
            ik, ik_seconds = E.ik_rotations(joints, motion.skeleton)
            bd = E.bone_direction_rotations(joints, motion.skeleton)
            row["model_on_baseline_frames"] = E.position_metrics(joints, ref_pos[sub]) | {
                "mpjae_deg": E.mpjae(pred_rot[sub], ref_rot[sub]),
                "frames": len(sub),
            }
            for name, rots in (("ik", ik), ("bone_direction", bd)):
                pos, _ = forward_kinematics(rots, motion.skeleton.offsets, np.zeros((len(sub), 3)))
                row[name] = E.position_metrics(pos, ref_pos[sub]) | {
                    "mpjae_deg": E.mpjae(rots, ref_rot[sub]),
                    "frames": len(sub),
                }
            row["ik"]["seconds_per_frame"] = ik_seconds
        rows.append(row)
    return rows


def summarise(rows: list[dict]) -> dict:
    """Frame-weighted means of every metric over rows (cameras x clips); per-joint tables by joint name."""
    out: dict = {}
    for part in (
        "model",
        "rotations_on_true_skeleton",
        "true_rotations_on_its_skeleton",
        "constant_mean_pose",
        "ik",
        "bone_direction",
        "model_on_baseline_frames",
        "limb_directions",
    ):
        have = [r for r in rows if part in r]
        if not have:
            continue
        weights = np.array([r[part].get("frames", r["frames"]) for r in have], dtype=np.float64)
        keys = [k for k in have[0][part] if k not in ("frames", "seconds_per_frame")]
        out[part] = {}
        for k in keys:  # rows without a value (no planted foot in a clip) left out of that mean
            v = np.array([r[part][k] for r in have], dtype=np.float64)
            ok = np.isfinite(v)
            out[part][k] = round(float(np.average(v[ok], weights=weights[ok])), 2) if ok.any() else None
        out[part]["frames"] = int(weights.sum())
        if part == "ik":
            out[part]["seconds_per_frame"] = round(float(np.mean([r["ik"]["seconds_per_frame"] for r in have])), 3)
    weights = np.array([r["frames"] for r in rows], dtype=np.float64)
    for key in ("per_joint_pa_mm", "per_joint_angle_deg", "per_joint_twist_deg"):
        table = np.average(np.array([r[key] for r in rows]), axis=0, weights=weights)
        out[key] = {name: round(float(v), 1) for name, v in zip(JOINT_NAMES, table, strict=True)}
    by_camera: dict = {}
    for r in rows:
        by_camera.setdefault(r["camera"], []).append(r)
    out["per_camera_pa_mpjpe_mm"] = {
        cam: round(float(np.average([r["model"]["pa_mpjpe_mm"] for r in rs], weights=[r["frames"] for r in rs])), 1)
        for cam, rs in by_camera.items()
    }
    out["model_seconds_per_frame"] = sum(r["seconds"] for r in rows) / max(weights.sum(), 1)
    return out


def evaluate_file(
    path: str,
    weights: str | None,
    ik_every: int,
    max_frames: int | None,
    mapping: str | None = None,
    skeleton: str | None = None,
    library: str | None = None,
    noise: str = "mediapipe",
    runtime: dict | None = None,
) -> dict:
    ref = read_motion(path, mapping, skeleton)
    if max_frames is not None and ref.num_frames > max_frames:
        ref = Motion(ref.rotations[:max_frames], ref.root_translation[:max_frames], ref.skeleton, ref.fps)
    uplifter = Uplifter(weights, backend="auto", **RUNTIME_DEFAULTS | (runtime or {}))
    constant = training_mean_pose(library) if library else None
    rows = evaluate_motion(
        ref, uplifter, E.fixed_cameras(ref.root_translation.mean(0)), ik_every, constant, noise=noise
    )
    out = summarise(rows)
    out |= {
        "clip": Path(path).name,
        "frames": ref.num_frames,
        "cameras": 4,
        "noise": noise,
        "weights": uplifter.weights_path.name,
        "backend": f"{uplifter.backend}-{uplifter.device}",
    }
    return out


def evaluate_library(
    library: str,
    weights: str | None,
    ik_every: int,
    max_frames: int | None,
    split: str = "validation",
    noise: str = "mediapipe",
    roll: float = 0.0,
    runtime: dict | None = None,
) -> dict:
    """Every clip of the library's split (validation subjects: never trained on), seen by the 6 evaluation cameras,
    each turned ``roll`` degrees about its axis (a tilted hand-held camera; 0: level)."""
    from model.training.library import library_motions

    uplifter = Uplifter(weights, backend="auto", **RUNTIME_DEFAULTS | (runtime or {}))
    constant = training_mean_pose(library)
    rows, clips = [], []
    for info, ref in library_motions(library, split):
        if max_frames is not None and ref.num_frames > max_frames:
            ref = Motion(ref.rotations[:max_frames], ref.root_translation[:max_frames], ref.skeleton, ref.fps)
        if ref.num_frames < 30:
            continue
        cameras = [cam.rolled(np.radians(roll)) for cam in E.evaluation_cameras(ref.root_translation.mean(0))]
        clip_rows = evaluate_motion(ref, uplifter, cameras, ik_every, constant, noise=noise)
        rows.extend(clip_rows)
        clips.append(
            {
                "file": info["file"],
                "subject": info["subject"],
                "frames": ref.num_frames,
                "pa_mpjpe_mm": round(float(np.mean([r["model"]["pa_mpjpe_mm"] for r in clip_rows])), 1),
            }
        )
    out = summarise(rows)
    out |= {
        "split": split,
        "noise": noise,
        "clips": len(clips),
        "frames": sum(c["frames"] for c in clips),
        "minutes": round(sum(c["frames"] for c in clips) / 30.0 / 60, 2),
        "cameras": list(E.CAMERA_NAMES),
        "camera_roll_deg": roll,
        "weights": uplifter.weights_path.name,
        "backend": f"{uplifter.backend}-{uplifter.device}",
        "per_clip": clips,
    }
    return out


def evaluate_approach(
    library: str,
    weights: str | None,
    split: str = "validation",
    noise: str = "mediapipe",
    runtime: dict | None = None,
) -> dict:
    """A person walking toward the camera: in every clip of the split, the 4 s whose pelvis travels furthest across
    the floor (at least 2 m), seen by a level camera (1.5 m high, 60 degrees across 1920 px) on that line 1.5 m
    beyond the end, looking back at the start. Per clip the distance from the camera (the pelvis' depth in the
    gravity frame) at the start and the end, truth and model, the depth travelled, and the mean depth error, for the
    perspective root path and the network's (its depth travel only: the network's path has no origin)."""
    from model.training.library import library_motions

    uplifter = Uplifter(weights, backend="auto", **RUNTIME_DEFAULTS | (runtime or {}))
    clips = []
    for info, full in library_motions(library, split):
        span = int(round(4.0 * full.fps))
        r = full.root_translation
        if full.num_frames < span:
            continue
        travel = np.linalg.norm(r[span - 1 :, [0, 2]] - r[: len(r) - span + 1, [0, 2]], axis=-1)
        i = int(travel.argmax())
        if travel[i] < 2.0:
            continue
        ref = Motion(full.rotations[i : i + span], r[i : i + span], full.skeleton, full.fps)
        start, end = ref.root_translation[0], ref.root_translation[-1]
        heading = (end - start) * [1.0, 0.0, 1.0]
        heading /= np.linalg.norm(heading)
        centre = end * [1.0, 0.0, 1.0] + 1.5 * heading + [0.0, 1.5, 0.0]
        cam = E.look_at_camera(centre, start * [1.0, 0.0, 1.0] + [0.0, 1.0, 0.0], (1920.0, 1080.0), 60.0)
        kp3d, _ = keypoints_3d(ref.rotations[None], ref.skeleton.offsets[None], ref.root_translation[None])
        kps = seen_by(ref, kp3d, cam, noise, np.random.default_rng(0))
        g = gravity_frame(cam)[0]
        truth = ((ref.root_translation - centre) @ g.T)[:, 2]
        row = {
            "file": info["file"],
            "frames": span,
            "truth_depth_m": [round(float(truth[0]), 2), round(float(truth[-1]), 2)],
        }
        for path in ("perspective", "network"):
            depth = uplifter(kps, root_path=path).root_translation[:, 2]
            row[f"{path}_travel_m"] = round(float(depth[0] - depth[-1]), 2)
            if path == "perspective":
                row["perspective_depth_m"] = [round(float(depth[0]), 2), round(float(depth[-1]), 2)]
                row["perspective_depth_error_m"] = round(float(np.abs(depth - truth).mean()), 3)
        row["truth_travel_m"] = round(float(truth[0] - truth[-1]), 2)
        clips.append(row)
    mean = lambda key: round(float(np.mean([c[key] for c in clips])), 3) if clips else None  # noqa: E731
    return {
        "protocol": "walking toward the camera",
        "split": split,
        "noise": noise,
        "clips": len(clips),
        "truth_travel_m": mean("truth_travel_m"),
        "perspective_travel_m": mean("perspective_travel_m"),
        "network_travel_m": mean("network_travel_m"),
        "perspective_depth_error_m": mean("perspective_depth_error_m"),
        "per_clip": clips,
        "weights": uplifter.weights_path.name,
    }


def evaluate_keypoints(
    path: str,
    reference: str,
    weights: str | None,
    person: int = 0,
    fps: float | None = None,
    offset: float = 0.0,
    world_baseline: str | None = None,
    library: str | None = None,
    image_size: tuple[int, int] | None = None,
    fov: float | None = None,
    calibration: tuple[str, str] | None = None,
    world_up: str = "z",
    runtime: dict | None = None,
) -> dict:
    """Real detections against 3D markers, beside the baselines: the reference's own mean pose held constant (an
    oracle), the training set's mean pose held constant (``library``), and MediaPipe's own 3D (``world_baseline``:
    a ``scripts/detect_mediapipe.py`` JSON with world landmarks of the same video). ``image_size`` (width, height)
    for files that do not carry it, ``fov`` the camera's field of view across the long side (the perspective root
    path; default the extension's). ``calibration`` (calibration JSON, camera name) splits the error
    (``split``, :func:`real_video_split`); ``world_up`` is the reference's up axis."""
    tracks = read_tracks(path)
    if not 0 <= person < len(tracks):
        raise KeypointFileError(Path(path), f"person {person} asked for, the file has {len(tracks)}")
    kps = tracks[person]
    if image_size is not None and kps.image_size is None:
        kps = replace(kps, image_size=image_size)
    indices, times, ref = E.read_reference_trc(reference)
    uplifter = Uplifter(weights, backend="auto", **RUNTIME_DEFAULTS | (runtime or {}))
    t0 = time.perf_counter()
    notes: list[str] = []
    motion = uplifter(kps, fps=fps, fov=fov or DEFAULT_FOV, notes=notes)
    seconds = time.perf_counter() - t0
    pred, _ = keypoints_3d(motion.rotations, motion.skeleton.offsets, motion.root_translation)

    def compare(points: np.ndarray, rate: float) -> dict:
        try:
            return E.compare_with_reference(points, rate, indices, times + offset, ref)
        except ValueError as exc:
            raise KeypointFileError(Path(reference), str(exc)) from None

    out: dict = compare(pred, motion.fps)
    # the same body's points where MediaPipe puts them (measured on renders): for references triangulated from it
    _, glob = forward_kinematics(motion.rotations, motion.skeleton.offsets, motion.root_translation)
    placed = pred + placement_shift(glob, motion.skeleton.offsets, 1.0)
    out["placed_as_mediapipe_pa_mpjpe_mm"] = compare(placed, motion.fps)["pa_mpjpe_mm"]
    baselines: dict = {}
    # the reference's own mean pose (each frame centred on its markers), held constant
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # markers never seen (Head, small toes): left at 0, unused
        centred = ref - np.nanmean(ref, axis=1, keepdims=True)
        oracle = np.nan_to_num(np.nanmean(centred, axis=0))
    full = np.zeros((len(pred), 26, 3))
    full[:, indices] = oracle
    baselines["constant_reference_mean_pose"] = compare(full, motion.fps)["pa_mpjpe_mm"]
    if library:
        q = np.repeat(training_mean_pose(library)[None], len(pred), 0)
        const, _ = keypoints_3d(q, motion.skeleton.offsets, np.zeros((len(pred), 3)))
        baselines["constant_training_mean_pose"] = compare(const, motion.fps)["pa_mpjpe_mm"]
    if world_baseline:
        world, world_fps = E.read_world_landmarks(world_baseline)
        baselines["mediapipe_world_landmarks"] = compare(world, world_fps or motion.fps)["pa_mpjpe_mm"]
    out["baselines_pa_mpjpe_mm"] = baselines
    if calibration is not None:
        out["split"] = real_video_split(
            kps, motion, calibration, world_up, indices, times, ref, uplifter, fov or DEFAULT_FOV, offset
        )
    out["model_seconds_per_frame"] = seconds / motion.num_frames
    out |= {
        "keypoints": Path(path).name,
        "reference": Path(reference).name,
        "weights": uplifter.weights_path.name,
        "backend": f"{uplifter.backend}-{uplifter.device}",
        "root_path": "network" if any(n.startswith("root path") for n in notes) else "perspective",
        "notes": notes,
    }
    return out


def real_video_split(
    kps: Keypoints2D,
    motion: Motion,
    calibration: tuple[str, str],
    world_up: str,
    indices: list[int],
    times: np.ndarray,
    ref: np.ndarray,
    uplifter: Uplifter,
    fov: float,
    offset: float = 0.0,
) -> dict:
    """Where the error on real detections is, with the camera's calibration: the model on the reference projected
    into the camera (exact 2D: what is left is the lifting's; ``exact_2d_pa_mpjpe_mm``), the detector's 2D error
    against that projection (median and per point, % of the person's image height), and the camera's roll and
    pitch, true (from the calibration) and as the model sees them (its up direction; ``up_error_deg``)."""
    cam = E.read_calibration(*calibration)
    axis = {"x": 0, "y": 1, "z": 2}[world_up]
    true_up = cam["R"][:, axis]
    size = kps.image_size or (tuple(int(v) for v in cam["image_size"]) if "image_size" in cam else None)
    uv = E.project_calibrated(ref, cam)  # (R, M, 2) at the reference's times
    rate = 1.0 / float(np.median(np.diff(times)))
    exact = np.zeros((len(ref), NUM_KEYPOINTS, 3), np.float32)
    seen = np.isfinite(uv).all(-1)
    exact[:, indices, :2] = np.nan_to_num(uv)
    exact[:, indices, 2] = seen
    lifted = uplifter(Keypoints2D(exact, fps=rate, image_size=size), fps=rate, fov=fov)
    pred, _ = keypoints_3d(lifted.rotations, lifted.skeleton.offsets, lifted.root_translation)
    fps = motion.fps
    uv_at = E.reference_at(len(kps.points), fps, times + offset, uv)  # at the detections' frames
    height = np.nanmax(uv_at[..., 1], 1) - np.nanmin(uv_at[..., 1], 1)
    with np.errstate(invalid="ignore"):
        err = np.linalg.norm(kps.points[:, indices, :2] - uv_at, axis=-1) / height[:, None] * 100
    ok = np.isfinite(err) & (kps.points[:, indices, 2] > 0)
    roll, pitch = E.camera_roll_pitch(true_up)
    pred_up = motion.up_in_camera.mean(0)
    pred_roll, pred_pitch = E.camera_roll_pitch(pred_up)
    return {
        "exact_2d_pa_mpjpe_mm": E.compare_with_reference(pred, rate, indices, times, ref)["pa_mpjpe_mm"],
        "detector_2d_error_pct_height": round(float(np.median(err[ok])), 2) if ok.any() else None,
        "detector_2d_error_pct_height_per_point": {
            HALPE26[k]: round(float(np.median(err[:, m][ok[:, m]])), 2) for m, k in enumerate(indices) if ok[:, m].any()
        },
        "camera_roll_deg": round(roll, 1),
        "camera_pitch_down_deg": round(pitch, 1),
        "model_roll_deg": round(pred_roll, 1),
        "model_pitch_down_deg": round(pred_pitch, 1),
        "up_error_deg": round(E.angle_between(motion.up_in_camera, true_up[None]), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--motion",
        "--bvh",
        dest="motion",
        help="semi-synthetic: a motion file the model never saw (.bvh, .amc, exp-map .csv/.txt, "
        "DeepMimic .txt, .fbx, AMASS .npz)",
    )
    source.add_argument("--keypoints", help="real detections (with --reference)")
    source.add_argument(
        "--library-split",
        choices=["validation", "train"],
        help="semi-synthetic on every clip of this split of --library (6 cameras)",
    )
    parser.add_argument("--library", help="motion library (build_motion_library.py): the training mean pose baseline")
    parser.add_argument("--mapping", help="joint mapping JSON for --motion files whose names are not recognised")
    parser.add_argument("--skeleton", help="the .asf skeleton of an .amc --motion file")
    parser.add_argument("--world-baseline", help="detect_mediapipe.py JSON of the same video (MediaPipe's own 3D)")
    parser.add_argument("--reference", help="3D marker TRC for --keypoints")
    parser.add_argument("--person", type=int, default=0)
    parser.add_argument("--fps", type=float, help="the keypoints' frame rate when the file does not say")
    parser.add_argument("--offset", type=float, default=0.0, help="reference time shift in seconds")
    parser.add_argument(
        "--image-size", type=int, nargs=2, metavar=("W", "H"), help="the video's size, for files without it"
    )
    parser.add_argument("--fov", type=float, help="the camera's field of view across the long side, degrees")
    parser.add_argument(
        "--calibration",
        nargs=2,
        metavar=("FILE.json", "CAMERA"),
        help="with --keypoints: the camera's calibration (OpenCV K, dist, R, t): the error split into lifting "
        "(the reference projected into the camera) and detector, and the camera's roll and pitch against the model's",
    )
    parser.add_argument(
        "--world-up", choices=["x", "y", "z"], default="z", help="the reference's up axis (with --calibration)"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--weights")
    parser.add_argument("--ik-every", type=int, default=10, help="baselines on every Nth frame; 0 skips them")
    parser.add_argument("--max-frames", type=int)
    parser.add_argument(
        "--approach",
        action="store_true",
        help="with --library-split: a person walking toward the camera (the root's depth), instead of the 6 cameras",
    )
    parser.add_argument(
        "--noise",
        default="mediapipe",
        choices=["exact", *NOISE_PROFILES],
        help="semi-synthetic 2D: exact points, or a detector profile at level 1 (default mediapipe)",
    )
    parser.add_argument(
        "--roll",
        type=float,
        default=0.0,
        help="with --library-split: every camera turned this many degrees about its axis (a tilted hand-held camera)",
    )
    parser.add_argument(
        "--no-flip", action="store_true", help="one pass, without Mirror Averaging (the extension's default)"
    )
    parser.add_argument(
        "--keep-swaps",
        action="store_true",
        help="uplift the detections as they are, without putting back whole-body left/right swaps (the default)",
    )
    parser.add_argument(
        "--no-level",
        action="store_true",
        help="without Level the Camera (a first pass finding the camera's roll, the points then turned upright; the "
        "default)",
    )
    args = parser.parse_args(argv)
    if args.keypoints and not args.reference:
        parser.error("--keypoints needs --reference FILE.trc")
    if args.library_split and not args.library:
        parser.error("--library-split needs --library FILE")
    runtime = {"flip": not args.no_flip, "fix_swaps": not args.keep_swaps, "level": not args.no_level}
    try:
        if args.keypoints:
            result = evaluate_keypoints(
                args.keypoints,
                args.reference,
                args.weights,
                args.person,
                args.fps,
                args.offset,
                args.world_baseline,
                args.library,
                tuple(args.image_size) if args.image_size else None,
                args.fov,
                calibration=tuple(args.calibration) if args.calibration else None,
                world_up=args.world_up,
                runtime=runtime,
            )
        elif args.library_split and args.approach:
            result = evaluate_approach(
                args.library,
                args.weights,
                args.library_split,
                args.noise,
                runtime=runtime,
            )
        elif args.library_split:
            result = evaluate_library(
                args.library,
                args.weights,
                args.ik_every,
                args.max_frames,
                args.library_split,
                args.noise,
                roll=args.roll,
                runtime=runtime,
            )
        else:
            result = evaluate_file(
                args.motion,
                args.weights,
                args.ik_every,
                args.max_frames,
                args.mapping,
                args.skeleton,
                args.library,
                args.noise,
                runtime=runtime,
            )
    except (MotionFileError, WeightsError, KeypointFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    result["runtime"] = runtime  # how the uplifts ran
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
