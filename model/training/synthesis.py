"""Training data: synthetic motion on the canonical skeleton, the 26 detector points, cameras and detector noise.

Everything here is numpy, vectorised over a batch, and seeded by the caller's ``numpy.random.Generator``.

Motion model
    Each joint's local rotation is ``R = R_a(alpha) R_b(beta) R_c(gamma)`` with per-joint axis order and anatomical
    ranges (``JOINT_RANGES``: textbook range-of-motion values in degrees, rounded, mapped onto the canonical axes
    x = left, y = up, z = forward; the right side mirrors the left).
    Each angle follows a smooth random trajectory: a neutral-leaning centre plus a sum of three sinusoids of random
    frequency (0.1 to 2.5 Hz) and amplitude, softly clamped into range, so velocities stay human (peak joint
    angular speeds below 1000 degrees per second). The body turns
    and walks on the floor with random speeds (0 to 2.5 m/s) and is grounded frame by frame (its lowest heel or toe
    point on y = 0), with occasional jumps. Body proportions are varied per sample (``random_skeleton``).

Real-anchored motion (``anchored_motion``)
    Random joint angles centred on the rest pose (a T-pose) rarely look like people: arms hang down most of the
    time, and real skeletons' spines, necks and feet rest at angles of their own. So part of each batch borrows
    its postures from the real clips: the torso (with the root's orientation and path), each arm and each leg
    follow a crop of a different real clip (random clip, start, speed, mirroring, heading), and every joint gets
    a smooth random rotation of up to a third of its anatomical range on top. The new legs are re-grounded,
    keeping the torso clip's flight phases. Mixed motion (``mixed_fraction``) is the same limb assembly with nothing
    on top: real limbs in combinations no clip has.

Keypoint model
    :mod:`.body_points`: the 26 Halpe points as joints or offsets in a joint's frame.

Camera model
    A static pinhole camera like real footage: horizontal field of view 25 (long lens) to 95 degrees (wide phone
    lens), distance 2 to 9 m, height 0.3 to 2.8 m (a chosen share placed higher, looking down 15 to 40 degrees),
    azimuth anywhere around the person, aimed near the person with a random pitch offset and roll up to 10 degrees
    (a chosen share up to 35: hand-held phones), image 1920 x 1080 landscape or 1080 x 1920 portrait (phones:
    40 %); one sample in eight is aimed off so that part of the body leaves the frame, and points outside the image
    are not detected (confidence 0), as detectors report them.

Detector-noise model
    Per-point Gaussian noise with standard deviation ``k * sigma_i * s`` where ``sigma_i`` is a detector profile
    (``NOISE_PROFILES``: the core of MediaPipe's error, measured on rendered bodies, for 60 % of the clips; a
    COCO-trained detector's, from the OKS definition, for the rest), ``s`` the person's pixel height and ``k`` drawn
    per clip from 0.5 to 2; a share of that noise is frame by frame (white) and the rest temporally correlated (a
    smoothed random walk, about 0.3 s): MediaPipe's measured share (``WHITE_SHARE``) at evaluation, 0.1 to 0.6 drawn
    per clip in training. With ``side_views`` (training only) the spread and the miss rates follow the view frame by
    frame, as measured (``SIDE_SPREAD_RATIO``, ``SIDE_MISS_RATIO``: wider and more often from the side).
    Misses (``MISS_RATE``, measured): runs of frames where a point sits at its counterpart's place or 12-28 % of the
    height away, with ordinary confidence; each clip's rate drawn around the measured one in training (a few clips
    miss a lot, most little), the measured one at evaluation.
    Left/right swaps of a limb's points for a few frames (p = 0.01 per frame and limb), dropouts (confidence 0) of
    single points (p = 0.03) and of whole frames (p = 0.01); confidence is ``exp(-err^2 / (2 (sigma s)^2))``
    jittered by +-0.15, so bad points tend to carry low confidence like real detectors' output.
    Failure modes of real detectors on top (``detector_failures``): the whole body's left and right swapped over a
    run of 3 to 40 frames (a quarter of the clips: MediaPipe does this on side views), runs of 2 to 20 frames
    with nobody (a tenth of the clips), and limbs hidden behind the body in side views (a point more than 10 cm
    further from the camera than its counterpart and within a tenth of the body height of it in the image:
    confidence scaled by 0.2-0.6, dropped with p = 0.3). Point placement (``detector_placement``): the shoulders
    sit higher and the hips lower than the joint centres, as measured for MediaPipe, by a per-clip share of that
    bias, and every 3D point moves by a constant offset per clip (normal, 2 cm). The neck and hip points are the
    image's shoulders' and hips' midpoints, as the readers make them for detectors without those points.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..body_points import keypoints_3d, lowest_foot_height
from ..keypoints import HALPE26, HALPE_MIRROR, KEYPOINT_INDEX, fill_midpoints
from ..root_path import per_point
from ..rotations import (
    elementary_rotation,
    matrix_to_quat,
    mirror_quat,
    quat_continuity,
    quat_multiply,
    quat_to_matrix,
)
from ..skeleton import JOINT_INDEX, MIRROR, NUM_JOINTS, SEGMENT_GROUPS, Skeleton, size_ratio

# (axis order applied left to right: R = R_0(a0) R_1(a1) R_2(a2)), then (lo, hi) degrees per angle in that order.
_LEFT_AND_CENTRE: dict[str, tuple[str, tuple[tuple[float, float], ...]]] = {
    "pelvis": ("yxz", ((-180, 180), (-20, 45), (-15, 15))),  # yaw; pitch forward; roll (the world orientation)
    "left_hip": ("xzy", ((-110, 25), (-25, 40), (-35, 35))),  # flexion (-) / extension; abduction (+); twist
    "left_knee": ("xyz", ((0, 135), (-8, 8), (-4, 4))),
    "left_ankle": ("xzy", ((-25, 45), (-20, 20), (-15, 15))),
    "left_foot": ("xyz", ((-35, 10), (-5, 5), (-5, 5))),
    "spine1": ("xzy", ((-12, 30), (-12, 12), (-15, 15))),
    "spine2": ("xzy", ((-10, 25), (-10, 10), (-15, 15))),
    "spine3": ("xzy", ((-10, 25), (-10, 10), (-15, 15))),
    "neck": ("xzy", ((-30, 40), (-20, 20), (-35, 35))),
    "head": ("xzy", ((-25, 30), (-20, 20), (-40, 40))),
    "left_collar": ("zyx", ((-10, 30), (-25, 15), (-10, 10))),  # elevation (+); retraction (+); twist
    "left_shoulder": ("yzx", ((-100, 45), (-90, 85), (-70, 70))),  # horizontal (- forward); elevation; twist
    "left_elbow": ("yxz", ((-145, 0), (-80, 80), (-5, 5))),  # flexion forward (-); pronation twist
    "left_wrist": ("zyx", ((-60, 60), (-25, 30), (-20, 20))),
}


def _ranges() -> dict[int, tuple[str, np.ndarray]]:
    out: dict[int, tuple[str, np.ndarray]] = {}
    for name, (order, lims) in _LEFT_AND_CENTRE.items():
        out[JOINT_INDEX[name]] = (order, np.radians(np.array(lims, dtype=np.float64)))
        if name.startswith("left_"):
            # mirror: rotations about y and z change sign, about x stay (see rotations.mirror_quat)
            mirrored = []
            for axis, (lo, hi) in zip(order, lims):
                mirrored.append((lo, hi) if axis == "x" else (-hi, -lo))
            out[MIRROR[JOINT_INDEX[name]]] = (order, np.radians(np.array(mirrored, dtype=np.float64)))
    return out


JOINT_RANGES = _ranges()

# COCO OKS sigmas for the 17 COCO points; head/neck/hip/feet take their nearest COCO point's sigma.
_OKS = [
    0.026,
    0.025,
    0.025,
    0.035,
    0.035,
    0.079,
    0.079,
    0.072,
    0.072,
    0.062,
    0.062,
    0.107,
    0.107,
    0.087,
    0.087,
    0.089,
    0.089,
]
OKS_SIGMAS = np.array(_OKS + [0.035, 0.079, 0.107] + [0.089] * 6)


#: Per-axis spread of a detector's points around where they belong when it finds them (the core of its error, misses
#: apart: ``MISS_RATE``), as a fraction of the person's height. ``mediapipe``: measured (scripts/training/
#: detector_renders.py --split train --clips 16 --frames 120: MediaPipe Pose 0.10.21 on 3,840 rendered frames of the
#: MakeHuman body playing 16 training-split clips, front and side views; the model card's ``evaluation.
#: validation_subjects_mediapipe_profile_core_and_misses.measurement``): per axis
#: 1.4826 x the median absolute deviation about the median, both sides and views pooled, in % of the limb joints'
#: image height / 1.22 (the 26 points' height over the 12 limb joints', measured on the same clips): shoulders 1.65,
#: elbows 1.66, wrists 1.35, hips 1.57, knees 1.07, ankles 0.92; feet like the ankles, face points (not measured)
#: 1 %, the Halpe head and neck points 2 %. The plain standard deviation (``root_path.MEDIAPIPE_SPREAD``, which weights
#: the root path's solve) is several times this for the knees, ankles and wrists: their misses. ``coco``: a
#: COCO-trained detector at a mean OKS of about 0.8 (COCO keypoint AP about 75): per-axis error 0.47 x the COCO OKS
#: sigma x the height (OKS = exp(-d^2 / (2 s^2 (2 sigma)^2)) with the object scale s about half the height).
MEDIAPIPE_CORE = {
    "hip": 0.0157, "shoulder": 0.0165, "elbow": 0.0166, "wrist": 0.0135, "knee": 0.0107, "ankle": 0.0092,
    "big_toe": 0.0092, "small_toe": 0.0092, "heel": 0.0092, "head": 0.02, "neck": 0.02,
}  # fmt: skip
NOISE_PROFILES: dict[str, np.ndarray] = {
    "mediapipe": per_point(MEDIAPIPE_CORE, 0.01),
    "coco": 0.47 * OKS_SIGMAS,
}

#: How often a detector misses a point (puts it more than 12 % of the body's height from where it belongs), per point
#: and frame, besides the limbs' left/right swaps (``detector_noise``, about 1 % of frames). Measured on the same
#: 3,840 frames (misses, swaps included: shoulders 2.6 %, elbows 4.7, wrists 3.9, hips 1.7, knees 6.3, ankles 5.1),
#: less the 1 % the swaps make: 59 % of the misses are the point put on or near its counterpart (the other side's
#: joint), the rest 13-27 % of the height away (quartiles, in any direction); misses come in runs (median 3 frames,
#: 90 % under 13) and most in a few clips (floor work, crawling, the body leaving the view: the median clip 1.0 %, the
#: worst 27 %); the detector's confidence on them is ordinary (median 0.72, against 0.99 on its other points). Not
#: measured for COCO-trained detectors: the same. Face, head and neck points (not measured): 1 %.
MISS_RATE = per_point(
    {"shoulder": 0.016, "elbow": 0.037, "wrist": 0.029, "hip": 0.007, "knee": 0.053, "ankle": 0.041,
     "big_toe": 0.041, "small_toe": 0.041, "heel": 0.041},
    0.01,
)  # fmt: skip
#: Share of the misses (``MISS_RATE``) that put a point at its counterpart's place.
MISS_ON_COUNTERPART = 0.5

#: How the detector's error depends on the view: MediaPipe's core spread and miss rate where the camera sees the body
#: from the side (100 degrees round) over the same from the front (20 degrees round), per point, measured on the
#: training-split renders (``detector_renders.py --split train``: ``core_spread_pct_height`` and ``miss_fraction``
#: per view; 12 clips, 120 frames each, 1,440 frames per view). Core spread in % of the height, front / side:
#: shoulders 1.39 / 1.64, elbows 1.41 / 1.81, wrists 1.02 / 1.54, hips 1.94 / 1.76, knees 0.98 / 1.11, ankles
#: 0.84 / 0.80; misses in %: shoulders 1.1 / 4.3, elbows 3.7 / 4.7, wrists 4.9 / 4.0, hips 0.8 / 4.3, knees 6.3 /
#: 9.0, ankles 5.2 / 6.0 (the feet as the ankles). ``MEDIAPIPE_CORE`` and ``MISS_RATE`` pooled the two views, so
#: with ``side`` the front gets 2 / (1 + r) of them and the side 2 r / (1 + r) (``view_factor``); the face, head and
#: neck points 1.
SIDE_SPREAD_MEASURED = {
    "shoulder": 1.18, "elbow": 1.28, "wrist": 1.51, "hip": 0.91, "knee": 1.13, "ankle": 0.95,
    "big_toe": 0.95, "small_toe": 0.95, "heel": 0.95,
}  # fmt: skip
SIDE_MISS_MEASURED = {
    "shoulder": 3.88, "elbow": 1.29, "wrist": 0.81, "hip": 5.39, "knee": 1.44, "ankle": 1.17,
    "big_toe": 1.17, "small_toe": 1.17, "heel": 1.17,
}  # fmt: skip
SIDE_SPREAD_RATIO = per_point(SIDE_SPREAD_MEASURED, 1.0)
SIDE_MISS_RATIO = per_point(SIDE_MISS_MEASURED, 1.0)
#: Sideness (``sideness``) of the two measured views: sin 20 and sin 100 degrees.
FRONT_SIDENESS, SIDE_SIDENESS = float(np.sin(np.radians(20.0))), float(np.sin(np.radians(100.0)))


def sideness(points: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """How side-on the camera sees the body, (B, T) in [0, 1]: of the left-to-right shoulder and hip segments (world
    points (B, T, 26, 3), their camera depths (B, T, 26)), the share of their length along the camera's axis
    (0: square on, front or back; 1: from the side)."""
    share = []
    for part in ("shoulder", "hip"):
        a, c = KEYPOINT_INDEX[f"left_{part}"], KEYPOINT_INDEX[f"right_{part}"]
        length = np.linalg.norm(points[..., a, :] - points[..., c, :], axis=-1)
        share.append(np.abs(depth[..., a] - depth[..., c]) / np.maximum(length, 1e-6))
    return np.clip(np.mean(share, 0), 0.0, 1.0)


def view_factor(side: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """(B, T) sideness, (26,) side-over-front ratios -> (B, T, 26) factors on a profile pooled over the two measured
    views: 2 / (1 + r) up to the front view's sideness, 2 r / (1 + r) from the side view's, linear between."""
    t = np.clip((side - FRONT_SIDENESS) / (SIDE_SIDENESS - FRONT_SIDENESS), 0.0, 1.0)[..., None]
    front = 2.0 / (1.0 + ratio)
    return front + (ratio * front - front) * t


#: Share of a detector's error variance that changes frame by frame (white); the rest drifts slowly (a smoothed
#: random walk). ``mediapipe``: measured on the same renders (MediaPipe's own smoothing on, 30 fps): its error's
#: spread 2.66 % of the body's image height, its frame-to-frame change 1.32 %, so var(change) / (2 var) = 0.14,
#: which a white share of 0.12 reproduces (the walk alone gives 0.02). ``coco``: frame-by-frame detectors without a
#: tracker, not measured here: half.
WHITE_SHARE: dict[str, float] = {"mediapipe": 0.12, "coco": 0.5}

# Pairs that a detector confuses when it swaps left and right.
_SWAP_PAIRS = [
    (KEYPOINT_INDEX[f"left_{p}"], KEYPOINT_INDEX[f"right_{p}"])
    for p in ("eye", "ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "big_toe", "small_toe", "heel")
]
#: Each of the 26 points' counterpart on the other side (itself on the midline).
_COUNTERPART = np.array(HALPE_MIRROR)


def euler_to_matrix(order: str, angles: np.ndarray) -> np.ndarray:
    """(..., 3) angles applied as ``R_order[0] @ R_order[1] @ R_order[2]``."""
    r = elementary_rotation(order[0], angles[..., 0])
    return r @ elementary_rotation(order[1], angles[..., 1]) @ elementary_rotation(order[2], angles[..., 2])


#: Torso joints whose placement along the torso varies between skeleton conventions (``random_skeleton``).
_SPINE = [JOINT_INDEX[n] for n in ("spine1", "spine2", "spine3")]
_NECK, _COLLARS = JOINT_INDEX["neck"], [JOINT_INDEX["left_collar"], JOINT_INDEX["right_collar"]]


def chest_split(skeleton: Skeleton, c: float) -> Skeleton:
    """The same body with its upper spine joint (spine3) placed higher: the neck and collar segments shortened to
    ``c`` of the way (1: the canonical MPFB body, whose spine3 sits mid-chest; about 0.4: motion-capture skeletons
    such as CMU's, whose thorax joint sits near the collar bones), the lower spine segments lengthened so that the
    neck, collars and shoulders stay where they were: only where the torso bends changes."""
    off = skeleton.offsets.copy()
    rise = (1 - c) * off[_NECK, 1]  # how much higher spine3 goes
    off[_SPINE] *= 1 + rise / off[_SPINE, 1].sum()
    off[_NECK] *= c
    for k in _COLLARS:
        off[k] *= max(0.05, 1 - rise / off[k, 1])
    return Skeleton(off, skeleton.leaf_ends)


def random_skeleton(rng: np.random.Generator) -> Skeleton:
    """A body of random height (1.45 to 2.0 m), proportions (each segment group +-12 %) and upper-spine placement
    (``chest_split`` from 0.3 to 1: the canonical body's and motion-capture skeletons' both)."""
    scales = {g: float(rng.uniform(0.88, 1.12)) for g in SEGMENT_GROUPS}
    body = Skeleton.default().scaled(height=float(rng.uniform(1.45, 2.0)), **scales)
    return chest_split(body, float(rng.uniform(0.3, 1.0)))


def subject_skeleton(rng: np.random.Generator, clips: list[Clip]) -> Skeleton:
    """A random motion-capture subject's body (the skeleton of one of ``clips``, any clip, so not the one whose
    motion it will play), mirrored half of the time, of random height (1.45 to 2.0 m) and proportions (each segment
    group +-6 %): bodies as motion-capture skeletons have them (longer upper arms, shorter collars, the thorax joint
    near the collar bones), which the MPFB-based ``random_skeleton`` does not reach."""
    clip = clips[int(rng.integers(len(clips)))]
    body = Skeleton(clip.offsets[0].astype(np.float64), {j: np.asarray(v, float) for j, v in clip.leaf_ends[0].items()})
    if rng.random() < 0.5:
        body = body.mirrored()
    scales = {g: float(rng.uniform(0.94, 1.06)) for g in SEGMENT_GROUPS}
    return body.scaled(height=float(rng.uniform(1.45, 2.0)), **scales)


def random_body_offsets(
    rng: np.random.Generator, n: int, subjects: list[Clip] | None = None, subject_fraction: float = 0.0
) -> tuple[np.ndarray, list[dict[int, np.ndarray]]]:
    """Offsets (n, 22, 3) and leaf ends of ``n`` random bodies: ``random_skeleton``, or with probability
    ``subject_fraction`` a ``subject_skeleton`` of the ``subjects`` clips."""
    skeletons = [
        subject_skeleton(rng, subjects) if subjects and rng.random() < subject_fraction else random_skeleton(rng)
        for _ in range(n)
    ]
    return np.stack([sk.offsets for sk in skeletons]), [sk.leaf_ends for sk in skeletons]


def _smooth_angles(rng: np.random.Generator, n: int, t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(n, T) smooth angle trajectories inside [lo, hi] (n-vectors)."""
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    # neutral-leaning centre: angle 0 (rest) when it is inside the range, blended with a random in-range point
    neutral = np.clip(0.0, lo, hi)
    centre = neutral + (rng.uniform(lo, hi) - neutral) * rng.beta(1.2, 1.8, size=n)
    amp = half * rng.uniform(0.0, 0.8, size=n) * (rng.random(n) < 0.85)
    x = np.zeros((n, len(t)))
    for _ in range(3):
        f = rng.uniform(0.1, 2.5, size=(n, 1))
        x += rng.uniform(0.2, 1.0, size=(n, 1)) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi, size=(n, 1)))
    x = centre[:, None] + amp[:, None] * x / 1.8
    # soft clamp into the range
    return mid[:, None] + half[:, None] * np.tanh((x - mid[:, None]) / np.maximum(half[:, None], 1e-6))


