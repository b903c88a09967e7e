"""Detect one person's 2D keypoints in a video or a numbered image sequence with MediaPipe Pose, offline, and write
Pose Uplift's MediaPipe JSON (``model/readers/mediapipe.py``): the 33 landmarks per frame, MediaPipe's world
landmarks, the video's fps and frame size.

    python detect_worker.py VIDEO OUT.json [--fps F] [--complexity 0|1|2] [--no-smooth]

A standalone script (no project imports) so that it runs in a process of its own, with MediaPipe and OpenCV on its
path (the add-on's Install Detector button puts them in the extension's own folder; Blender's own Python modules,
numpy among them, are never shadowed). MediaPipe 0.10.21 ships its pose models inside the wheel: nothing is
downloaded. Progress goes to stdout as ``progress DONE TOTAL`` lines; the JSON is written under a temporary name and
renamed when complete. Errors: one line on stderr naming the file (and frame), exit code 2; a video where nobody is
found is such an error, and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


class DetectError(Exception):
    """One line for the user, naming the file."""


def image_sequence(path: Path) -> list[Path]:
    """The numbered images of a sequence: all images of a folder, or those sharing a numbered file's name pattern."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    else:
        m = re.fullmatch(r"(.*?)(\d+)", path.stem)
        if m is None:
            return [path]
        pattern = re.compile(re.escape(m.group(1)) + r"\d+" + re.escape(path.suffix), re.IGNORECASE)
        files = sorted(p for p in path.parent.iterdir() if pattern.fullmatch(p.name))
    return sorted(files, key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)])


class Frames:
    """RGB frames of a video file (OpenCV) or of an image sequence, one at a time: never all in memory."""

    def __init__(self, path: Path, fps: float | None = None):
        import cv2

        self.cv2, self.path = cv2, path
        self.images = image_sequence(path) if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES else []
        if self.images:
            first = cv2.imread(str(self.images[0]))
            if first is None:
                raise DetectError(f"{self.images[0]}: not an image OpenCV can read")
            self.height, self.width = first.shape[:2]
            self.fps = float(fps or 30.0)
            self.total = len(self.images)
            return
        self.cap = cv2.VideoCapture(str(path))
        if not self.cap.isOpened():
            raise DetectError(f"{path}: not a video OpenCV can read (mp4, mov, mkv, avi, webm)")
        self.width = int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.fps = float(fps or self.cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.total = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if self.total <= 0 or self.width <= 0:
            raise DetectError(f"{path}: the video has no frames")
        if not self.fps > 0:
            raise DetectError(f"{path}: the video states no frame rate; give one (--fps)")

    def __iter__(self):  # yields (index, RGB image)
        cv2 = self.cv2
        if self.images:
            for k, p in enumerate(self.images):
                bgr = cv2.imread(str(p))
                if bgr is None:
                    raise DetectError(f"{p}: frame {k}: not an image OpenCV can read")
                if bgr.shape[:2] != (self.height, self.width):
                    raise DetectError(
                        f"{p}: frame {k}: {bgr.shape[1]} x {bgr.shape[0]}, the sequence is {self.width} x {self.height}"
                    )
                yield k, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            return
        k, step = 0, 1000.0 / self.fps
        while True:
            ok, bgr = self.cap.read()
            if not ok:
                break
            stamp = self.cap.get(cv2.CAP_PROP_POS_MSEC)
            if k > 2 and stamp > 0 and abs(stamp - k * step) > 2.5 * step + 40:
                raise DetectError(
                    f"{self.path}: frame {k}: at {stamp / 1000:.3f} s where a constant {self.fps:g} fps "
                    f"puts it at {k * step / 1000:.3f} s: a variable frame rate; re-encode it at a "
                    "constant rate (ffmpeg -i IN -r 30 OUT.mp4)"
                )
            yield k, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            k += 1
        if k == 0:
            raise DetectError(f"{self.path}: no frame could be decoded")


def detect(
    path: Path,
    fps: float | None = None,
    complexity: int = 1,
    smooth: bool = True,
    progress=None,
    start: float = 0.0,
    seconds: float | None = None,
) -> dict:
    """The MediaPipe JSON document of one video (see the module docstring)."""
    import mediapipe as mp

    frames = Frames(path, fps)
    first = int(round(start * frames.fps))
    last = None if seconds is None else first + int(round(seconds * frames.fps))
    out, found = [], 0
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=complexity, smooth_landmarks=smooth) as pose:
        for k, rgb in frames:
            if k < first:
                continue
            if last is not None and k >= last:
                break
            result = pose.process(rgb)
            poses, world = [], []
            if result.pose_landmarks:
                found += 1
                poses.append(
                    [
                        [round(lm.x, 5), round(lm.y, 5), round(lm.z, 5), round(lm.visibility, 4)]
                        for lm in result.pose_landmarks.landmark
                    ]
                )
            if result.pose_world_landmarks:
                world.append(
                    [[round(lm.x, 5), round(lm.y, 5), round(lm.z, 5)] for lm in result.pose_world_landmarks.landmark]
                )
            out.append({"frame": k - first, "poses": poses, "world": world})
            if progress is not None:
                progress(k + 1, max(frames.total, k + 1))
    if not found:
        raise DetectError(f"{path}: nobody found in any of its {len(out)} frames")
    return {
        "format": "mediapipe_pose",
        "version": 1,
        "image_width": frames.width,
        "image_height": frames.height,
        "fps": round(frames.fps, 3),
        "normalized": True,
        "source": path.name,
        "source_first_frame": first,
        "detector": f"mediapipe {mp.__version__} pose_landmark (model complexity {complexity})",
        "frames": out,
    }


def write(doc: dict, out: Path) -> None:
    tmp = out.with_name(out.name + ".partial")
    tmp.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    os.replace(tmp, out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("video", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--fps", type=float, default=None, help="frame rate (image sequences: 30 unless given)")
    p.add_argument("--complexity", type=int, choices=[0, 1, 2], default=1, help="MediaPipe's model: lite, full, heavy")
    p.add_argument("--no-smooth", action="store_true", help="MediaPipe's own temporal smoothing off")
    args = p.parse_args(argv)
    if not args.video.exists():
        print(f"{args.video}: no such file or folder", file=sys.stderr)
        return 2
    try:
        import cv2  # noqa: F401
        import mediapipe  # noqa: F401
    except ImportError as exc:
        print(
            f"{args.video}: the detector is not installed ({exc}); use Install Detector in the preferences",
            file=sys.stderr,
        )
        return 2

    def report(done: int, total: int) -> None:
        print(f"progress {done} {total}", flush=True)

    try:
        doc = detect(args.video, args.fps, args.complexity, not args.no_smooth, report)
    except DetectError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    write(doc, args.out)
    found = sum(1 for f in doc["frames"] if f["poses"])
    print(f"done {args.out} {len(doc['frames'])} {found}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
