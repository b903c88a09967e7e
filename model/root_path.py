"""The root path from the video's perspective: where the camera sees the body, frame by frame.

The network predicts the root's velocity; integrated over a long clip its small errors add up (most of them in depth:
it cannot tell a step towards the camera from a slightly bigger body). The 2D points pin the path down instead: with
the body the network predicts (its joints relative to the pelvis) and a pinhole camera of a given field of view, the
pelvis' place in camera space is the translation that projects that body onto the detected points, a small linear
least-squares problem per frame (two equations per point, each point weighted by its confidence and by how reliable
it is: the hips most, the wrists and feet least, where both the detector and the network err most). That path
carries no drift: a person twice as far away is half as big in the image. It is as good as the field of view: a wrong one stretches or squeezes depth against the
sideways motion (60 degrees across the long side of the image by default, near a phone's or a webcam's).

The result is blended with the network's own path: across the floor, the perspective path for everything slower than
about a fifth of a second (a Gaussian of 0.2 s splits them, after a running median that drops single-frame outliers),
the network's for the fast rest (the perspective solve is noisy frame to frame with a detector's jitter). The height
is the other way round: its slow part is the network's, because the perspective's slow height errs (an error in the
estimated camera tilt turns depth errors into height, and feet sank through the floor or floated); its fast part,
under about a quarter of a second, is the perspective's (the network's own height hardly moves in a jump or a bounce:
on the validation subjects its fast vertical motion was 21 mm from the truth's, the perspective's 11, the truth's
own 24). Then the whole is kept on the floor (``floor_height``: the network's integrated height drifts; jumps and
crouches are left as they are), and lifted where a foot would go through it (``sinking``: the perspective's fast part
carries some of the detector's jitter). The camera is assumed not to move.
"""

from __future__ import annotations

import numpy as np

from .body_points import keypoints_3d
from .keypoints import HALPE26
from .smoothing import reflected_ends

#: Default field of view across the image's long side, degrees.
DEFAULT_FOV = 60.0
#: The least number of detected points that fixes a frame's translation (three would do exactly; four leave room).
MIN_POINTS = 4

#: MediaPipe's measured error per point, misses included (per-axis standard deviation as a fraction of the body's
#: height; the model card's detector profile: 1,920 rendered frames; face points 1 %), the network's own error
#: following the same order (hips best, wrists and feet worst). The training's detector noise draws the core of the
#: error and the misses apart (``training.synthesis.NOISE_PROFILES`` and ``MISS_RATE``); a least-squares solve
#: weighs by the whole of it.
MEDIAPIPE_SPREAD = {
    "hip": 0.0092, "shoulder": 0.0123, "elbow": 0.0146, "wrist": 0.0254, "knee": 0.0214, "ankle": 0.0354,
    "big_toe": 0.0354, "small_toe": 0.0354, "heel": 0.0354, "head": 0.02, "neck": 0.02,
}  # fmt: skip


def per_point(values: dict[str, float], default: float) -> np.ndarray:
    """(26,) one value per Halpe point from a table by body part (``left_``/``right_`` dropped), ``default`` else."""
    return np.array([values.get(n.removeprefix("left_").removeprefix("right_"), default) for n in HALPE26])


#: How much each of the 26 points counts in the solve beside its confidence: its inverse error variance, the hips' 1.
#: On the validation subjects at MediaPipe's profile this took the root path from 206 to 181 mm (exact 2D: 161 to
#: 139) against confidence alone.
POINT_WEIGHT = (MEDIAPIPE_SPREAD["hip"] / per_point(MEDIAPIPE_SPREAD, 0.01)) ** 2


def focal_length(image_size: tuple[int, int], fov_deg: float) -> float:
    """Focal length in pixels of a pinhole camera with ``fov_deg`` across the image's long side."""
    if not (np.isfinite(fov_deg) and 1.0 <= fov_deg <= 170.0):
        raise ValueError(f"field of view must be 1 to 170 degrees, got {fov_deg}")
    return max(image_size) / 2.0 / float(np.tan(np.radians(fov_deg) / 2.0))