@dataclass
class Clip:
    """A batch of motion: local quaternions (B, T, 22, 4), pelvis positions (B, T, 3), one skeleton per sample."""

    rotations: np.ndarray
    root: np.ndarray
    offsets: np.ndarray  # (B, 22, 3)
    leaf_ends: list[dict[int, np.ndarray]]


def random_joint_rotations(
    rng: np.random.Generator, batch: int, frames: int, fps: float = 30.0, scale: float = 1.0
) -> np.ndarray:
    """(B, T, 22, 3, 3) smooth random local rotations of every joint but the root (identity there), each angle
    inside its anatomical range (``JOINT_RANGES``) shrunk towards the rest pose by ``scale``."""
    t = np.arange(frames) / fps
    mats = np.tile(np.eye(3), (batch, frames, NUM_JOINTS, 1, 1))
    for j, (order, lims) in JOINT_RANGES.items():
        if j == 0:
            continue
        ang = np.stack(
            [_smooth_angles(rng, batch, t, np.full(batch, lo * scale), np.full(batch, hi * scale)) for lo, hi in lims],
            -1,
        )
        mats[:, :, j] = euler_to_matrix(order, ang)
    return mats


def synthetic_motion(rng: np.random.Generator, batch: int, frames: int, fps: float = 30.0) -> Clip:
    t = np.arange(frames) / fps
    mats = random_joint_rotations(rng, batch, frames, fps)
    order, lims = JOINT_RANGES[0]  # the world orientation: any heading, slowly turning; pitch and roll in range
    ang = np.stack([_smooth_angles(rng, batch, t, np.full(batch, lo), np.full(batch, hi)) for lo, hi in lims], -1)
    ang[..., 0] = rng.uniform(-np.pi, np.pi, size=(batch, 1)) + np.cumsum(
        rng.normal(0, 0.6, size=(batch, 1)) * np.ones((1, frames)) / fps, axis=1
    )
    mats[:, :, 0] = euler_to_matrix(order, ang)
    offsets, leaf_ends = random_body_offsets(rng, batch)
    # walk on the floor: heading-relative speed, integrated
    speed = rng.uniform(0, 2.5, size=(batch, 1)) * (rng.random((batch, 1)) < 0.7)
    direction = rng.uniform(-np.pi, np.pi, size=(batch, 1)) + np.cumsum(
        rng.normal(0, 0.8, size=(batch, frames)) / fps, 1
    )
    vel = speed[..., None] * np.stack([np.sin(direction), np.zeros_like(direction), np.cos(direction)], -1)
    root = np.cumsum(vel / fps, axis=1)
    root[..., 1] = -lowest_foot_height(mats, offsets)  # grounded: the lowest heel or toe point on the floor
    jump = rng.random(batch) < 0.15
    if jump.any():
        centre = rng.uniform(0, frames / fps, size=batch)
        width = rng.uniform(0.15, 0.35, size=batch)
        height = rng.uniform(0.1, 0.5, size=batch)
        bump = height[:, None] * np.clip(1 - ((t[None] - centre[:, None]) / width[:, None]) ** 2, 0, None)
        root[..., 1] += bump * jump[:, None]
    quats = quat_continuity(matrix_to_quat(mats), axis=1)
    return Clip(quats, root, offsets, leaf_ends)


