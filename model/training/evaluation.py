"""Metrics (as in the paper) and the two baselines the model is compared with, all on the same frames.

- ``mpjpe_mm``: mean distance of root-relative joints (22), millimetres.
- ``n_mpjpe_mm``: the same after the best single scale of the prediction per frame.
- ``pa_mpjpe_mm``: after the best similarity transform (Procrustes: rotation, scale, translation) per frame.
- ``mpjae_deg``: mean geodesic angle between predicted and reference local joint rotations (22 joints, the root's
  orientation taken in the gravity-aligned frame), degrees.
- ``up_error_deg``: angle between the predicted and true up direction in camera coordinates.

Baselines, from the model's own 3D joint positions:
- ``ik``: inverse kinematics, as the paper's IK route: the canonical skeleton's rotations fitted to the joints by
  optimisation (Adam on 6D rotations, warm-started from the previous frame), timed per frame.
- ``bone_direction``: analytic swing-only rotations that point each bone at its child joint, no twist (what
  constraint-based add-ons produce).

Where a limb's error lies (:func:`limb_directions`, in the camera's frame): its direction in the image, which the 2D
shows, against the part toward or away from the camera, which it does not.

Real detections against a 3D marker reference (:func:`read_reference_trc`, :func:`compare_with_reference`): the
predicted Halpe-26 points against the markers with Halpe-style names, ``pa_mpjpe_mm`` per frame and ``mpjpe_mm``
after one similarity transform for the whole clip.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..keypoints import HALPE26, KEYPOINT_INDEX, layout_from_names
from ..kinematics import forward_kinematics
from ..root_path import low_pass
from ..rotations import geodesic_angle, matrix_to_sixd, rotation_between
from ..skeleton import JOINT_INDEX, NUM_JOINTS, PARENTS, Skeleton
from .synthesis import Camera


def mpjpe(pred: np.ndarray, ref: np.ndarray) -> float:
    return float(np.linalg.norm(pred - ref, axis=-1).mean() * 1000)


def n_mpjpe(pred: np.ndarray, ref: np.ndarray) -> float:
    s = (pred * ref).sum((-1, -2), keepdims=True) / np.maximum((pred * pred).sum((-1, -2), keepdims=True), 1e-12)
    return mpjpe(pred * s, ref)


def procrustes(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per frame, ``pred`` (T, J, 3) moved by the similarity transform that best fits ``ref``."""
    mu_p, mu_r = pred.mean(1, keepdims=True), ref.mean(1, keepdims=True)
    p, r = pred - mu_p, ref - mu_r
    u, s, vt = np.linalg.svd(np.swapaxes(p, 1, 2) @ r)
    d = np.sign(np.linalg.det(u @ vt))
    s[:, -1] *= d
    u[:, :, -1] *= d[:, None]
    rot = u @ vt
    scale = s.sum(-1) / np.maximum((p * p).sum((1, 2)), 1e-12)
    return scale[:, None, None] * p @ rot + mu_r


def pa_mpjpe(pred: np.ndarray, ref: np.ndarray) -> float:
    return mpjpe(procrustes(pred, ref), ref)


def clip_aligned_mpjpe(pred_world: np.ndarray, ref_world: np.ndarray) -> float:
    """MPJPE (mm) of world positions (T, J, 3) after ONE similarity transform for the whole clip: the root's path
    and the body's scale count, not only each frame's pose."""
    every, every_ref = pred_world.reshape(1, -1, 3), ref_world.reshape(1, -1, 3)
    return mpjpe(procrustes(every, every_ref)[0], every_ref[0])


def mpjae(pred_rot: np.ndarray, ref_rot: np.ndarray) -> float:
    """Mean geodesic angle in degrees between rotation matrices (..., 3, 3) or quaternions (..., 4)."""
    return float(np.degrees(geodesic_angle(pred_rot, ref_rot)).mean())


