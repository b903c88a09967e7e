"""Tell what a 2D keypoint file holds: format, layout, frames, fps, image size, people, confident points.

    python scripts/inspect_keypoints.py PATH [--json] [--layout NAME] [--threshold 0.3]

PATH is a file, a folder of per-frame JSON, or a quoted glob. Exit code 0 on success, 1 with a one-line error on
standard error when the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.keypoints import LAYOUTS
from model.readers import KeypointFileError, read_tracks


def summary(path: str, layout: str | None = None, threshold: float = 0.3) -> dict:
    tracks = read_tracks(path, layout)
    main = tracks[0]
    return {
        "path": path,
        "format": main.source_format,
        "layout": main.source_layout,
        "frames": main.num_frames,
        "first_frame": main.first_frame,
        "fps": main.fps,
        "image_size": list(main.image_size) if main.image_size else None,
        "normalized": main.normalized,
        "people": len(tracks),
        "tracks": [
            {
                "track_id": t.track_id,
                "frames_present": t.frames_present(),
                "confident_fraction": round(t.confident_fraction(threshold), 4),
            }
            for t in tracks
        ],
        "confident_fraction": round(main.confident_fraction(threshold), 4),
        "confidence_threshold": threshold,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="keypoint file, folder of per-frame JSON, or quoted glob")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--layout", choices=sorted(LAYOUTS), help="layout of bare arrays (e.g. H36M-17)")
    parser.add_argument("--threshold", type=float, default=0.3, help="confidence above which a point counts (0.3)")
    args = parser.parse_args(argv)
    try:
        info = summary(args.path, args.layout, args.threshold)
    except KeypointFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(info))
        return 0
    size = "x".join(map(str, info["image_size"])) if info["image_size"] else "unknown"
    print(f"file:        {info['path']}")
    print(f"format:      {info['format']} ({info['layout']})")
    print(f"frames:      {info['frames']} (first source frame {info['first_frame']})")
    print(f"fps:         {info['fps'] if info['fps'] else 'unknown (not in the file)'}")
    print(f"image size:  {size}{' (coordinates normalised to 0..1)' if info['normalized'] else ''}")
    print(f"people:      {info['people']}")
    for t in info["tracks"]:
        print(
            f"  track {t['track_id']!s:<12} in {t['frames_present']:>6} frames, {100 * t['confident_fraction']:5.1f}% points confident"
        )
    print(f"confident:   {100 * info['confident_fraction']:.1f}% of points above {args.threshold} (main track)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