@dataclass
class Camera:
    """Pinhole cameras, one per sample: world->camera rotation (B, 3, 3), centre (B, 3), focal (B,), image (B, 2)."""

    rotation: np.ndarray
    centre: np.ndarray
    focal: np.ndarray
    image: np.ndarray

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(B, T, K, 3) world points -> pixels (B, T, K, 2) and depth (B, T, K)."""
        cam = np.einsum("bij,btkj->btki", self.rotation, points - self.centre[:, None, None, :])
        z = np.maximum(cam[..., 2], 1e-3)
        px = self.focal[:, None, None, None] * cam[..., :2] / z[..., None] + self.image[:, None, None, :] / 2
        return px, cam[..., 2]

    def up_in_camera(self) -> np.ndarray:
        """(B, 3) the world's up direction in camera coordinates."""
        return self.rotation[:, :, 1]

    def rolled(self, roll: np.ndarray | float) -> Camera:
        """The same cameras turned ``roll`` radians (B,) or one angle for all about their viewing axes."""
        return replace(
            self, rotation=elementary_rotation("z", np.broadcast_to(roll, len(self.rotation))) @ self.rotation
        )


#: Largest roll (degrees) of a tilted camera (``random_cameras``): real hand-held footage is tilted up to 25-30
#: degrees (the real-video dev set's cam04: 26).
TILTED_ROLL = 35.0