def twist_angle(pred_rot: np.ndarray, ref_rot: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """The part of each joint's angle error (radians, (..., J)) that is a turn about its own segment: of the rotation
    between the predicted and the true local rotations (..., J, 3, 3), what is left once its segment's rest direction
    (``directions`` (J, 3)) is brought onto where the truth has it by the smallest turn (the swing). A twist cannot be
    seen in the segment's own direction; elsewhere in the body it is (an elbow's bend, a foot's point)."""
    err = np.swapaxes(pred_rot, -1, -2) @ ref_rot
    d = np.broadcast_to(directions, err.shape[:-1])
    swing = rotation_between(d, (err @ d[..., None])[..., 0])
    return geodesic_angle(swing, err)


def root_and_feet(motion, ref, g: np.ndarray) -> dict[str, float]:  # two Motions
    """Root path, planted feet and the vertical of an uplifted motion against its reference (``g`` turns the
    reference's world into the motion's gravity frame): the pelvis path after one similarity for the clip (mm), the
    model's ankle speed where the truth's ankle moves under 0.1 m/s (m/s), the pelvis' height range (5th to
    95th percentile, mm) of the truth and of the model, the pelvis' fast vertical motion (what a Gaussian of 0.25 s
    takes out: bounces, jumps) against the truth's (RMS, mm; and the truth's own), the feet on the floor (where the truth's lowest foot point is
    under 2 cm: the model's distance from the floor, cm), jumps (the truth's flight phases of at most a second, ``flight_phases``: the
    highest point its lowest foot point reaches and the model's in the same frames, mm) and crouches (frames where
    the truth's pelvis is below 80 % of its usual height above the lowest foot: the pelvis' drop in % of that height
    and the knees' flexion in degrees, truth and model). Values a clip has none of are NaN."""
    ref_root = ref.root_translation @ g.T
    root = motion.root_translation
    path = mpjpe(procrustes(root[None], ref_root[None])[0][:, None], ref_root[:, None])
    fps = ref.fps
    ankles = [JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]]
    ref_feet = ref.world_positions()[:, ankles] @ g.T
    feet = motion.world_positions()[:, ankles]
    ref_speed = np.linalg.norm(np.diff(ref_feet, axis=0), axis=-1) * fps
    speed = np.linalg.norm(np.diff(feet, axis=0), axis=-1) * fps
    planted = ref_speed < 0.1
    rng_ref = np.percentile(ref_root[:, 1], 95) - np.percentile(ref_root[:, 1], 5)
    rng = np.percentile(root[:, 1], 95) - np.percentile(root[:, 1], 5)
    nan = float("nan")
    out = {
        "root_path_mm": path,
        "planted_foot_speed_m_s": float(speed[planted].mean()) if planted.any() else nan,
        "truth_planted_foot_speed_m_s": float(ref_speed[planted].mean()) if planted.any() else nan,
        "pelvis_height_range_truth_mm": float(rng_ref * 1000),
        "pelvis_height_range_model_mm": float(rng * 1000),
    }
    fast = lambda y: y - low_pass(y, 0.25 * fps)  # noqa: E731  (what moves within about a quarter of a second)
    out["vertical_fast_mm"] = float(np.sqrt(np.mean((fast(root[:, 1]) - fast(ref_root[:, 1])) ** 2)) * 1000)
    out["truth_vertical_fast_mm"] = float(np.sqrt(np.mean(fast(ref_root[:, 1]) ** 2)) * 1000)
    ref_low = ref.grounded().foot_points()[..., 1].min(1)  # the lowest foot point's height, per frame
    low = motion.foot_points()[..., 1].min(1)
    on_floor = ref_low < 0.02  # the truth's feet on the floor: how far the model's are from it (floating, sinking)
    out["floor_error_cm"] = float(np.abs(low[on_floor]).mean() * 100) if on_floor.any() else nan
    runs = flight_phases(ref_low, longest=int(round(fps)))
    out["jump_height_truth_mm"] = float(np.mean([ref_low[a:b].max() for a, b in runs]) * 1000) if runs else nan
    out["jump_height_model_mm"] = float(np.mean([low[a:b].max() for a, b in runs]) * 1000) if runs else nan
    ref_pelvis = ref.grounded().root_translation[:, 1] - ref_low  # pelvis above the lowest foot point
    pelvis = motion.root_translation[:, 1] - low
    usual_ref, usual = np.percentile(ref_pelvis, 95), np.percentile(pelvis, 95)
    crouch = ref_pelvis < 0.8 * usual_ref
    knees = [JOINT_INDEX["left_knee"], JOINT_INDEX["right_knee"]]
    flex = lambda q: np.degrees(2 * np.arccos(np.clip(np.abs(q[crouch][:, knees, 0]), 0, 1))).mean()  # noqa: E731
    out["crouch_drop_truth_pct"] = float((1 - ref_pelvis[crouch] / usual_ref).mean() * 100) if crouch.any() else nan
    out["crouch_drop_model_pct"] = float((1 - pelvis[crouch] / usual).mean() * 100) if crouch.any() else nan
    out["crouch_knee_flexion_truth_deg"] = float(flex(ref.rotations)) if crouch.any() else nan
    out["crouch_knee_flexion_model_deg"] = float(flex(motion.rotations)) if crouch.any() else nan
    return out


