"""Detect 2D keypoints in a video with MediaPipe Pose, offline, and write Pose Uplift's MediaPipe JSON.

    python scripts/detect_mediapipe.py VIDEO OUT.json [--start S] [--seconds N] [--smooth]

Needs ``mediapipe==0.10.21`` and OpenCV (not project dependencies: install them in a separate environment, or use
the add-on's Install Detector). MediaPipe's pose landmarker "full" model ships inside that wheel, so nothing is
downloaded. The detection itself is ``model/detect_worker.py`` (what Import Video runs); the output format is
documented in ``model/readers/mediapipe.py``; each pose also carries MediaPipe's own 3D estimate
(``pose_world_landmarks``: metres, origin between the hips) under ``"world"``, the baseline every MediaPipe user
gets for free (``scripts/training/evaluate.py --world-baseline``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "model"))

import detect_worker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--start", type=float, default=0.0, help="start time in seconds")
    parser.add_argument("--seconds", type=float, default=None, help="how many seconds (default: to the end)")
    parser.add_argument("--smooth", action="store_true", help="MediaPipe's own temporal smoothing")
    args = parser.parse_args(argv)
    try:
        doc = detect_worker.detect(args.video, smooth=args.smooth, start=args.start, seconds=args.seconds)
    except detect_worker.DetectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    detect_worker.write(doc, args.out)
    found = sum(1 for f in doc["frames"] if f["poses"])
    print(f"{args.out}: {len(doc['frames'])} frames at {doc['fps']} fps, a person in {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