#: Downward pitch (degrees) of a high camera (``random_cameras``): a camera on a wall, a stand or a tall tripod
#: looking down at the person (the real-video dev set's cameras: 18-22 degrees).
HIGH_PITCH = (15.0, 40.0)


def random_cameras(rng: np.random.Generator, target: np.ndarray, tilted: float = 0.0, high: float = 0.0) -> Camera:
    """Cameras looking at ``target`` (B, 3) world points (a person's mean pelvis position); ``tilted``: the share
    of them rolled up to ``TILTED_ROLL`` degrees (a hand-held phone), the rest up to 10; ``high``: the share placed
    high enough to look down at the person ``HIGH_PITCH`` degrees, the rest 0.3-2.8 m above the floor. Both 0 draw
    exactly the cameras drawn before either existed."""
    b = len(target)
    az = rng.uniform(-np.pi, np.pi, b)
    dist = rng.uniform(2.0, 9.0, b)
    height = rng.uniform(0.3, 2.8, b)
    if high > 0:
        up = rng.random(b) < high
        pitch = np.radians(rng.uniform(*HIGH_PITCH, b))
        height = np.where(up, target[:, 1] + dist * np.tan(pitch), height)
    centre = target + np.stack([dist * np.sin(az), np.zeros(b), dist * np.cos(az)], -1)
    centre[:, 1] = height
    aim = target + rng.normal(0, 0.25, size=(b, 3))
    off = rng.random(b) < 0.125  # aimed off: part of the body out of the frame
    aim[off] += rng.normal(0, 0.6, size=(int(off.sum()), 3))
    fwd = aim - centre
    fwd /= np.linalg.norm(fwd, axis=-1, keepdims=True)
    pitch_jitter = np.radians(rng.normal(0, 4, b))
    fwd = np.stack([fwd[:, 0], fwd[:, 1] + np.tan(pitch_jitter), fwd[:, 2]], -1)
    fwd /= np.linalg.norm(fwd, axis=-1, keepdims=True)
    world_up = np.array([0.0, 1.0, 0.0])
    right = np.cross(fwd, world_up)  # camera x (right) for a y-down camera: fwd x up
    right /= np.linalg.norm(right, axis=-1, keepdims=True)
    down = np.cross(fwd, right)
    rot = np.stack([right, down, fwd], 1)  # rows: camera axes in world coordinates -> world->camera
    largest = np.where(rng.random(b) < tilted, TILTED_ROLL, 10.0) if tilted > 0 else 10.0
    roll = np.radians(rng.uniform(-1, 1, b) * largest)
    portrait = rng.random(b) < 0.4
    image = np.where(portrait[:, None], [1080.0, 1920.0], [1920.0, 1080.0])
    fov = np.radians(rng.uniform(25, 95, b))
    focal = image[:, 0] / 2 / np.tan(fov / 2)
    return Camera(rot, centre, focal, image).rolled(roll)


