"""Detect people's 2D keypoints in a video or a numbered image sequence with MediaPipe Pose, offline, and write
Pose Uplift's MediaPipe JSON (``model/readers/mediapipe.py``): the 33 landmarks of everyone found per frame, MediaPipe's
world landmarks, the video's fps and frame size.

    python detect_worker.py VIDEO OUT.json [--fps F] [--people N] [--complexity 0|1|2] [--no-smooth]

One person (``--people 1``, MediaPipe 0.10.21): MediaPipe's Pose solution, which follows one person and smooths its
landmarks. Several (or a MediaPipe without that solution, as on Python 3.13): MediaPipe Tasks' PoseLandmarker, run on a
model bundle built here from the same two model files (``pose_bundle``); it finds up to N people per frame, in no
fixed order: the keypoint readers link them into tracks.

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

#: The two models of MediaPipe Pose (inside the mediapipe 0.10.21 wheel) as a PoseLandmarker bundle names them, with
#: the input scaling the legacy graph applies in its calculators and the Tasks API reads from a model's metadata
#: (pixel = mean + std x input): the detector's input in [-1, 1], the landmark model's in [0, 1].
POSE_MODELS = {
    "pose_detector.tflite": ("pose_detection/pose_detection.tflite", 127.5, 127.5),
    "pose_landmarks_detector.tflite": ("pose_landmark/pose_landmark_full.tflite", 0.0, 255.0),
}
#: Where the two files may be: MediaPipe's own ``modules`` folder (0.10.21), or ``pose_models`` beside the installed
#: package (put there by the add-on's installer, from the 0.10.21 wheel, for MediaPipe releases that ship none).
MODEL_FOLDERS = ("mediapipe/modules", "pose_models")


class DetectError(Exception):
    """One line for the user, naming the file."""


def image_sequence(path: Path) -> list[Path]:
    """The numbered images of a sequence: all images of a folder, those sharing a numbered file's name pattern, or those
    a printf-style pattern names (``frames/%04d.png``, as ffmpeg and OpenCV write sequences)."""
    printf = re.search(r"%0?\d*d", path.name)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    elif printf is not None:
        head, tail = path.name[: printf.start()], path.name[printf.end() :]
        pattern = re.compile(re.escape(head) + r"\d+" + re.escape(tail), re.IGNORECASE)
        folder = path.parent
        files = sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name)) if folder.is_dir() else []
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
        sequence = path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES
        self.images = image_sequence(path) if sequence else []
        if sequence and not self.images:
            raise DetectError(f"{path}: no images there (png, jpg, bmp, tif)")
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


def model_file(relative: str) -> Path:
    """One of MediaPipe Pose's model files (``POSE_MODELS``), or DetectError naming what to install."""
    import mediapipe as mp

    base = Path(mp.__file__).resolve().parents[1]
    for folder in MODEL_FOLDERS:
        for candidate in (base / folder / relative, base / folder / Path(relative).name):
            if candidate.is_file():
                return candidate
    raise DetectError(
        f"MediaPipe's pose model ({Path(relative).name}) is not installed beside mediapipe {mp.__version__}; "
        "use Install Detector in the preferences"
    )


def pose_bundle(out: Path) -> Path:
    """A PoseLandmarker model bundle (a zip of two models) written to ``out``: MediaPipe Pose's own detector and
    landmark models with the image-input metadata the Tasks API needs (``POSE_MODELS``). Nothing is downloaded."""
    import zipfile

    try:
        from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, writer_utils
    except ModuleNotFoundError as exc:  # newer wheels lack the one compiled helper the pure-Python writer imports
        if "_pywrap_metadata_version" not in str(exc) and "mediapipe.tasks.cc" not in str(exc):
            raise
        _stub_metadata_version()
        from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, writer_utils

    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as bundle:
        for name, (relative, mean, std) in POSE_MODELS.items():
            model = bytearray(model_file(relative).read_bytes())
            writer = metadata_writer.MetadataWriter.create(model)
            writer.add_general_info(Path(name).stem, "MediaPipe Pose (BlazePose GHUM 3D)")
            writer.add_image_input([mean], [std])
            for _ in writer_utils.get_output_tensor_types(model):
                writer.add_feature_output()
            bundle.writestr(name, bytes(writer.populate()[0]))
    return out


