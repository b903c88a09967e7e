"""Videos in Blender: the detector run in a process of its own (``model/detect_worker.py`` with the detector the
preferences installed), its keypoint file named and reused, and the footage put behind a camera that sees the rig
where the video saw the person.

    path = detections_path(video, folder)          # the keypoint file for this video and these settings
    proc = start_detection(video, path)             # progress lines on its stdout; kill it to cancel
    camera = add_footage(context, video, result, fov_deg=60.0, obj=armature)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from ..model.footage import footage_camera
from ..model.pipeline import UpliftResult
from ..model.skeleton import MODEL_TO_BLENDER
from .installer import detector_dir

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
WORKER = Path(__file__).resolve().parents[1] / "model" / "detect_worker.py"
#: Detector settings that change the detections (part of the keypoint file's name, so a re-import reuses them).
DETECTOR = "mediapipe-0.10.21-full-smooth"


def detections_path(video: str | Path, folder: str | Path | None = None, people: int = 1) -> Path:
    """The keypoint file for this video: beside it (or in ``folder``), named after it and a digest of its size,
    modification time and the detector settings (``people`` among them); the same video re-imported with the same
    settings finds it, anything else never overwrites it."""
    video = Path(video)
    info = video.stat()
    files = [video] if video.is_file() else sorted(p for p in video.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    key = hashlib.sha1(
        f"{[(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]}{DETECTOR}{info.st_size}"
        f"{'' if people == 1 else f'-people{people}'}".encode()
    ).hexdigest()[:10]
    stem = video.stem if video.is_file() else video.name
    return Path(folder or video.parent) / f"{stem}.keypoints-{key}.json"


def start_detection(video: str | Path, out: str | Path, fps: float | None = None, people: int = 1) -> subprocess.Popen:
    """The detector on ``video`` (up to ``people`` per frame) in a process of its own (Blender's Python, the
    installed detector on its path, Blender's own modules not shadowed); it prints ``progress DONE TOTAL`` lines and
    writes ``out`` when done."""
    cmd = [sys.executable, str(WORKER), str(video), str(out), "--people", str(people)]
    cmd += ["--fps", str(fps)] if fps else []
    env = dict(
        os.environ, PYTHONPATH=str(detector_dir()), PYTHONNOUSERSITE="1", GLOG_minloglevel="2", TF_CPP_MIN_LOG_LEVEL="2"
    )
    errors = tempfile.TemporaryFile("w+")  # not a pipe: the detector's log lines must never fill and block it
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
    proc.errors_file = errors  # type: ignore[attr-defined]
    return proc


def detection_error(proc: subprocess.Popen, video: str | Path) -> str:
    """The detector's one-line error (its last stderr line that is not a log line)."""
    errors = getattr(proc, "errors_file", None)
    text = ""
    if errors is not None:
        errors.seek(0)
        text = errors.read()
    lines = [
        ln for ln in text.splitlines() if ln.strip() and not ln.startswith(("W0000", "I0000", "INFO:", "WARNING:"))
    ]
    return lines[-1] if lines else f"{video}: the detector stopped (exit {proc.returncode})"


def add_footage(
    context: Any, video: str | Path, result: UpliftResult, fov_deg: float = 60.0, obj: Any = None, frame_start: int = 1
) -> Any:
    """A camera that sees the rig where the video saw the person (``model.footage``), the video behind it as a
    movie clip in step with the keys, made the scene's camera; the scene's resolution set to the video's."""
    cam = footage_camera(result.motion, result.keypoints, result.frames, fov_deg)
    name = Path(video).stem
    data = bpy.data.cameras.new(f"{name} camera")
    data.sensor_fit = "AUTO"  # the angle across the long side, as model.root_path assumes
    data.angle = np.radians(fov_deg)
    camera = bpy.data.objects.new(f"{name} camera", data)
    (context.collection or context.scene.collection).objects.link(camera)
    basis = MODEL_TO_BLENDER @ cam.rotation @ np.diag([1.0, -1.0, -1.0])  # Blender cameras look down their -Z, +Y up
    world = np.eye(4)
    world[:3, :3], world[:3, 3] = basis, MODEL_TO_BLENDER @ cam.position
    if obj is not None:
        world = np.array(obj.matrix_world) @ world
    from mathutils import Matrix

    camera.matrix_world = Matrix(world.tolist())
    clip = bpy.data.movieclips.load(str(video))
    clip.frame_start = frame_start
    data.show_background_images = True
    bg = data.background_images.new()
    bg.source = "MOVIE_CLIP"
    bg.clip = clip
    bg.alpha = 1.0
    bg.frame_method = "FIT"
    scene = context.scene
    scene.camera = camera
    scene.render.resolution_x, scene.render.resolution_y = cam.image
    scene.render.resolution_percentage = 100
    return camera
