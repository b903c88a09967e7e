"""Measure speed and memory; print (and with --json write) one JSON object.

    python scripts/benchmark.py [--json OUT.json] [--weights W.npz] [--frames 3000] [--numpy-python PY ...]

Keys: ``uplift_fps_torch_cpu``, ``uplift_fps_numpy`` (and ``uplift_fps_torch_cuda`` when a GPU is present): frames
per second of the whole uplift (resampling, overlapping windows, blending, root motion) on a clip of ``--frames``
frames; ``uplift_fps_numpy_by_version``: the numpy backend under this Python's numpy and under each
``--numpy-python`` interpreter's (e.g. one with numpy 2.x, which real Blenders ship); ``ik_fps`` and ``speedup_vs_ik``: the IK baseline of scripts/training/evaluate.py on 20 frames; ``peak_memory_mb_100k``
and ``peak_memory_mb_10k``: the peak resident memory of a fresh process (Python, torch, the model and the clip)
that uplifts 100,000 and 10,000 frames on the torch CPU backend; then scripts/benchmark_blender.py's keys
(``apply_seconds_10k``, ``keyframe_insert_seconds_10k``, ``end_to_end_seconds_10k``, ``retarget_seconds_10k``). Timings are single runs on this machine, not averages over machines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.keypoints import Keypoints2D  # noqa: E402
from model.readers import read_keypoints  # noqa: E402

SAMPLE = ROOT / "model" / "samples" / "sample_mediapipe.json"

_MEMORY = """
import resource, sys, numpy as np
sys.path.insert(0, {root!r})
from model.keypoints import Keypoints2D
from model.readers import read_keypoints
from model.uplift import Uplifter
up = Uplifter({weights!r}, backend="torch", device="cpu")
base = np.resize(read_keypoints({sample!r}).points, ({frames}, 26, 3))
up(Keypoints2D(base, fps=30.0))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


_NUMPY_FPS = """
import sys, time, numpy as np
sys.path.insert(0, {root!r})
from model.keypoints import Keypoints2D
from model.readers import read_keypoints
from model.uplift import Uplifter
up = Uplifter({weights!r}, backend="numpy")
base = read_keypoints({sample!r}).points
up(Keypoints2D(np.resize(base, (200, 26, 3)), fps=30.0))
t0 = time.perf_counter()
up(Keypoints2D(np.resize(base, ({frames}, 26, 3)), fps=30.0))
print(np.__version__, {frames} / (time.perf_counter() - t0))
"""


#: Shared by the detector and decoder timings: the first frames of a video written again at one size (mp4v).
_REENCODE = r"""
import cv2
def reencode(video, frames, size, path):
    src, kept = cv2.VideoCapture(video), []
    while len(kept) < frames:
        ok, bgr = src.read()
        if not ok:
            break
        kept.append(cv2.resize(bgr, size))
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, size)
    for f in kept:
        out.write(f)
    out.release()
"""

_DETECTOR = (
    _REENCODE
    + r"""
import sys, time, tempfile
from pathlib import Path
sys.path.insert(0, {worker_dir!r})
import detect_worker
out = {{}}
with tempfile.TemporaryDirectory() as tmp:
    for name, size in (("720p", (1280, 720)), ("1080p", (1920, 1080))):
        path = Path(tmp) / (name + ".mp4")
        reencode({video!r}, {frames}, size, path)
        stamps = []
        detect_worker.detect(path, progress=lambda done, total: stamps.append(time.perf_counter()), people={people})
        out[name] = (len(stamps) - 1) / (stamps[-1] - stamps[0])  # after the first frame: model loading left out
print(out["720p"], out["1080p"])
"""
)


def detector_fps(python: str, video: Path, frames: int = 120, people: int = 1) -> dict[str, float]:
    """MediaPipe Pose through ``model/detect_worker.py`` (decoding included) on ``video`` re-encoded at 720p and
    1080p, under a Python that has the detector (``--detector-python``; PYTHONPATH may point at the add-on's
    detector folder), finding up to ``people`` per frame (more than one: the Tasks PoseLandmarker, whose person
    detector runs on every frame where fewer than that many are followed)."""
    code = _DETECTOR.format(worker_dir=str(ROOT / "model"), video=str(video), frames=frames, people=people)
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    fps720, fps1080 = (float(v) for v in out.stdout.split()[-2:])
    tag = "" if people == 1 else f"_{people}_people"
    return {f"detection_fps_720p{tag}": round(fps720, 1), f"detection_fps_1080p{tag}": round(fps1080, 1)}


_OPENCV_READER = (
    _REENCODE
    + r"""
import time
reencode({video!r}, {frames}, (1280, 720), {path!r})
t, k = time.perf_counter(), 0
cap = cv2.VideoCapture({path!r})
while True:
    ok, bgr = cap.read()
    if not ok:
        break
    cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    k += 1
print(k / (time.perf_counter() - t))
"""
)