def flight_phases(
    height: np.ndarray, above: float = 0.05, frames: int = 3, longest: int | None = None
) -> list[tuple[int, int]]:
    """Runs [start, end) of at least ``frames`` and at most ``longest`` frames where ``height`` (the lowest foot
    point's, m) is over ``above``: a body in the air. Longer runs are a body standing on something (a step, a box,
    a floor that is not level), not a jump: a jump a metre high is under a second in the air."""
    up = np.concatenate([[False], height > above, [False]])
    edges = np.flatnonzero(np.diff(up.astype(np.int8)))
    runs = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a >= frames]
    return [(a, b) for a, b in runs if longest is None or b - a <= longest]


def angle_between(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return float(np.degrees(np.arccos(np.clip((a * b).sum(-1), -1, 1))).mean())


#: The limb segments :func:`limb_directions` splits, each as (parent joint, child joint) on both sides.
LIMB_SEGMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "thigh": (("left_hip", "left_knee"), ("right_hip", "right_knee")),
    "shin": (("left_knee", "left_ankle"), ("right_knee", "right_ankle")),
    "upper_arm": (("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow")),
    "forearm": (("left_elbow", "left_wrist"), ("right_elbow", "right_wrist")),
}


def limb_directions(pred: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """Joint positions (T, 22, 3) in the camera's frame (x across the image, y down it, z away from the camera) ->
    per limb segment (:data:`LIMB_SEGMENTS`, both sides pooled): ``_deg`` its direction's mean angle error;
    ``_in_image_deg`` the error of its direction in the image (segments at least half in the image plane), which the
    2D shows; ``_depth_sign_wrong_pct`` how often it points toward the camera instead of away or the other way round
    (segments at least 0.4 of their length toward or away), the 2D's ambiguity; ``_depth_error`` the mean error of the
    part of its unit direction toward or away from the camera, whatever the sign (0-1)."""
    out: dict[str, float] = {}
    for name, pairs in LIMB_SEGMENTS.items():
        idx = [(JOINT_INDEX[a], JOINT_INDEX[b]) for a, b in pairs]
        vp = np.concatenate([pred[:, b] - pred[:, a] for a, b in idx])
        vr = np.concatenate([ref[:, b] - ref[:, a] for a, b in idx])
        up = vp / np.maximum(np.linalg.norm(vp, axis=-1, keepdims=True), 1e-12)
        ur = vr / np.maximum(np.linalg.norm(vr, axis=-1, keepdims=True), 1e-12)
        turn = np.angle(np.exp(1j * (np.arctan2(up[:, 1], up[:, 0]) - np.arctan2(ur[:, 1], ur[:, 0]))))
        flat = np.linalg.norm(ur[:, :2], axis=-1) >= 0.5
        deep = np.abs(ur[:, 2]) >= 0.4
        out[f"{name}_deg"] = float(np.degrees(np.arccos(np.clip((up * ur).sum(-1), -1.0, 1.0))).mean())
        out[f"{name}_in_image_deg"] = float(np.degrees(np.abs(turn[flat])).mean()) if flat.any() else float("nan")
        wrong = np.sign(up[deep, 2]) != np.sign(ur[deep, 2])
        out[f"{name}_depth_sign_wrong_pct"] = float(100.0 * wrong.mean()) if deep.any() else float("nan")
        out[f"{name}_depth_error"] = float(np.abs(np.abs(up[:, 2]) - np.abs(ur[:, 2])).mean())
    return out


def position_metrics(pred: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    return {"mpjpe_mm": mpjpe(pred, ref), "n_mpjpe_mm": n_mpjpe(pred, ref), "pa_mpjpe_mm": pa_mpjpe(pred, ref)}


def look_at_camera(centre: np.ndarray, aim: np.ndarray, image: tuple[float, float], hfov_deg: float) -> Camera:
    """One level pinhole camera (no roll) at ``centre`` looking at ``aim``; ``image`` (width, height) in pixels."""
    fwd = np.asarray(aim, dtype=np.float64) - centre
    fwd /= np.linalg.norm(fwd)
    right = np.cross(fwd, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    rot = np.stack([right, down, fwd])[None]
    focal = np.array([image[0] / 2 / np.tan(np.radians(hfov_deg / 2))])
    return Camera(rot, np.asarray(centre, dtype=np.float64)[None], focal, np.array([image], dtype=np.float64))


def fixed_cameras(target: np.ndarray) -> list[Camera]:
    """The 4 evaluation cameras: azimuth 0/90/180/270 degrees, 5 m from ``target``, 1.2 m high, 60 degree field
    of view, 1920 x 1080, aimed at 1 m above the floor below ``target``."""
    cams = []
    for az in (0.0, 90.0, 180.0, 270.0):
        a = np.radians(az)
        centre = target + np.array([5 * np.sin(a), 0.0, 5 * np.cos(a)])
        centre[1] = 1.2
        cams.append(look_at_camera(centre, np.array([target[0], 1.0, target[2]]), (1920.0, 1080.0), 60.0))
    return cams


#: Names of :func:`evaluation_cameras`, in order.
CAMERA_NAMES = ("front", "left", "back", "right", "phone_portrait_3m", "high_corner")


def evaluation_cameras(target: np.ndarray) -> list[Camera]:
    """The 4 fixed cameras, a phone held upright 3 m in front at chest height (1080 x 1920, 50 degrees across),
    and a high corner camera (45 degrees round, 6 m away, 3 m up, looking down, 70 degrees)."""
    cams = fixed_cameras(target)
    aim = np.array([target[0], 1.0, target[2]])
    cams.append(look_at_camera(np.array([target[0], 1.4, target[2] + 3.0]), aim, (1080.0, 1920.0), 50.0))
    corner = target + np.array([6 * np.sin(np.radians(45)), 0.0, 6 * np.cos(np.radians(45))])
    corner[1] = 3.0
    cams.append(look_at_camera(corner, aim, (1920.0, 1080.0), 70.0))
    return cams


def mean_pose(rotations: list[np.ndarray]) -> np.ndarray:
    """(22, 4) the average local rotation of each joint over clips of quaternions (T, 22, 4) (root: identity):
    the constant-pose baseline a network must beat."""
    acc = np.zeros((NUM_JOINTS, 4, 4))
    for q in rotations:
        acc += np.einsum("tji,tjk->jik", q, q)
    out = np.zeros((NUM_JOINTS, 4))
    for j in range(NUM_JOINTS):
        w, v = np.linalg.eigh(acc[j])
        out[j] = v[:, -1] * np.sign(v[0, -1] or 1.0)
    out[0] = [1.0, 0.0, 0.0, 0.0]
    return out


# --------------------------------------------------------------------------------------------------- baselines


def bone_direction_rotations(positions: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """(T, 22, 3) root-relative joints -> (T, 22, 3, 3) local rotations that swing each bone onto its child joint.

    The root's orientation comes from the hips and the spine (no twist ambiguity there); every other joint gets the
    smallest rotation taking its rest child direction to the observed one, in its parent's frame.
    """
    t = len(positions)
    rest = skeleton.rest_positions
    glob = np.tile(np.eye(3), (t, NUM_JOINTS, 1, 1))
    glob[:, 0] = _root_frame(positions) @ _root_frame(rest[None])[0].T
    child = {j: next((k for k, p in enumerate(PARENTS) if p == j), None) for j in range(NUM_JOINTS)}
    child[JOINT_INDEX["spine3"]] = JOINT_INDEX["neck"]
    for j in range(1, NUM_JOINTS):
        p = PARENTS[j]
        c = child[j]
        if c is None:
            glob[:, j] = glob[:, p]
            continue
        rest_dir = rest[c] - rest[j]
        seen = positions[:, c] - positions[:, j]
        # in the parent's frame, the swing from the rest direction to the seen direction
        local_seen = np.einsum("tji,tj->ti", glob[:, p], seen)
        glob[:, j] = glob[:, p] @ rotation_between(rest_dir, local_seen)
    local = glob.copy()
    for j in range(1, NUM_JOINTS):
        local[:, j] = np.swapaxes(glob[:, PARENTS[j]], -1, -2) @ glob[:, j]
    return local


def _root_frame(pos: np.ndarray) -> np.ndarray:
    """(T, 3, 3) body frame from hips (x) and spine (y)."""
    x = pos[:, JOINT_INDEX["left_hip"]] - pos[:, JOINT_INDEX["right_hip"]]
    y = pos[:, JOINT_INDEX["spine2"]] - pos[:, JOINT_INDEX["pelvis"]]
    x = x / np.linalg.norm(x, axis=-1, keepdims=True)
    z = np.cross(x, y)
    z /= np.linalg.norm(z, axis=-1, keepdims=True)
    y = np.cross(z, x)
    return np.stack([x, y, z], -1)


def ik_rotations(positions: np.ndarray, skeleton: Skeleton, iterations: int = 100) -> tuple[np.ndarray, float]:
    """(T, 22, 3) root-relative joints -> (T, 22, 3, 3) local rotations fitted by optimisation, and seconds per frame.

    Each frame minimises the squared joint position error of forward kinematics over 6D rotations with Adam,
    starting from the previous frame's solution (the first from the rest pose).
    """
    import torch

    from ..rotations import sixd_to_matrix

    offsets = torch.as_tensor(skeleton.offsets, dtype=torch.float64)
    target = torch.as_tensor(positions, dtype=torch.float64)
    current = torch.as_tensor(matrix_to_sixd(np.tile(np.eye(3), (NUM_JOINTS, 1, 1))), dtype=torch.float64)
    out = np.zeros((len(positions), NUM_JOINTS, 3, 3))
    start = time.perf_counter()
    for f in range(len(positions)):
        x = current.clone().requires_grad_(True)
        opt = torch.optim.Adam([x], lr=0.05)
        for _ in range(iterations):
            pos, _ = forward_kinematics(sixd_to_matrix(x), offsets, torch.zeros(3, dtype=torch.float64))
            loss = (pos - target[f]).square().sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        current = x.detach()
        out[f] = sixd_to_matrix(current).numpy()
    return out, (time.perf_counter() - start) / max(len(positions), 1)


# ------------------------------------------------------------------------------ real detections vs 3D markers


def read_reference_trc(path: str | Path) -> tuple[list[int], np.ndarray, np.ndarray]:
    """A 3D marker file (TRC, e.g. from Pose2Sim or a mocap system) as (Halpe-26 index per kept marker, times in
    seconds (T,), positions in metres (T, M, 3), NaN where a marker is missing). Markers whose names do not map onto
    a Halpe-26 point (``LShoulder``, ``RKnee``, ``Nose``, ...) are dropped; units mm, cm or m."""
    from ..readers import KeypointFileError, read_trc_table

    path = Path(path)
    names, frames, xyz, rate, units = read_trc_table(path)
    scale = {"mm": 0.001, "cm": 0.01, "m": 1.0}.get(units.strip().lower())
    if scale is None:
        raise KeypointFileError(path, f"reference units must be mm, cm or m, got {units.strip()!r}")
    if rate is None:
        raise KeypointFileError(path, "the reference needs a DataRate (frames per second) to be matched in time")
    mapped = layout_from_names(names)
    keep = [m for m, h in enumerate(mapped) if h is not None]
    if len(keep) < 4:
        raise KeypointFileError(path, f"only {len(keep)} marker names map onto body keypoints (4 needed)")
    times = (frames - frames[0]) / rate
    return [KEYPOINT_INDEX[h] for h in mapped if h is not None], times, xyz[:, keep].astype(np.float64) * scale


def reference_at(frames: int, fps: float, times: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Reference markers (R, M, D) at ``times`` interpolated to ``frames`` frames at ``fps`` (frame 0 = time 0):
    (frames, M, D), NaN outside the reference's time span and where a marker has fewer than two samples."""
    t = np.arange(frames) / fps
    inside = (t >= times[0]) & (t <= times[-1])
    out = np.full((frames,) + ref.shape[1:], np.nan)
    for m in range(ref.shape[1]):
        for a in range(ref.shape[2]):
            ok = np.isfinite(ref[:, m, a])
            if ok.sum() >= 2:
                out[inside, m, a] = np.interp(t[inside], times[ok], ref[ok, m, a], left=np.nan, right=np.nan)
    return out


def compare_with_reference(
    pred: np.ndarray, pred_fps: float, indices: list[int], times: np.ndarray, ref: np.ndarray, min_points: int = 4
) -> dict[str, Any]:
    """Predicted Halpe-26 points (T, 26, 3) against reference markers (R, M, 3) at ``times`` (the keypoints' frame 0
    is time 0). The reference is interpolated to the prediction's frames; frames with fewer than ``min_points``
    markers are skipped. ``pa_mpjpe_mm``: per frame after the best similarity transform; ``mpjpe_mm``: after one
    similarity transform for the whole clip (so the root trajectory counts, not only the pose);
    ``per_point_pa_mm``: the per-frame error of each of ``indices`` (Halpe-26 names), where the reference has it."""
    ref_at = reference_at(len(pred), pred_fps, times, ref)
    pts = pred[:, indices]
    seen = np.isfinite(ref_at).all(-1)
    frames = np.flatnonzero(seen.sum(1) >= min_points)
    if not len(frames):
        raise ValueError("no frame shares enough points with the reference (check the times and marker names)")
    errors = []
    per_point = np.full(seen.shape, np.nan)
    for t in frames:
        m = seen[t]
        errors.append(np.linalg.norm(procrustes(pts[t : t + 1, m], ref_at[t : t + 1, m])[0] - ref_at[t, m], axis=-1))
        per_point[t, m] = errors[-1]
    every = np.concatenate([pts[t, seen[t]] for t in frames])[None]
    every_ref = np.concatenate([ref_at[t, seen[t]] for t in frames])[None]
    clip_error = np.linalg.norm(procrustes(every, every_ref)[0] - every_ref[0], axis=-1)
    return {
        "mpjpe_mm": round(float(clip_error.mean() * 1000), 2),
        "pa_mpjpe_mm": round(float(np.concatenate(errors).mean() * 1000), 2),
        "frames": int(len(frames)),
        "points": int(len(indices)),
        "per_point_pa_mm": {
            HALPE26[k]: round(float(np.nanmean(per_point[frames, i]) * 1000), 1)
            for i, k in enumerate(indices)
            if np.isfinite(per_point[frames, i]).any()
        },
    }


def read_calibration(path: str | Path, name: str) -> dict[str, np.ndarray]:
    """One camera of a calibration JSON (``{"cameras": {name: {"K", "dist", "R", "t"}}}``: OpenCV's pinhole model,
    x_cam = R X + t, distortion k1 k2 p1 p2 k3) as arrays, with ``image_size`` (width, height) where the file has
    it."""
    from ..readers import KeypointFileError

    path = Path(path)
    try:
        cams = json.loads(path.read_text())["cameras"]
    except (OSError, ValueError, KeyError, TypeError):
        raise KeypointFileError(path, 'not a calibration JSON with {"cameras": {name: {K, dist, R, t}}}') from None
    if name not in cams:
        raise KeypointFileError(path, f"no camera {name!r} (the file has {', '.join(sorted(cams))})")
    cam = cams[name]
    try:
        out = {k: np.asarray(cam[k], dtype=np.float64) for k in ("K", "R", "t")}
        out["dist"] = np.zeros(5) if cam.get("dist") is None else np.asarray(cam["dist"], dtype=np.float64)
    except (KeyError, ValueError, TypeError):
        raise KeypointFileError(path, f"camera {name!r} needs K (3x3), R (3x3), t (3) and dist (5)") from None
    if out["K"].shape != (3, 3) or out["R"].shape != (3, 3) or out["t"].shape != (3,) or out["dist"].size < 4:
        raise KeypointFileError(path, f"camera {name!r}: K and R must be 3x3, t 3 values, dist 4 or 5")
    size = cam.get("image_size_wh_video") or cam.get("image_size_wh") or cam.get("image_size_wh_calibration")
    if size is not None:
        out["image_size"] = np.asarray(size, dtype=np.float64)
    return out


def project_calibrated(points: np.ndarray, cam: dict[str, np.ndarray]) -> np.ndarray:
    """World points (..., 3) -> pixels (..., 2) through a ``read_calibration`` camera (with its lens distortion);
    NaN stays NaN."""
    x = points @ cam["R"].T + cam["t"]
    u = x[..., :2] / x[..., 2:]
    k1, k2, p1, p2 = cam["dist"][:4]
    k3 = cam["dist"][4] if cam["dist"].size > 4 else 0.0
    r2 = (u**2).sum(-1, keepdims=True)
    ux, uy = u[..., :1], u[..., 1:]
    radial = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3
    dx = 2 * p1 * ux * uy + p2 * (r2 + 2 * ux**2)
    dy = p1 * (r2 + 2 * uy**2) + 2 * p2 * ux * uy
    d = np.concatenate([ux * radial + dx, uy * radial + dy], -1)
    return d @ cam["K"][:2, :2].T + cam["K"][:2, 2]


def camera_roll_pitch(up_in_camera: np.ndarray) -> tuple[float, float]:
    """Degrees: the camera's roll (the world's up direction in the image, clockwise from the image's up) and pitch
    (positive looking down) from the world's up direction in camera coordinates (x right, y down, z forward)."""
    u = np.asarray(up_in_camera, dtype=np.float64)
    u = u / np.linalg.norm(u)
    return float(np.degrees(np.arctan2(u[0], -u[1]))), float(np.degrees(np.arcsin(np.clip(-u[2], -1.0, 1.0))))


def read_world_landmarks(path: str | Path) -> tuple[np.ndarray, float | None]:
    """MediaPipe's world landmarks from a ``detect_mediapipe.py`` JSON as Halpe-26 points (T, 26, 3), NaN where
    nobody was found (MediaPipe's axes: y down; the comparison's similarity transform takes care of that)."""
    from ..keypoints import LAYOUTS, to_halpe26
    from ..readers import KeypointFileError

    try:
        doc = json.loads(Path(path).read_text())
        frames = doc["frames"]
    except (OSError, ValueError, KeyError, TypeError):
        raise KeypointFileError(Path(path), "not a detect_mediapipe.py JSON with world landmarks") from None
    pts = np.full((len(frames), 33, 4), 0.0)
    for t, f in enumerate(frames):
        if f.get("world"):
            pts[t, :, :3] = np.asarray(f["world"][0], dtype=np.float64)
            pts[t, :, 3] = 1.0
    if not pts[..., 3].any():
        raise KeypointFileError(Path(path), "no world landmarks in the file (run detect_mediapipe.py again)")
    layout = LAYOUTS["MediaPipe-33"]  # the layout maps (x, y, confidence): map x, y and then z, 0
    xy = to_halpe26(pts[..., [0, 1, 3]], layout)
    z = to_halpe26(np.stack([pts[..., 2], np.zeros_like(pts[..., 2]), pts[..., 3]], -1), layout)
    out = np.concatenate([xy[..., :2], z[..., :1]], -1)
    out[xy[..., 2] <= 0] = np.nan
    return out, doc.get("fps")
