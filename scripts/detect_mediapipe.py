"""Detect 2D keypoints in a video with MediaPipe Pose, offline, and write Pose Uplift's MediaPipe JSON.

    python scripts/detect_mediapipe.py VIDEO OUT.json [--start S] [--seconds N] [--smooth]

Needs ``mediapipe==0.10.21`` and ``opencv-python-headless`` (not project dependencies: install them in a separate
environment). MediaPipe's pose landmarker "full" model (``pose_landmark_full.tflite``) ships inside that wheel, so
nothing is downloaded. The output format is documented in ``model/readers/mediapipe.py``; each pose also carries
MediaPipe's own 3D estimate (``pose_world_landmarks``: metres, origin between the hips) under ``"world"``, the
baseline every MediaPipe user gets for free (``scripts/training/evaluate.py --world-baseline``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def detect(video: Path, start: float = 0.0, seconds: float | None = None, smooth: bool = False) -> dict:
    import cv2
    import mediapipe as mp

    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise SystemExit(f"error: {video}: cannot open the video")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    first = int(round(start * fps))
    last = None if seconds is None else first + int(round(seconds * fps))
    cap.set(cv2.CAP_PROP_POS_FRAMES, first)
    frames = []
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=smooth) as pose:
        index = first
        while last is None or index < last:
            ok, bgr = cap.read()
            if not ok:
                break
            result = pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            poses, world = [], []
            if result.pose_landmarks:
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
            frames.append({"frame": index - first, "poses": poses, "world": world})
            index += 1
    return {
        "format": "mediapipe_pose",
        "version": 1,
        "image_width": width,
        "image_height": height,
        "fps": round(float(fps), 3),
        "normalized": True,
        "source": video.name,
        "source_first_frame": first,
        "detector": f"mediapipe {mp.__version__} pose_landmark_full",
        "frames": frames,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--start", type=float, default=0.0, help="start time in seconds")
    parser.add_argument("--seconds", type=float, default=None, help="how many seconds (default: to the end)")
    parser.add_argument("--smooth", action="store_true", help="MediaPipe's own temporal smoothing")
    args = parser.parse_args(argv)
    doc = detect(args.video, args.start, args.seconds, args.smooth)
    args.out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    found = sum(1 for f in doc["frames"] if f["poses"])
    print(f"{args.out}: {len(doc['frames'])} frames at {doc['fps']} fps, a person in {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
