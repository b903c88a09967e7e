"""Keypoints2D -> Motion with the bundled network: windows, backends (torch CPU/CUDA, numpy), blending, root motion.

    uplifter = Uplifter()                      # loads the bundled weights once; picks the backend
    motion = uplifter(keypoints)               # a Motion at the keypoints' fps, upright and on the floor

Backends: ``"torch"`` when PyTorch imports (device ``"auto"`` = CUDA when available, else CPU), else ``"numpy"``;
both run the same weights. Asking for CUDA without it falls back to the CPU with a warning in ``Uplifter.notes``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .body_points import FOOT_POINTS, keypoints_3d
from .features import blend_weights, normalise_window, resample_points, window_starts
from .keypoints import HALPE_MIRROR, KEYPOINT_INDEX, Keypoints2D, fill_midpoints
from .motion import Motion, resample
from .network import NetworkConfig, load_weights, numpy_forward, split_outputs
from .root_path import DEFAULT_FOV, blended_root, floor_height, perspective_root, pin_planted_feet, sinking
from .rotations import (
    elementary_rotation,
    geodesic_angle,
    matrix_to_quat,
    matrix_to_sixd,
    mirror_matrix,
    quat_continuity,
    rotation_to_matrix,
    sixd_to_matrix,
)
from .skeleton import MIRROR, NUM_JOINTS, Skeleton, size_ratio
from .swaps import undo_swaps

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "pose_uplift.npz"
DEFAULT_FPS = 30.0
#: Two windows that see the same frames and put the body's heading further apart than this on average (degrees) do
#: not agree which way the body faces (``Uplifter._settle_edges``).
FACING_TURN_DEG = 90.0


def facing_fit(windows: np.ndarray, pelvis: np.ndarray) -> np.ndarray:
    """How well pelvis rotations (B, T, 3, 3) in the gravity frame fit the normalised windows (B, T, 26, 3) they
    were read from, per frame (B, T): positive where the body faces the way the points say. Two cues, each counted
    where all its points are seen: the body's left axis across the image against how far the left hip and shoulder
    lie to the image's right of the right ones (a body seen from the front or back), and its forward axis across
    the image against how far the nose lies ahead of the ears and the toes ahead of the heels (seen from the side)."""
    k = KEYPOINT_INDEX
    x, seen = windows[..., 0], windows[..., 2] > 0

    def ahead(front: list[str], back: list[str]) -> np.ndarray:
        a, b = [k[n] for n in front], [k[n] for n in back]
        ok = seen[..., a].all(-1) & seen[..., b].all(-1)
        return np.where(ok, x[..., a].mean(-1) - x[..., b].mean(-1), 0.0)

    left = ahead(["left_hip", "left_shoulder"], ["right_hip", "right_shoulder"])
    forward = ahead(["nose"], ["left_ear", "right_ear"]) + ahead(
        ["left_big_toe", "right_big_toe"], ["left_heel", "right_heel"]
    )
    return -(pelvis[..., 0, 0] * left + pelvis[..., 0, 2] * forward)


def mirror_average(windows: np.ndarray, direct: np.ndarray, mirrored: np.ndarray) -> np.ndarray:
    """Mirror Averaging of the two passes' rotations (B, T, 22, 3, 3; the mirrored pass reflected back) -> 6D
    (B, T, 22, 6). A joint whose two passes lie within 60 degrees of each other gets their mean. Further apart, the
    pass whose pelvis fits the window's points better (``facing_fit`` over its frames) counts more, and alone from
    90 degrees on: the mean of two rotations half a turn apart is no rotation, and where the passes disagree which
    way the body faces their mean faces neither way. The same whichever of a video and its mirror image goes in,
    except in a window with no evidence either way (nobody seen in it: the direct pass)."""
    fit = (facing_fit(windows, direct[..., 0, :, :]) - facing_fit(windows, mirrored[..., 0, :, :])).sum(-1)
    first = (fit > -1e-6)[:, None, None, None, None]  # one pass per window: no turn inside one
    chosen = np.where(first, direct, mirrored)
    other = np.where(first, mirrored, direct)
    # the other pass' share: 1/2 up to 60 degrees apart, none from 90
    w = np.clip(np.cos(geodesic_angle(direct, mirrored)), 0.0, 0.5)[..., None]
    return (1.0 - w) * matrix_to_sixd(chosen) + w * matrix_to_sixd(other)


class UpliftCancelled(Exception):
    """Raised when the caller's ``should_cancel`` returned True; nothing was produced."""