_BLENDER_READER = r"""
import time, bpy, numpy as np
scene = bpy.context.scene
editor = scene.sequence_editor_create()
strips = editor.strips if hasattr(editor, "strips") else editor.sequences
strips.new_movie("video", {path!r}, 1, 1)
scene.frame_start, scene.frame_end = 1, {frames}
scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 1280, 720, 100
scene.render.image_settings.file_format = "BMP"
folder = {folder!r}
t = time.perf_counter()
for f in range(1, {frames} + 1):
    scene.frame_set(f)
    scene.render.filepath = f"{{folder}}/{{f:04d}}"
    bpy.ops.render.render(write_still=True)
    image = bpy.data.images.load(f"{{folder}}/{{f:04d}}.bmp")
    pixels = np.empty(len(image.pixels), np.float32)
    image.pixels.foreach_get(pixels)
    bpy.data.images.remove(image)
print({frames} / (time.perf_counter() - t))
"""


def reader_fps(python: str, video: Path, frames: int = 60) -> dict[str, float]:
    """Decoding a 720p video to RGB pixels: OpenCV (as ``model/detect_worker.py`` reads), and Blender's own movie
    reader (the Python API gives a movie's pixels only through the sequencer: each frame rendered, saved, read back)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "720p.mp4")
        code = _OPENCV_READER.format(video=str(video), frames=frames, path=path)
        fps = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.split()[-1]
        code = _BLENDER_READER.format(path=path, frames=frames, folder=tmp)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        blender = float(out.stdout.split()[-1])
    return {"decode_fps_720p_opencv": round(float(fps), 1), "decode_fps_720p_blender_sequencer": round(blender, 1)}


def clip(frames: int) -> Keypoints2D:
    return Keypoints2D(np.resize(read_keypoints(SAMPLE).points, (frames, 26, 3)), fps=30.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--weights")
    parser.add_argument("--frames", type=int, default=3000)
    parser.add_argument("--no-blender", action="store_true", help="skip the Blender-side timings")
    parser.add_argument(
        "--numpy-python",
        action="append",
        default=[],
        help="also time the numpy backend under this Python (its own numpy version)",
    )
    parser.add_argument("--detector-python", help="a Python with mediapipe==0.10.21: time the 2D detector too")
    parser.add_argument("--video", type=Path, help="the video for --detector-python (e.g. PyPI sports2d's demo.mp4)")
    parser.add_argument(
        "--detector-people", type=int, default=2, help="also time the detector finding up to this many people"
    )
    parser.add_argument(
        "--naive-frames",
        type=int,
        default=300,
        help="time the slow keyframe_insert loop on this many frames (10000 for the full clip: about 11 minutes)",
    )
    args = parser.parse_args(argv)
    import torch

    from model.training import evaluation as E
    from model.uplift import Uplifter

    kps = clip(args.frames)
    result: dict = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "torch_threads": torch.get_num_threads(),
        "frames": args.frames,
    }
    runs = [("torch_cpu", "torch", "cpu"), ("numpy", "numpy", "cpu")]
    if torch.cuda.is_available():
        runs.append(("torch_cuda", "torch", "cuda"))
    motion = None
    for key, backend, device in runs:
        up = Uplifter(args.weights, backend=backend, device=device)
        up(clip(200))  # warm-up (model build, first allocations)
        t0 = time.perf_counter()
        motion = up(kps)
        result[f"uplift_fps_{key}"] = round(args.frames / (time.perf_counter() - t0), 1)
        t0 = time.perf_counter()
        up(kps, flip=True)  # Mirror Averaging, the extension's default: twice the passes
        result[f"uplift_fps_{key}_mirror_averaging"] = round(args.frames / (time.perf_counter() - t0), 1)
        t0 = time.perf_counter()
        up(kps, flip=True, level=True)  # the extension's defaults: Level the Camera's first look on top
        result[f"uplift_fps_{key}_extension_defaults"] = round(args.frames / (time.perf_counter() - t0), 1)
    assert motion is not None
    by_version: dict[str, float] = {}
    for python in [sys.executable, *args.numpy_python]:
        code = _NUMPY_FPS.format(root=str(ROOT), weights=args.weights, sample=str(SAMPLE), frames=args.frames)
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
        version, fps = out.stdout.split()[-2:]
        by_version[f"numpy {version}"] = round(float(fps), 1)
    result["uplift_fps_numpy_by_version"] = by_version
    _, ik_seconds = E.ik_rotations(motion.joint_positions[:20], motion.skeleton)
    result["ik_fps"] = round(1.0 / ik_seconds, 2)
    result["speedup_vs_ik"] = round(result["uplift_fps_torch_cpu"] / result["ik_fps"], 1)
    for frames in (10_000, 100_000):
        code = _MEMORY.format(root=str(ROOT), weights=args.weights, sample=str(SAMPLE), frames=frames)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        result[f"peak_memory_mb_{frames // 1000}k"] = round(float(out.stdout.strip().splitlines()[-1]), 1)
    if args.detector_python and args.video:
        for people in sorted({1, args.detector_people}):
            result |= detector_fps(args.detector_python, args.video, people=people)
        result |= reader_fps(args.detector_python, args.video)
    if not args.no_blender:  # Blender-side timings in a fresh bpy process (about a minute)
        cmd = [sys.executable, str(ROOT / "scripts" / "benchmark_blender.py"), "--naive-frames", str(args.naive_frames)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        result.update(json.loads(out.stdout.strip().splitlines()[-1]))
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