def detector_noise(
    rng: np.random.Generator,
    px: np.ndarray,
    fps: float = 30.0,
    level: float | None = None,
    profile: str | None = None,
    white: float | None = None,
    side: np.ndarray | None = None,
) -> np.ndarray:
    """(B, T, 26, 2) clean pixels -> (B, T, 26, 3) noisy pixels with confidence (see the module docstring).

    The spread per point is a detector profile (``NOISE_PROFILES``; ``profile`` None draws MediaPipe's for 60 % of
    the clips and the COCO-style one for the rest) times ``level`` (None: drawn per clip from 0.5 to 2). ``white``:
    the share of the error's variance that is frame by frame (None: drawn per clip from 0.1 to 0.6 when ``level`` is
    drawn, else the profile's ``WHITE_SHARE``). Misses (``_misses``) at the measured rates, drawn per clip around
    them when ``level`` is drawn. ``side`` (B, T): how side-on the camera sees the body in each frame (``sideness``);
    the spread and the miss rates then follow the view (``SIDE_SPREAD_RATIO``, ``SIDE_MISS_RATIO``)."""
    b, t, k, _ = px.shape
    height = np.ptp(px[..., 1], axis=-1).mean(-1) + 1.0  # (B,) person height in pixels
    scale = rng.uniform(0.5, 2.0, size=(b, 1, 1, 1)) if level is None else np.full((b, 1, 1, 1), level)
    if profile is None:
        pick = rng.random(b) < 0.6
        prof = np.where(pick[:, None], NOISE_PROFILES["mediapipe"], NOISE_PROFILES["coco"])
    else:
        prof = np.tile(NOISE_PROFILES[profile], (b, 1))
        pick = np.full(b, profile == "mediapipe")
    if white is not None:
        share = np.full(b, white)
    elif level is None:
        share = rng.uniform(0.1, 0.6, size=b)
    else:
        share = np.where(pick, WHITE_SHARE["mediapipe"], WHITE_SHARE["coco"])
    sigma = scale * prof[:, None, :, None] * height[:, None, None, None]
    if side is not None:
        sigma = sigma * view_factor(side, SIDE_SPREAD_RATIO)[..., None]
    frame = rng.normal(size=px.shape)
    walk = np.cumsum(rng.normal(size=px.shape), axis=1)
    win = max(1, int(0.3 * fps))
    kernel = np.ones(win) / win
    walk = np.apply_along_axis(lambda v: np.convolve(v, kernel, mode="same"), 1, walk)
    walk -= walk.mean(1, keepdims=True)
    walk /= walk.std(1, keepdims=True) + 1e-9
    share = share[:, None, None, None]
    err = sigma * np.sqrt(0.98) * (np.sqrt(share) * frame + np.sqrt(1.0 - share) * walk)
    noisy = px + err
    # left/right swaps for a few frames
    for a, c in _SWAP_PAIRS:
        start = rng.random((b, t)) < 0.01 / 4
        run = np.zeros((b, t), bool)
        for shift in range(4):
            run |= np.roll(start, shift, axis=1)
        tmp = noisy[..., a, :].copy()
        noisy[..., a, :] = np.where(run[..., None], noisy[..., c, :], noisy[..., a, :])
        noisy[..., c, :] = np.where(run[..., None], tmp, noisy[..., c, :])
    missed = _misses(rng, noisy, height, level is None, None if side is None else view_factor(side, SIDE_MISS_RATIO))
    d2 = ((noisy - px) ** 2).sum(-1) / (2 * (2 * prof[:, None] * height[:, None, None]) ** 2 + 1e-9)
    conf = np.clip(np.exp(-d2) * 0.9 + 0.1 + rng.uniform(-0.15, 0.15, size=d2.shape), 0.05, 1.0)
    conf = np.where(missed, rng.uniform(0.3, 0.95, size=d2.shape), conf)  # a detector is as sure of its misses
    drop = (rng.random((b, t, k)) < 0.03) | (rng.random((b, t, 1)) < 0.01)
    conf = np.where(drop, 0.0, conf)
    out = np.concatenate([noisy, conf[..., None]], -1)
    out[drop] = 0.0
    return out.astype(np.float32)


def _misses(
    rng: np.random.Generator, noisy: np.ndarray, height: np.ndarray, drawn: bool, factor: np.ndarray | None = None
) -> np.ndarray:
    """Misses (``MISS_RATE``) in place on noisy points (B, T, 26, 2): runs of frames (1 to about 13, mean 5) where a
    point sits at its counterpart's place (``MISS_ON_COUNTERPART`` of them) or 12-28 % of the ``height`` (B,) away in
    a direction of its own per clip. ``drawn``: each clip's rate is the profile's times a gamma draw (shape 0.5, mean
    1: most clips miss little, a few a lot, as measured), else the profile's; ``factor`` (B, T, 26) scales it frame
    by frame (the view: ``view_factor``). Returns the (B, T, 26) missed mask."""
    b, t, k, _ = noisy.shape
    rate = (MISS_RATE[None] * (rng.gamma(0.5, 2.0, size=(b, 1)) if drawn else 1.0))[:, None]
    if factor is not None:
        rate = rate * factor
    start = rng.random((b, t, k)) < np.minimum(rate / 5.0, 1.0)
    length = rng.geometric(0.2, size=(b, t, k))
    missed = np.zeros((b, t, k), bool)
    for shift in range(min(t, 20)):
        missed[:, shift:] |= (start & (length > shift))[:, : t - shift]
    on_counterpart = (rng.random((b, 1, k)) < MISS_ON_COUNTERPART) & (_COUNTERPART != np.arange(k))
    angle = rng.uniform(0.0, 2.0 * np.pi, size=(b, 1, k))
    away = rng.uniform(0.12, 0.28, size=(b, 1, k)) * height[:, None, None]
    elsewhere = noisy + np.stack([np.cos(angle), np.sin(angle)], -1) * away[..., None]
    moved = np.where(on_counterpart[..., None], noisy[:, :, _COUNTERPART], elsewhere)
    noisy[...] = np.where(missed[..., None], moved, noisy)
    return missed


def detector_failures(
    rng: np.random.Generator, points: np.ndarray, px: np.ndarray, depth: np.ndarray, image: np.ndarray
) -> np.ndarray:
    """Real detectors' failure modes on noisy points (B, T, 26, 3) (see the module docstring): whole-body left/right
    swaps over runs of frames, runs of frames with nobody, far limbs hidden in side views, points outside the
    image (``px`` the clean pixels, ``depth`` their camera depth, ``image`` (B, 2) the image sizes)."""
    out = points.copy()
    b, t = out.shape[:2]
    height = np.ptp(px[..., 1], axis=-1).mean(-1) + 1.0
    for a, c in _SWAP_PAIRS:  # hidden far limbs
        near_2d = np.linalg.norm(px[..., a, :] - px[..., c, :], axis=-1) < 0.1 * height[:, None]
        for far, near in ((a, c), (c, a)):
            hidden = near_2d & (depth[..., far] - depth[..., near] > 0.1)
            scale = np.where(hidden, rng.uniform(0.2, 0.6, (b, t)), 1.0)
            out[..., far, 2] *= scale
            gone = hidden & (rng.random((b, t)) < 0.3)
            out[..., far, :][gone] = 0.0
    for i in range(b):
        if rng.random() < 0.25:  # the whole body's sides swapped for a run of frames
            n = int(rng.integers(3, 41))
            s0 = int(rng.integers(0, max(t - n, 1)))
            out[i, s0 : s0 + n] = out[i, s0 : s0 + n][:, _COUNTERPART]
        if rng.random() < 0.1:  # nobody detected for a run of frames
            n = int(rng.integers(2, 21))
            s0 = int(rng.integers(0, max(t - n, 1)))
            out[i, s0 : s0 + n] = 0.0
    outside = ((px < 0) | (px > image[:, None, None, :])).any(-1) | (depth <= 0.1)
    out[outside] = 0.0
    return out


