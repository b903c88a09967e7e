"""Plain functions behind the operators and the batch script: file -> Motion (no bpy, safe in a worker thread), and
Motion -> keyframed armature (main thread). The UI's modal operator and ``blender --background`` runs call the same.

    options = UpliftOptions(person=0, smooth=0.2)
    keypoints = read_person(path, options)                     # KeypointFileError with a one-line message
    motion, notes = compute_motion(keypoints, options)         # the network; progress / cancel callbacks
    obj, action = apply_to_new_armature(context, motion, keypoints, options)   # or apply_to_rig(..., rig)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..model.keypoints import Keypoints2D
from ..model.motion import Motion
from ..model.readers import KeypointFileError, read_tracks
from ..model.skeleton import Skeleton
from ..model.smoothing import smooth_motion
from ..model.uplift import DEFAULT_WEIGHTS, Uplifter

#: Fewer confident points than this fraction over the whole clip: refused with a one-line error.
MIN_CONFIDENT_FRACTION = 0.05


@dataclass
class UpliftOptions:
    person: int = 0  # index into the file's tracks (people), in the order the reader gives
    confidence: float = 0.0  # points below this confidence are masked (treated as missing)
    fps: float = 0.0  # 0: the file's frame rate (30 when the file has none)
    frame_start: int = 1
    update_scene: bool = True  # set the scene's fps and frame range to the clip's
    smooth: float = 0.0  # 0..1, see model.smoothing
    scale: float = 1.0
    backend: str = "auto"  # auto | torch | numpy
    device: str = "auto"  # auto | cpu | cuda
    flip: bool = False  # mirror averaging: each window also uplifted mirrored, both averaged (2x the work)


_UPLIFTERS: dict[tuple[str, str, str], Uplifter] = {}
_LOCK = threading.Lock()
LAST_BACKEND: dict[str, Any] = {}  # what the last run used and why, shown in the preferences


def get_uplifter(backend: str = "auto", device: str = "auto", weights: str | Path | None = None) -> Uplifter:
    """The network, loaded once per (weights, backend, device)."""
    key = (str(weights or DEFAULT_WEIGHTS), backend, device)
    with _LOCK:
        if key not in _UPLIFTERS:
            _UPLIFTERS[key] = Uplifter(weights, backend=backend, device=device)
        return _UPLIFTERS[key]


def read_person(path: str | Path, options: UpliftOptions) -> Keypoints2D:
    """One person's track from a keypoint file, low-confidence points masked; a one-line error when unusable."""
    tracks = read_tracks(path)
    if not 0 <= options.person < len(tracks):
        raise KeypointFileError(f"{path}: person {options.person} asked for, the file has {len(tracks)}")
    kp = tracks[options.person]
    if options.confidence > 0:
        pts = kp.points.copy()
        low = pts[..., 2] < options.confidence
        pts[low] = 0.0
        kp = Keypoints2D(pts, kp.fps, kp.image_size, kp.track_id, kp.source_format, kp.source_path,
                         kp.source_layout, kp.first_frame, kp.normalized)  # fmt: skip
    seen = float((kp.points[..., 2] > 0).mean())
    if seen < MIN_CONFIDENT_FRACTION:
        raise KeypointFileError(
            f"{path}: only {100 * seen:.1f}% of the points are confident (threshold {options.confidence:g}); "
            f"wrong layout or person?"
        )
    return kp


def compute_motion(
    keypoints: Keypoints2D,
    options: UpliftOptions,
    progress: Callable[[float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> tuple[Motion, list[str]]:
    """Keypoints -> Motion with the bundled network (no bpy: runs in a worker thread), smoothed and scaled."""
    uplifter = get_uplifter(options.backend, options.device)
    motion = uplifter(keypoints, fps=options.fps or None, progress=progress, should_cancel=should_cancel,
                      flip=options.flip)  # fmt: skip
    motion = smooth_motion(motion, options.smooth)
    if options.scale != 1.0:
        motion = scaled_motion(motion, options.scale)
    LAST_BACKEND.update(backend=uplifter.backend, device=uplifter.device, notes=list(uplifter.notes))
    return motion, list(uplifter.notes)


def scaled_motion(motion: Motion, scale: float) -> Motion:
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be positive, got {scale}")
    sk = motion.skeleton
    body = Skeleton(sk.offsets * scale, {j: v * scale for j, v in sk.leaf_ends.items()})
    return Motion(motion.rotations, motion.root_translation * scale, body, motion.fps, up_in_camera=motion.up_in_camera)


def clip_name(keypoints: Keypoints2D) -> str:
    stem = Path(keypoints.source_path).stem if keypoints.source_path else "keypoints"
    return stem or "keypoints"


def _frame_step(scene: Any, options: UpliftOptions, motion: Motion) -> float:
    """1 when the scene takes the clip's rate; otherwise keys spaced so that the clip plays in real time."""
    return 1.0 if options.update_scene else (scene.render.fps / scene.render.fps_base) / motion.fps


def _update_scene(scene: Any, options: UpliftOptions, motion: Motion) -> None:
    from .armature import set_scene_timing

    if options.update_scene:
        set_scene_timing(scene, motion.fps, options.frame_start, motion.num_frames)


def apply_to_new_armature(context: Any, motion: Motion, keypoints: Keypoints2D, options: UpliftOptions) -> tuple:
    """A new canonical armature in the active collection, keyed with ``motion``; returns (object, action)."""
    from .armature import apply_motion, create_armature

    name = clip_name(keypoints)
    props = {
        "source_file": keypoints.source_path,
        "source_format": keypoints.source_format,
        "person": options.person,
        "model": DEFAULT_WEIGHTS.name,
        "backend": f"{LAST_BACKEND.get('backend', '')}-{LAST_BACKEND.get('device', '')}",
        "fps": motion.fps,
        "frames": motion.num_frames,
        "settings": str({k: v for k, v in asdict(options).items() if k not in ("backend", "device")}),
    }
    obj = create_armature(context.collection or context.scene.collection, motion.skeleton, name, props)
    action = apply_motion(obj, motion, options.frame_start, name, _frame_step(context.scene, options, motion))
    _update_scene(context.scene, options, motion)
    return obj, action


def apply_to_rig(
    context: Any, motion: Motion, keypoints: Keypoints2D, options: UpliftOptions, rig: Any, preset: str = "auto",
    custom: dict[str, str] | None = None,
) -> tuple:  # fmt: skip
    """Key a character rig with the clip (retargeted, named after the input); returns (rig, action). Raises
    RetargetError, with the rig and scene untouched, when the rig cannot be mapped."""
    from .retarget import retarget_motion

    step = _frame_step(context.scene, options, motion)
    action, unmapped = retarget_motion(rig, motion, preset, options.frame_start, clip_name(keypoints), step, custom)
    _update_scene(context.scene, options, motion)
    rig["pose_uplift_source_file"] = keypoints.source_path
    rig["pose_uplift_unmapped"] = ", ".join(unmapped)
    return rig, action
