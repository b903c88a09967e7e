"""Score weights on the real-video development set: MediaPipe's 2D of one camera at a time (cam01, cam02, cam04),
uplifted with the extension's defaults and compared with the 3D reference triangulated without that camera
(PA-MPJPE mm per frame, as ``learning_curves.py --realvideo`` scores a run's snapshots), and how smooth the
network's own rotations are (angular jerk: each joint's rotation angle from one frame to the next, and how much that
changes from frame to frame, degrees; mean and 99th percentile over joints, frames and cameras; one pass, without
Mirror Averaging, levelling or the extension's smoothing, all of which smooth).

    python scripts/training/real_video.py WEIGHTS.npz [WEIGHTS.npz ...] [--realvideo DIR] [--json OUT.json]

One line per weights file: the mean, the three cameras, the jerk. ``--realvideo`` defaults to
``../shared/data/realvideo/pose2sim_trial1`` (60 fps; see its README).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from evaluate import evaluate_keypoints  # noqa: E402
from learning_curves import REAL_CAMERAS  # noqa: E402

from model.readers import read_tracks  # noqa: E402
from model.rotations import geodesic_angle  # noqa: E402
from model.uplift import Uplifter  # noqa: E402

DEFAULT_SET = ROOT.parent / "shared" / "data" / "realvideo" / "pose2sim_trial1"
FPS = 60.0


def angular_jerk(rotations: np.ndarray) -> np.ndarray:
    """(T, J, 4) local rotations -> (T - 2, J): the change from frame to frame of each joint's per-frame rotation
    angle, degrees."""
    speed = np.degrees(geodesic_angle(rotations[:-1], rotations[1:]))
    return np.abs(np.diff(speed, axis=0))


def score(weights: str, realvideo: Path = DEFAULT_SET) -> dict:
    """One weights file on the three cameras: PA-MPJPE per camera and mean, angular jerk mean and 99th percentile."""
    per: dict[str, float] = {}
    jerks = []
    one_pass = Uplifter(weights, backend="auto")  # no Mirror Averaging, no levelling: the network's own motion
    for cam in REAL_CAMERAS:
        keypoints = realvideo / f"{cam}_json"
        res = evaluate_keypoints(str(keypoints), str(realvideo / f"reference_3d_without_{cam}.trc"), weights, fps=FPS)
        per[cam] = round(res["pa_mpjpe_mm"], 2)
        motion = one_pass(read_tracks(keypoints)[0], fps=FPS)
        jerks.append(angular_jerk(motion.rotations).ravel())
    jerk = np.concatenate(jerks)
    return {
        "weights": str(weights),
        "mean_pa_mpjpe_mm": round(float(np.mean(list(per.values()))), 2),
        "per_camera_pa_mpjpe_mm": per,
        "angular_jerk_deg": round(float(jerk.mean()), 3),
        "angular_jerk_p99_deg": round(float(np.percentile(jerk, 99)), 2),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("weights", nargs="+", help="weights .npz files (the bundle: model/weights/pose_uplift.npz)")
    p.add_argument("--realvideo", type=Path, default=DEFAULT_SET)
    p.add_argument("--json", type=Path, help="write the results here too")
    args = p.parse_args(argv)
    if not (args.realvideo / "cameras.json").is_file():
        print(f"error: {args.realvideo}: not the real-video set (no cameras.json)", file=sys.stderr)
        return 2
    results = []
    for w in args.weights:
        r = score(w, args.realvideo)
        results.append(r)
        cams = " / ".join(f"{v:.2f}" for v in r["per_camera_pa_mpjpe_mm"].values())
        print(
            f"{w}: {r['mean_pa_mpjpe_mm']:.2f} mm ({cams}), jerk {r['angular_jerk_deg']:.3f} deg "
            f"(p99 {r['angular_jerk_p99_deg']:.2f})",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