def gravity_frame(camera: Camera) -> np.ndarray:
    """(B, 3, 3) world->G rotation: G is y up, z the camera's viewing direction flattened onto the floor."""
    fwd = camera.rotation[:, 2, :].copy()
    fwd[:, 1] = 0.0
    fwd /= np.linalg.norm(fwd, axis=-1, keepdims=True) + 1e-12
    up = np.tile([0.0, 1.0, 0.0], (len(fwd), 1))
    x = np.cross(up, fwd)
    return np.stack([x, up, fwd], 1)


def real_clip_crops(
    rng: np.random.Generator,
    clips: list[Clip],
    batch: int,
    frames: int,
    random_bodies: bool = False,
    subject_bodies: float = 0.0,
    jitter: float = 0.0,
    fps: float = 30.0,
) -> Clip:
    """Random crops of real clips (already at the network's fps; a clip picked in proportion to its length),
    randomly sped up or slowed (0.75x to 1.33x by resampling), mirrored left/right and turned about the vertical
    axis; with ``random_bodies`` played on random bodies (``random_skeleton``, or a share ``subject_bodies`` of
    them another clip's subject, ``subject_skeleton``) instead of the clip's subject. With ``jitter`` > 0 half of
    the crops get a smooth random rotation of every joint of up to ``jitter`` of its anatomical range on top
    (``random_joint_rotations``; re-grounded): postures near the captured ones that no clip has."""
    rots, roots, offs, leafs = [], [], [], []
    lengths = np.array([c.rotations.shape[1] for c in clips], dtype=np.float64)
    for _ in range(batch):
        clip = clips[int(rng.choice(len(clips), p=lengths / lengths.sum()))]  # every real frame equally likely
        speed = float(rng.uniform(0.75, 1.33))
        n = clip.rotations.shape[1]
        span = frames * speed
        start = float(rng.uniform(0, max(n - 1 - span, 0)))
        idx = np.clip(np.round(start + np.arange(frames) * speed).astype(int), 0, n - 1)
        q = clip.rotations[0, idx].copy()
        root = clip.root[0, idx].copy()
        off = clip.offsets[0].copy()
        leaf = dict(clip.leaf_ends[0])
        if rng.random() < 0.5:
            q = mirror_quat(q[:, list(MIRROR)])
            root[:, 0] *= -1
            off = off[list(MIRROR)] * [-1.0, 1.0, 1.0]
            leaf = {MIRROR[j]: v * [-1.0, 1.0, 1.0] for j, v in leaf.items()}
        yaw = float(rng.uniform(-np.pi, np.pi))
        turn = np.array([np.cos(yaw / 2), 0.0, np.sin(yaw / 2), 0.0])
        q[:, 0] = quat_multiply(turn, q[:, 0])
        root = root @ quat_to_matrix(turn).T
        root[:, [0, 2]] -= root[:1, [0, 2]]
        rots.append(q)
        roots.append(root)
        offs.append(off)
        leafs.append(leaf)
    out = Clip(np.stack(rots), np.stack(roots), np.stack(offs), leafs)
    if jitter > 0:
        pick = rng.random(batch) < 0.5
        if pick.any():
            mats = quat_to_matrix(out.rotations[pick])
            new = mats @ random_joint_rotations(rng, int(pick.sum()), frames, fps, jitter)
            out.root[pick] = _regrounded(out.root[pick], mats, out.offsets[pick], new, out.offsets[pick])
            out.rotations[pick] = quat_continuity(matrix_to_quat(new), axis=1)
    if random_bodies:  # the network must not learn to recognise a clip's subject by its proportions
        offsets, leaf_ends = random_body_offsets(rng, batch, clips, subject_bodies)
        mats = quat_to_matrix(out.rotations)
        out = Clip(out.rotations, _regrounded(out.root, mats, out.offsets, mats, offsets), offsets, leaf_ends)
    return out


# Joints that move together when synthetic motion borrows its postures from real clips (``anchored_motion``).
LIMB_GROUPS: dict[str, tuple[int, ...]] = {
    group: tuple(JOINT_INDEX[n] for n in names)
    for group, names in {
        "torso": ("pelvis", "spine1", "spine2", "spine3", "neck", "head"),
        "left_arm": ("left_collar", "left_shoulder", "left_elbow", "left_wrist"),
        "right_arm": ("right_collar", "right_shoulder", "right_elbow", "right_wrist"),
        "left_leg": ("left_hip", "left_knee", "left_ankle", "left_foot"),
        "right_leg": ("right_hip", "right_knee", "right_ankle", "right_foot"),
    }.items()
}


def anchored_motion(
    rng: np.random.Generator, clips: list[Clip], batch: int, frames: int, fps: float = 30.0, scale: float = 1 / 3
) -> Clip:
    """Synthetic motion whose postures come from real clips, one clip crop per limb group (``LIMB_GROUPS``), with
    smooth random rotations of up to ``scale`` of each joint's range on top (see the module docstring)."""
    crops = {group: real_clip_crops(rng, clips, batch, frames) for group in LIMB_GROUPS}
    torso = crops["torso"]
    mats = np.empty((batch, frames, NUM_JOINTS, 3, 3))
    for group, joints in LIMB_GROUPS.items():
        mats[:, :, list(joints)] = quat_to_matrix(crops[group].rotations[:, :, list(joints)])
    if scale > 0:
        mats = mats @ random_joint_rotations(rng, batch, frames, fps, scale)
    offsets, leaf_ends = random_body_offsets(rng, batch)
    root = _regrounded(torso.root, quat_to_matrix(torso.rotations), torso.offsets, mats, offsets)
    quats = quat_continuity(matrix_to_quat(mats), axis=1)
    return Clip(quats, root, offsets, leaf_ends)


def _regrounded(
    root: np.ndarray, mats: np.ndarray, offsets: np.ndarray, new_mats: np.ndarray, new_offsets: np.ndarray
) -> np.ndarray:
    """Root path (B, T, 3) of motion ``mats`` on bodies ``offsets`` moved onto ``new_mats`` on ``new_offsets``:
    the horizontal path scaled with the pelvis height, the height above the floor of the lowest foot point (flight
    phases) kept."""
    flight = np.maximum(root[..., 1] + lowest_foot_height(mats, offsets), 0.0)
    out = root * (new_offsets[:, :1, 1] / offsets[:, :1, 1])[:, :, None]
    out[..., 1] = flight - lowest_foot_height(new_mats, new_offsets)
    return out