def camera_from_gravity(up_in_camera: np.ndarray) -> np.ndarray:
    """(3, 3) rotation taking the gravity-aligned frame G (y up, z the camera's view flattened onto the floor) to
    camera coordinates (x right, y down, z forward), from the world's up direction seen by the camera."""
    y = np.asarray(up_in_camera, dtype=np.float64)
    y = y / max(float(np.linalg.norm(y)), 1e-12)
    z = np.array([0.0, 0.0, 1.0]) - y[2] * y
    z /= max(float(np.linalg.norm(z)), 1e-12)
    return np.stack([np.cross(y, z), y, z], axis=1)  # columns: G's axes in camera coordinates


def perspective_translation(body: np.ndarray, points: np.ndarray, focal: float, centre: np.ndarray) -> np.ndarray:
    """Per frame, the camera-space translation of ``body`` (T, K, 3) pelvis-relative points in camera coordinates
    that best projects them onto ``points`` (T, K, 3: pixels and confidence; 0 = absent): (T, 3), NaN where fewer
    than ``MIN_POINTS`` points were detected. Minimises ``f (X + t_x) - u (Z + t_z)`` and the same for y, weighted by
    the confidence times the point's reliability (``POINT_WEIGHT``; the linear form of the reprojection error)."""
    u = points[..., 0] - centre[0]
    v = points[..., 1] - centre[1]
    w = np.clip(points[..., 2], 0.0, 1.0).astype(np.float64) * POINT_WEIGHT
    x, y, z = body[..., 0], body[..., 1], body[..., 2]
    f = float(focal)
    zero = np.zeros_like(u)
    rows = np.stack(
        [np.stack([np.full_like(u, f), zero, -u], -1), np.stack([zero, np.full_like(v, f), -v], -1)], -2
    )  # (T, K, 2, 3)
    rhs = np.stack([u * z - f * x, v * z - f * y], -1)  # (T, K, 2)
    a = np.einsum("tk,tkri,tkrj->tij", w, rows, rows)
    b = np.einsum("tk,tkri,tkr->ti", w, rows, rhs)
    out = np.full((len(body), 3), np.nan)
    ok = (w > 0).sum(-1) >= MIN_POINTS
    if ok.any():
        out[ok] = np.linalg.solve(a[ok] + np.eye(3) * 1e-9, b[ok][..., None])[..., 0]
    return out


def perspective_root(
    rotations: np.ndarray,
    offsets: np.ndarray,
    up_in_camera: np.ndarray,
    points: np.ndarray,
    image_size: tuple[int, int],
    fov_deg: float = DEFAULT_FOV,
) -> np.ndarray | None:
    """The pelvis path (T, 3) in the gravity-aligned frame G (metres, the camera at the origin) of a motion with
    local ``rotations`` (T, 22, 4, the root's in G) on a body of ``offsets`` (22, 3), seen as ``points`` (T, 26, 3)
    in an image of ``image_size``; frames without enough points are interpolated. None when no frame has enough."""
    kp, _ = keypoints_3d(rotations, offsets, np.zeros((len(rotations), 3)))
    to_camera = camera_from_gravity(np.median(up_in_camera, axis=0))
    centre = np.asarray(image_size, dtype=np.float64) / 2.0
    t_cam = perspective_translation(kp @ to_camera.T, points, focal_length(image_size, fov_deg), centre)
    ok = np.isfinite(t_cam).all(-1) & (t_cam[:, 2] > 0.05)  # in front of the camera
    if not ok.any():
        return None
    frames = np.arange(len(t_cam))
    filled = np.stack([np.interp(frames, frames[ok], t_cam[ok, k]) for k in range(3)], -1)
    return filled @ to_camera  # camera -> G