def _stub_metadata_version() -> None:
    """``mediapipe.tasks.cc.metadata.python._pywrap_metadata_version`` for MediaPipe wheels that ship the metadata
    writer without it (1.x): it only computes the oldest metadata parser that can read what is written; the fields
    written here (image normalisation, tensor names) are read by every parser since 1.0."""
    import types

    names = ["mediapipe.tasks.cc", "mediapipe.tasks.cc.metadata", "mediapipe.tasks.cc.metadata.python"]
    for name in names:
        sys.modules.setdefault(name, types.ModuleType(name))
    stub = types.ModuleType(names[-1] + "._pywrap_metadata_version")
    stub.GetMinimumMetadataParserVersion = lambda *args: "1.0.0"  # type: ignore[attr-defined]
    sys.modules[stub.__name__] = stub
    sys.modules[names[-1]]._pywrap_metadata_version = stub  # type: ignore[attr-defined]


def _rows(landmarks, world: bool = False) -> list[list[float]]:
    if world:
        return [[round(lm.x, 5), round(lm.y, 5), round(lm.z, 5)] for lm in landmarks]
    return [[round(lm.x, 5), round(lm.y, 5), round(lm.z, 5), round(lm.visibility or 0.0, 4)] for lm in landmarks]


def _solution_frames(frames, complexity: int, smooth: bool):
    """(index, poses, world) per frame from MediaPipe's Pose solution (one person)."""
    import mediapipe as mp

    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=complexity, smooth_landmarks=smooth) as pose:
        for k, rgb in frames:
            result = pose.process(rgb)
            poses = [_rows(result.pose_landmarks.landmark)] if result.pose_landmarks else []
            world = [_rows(result.pose_world_landmarks.landmark, True)] if result.pose_world_landmarks else []
            yield k, poses, world


def _tasks_frames(frames, fps: float, people: int):
    """(index, poses, world) per frame of ``frames`` ((index, RGB) pairs at ``fps``) from MediaPipe Tasks'
    PoseLandmarker on ``pose_bundle`` (up to ``people``)."""
    import tempfile

    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    with tempfile.TemporaryDirectory() as tmp:
        bundle = pose_bundle(Path(tmp) / "pose_landmarker.task")
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(bundle)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=people,
        )
        with vision.PoseLandmarker.create_from_options(options) as landmarker:
            for k, rgb in frames:
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
                result = landmarker.detect_for_video(image, int(round(k * 1000.0 / fps)))
                yield (
                    k,
                    [_rows(p) for p in result.pose_landmarks],
                    [_rows(p, True) for p in result.pose_world_landmarks],
                )


def uses_solution(people: int) -> bool:
    """Whether MediaPipe's one-person Pose solution runs (one person, and this MediaPipe still has it)."""
    import mediapipe as mp

    return people == 1 and hasattr(mp, "solutions")


def detect(
    path: Path,
    fps: float | None = None,
    complexity: int = 1,
    smooth: bool = True,
    progress=None,
    start: float = 0.0,
    seconds: float | None = None,
    people: int = 1,
) -> dict:
    """The MediaPipe JSON document of one video (see the module docstring): up to ``people`` people per frame."""
    import mediapipe as mp

    if people < 1:
        raise DetectError(f"{path}: --people must be 1 or more, not {people}")
    frames = Frames(path, fps)
    first = int(round(start * frames.fps))
    last = None if seconds is None else first + int(round(seconds * frames.fps))

    def window():
        for k, rgb in frames:
            if last is not None and k >= last:
                return
            if k >= first:
                yield k, rgb

    solution = uses_solution(people)
    results = (
        _solution_frames(window(), complexity, smooth) if solution else _tasks_frames(window(), frames.fps, people)
    )
    out, found, most = [], 0, 0
    for k, poses, world in results:
        found += bool(poses)
        most = max(most, len(poses))
        out.append({"frame": k - first, "poses": poses, "world": world})
        if progress is not None:
            progress(k + 1, max(frames.total, k + 1))
    if not found:
        raise DetectError(f"{path}: nobody found in any of its {len(out)} frames")
    model = (
        f"pose_landmark (model complexity {complexity})"
        if solution
        else f"PoseLandmarker on pose_landmark_full (up to {people} people)"
    )
    return {
        "format": "mediapipe_pose",
        "version": 1,
        "image_width": frames.width,
        "image_height": frames.height,
        "fps": round(frames.fps, 3),
        "normalized": True,
        "source": path.name,
        "source_first_frame": first,
        "detector": f"mediapipe {mp.__version__} {model}",
        "most_people_in_a_frame": most,
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
    p.add_argument("--people", type=int, default=1, help="most people to find per frame (1: the one-person solution)")
    p.add_argument(
        "--complexity",
        type=int,
        choices=[0, 1, 2],
        default=1,
        help="MediaPipe's model for one person: lite, full, heavy (only full ships in the wheel)",
    )
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
        doc = detect(args.video, args.fps, args.complexity, not args.no_smooth, report, people=args.people)
    except DetectError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    write(doc, args.out)
    found = sum(1 for f in doc["frames"] if f["poses"])
    print(f"done {args.out} {len(doc['frames'])} {found}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