#: Where MediaPipe puts each point, relative to the keypoint model's (:mod:`..body_points`): (joint, offset in that
#: joint's frame, metres for the 1.66 m canonical body; scaled with the body). Fit by robust least squares to its
#: detections on the rendered MakeHuman body (MediaPipe 0.10.21; 16 training clips, front and side views, about
#: 3,500 detections per point; front and side fitted alone agree within 1 cm), left and right averaged mirrored. The
#: face is relative to the nose: all five face points sat 3 cm lower and 2.5 cm further forward on the rendered rig's
#: head joint, which is where that rig puts its head joint, not where the detector puts the face. Torso points in
#: the torso's frames, limb joints in their parent segment's. The real-video reference (triangulated MediaPipe)
#: shows the same ears: 4-5 cm in front of the keypoint model's. Used to score predictions against references made
#: from MediaPipe (``evaluate.py``'s ``placed_as_mediapipe_pa_mpjpe_mm``), not in training (``PLACEMENT_BIAS``).
MEDIAPIPE_PLACEMENT: dict[str, tuple[str, tuple[float, float, float]]] = {"nose": ("head", (0.0, 0.0, 0.0))}
for _side, _s in (("left", 1.0), ("right", -1.0)):
    for _point, _joint, (_x, _y, _z) in (
        ("eye", "head", (-0.016, -0.004, -0.004)),
        ("ear", "head", (-0.041, 0.003, 0.046)),
        ("shoulder", "spine3", (-0.030, 0.011, -0.003)),
        ("hip", "pelvis", (-0.031, 0.006, 0.005)),
        ("elbow", f"{_side}_shoulder", (-0.010, -0.002, 0.019)),
        ("wrist", f"{_side}_elbow", (0.007, 0.005, 0.001)),
        ("knee", f"{_side}_hip", (-0.009, 0.021, -0.008)),
        ("ankle", f"{_side}_knee", (-0.006, 0.020, 0.003)),
        ("big_toe", f"{_side}_foot", (-0.016, 0.003, -0.046)),
        ("small_toe", f"{_side}_foot", (-0.016, 0.003, -0.046)),  # MediaPipe has one toe point: as the big toe's
        ("heel", f"{_side}_ankle", (-0.002, 0.013, 0.024)),
    ):
        MEDIAPIPE_PLACEMENT[f"{_side}_{_point}"] = (_joint, (_s * _x, _y, _z))
_PLACE_JOINT = np.array([JOINT_INDEX[MEDIAPIPE_PLACEMENT[n][0]] if n in MEDIAPIPE_PLACEMENT else 0 for n in HALPE26])
_PLACE_OFFSET = np.array([MEDIAPIPE_PLACEMENT[n][1] if n in MEDIAPIPE_PLACEMENT else (0.0, 0.0, 0.0) for n in HALPE26])


def placement_shift(glob: np.ndarray, offsets: np.ndarray, level: np.ndarray | float = 1.0) -> np.ndarray:
    """How far MediaPipe's points (..., T, 26, 3) sit from the keypoint model's: ``MEDIAPIPE_PLACEMENT`` turned with
    the joints' global rotations ``glob`` (..., T, 22, 3, 3), scaled with the bodies ``offsets`` (..., 22, 3) and by
    ``level`` (a number, or one per body (...,)). The neck and hip points, midpoints, move with their pairs."""
    k = np.asarray(level, float) * size_ratio(offsets)  # (...,)
    shift = (glob[..., _PLACE_JOINT, :, :] @ _PLACE_OFFSET[..., None])[..., 0] * k[..., None, None, None]
    for mid, pair in (("neck", "shoulder"), ("hip", "hip")):  # midpoints stay midpoints (body_points)
        shift[..., KEYPOINT_INDEX[mid], :] = 0.5 * (
            shift[..., KEYPOINT_INDEX[f"left_{pair}"], :] + shift[..., KEYPOINT_INDEX[f"right_{pair}"], :]
        )
    return shift


#: The placement training draws (measured on 1,920 rendered frames, model card): MediaPipe's shoulders 5.4 % of the
#: torso's image length above the rig's shoulder joints, its hips 3.0 % below; here as a fraction of the body's
#: height along the torso's up axis. An earlier 480-frame measurement on validation motion put the shoulders 9-18 %
#: high: training draws 0 to 2.5 times this bias, which covers both. (``MEDIAPIPE_PLACEMENT``'s full table, drawn
#: at 0-2x in training instead, made both real-detector sets worse: model card.)
PLACEMENT_BIAS = {"shoulder": 0.0146, "hip": -0.0081}


def detector_placement(
    rng: np.random.Generator, kp3d: np.ndarray, clip: Clip, level: float | None = None
) -> np.ndarray:
    """3D points (B, T, 26, 3) moved as detectors place them: the measured shoulder and hip bias along the torso's
    up axis (times ``level``, or 0 to 2.5 drawn per clip), then a constant offset per clip and point (normal, 2 cm;
    none when ``level`` is given)."""
    b = len(kp3d)
    up = quat_to_matrix(clip.rotations[:, :, 0])[..., :, 1]  # the pelvis' up axis (B, T, 3); the torso is near it
    size = size_ratio(clip.offsets) * Skeleton.default().height
    out = kp3d.copy()
    k = (rng.uniform(0.0, 2.5, size=b) if level is None else np.full(b, level)) * size
    for part, bias in PLACEMENT_BIAS.items():
        for side in ("left", "right"):
            out[:, :, KEYPOINT_INDEX[f"{side}_{part}"]] += (k * bias)[:, None, None] * up
    return out if level is not None else out + rng.normal(0, 0.02, size=(b, 1, kp3d.shape[2], 3))