def low_pass(path: np.ndarray, sigma: float) -> np.ndarray:
    """(T, ...) values smoothed over time with a Gaussian of ``sigma`` frames, cut at 3 sigma (or the clip's length);
    the ends padded as the smoothing pads them (:func:`.smoothing.reflected_ends`), so a steady motion carries on."""
    half = min(int(np.ceil(3 * sigma)), len(path) - 1)
    if sigma <= 0 or half < 1:
        return path.copy()
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = reflected_ends(path, half)
    return sum(w * padded[k : k + len(path)] for k, w in enumerate(kernel))


def _windows(path: np.ndarray, half: int) -> np.ndarray:
    """(T, 2 half + 1, ...) each frame's neighbours within ``half`` frames, NaN where they fall outside the clip."""
    idx = np.arange(len(path))[:, None] + np.arange(-half, half + 1)[None]
    inside = (idx >= 0) & (idx < len(path))
    return np.where(inside.reshape(*inside.shape, *[1] * (path.ndim - 1)), path[np.clip(idx, 0, len(path) - 1)], np.nan)


def _running_percentile(values: np.ndarray, half: int, q: float) -> np.ndarray:
    """(T,) the ``q``-th percentile over ``2 half + 1`` frames (only those inside the clip at its ends); vectorised
    inside the clip (NaN-aware percentiles go row by row: a 3,000-frame clip took 0.2 s each)."""
    if len(values) <= 2 * half + 1:
        return np.nanpercentile(_windows(values, half), q, axis=1)
    out = np.empty(len(values))
    out[half:-half] = np.percentile(np.lib.stride_tricks.sliding_window_view(values, 2 * half + 1), q, axis=1)
    ends = np.r_[:half, len(values) - half : len(values)]
    out[ends] = np.nanpercentile(_windows(values, half)[ends], q, axis=1)
    return out


def running_median(path: np.ndarray, half: int) -> np.ndarray:
    """(T, ...) the median over ``2 half + 1`` frames (only those inside the clip at its ends): single-frame
    outliers (a detector's first frame, a wrong person for a frame) gone before any averaging."""
    if half <= 0 or len(path) < 3:
        return path.copy()
    return np.nanmedian(_windows(path, half), axis=1)


def blended_root(
    network: np.ndarray, perspective: np.ndarray, fps: float, seconds: float = 0.2, vertical: float = 0.25
) -> np.ndarray:
    """Across the floor (x, z): the perspective path's slow part plus the network path's fast part (both (T, 3)), a
    Gaussian low-pass of ``seconds`` (its sigma) splitting them, after a running median over half that on either side
    of each frame. The height (y) the other way round: the network's slow part (its drift is taken out afterwards,
    ``floor_height``) plus the perspective's fast part (split at ``vertical`` seconds, after a running median over
    0.05 s either side and a Gaussian of 0.05 s against the detector's jitter): the network's own height moves too
    little in jumps and bounces, the perspective's errs in its slow part (see the module docstring)."""
    sigma = seconds * fps
    robust = running_median(perspective, max(1, int(round(seconds * fps / 2))))
    out = low_pass(robust, sigma) + (network - low_pass(network, sigma))
    height = running_median(perspective[:, 1], max(1, int(round(0.05 * fps))))
    fast = low_pass(height - low_pass(height, vertical * fps), 0.05 * fps)
    out[:, 1] = low_pass(network[:, 1], vertical * fps) + fast
    return out


def floor_height(low: np.ndarray, fps: float, seconds: float = 2.0, percentile: float = 10.0) -> np.ndarray:
    """(T,) where the floor is under a body whose lowest foot point is at ``low`` (T,) metres. First a rough floor, a
    running low ``percentile`` over ``seconds`` (frames inside the clip only); the frames within 8 cm of it are on
    the ground; the floor is their lowest foot point, interpolated across the others (jumps) and smoothed with a
    Gaussian of a quarter of ``seconds``, plus the running 20th percentile of what the smoothing took out (over a
    quarter of ``seconds`` either side, smoothed over an eighth): the lower edge of a planted foot's frame-to-frame
    wobble, not its middle, so feet do not float. A body's feet are on the floor most of any two seconds, so this
    follows the slow drift of the network's integrated height and not a jump (flight phases last well under a second)
    or a crouch (the feet stay down)."""
    if len(low) < 3:
        return np.full(len(low), float(np.min(low)) if len(low) else 0.0)
    rough = _running_percentile(low, max(1, int(round(seconds * fps / 2))), percentile)
    ground = np.flatnonzero(low < rough + 0.08)
    base = np.interp(np.arange(len(low)), ground, low[ground])
    smooth = low_pass(base, seconds * fps / 4)
    wobble = _running_percentile(base - smooth, max(1, int(round(seconds * fps / 4))), 20.0)
    return smooth + low_pass(wobble, seconds * fps / 8)