class Uplifter:
    def __init__(
        self,
        weights: str | Path | None = None,
        backend: str = "auto",
        device: str = "auto",
        flip: bool = False,
        fix_swaps: bool = True,
        level: bool = False,
    ):
        self.flip = flip  # test-time mirroring: every window also goes through mirrored, outputs averaged
        self.fix_swaps = fix_swaps  # the detector's whole-body left/right swaps put back (model.swaps)
        self.level = level  # the points turned upright by the camera's roll from a first pass
        self.weights_path = Path(weights) if weights else DEFAULT_WEIGHTS
        self.arrays, self.config = load_weights(self.weights_path)
        self.notes: list[str] = []
        self.backend, self.device = self._pick_backend(backend, device)
        self._torch_model: Any = None

    def _pick_backend(self, backend: str, device: str) -> tuple[str, str]:
        if backend not in ("auto", "torch", "numpy") or device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"backend must be auto|torch|numpy and device auto|cpu|cuda, got {backend}, {device}")
        if backend == "numpy":
            return "numpy", "cpu"
        try:
            import torch
        except ImportError:
            if backend == "torch":
                raise ValueError("backend 'torch' asked for, but PyTorch is not installed") from None
            if device == "cuda":
                self.notes.append("CUDA asked for but PyTorch is not installed: using the numpy backend on the CPU")
            return "numpy", "cpu"  # the normal case in a stock Blender: no warning
        cuda = torch.cuda.is_available()
        if device == "cuda" and not cuda:
            self.notes.append("CUDA asked for but not available: running on the CPU")
        return "torch", "cuda" if cuda and device in ("auto", "cuda") else "cpu"

    def _forward(self, windows: np.ndarray) -> np.ndarray:
        if self.backend == "numpy":
            return numpy_forward(windows, self.arrays, self.config)
        import torch

        from .network_torch import UpliftNet

        if self._torch_model is None:
            model = UpliftNet(self.config)
            model.load_state_dict({k: torch.as_tensor(v) for k, v in self.arrays.items()})
            self._torch_model = model.to(self.device).eval()
        with torch.inference_mode():
            x = torch.as_tensor(windows, device=self.device)
            return self._torch_model(x).float().cpu().numpy()

    def _predict(self, windows: np.ndarray, flip: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Normalised windows (B, T, 26, 3) -> 6D rotations (B, T, 22, 6), velocity, up, log bone lengths
        (B, T, 27) and the direct pass' own 6D rotations. With ``flip`` the mirrored windows (image x reflected, left
        and right swapped) go through too and their outputs, reflected back, are averaged in (``mirror_average``)."""
        cfg: NetworkConfig = self.config
        batch = len(windows)
        if flip:
            mirrored = windows[:, :, list(HALPE_MIRROR)].copy()
            mirrored[..., 0] *= -1.0
            windows = np.concatenate([windows, mirrored])
        parts = split_outputs(self._forward(windows), cfg)
        rot = rotation_to_matrix(parts["rotations"], cfg.rotation)
        rest = np.concatenate([parts["velocity"], parts["up"], parts["log_bones"]], -1)
        if not flip:
            sixd = matrix_to_sixd(rot)
            return sixd, rest, sixd
        # reflecting image x reflects the gravity-aligned frame's x: R -> S R S, S = diag(-1, 1, 1), joints swapped
        back = mirror_matrix(rot[batch:][:, :, list(MIRROR)])
        rest_back = rest[batch:].copy()
        rest_back[..., [0, 3]] *= -1.0  # velocity x, up x (camera x)
        rest_back[..., 6:] = rest_back[..., 6:][..., [m - 1 for m in MIRROR[1:]]]
        averaged = mirror_average(windows[:batch], rot[:batch], back)
        return averaged, 0.5 * (rest[:batch] + rest_back), matrix_to_sixd(rot[:batch])

    def _windows(
        self,
        padded: np.ndarray,
        stride: int,
        flip: bool,
        batch_windows: int,
        should_cancel: Callable[[], bool] | None = None,
        progress: Callable[[float], None] | None = None,
        starts: list[int] | None = None,
        keep: dict[int, np.ndarray | None] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Points (T >= window, 26, 3) at the network's rate -> the windows' outputs blended per frame: velocity, up,
        log bone lengths (T, 27) and 6D rotations (T, 22, 6); windows ``stride`` frames apart, or at ``starts``
        (frames before the first window and after the last hold its first and last frame). ``keep``: the direct
        pass' 6D rotations (window, 22, 6) of each window whose start is one of its keys are stored there, unblended
        (with ``flip``, before the mirrored pass is averaged in)."""
        cfg: NetworkConfig = self.config
        starts = window_starts(len(padded), cfg.window, stride) if starts is None else starts
        weight = blend_weights(cfg.window)
        extra = 3 + 3 + NUM_JOINTS - 1  # velocity, up, log bone lengths
        acc = np.zeros((len(padded), extra), np.float64)
        sixd = np.zeros((len(padded), NUM_JOINTS, 6), np.float64)
        total = np.zeros(len(padded), np.float64)
        for i in range(0, len(starts), batch_windows):
            if should_cancel is not None and should_cancel():
                raise UpliftCancelled()
            chunk = starts[i : i + batch_windows]
            windows = normalise_window(np.stack([padded[s : s + cfg.window] for s in chunk]))
            rot, rest, direct = self._predict(windows, flip)
            for k, s in enumerate(chunk):
                if keep is not None and s in keep:
                    keep[s] = direct[k]
                acc[s : s + cfg.window] += rest[k] * weight[:, None]
                sixd[s : s + cfg.window] += rot[k] * weight[:, None, None]
                total[s : s + cfg.window] += weight
            if progress is not None:
                progress(min(1.0, (i + len(chunk)) / len(starts)))
        first, end = starts[0], starts[-1] + cfg.window
        acc[first:end] /= total[first:end, None]
        sixd[first:end] /= total[first:end, None, None]
        acc[:first], sixd[:first] = acc[first], sixd[first]
        acc[end:], sixd[end:] = acc[end - 1], sixd[end - 1]
        return acc, sixd

    def _settle_edges(
        self,
        points: np.ndarray,
        acc: np.ndarray,
        sixd: np.ndarray,
        stride: int,
        flip: bool,
        batch_windows: int,
        seen: dict[int, np.ndarray | None] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The blended outputs (``_windows``) of a clip of three windows or more, with a turned-around edge window
        put right. The first window alone covers the clip's first frames, and a few odd detections there can turn
        the body it lifts around (MediaPipe's first detection of a person can have the left and right shoulders
        reversed and narrowed: the bundled sample's frame 3). Two windows that see the same frames should agree
        on which way the body faces in them (read from one pass each: with Mirror Averaging a window's two passes can
        disagree too, and the pass that fits the image better may itself turn inside the window); where the first
        and second disagree by more than ``FACING_TURN_DEG`` on average and the second and third agree, the first
        window starts one frame further in, then two, until it agrees with the second (the frames before it hold its
        first frame). The same at the clip's end. Only the frames the moved window saw or sees are blended again,
        from the windows that see them. ``seen``: windows' own 6D rotations (their direct pass) by start, as the main
        pass kept them (``_windows``'s ``keep``), so that they are not run again."""
        cfg: NetworkConfig = self.config
        n, w = len(points), cfg.window
        starts = window_starts(n, w, stride)
        if len(starts) < 3:
            return acc, sixd
        heading = {s: facing_yaw(r) for s, r in (seen or {}).items() if r is not None}

        def yaw(s: int) -> np.ndarray:  # one window's headings over its frames
            if s not in heading:
                heading[s] = facing_yaw(self._windows(points[s : s + w], w, False, batch_windows)[1])
            return heading[s]

        def apart(a: int, b: int) -> bool:  # windows starting at a < b disagree on the frames both see
            off = np.abs(np.angle(np.exp(1j * (yaw(a)[b - a :] - yaw(b)[: a + w - b]))))
            return bool(np.degrees(off.mean()) > FACING_TURN_DEG)

        new = list(starts)
        if apart(starts[0], starts[1]) and not apart(starts[1], starts[2]):
            for shift in range(starts[0] + 1, starts[1]):
                if not apart(shift, starts[1]):
                    new[0] = shift
                    break
        if apart(starts[-2], starts[-1]) and not apart(starts[-3], starts[-2]):
            for shift in range(starts[-1] - 1, starts[-2], -1):
                if not apart(starts[-2], shift):
                    new[-1] = shift
                    break
        if new == starts:
            return acc, sixd
        acc, sixd = acc.copy(), sixd.copy()
        if new[0] != starts[0]:  # frames before the moved window's end, from the windows that see them
            end = new[0] + w
            near = [s for s in new if s < end]
            a, r = self._windows(points[: near[-1] + w], stride, flip, batch_windows, starts=near)
            acc[:end], sixd[:end] = a[:end], r[:end]
        if new[-1] != starts[-1]:  # the same from the moved last window's start on
            begin = new[-1]
            near = [s for s in new if s + w > begin]
            a, r = self._windows(points[near[0] :], stride, flip, batch_windows, starts=[s - near[0] for s in near])
            acc[begin:], sixd[begin:] = a[begin - near[0] :], r[begin - near[0] :]
        return acc, sixd

    def __call__(
        self,
        keypoints: Keypoints2D,
        fps: float | None = None,
        progress: Callable[[float], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
        batch_windows: int = 64,
        flip: bool | None = None,
        root_path: str = "perspective",
        fov: float = DEFAULT_FOV,
        notes: list[str] | None = None,
        plant_feet: bool = True,
        fix_swaps: bool | None = None,
        level: bool | None = None,
    ) -> Motion:
        """Lift one person's keypoints to a Motion at the keypoints' frame rate (``fps`` overrides the file's;
        ``flip`` overrides the mirror averaging chosen at construction). ``root_path``: "perspective" (the path where
        the camera, of ``fov`` degrees across the image's long side, sees the body; :mod:`.root_path`; needs the
        image size, else the network's path, said in ``notes`` when given) or "network" (the network's velocity,
        integrated). The height is the network's integrated vertical velocity (with the perspective path: its slow part,
        the perspective's fast part, :func:`.root_path.blended_root`), its slow drift then taken out
        (:func:`.root_path.floor_height`: the feet stay on the floor, jumps and crouches are kept) and the body lifted
        where a foot would go through the floor (:func:`.root_path.sinking`). ``plant_feet``: the root moved across the
        floor so that planted feet stay put (:func:`.root_path.pin_planted_feet`). ``fix_swaps`` (overrides the
        construction's choice): the detector's whole-body left/right swaps put back first (:mod:`.swaps`; how many
        frames, said in ``notes``). ``level`` (overrides the construction's choice): a quick first pass finds the
        camera's roll in every frame (its up direction, averaged over a second) and the network then sees the points
        turned upright (:func:`turned_points`); joint rotations and root motion are in the gravity-aligned frame,
        which a camera's roll about its axis does not change, and the up direction is turned back. (Levelling the
        pitch as well, through a homography, scored worse: the model card's *Level the Camera*.) An edge window that
        disagrees with its neighbour on which way the body faces is moved further in (:meth:`_settle_edges`). The
        neck and hip points are read as the shoulders' and hips' midpoints, whatever the detector gave (as the
        network was trained: :mod:`.body_points`)."""
        if root_path not in ("perspective", "network"):
            raise ValueError(f"root_path must be 'perspective' or 'network', got {root_path!r}")
        cfg: NetworkConfig = self.config
        src_fps = float(fps or keypoints.fps or DEFAULT_FPS)
        pts = keypoints.points
        if self.fix_swaps if fix_swaps is None else fix_swaps:
            pts, swapped = undo_swaps(pts)
            if swapped.any() and notes is not None:
                notes.append(f"left and right put back in {int(swapped.sum())} frames where the detector swapped them")
        pts = fill_midpoints(pts.copy())  # neck and hip as the network reads them: the pairs' midpoints (body_points)
        pts = resample_points(pts, src_fps, cfg.fps) if abs(src_fps - cfg.fps) > 1e-6 else pts
        n = len(pts)
        padded = pts
        if n < cfg.window:  # short clips: pad by repeating the edges (then cut)
            padded = np.concatenate([pts, np.repeat(pts[-1:], cfg.window - n, 0)])
        flip = self.flip if flip is None else flip
        roll = None
        if self.level if level is None else level:
            # a quick first look (windows side by side, one pass) for the camera's roll in every frame
            look, rest = progress, progress
            if progress is not None:  # the first look is a fifth of the bar
                bar = progress
                look, rest = (lambda f: bar(0.2 * f)), (lambda f: bar(0.2 + 0.8 * f))
            first, _ = self._windows(padded, cfg.window, False, batch_windows, should_cancel, look)
            roll = camera_roll(first[:, 3:6], cfg.fps, weight=(padded[..., 2] > 0).mean(-1))
            padded = turned_points(padded, -roll)
            progress = rest
        stride = cfg.window_stride
        edges = window_starts(len(padded), cfg.window, stride)
        edge_windows: dict[int, np.ndarray | None] = dict.fromkeys(edges[:3] + edges[-3:])
        acc, sixd = self._windows(padded, stride, flip, batch_windows, should_cancel, progress, keep=edge_windows)
        acc, sixd = self._settle_edges(padded, acc, sixd, stride, flip, batch_windows, edge_windows)
        acc, sixd = acc[:n], sixd[:n]
        if roll is not None:  # the up direction back into the camera as it was (rotations in G do not change)
            acc[:, 3:6] = np.einsum("tij,tj->ti", elementary_rotation("z", roll[:n]), acc[:, 3:6])
        rot = sixd_to_matrix(sixd)
        parts = {"velocity": acc[:, :3], "up": acc[:, 3:6], "log_bones": acc[:, 6:]}
        skeleton = skeleton_from_log_bones(parts["log_bones"], (pts[..., 2] > 0).mean(-1))
        root = np.cumsum(parts["velocity"] / cfg.fps, axis=0)
        root[:, 1] += skeleton.offsets[0, 1]
        up = parts["up"] / np.maximum(np.linalg.norm(parts["up"], axis=-1, keepdims=True), 1e-9)
        quats = quat_continuity(matrix_to_quat(rot), axis=0)
        if root_path == "perspective":
            seen = None
            if keypoints.image_size is not None:
                seen = perspective_root(quats, skeleton.offsets, up, pts[:n], keypoints.image_size, fov)
            if seen is not None:
                root = blended_root(root, seen, cfg.fps)
            elif notes is not None:
                notes.append(
                    "root path from the network only: "
                    + ("the keypoints have no image size" if keypoints.image_size is None else "too few points")
                )
        feet = keypoints_3d(quats, skeleton.offsets, np.zeros((n, 3)))[0][:, FOOT_POINTS]  # relative to the root
        low = root[:, 1] + feet[..., 1].min(1)  # the lowest foot point's height
        floor = floor_height(low, cfg.fps)
        root[:, 1] += sinking(low - floor, cfg.fps) - floor  # the height's slow drift out, no foot through the floor
        if plant_feet:
            root = pin_planted_feet(root, feet, cfg.fps)
        if abs(src_fps - cfg.fps) > 1e-6:
            quats, root, up = resample(quats, root, up, cfg.fps, src_fps, keypoints.num_frames)
        motion = Motion(quats, root, skeleton, src_fps, up_in_camera=up)
        return motion.grounded()


def facing_yaw(sixd: np.ndarray) -> np.ndarray:
    """(T,) radians: the body's heading about the vertical (where its root's forward axis, +z at rest, points, seen
    from above: 0 along +z, pi/2 along +x) from 6D joint rotations (T, 22, 6), the root's first."""
    r = sixd_to_matrix(sixd[:, 0])
    return np.arctan2(r[:, 0, 2], r[:, 2, 2])


def camera_roll(up: np.ndarray, fps: float, seconds: float = 1.0, weight: np.ndarray | None = None) -> np.ndarray:
    """(T,) radians: the camera's roll in every frame (the world's up direction (T, 3) in its coordinates, x right, y
    down, z forward, seen in the image against the image's up: positive leaning towards +x), averaged over
    ``seconds`` with each frame counted by ``weight`` (T,) (how much of the person it shows; frames of weight 0 take
    the average of their surroundings, or 0 where nothing is seen at all)."""
    roll = np.unwrap(np.arctan2(up[:, 0], -up[:, 1]))
    w = np.ones(len(roll)) if weight is None else np.asarray(weight, dtype=np.float64)
    if not (w > 0).any():
        return np.zeros(len(roll))
    k = max(1, int(round(seconds * fps)) | 1)
    box = np.ones(k) / k
    num = np.convolve(np.pad(w * roll, k // 2, mode="edge"), box, mode="valid")
    den = np.convolve(np.pad(w, k // 2, mode="edge"), box, mode="valid")
    seen = den > 1e-9
    return np.interp(np.arange(len(roll)), np.flatnonzero(seen), num[seen] / den[seen])


def turned_points(points: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(T, 26, 3) points with each frame's x, y turned by ``angle`` (T,) radians (about the camera's axis, x towards
    y) about the clip's mean point: what the camera turned by ``angle`` about its axis sees, up to a shift (which the
    network's normalisation takes out). Absent points stay absent."""
    seen = points[..., 2] > 0
    out = np.array(points, copy=True)
    if not seen.any():
        return out
    centre = points[seen][:, :2].mean(0)
    out[..., :2] = (
        np.einsum("tij,tkj->tki", elementary_rotation("z", angle)[:, :2, :2], points[..., :2] - centre) + centre
    )
    out[~seen] = 0.0
    return out


def skeleton_from_log_bones(log_bones: np.ndarray, frame_weight: np.ndarray) -> Skeleton:
    """One body per clip: per-frame bone-length estimates averaged (by how much of the person was seen), symmetric."""
    w = frame_weight[:, None] + 1e-6
    lengths = np.exp((log_bones * w).sum(0) / w.sum(0))  # (21,)
    full = np.concatenate([[0.0], lengths])
    full = 0.5 * (full + full[list(MIRROR)])
    base = Skeleton.default()
    dirs = base.offsets / np.maximum(np.linalg.norm(base.offsets, axis=-1, keepdims=True), 1e-9)
    offsets = dirs * full[:, None]
    scale = float(size_ratio(offsets))
    offsets[0] = base.offsets[0] * scale
    return Skeleton(offsets, {j: v * scale for j, v in base.leaf_ends.items()})