def make_batch(
    rng: np.random.Generator,
    batch: int,
    frames: int,
    fps: float,
    real: list[Clip] | None = None,
    real_fraction: float = 0.25,
    anchored_fraction: float = 0.0,
    random_bodies: bool = False,
    noise: str = "train",
    mixed_fraction: float = 0.0,
    subject_bodies: float = 0.0,
    jitter: float = 0.0,
    white: float | None = None,
    tilted: float = 0.0,
    high: float = 0.0,
    side_views: bool = False,
    pairs: list | None = None,
    pairs_fraction: float = 0.0,
    clean_fraction: float = 0.0,
) -> dict[str, np.ndarray]:
    """One training batch: normalised noisy 2D windows and every target, in the gravity-aligned camera frame G.

    Of the ``batch`` samples, ``real_fraction`` are crops of the ``real`` clips, ``anchored_fraction`` synthetic
    motion with postures borrowed from them (``anchored_motion``), ``mixed_fraction`` their limbs assembled from
    different clips with nothing on top (``anchored_motion`` at scale 0), the rest purely synthetic; ``random_bodies``
    plays the real crops on random bodies (``subject_bodies`` of them motion-capture subjects' bodies), ``jitter``
    varies half of them joint by joint (``real_clip_crops``); ``white`` fixes the training noise's frame-by-frame
    share (``detector_noise``; None: drawn per clip); ``tilted`` is the share of cameras rolled up to ``TILTED_ROLL``
    degrees, ``high`` the share looking down ``HIGH_PITCH`` degrees (``random_cameras``); ``side_views``: the training
    noise's spread and misses follow the view, frame by frame (``detector_noise``'s ``side``). ``noise``:
    "train" (drawn profiles, levels, placement and failures), "exact" (the keypoint model's points, nothing else;
    out-of-image points dropped) or a profile name of ``NOISE_PROFILES`` at level 1 with the measured placement bias and no failure modes (for evaluation).
    ``pairs_fraction`` of the batch (taken from the synthetic share) are windows of ``pairs``
    (:mod:`.detector_pairs`): a real detector's own 2D of rendered motion, with that motion's targets.
    ``clean_fraction`` of the generated samples (training noise only) get 2D as a detector better than MediaPipe
    would give it (``clean_points``): the joints' own points, no placement bias and no failure modes, and a share of
    0 to 0.5 of the drawn noise."""
    n_real = int(round(batch * real_fraction)) if real else 0
    n_anchored = min(int(round(batch * anchored_fraction)), batch - n_real) if real else 0
    n_mixed = min(int(round(batch * mixed_fraction)), batch - n_real - n_anchored) if real else 0
    n_pairs = min(int(round(batch * pairs_fraction)), batch - n_real - n_anchored - n_mixed) if pairs else 0
    n_synthetic = batch - n_real - n_anchored - n_mixed - n_pairs
    if n_pairs == batch:
        return _paired_batch(rng, pairs, n_pairs, frames, fps)  # type: ignore[arg-type]
    parts = [synthetic_motion(rng, n_synthetic, frames, fps)] if n_synthetic else []
    if n_real:
        parts.append(real_clip_crops(rng, real, n_real, frames, random_bodies, subject_bodies, jitter, fps))  # type: ignore[arg-type]
    if n_anchored:
        parts.append(anchored_motion(rng, real, n_anchored, frames, fps))  # type: ignore[arg-type]
    if n_mixed:
        parts.append(anchored_motion(rng, real, n_mixed, frames, fps, scale=0.0))  # type: ignore[arg-type]
    clip = Clip(
        np.concatenate([p.rotations for p in parts]),
        np.concatenate([p.root for p in parts]),
        np.concatenate([p.offsets for p in parts]),
        sum((p.leaf_ends for p in parts), []),
    )
    kp3d, joints = keypoints_3d(clip.rotations, clip.offsets, clip.root)
    camera = random_cameras(rng, clip.root.mean(1), tilted, high)
    if noise == "train":
        exact_kp3d = kp3d
        kp3d = detector_placement(rng, kp3d, clip)
        px, depth = camera.project(kp3d)
        side = sideness(kp3d, depth) if side_views else None
        drawn = detector_noise(rng, px, fps, white=white, side=side)
        noisy = detector_failures(rng, drawn, px, depth, camera.image)
        clean = rng.random(len(noisy)) < clean_fraction
        if clean.any():
            exact_px, exact_depth = camera.project(exact_kp3d)
            error = drawn[clean].copy()  # the drawn error (offsets and confidence), without the failure modes
            error[..., :2] -= px[clean]
            share = rng.uniform(0.0, 0.5, int(clean.sum()))
            noisy[clean] = clean_points(exact_px[clean], exact_depth[clean], error, share, camera.image[clean])
    else:
        if noise != "exact":
            kp3d = detector_placement(rng, kp3d, clip, level=1.0)
        px, depth = camera.project(kp3d)
        if noise == "exact":
            noisy = np.concatenate([px, np.ones(px.shape[:-1] + (1,))], -1).astype(np.float32)
        else:
            noisy = detector_noise(rng, px, fps, level=1.0, profile=noise)
        outside = ((px < 0) | (px > camera.image[:, None, None, :])).any(-1) | (depth <= 0.1)
        noisy[outside] = 0.0
    out = _targets(clip, camera, joints, noisy, fps)
    if n_pairs:
        paired = _paired_batch(rng, pairs, n_pairs, frames, fps)  # type: ignore[arg-type]
        out = {k: np.concatenate([v, paired[k]]) for k, v in out.items()}
    return out


def clean_points(
    px: np.ndarray, depth: np.ndarray, noise: np.ndarray, share: np.ndarray, image: np.ndarray
) -> np.ndarray:
    """(B, T, 26, 3) 2D as a detector more precise than MediaPipe gives it: the clean pixels ``px`` (B, T, 26, 2)
    plus ``share`` (B,) of a drawn detector error ``noise`` (B, T, 26, 3: pixel offsets, and the confidence that
    error was given), points outside the ``image`` (B, 2) or behind the camera (``depth``) dropped. The confidence
    rises as the error shrinks (its power ``share``: 1 with no error); a point the draw dropped stays dropped."""
    share = share[:, None, None]
    out = np.concatenate([px + share[..., None] * noise[..., :2], noise[..., 2:] ** share[..., None]], -1)
    out[noise[..., 2] <= 0] = 0.0
    outside = ((px < 0) | (px > image[:, None, None, :])).any(-1) | (depth <= 0.1)
    out[outside] = 0.0
    return out.astype(np.float32)


def _paired_batch(rng: np.random.Generator, pairs: list, batch: int, frames: int, fps: float) -> dict[str, np.ndarray]:
    """``batch`` windows of detector pairs (:func:`.detector_pairs.paired_windows`) with their targets."""
    from .detector_pairs import paired_windows

    clip, camera, points = paired_windows(rng, pairs, batch, frames)
    _, joints = keypoints_3d(clip.rotations, clip.offsets, clip.root)
    return _targets(clip, camera, joints, points.astype(np.float32).copy(), fps)


def _targets(clip: Clip, camera: Camera, joints: np.ndarray, noisy: np.ndarray, fps: float) -> dict[str, np.ndarray]:
    """The network's inputs (``noisy`` pixels, normalised) and every target of ``clip`` seen by ``camera``."""
    from ..features import normalise_window

    frames = noisy.shape[1]
    fill_midpoints(noisy)  # neck and hip from the image's shoulders and hips, as the readers make them
    g = gravity_frame(camera)  # (B, 3, 3) world -> G
    local = quat_to_matrix(clip.rotations)  # (B, T, 22, 3, 3)
    local[:, :, 0] = g[:, None] @ local[:, :, 0]
    rel = np.einsum("bij,btkj->btki", g, joints - joints[:, :, :1])
    vel = np.einsum("bij,btj->bti", g, np.gradient(clip.root, axis=1) * fps)
    bones = np.linalg.norm(clip.offsets[:, 1:], axis=-1)
    return {
        "inputs": normalise_window(noisy),
        "rotations": local.astype(np.float32),
        "positions": rel.astype(np.float32),
        "offsets": clip.offsets.astype(np.float32),
        "velocity": vel.astype(np.float32),
        "up": np.repeat(camera.up_in_camera()[:, None], frames, 1).astype(np.float32),
        "log_bones": np.log(bones).astype(np.float32),
    }


def clip_from_motion(motion) -> Clip:  # a Motion
    """A real Motion (at the network's fps) as a one-sample Clip for :func:`real_clip_crops`."""
    return Clip(
        motion.rotations[None],
        motion.root_translation[None],
        motion.skeleton.offsets[None],
        [motion.skeleton.leaf_ends],
    )