def sinking(low: np.ndarray, fps: float, seconds: float = 0.1) -> np.ndarray:
    """(T,) how far to lift a body whose lowest foot point is ``low`` (T,) metres above the floor so that no foot goes
    through it: each frame's depth below the floor, spread over ``seconds`` either side (a running maximum) and
    smoothed with a Gaussian of half that, so the lift rises and falls over a few frames instead of a kink."""
    depth = np.maximum(0.0, -low)
    if not depth.any():
        return depth
    half = max(1, int(round(seconds * fps)))
    return low_pass(np.nanmax(_windows(depth, half), axis=1), seconds * fps / 2)


def planted_weights(feet: np.ndarray, fps: float, height: float = 0.08, speed: float = 0.9) -> np.ndarray:
    """(T, 2) how planted the left and the right foot are, 0 to 1, from ``feet`` (T, 6, 3): the left and then the
    right foot's three points (heel, big toe, small toe) in the world, the floor at y = 0. A foot is planted as far as
    its lowest point is under ``height`` metres and its points' centre (smoothed over 0.05 s) moves under ``speed``
    metres per second across the floor (into the frame; the first frame takes the second's), both ramps of half
    that width."""
    return _planted(feet, fps, height, speed)[0]


def _planted(feet: np.ndarray, fps: float, height: float, speed: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`planted_weights` and the feet's smoothed centres across the floor (T, 2, 2) it measured them on."""
    sides = np.asarray(feet).reshape(len(feet), 2, 3, 3)
    low = sides[..., 1].min(-1)  # (T, 2)
    centre = low_pass(sides.mean(2)[..., [0, 2]], 0.05 * fps)
    moving = np.linalg.norm(np.diff(centre, axis=0), axis=-1) * fps  # (T - 1, 2)
    moving = np.concatenate([moving[:1], moving]) if len(moving) else np.zeros((len(feet), 2))
    ramp = lambda x, limit: np.clip((limit - x) / (limit / 2), 0.0, 1.0)  # noqa: E731  1 below limit/2, 0 above limit
    return ramp(low, height) * ramp(moving, speed), centre


def pin_planted_feet(
    root: np.ndarray, feet: np.ndarray, fps: float, seconds: float = 1.0, height: float = 0.08, speed: float = 0.9
) -> np.ndarray:
    """(T, 3) ``root`` moved across the floor so that a planted foot stays where it is. ``feet`` (T, 6, 3): the left
    and then the right foot's three points (heel, big toe, small toe) relative to the root, the floor at y = 0. Where
    a foot is planted (:func:`planted_weights`, ``height`` and ``speed``) the root takes the opposite of the planted feet's motion, so they stay put. Only the correction's fast part is kept
    (what a Gaussian of ``seconds`` takes out): the path's long course stays the camera's."""
    if len(root) < 3:
        return root.copy()
    weight, centre = _planted(root[:, None] + feet, fps, height, speed)  # (T, 2), (T, 2, 2) across the floor
    step = np.diff(centre, axis=0)  # (T - 1, 2, 2)
    w = weight[1:]  # (T - 1, 2)
    total = w.sum(1, keepdims=True)
    move = -(w[..., None] * step).sum(1) / np.maximum(total, 1e-9) * np.minimum(total, 1.0)
    shift = np.concatenate([np.zeros((1, 2)), np.cumsum(move, axis=0)])
    out = root.copy()
    out[:, [0, 2]] += shift - low_pass(shift, seconds * fps)
    return out
