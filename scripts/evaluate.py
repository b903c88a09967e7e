"""Evaluate the bundled model (or any weights) like the paper, on motion it never saw.

    python scripts/evaluate.py --bvh FILE.bvh --json OUT.json [--weights W.npz] [--ik-every 10] [--max-frames N]
    python scripts/evaluate.py --keypoints PATH --reference FILE.trc --json OUT.json [--person 0] [--fps 30]

Semi-synthetic: the BVH clip is retargeted onto the canonical skeleton (bone lengths fitted to its subject), the 26
detector points are made from it, projected through 4 fixed virtual cameras (azimuth 0/90/180/270 degrees, 5 m
away, 1.2 m high, 60 degree field of view, 1920 x 1080) with the documented detector noise at level 1.0 and a fixed
seed, uplifted, and compared with the reference. Baselines (IK, bone direction) run from the model's own 3D joints
on every ``--ik-every``-th frame; the model's own metrics on exactly those frames are under ``model_on_baseline_frames``.

With ``--keypoints`` (any keypoint file or folder the add-on reads) and ``--reference`` (a 3D marker TRC with
Halpe-style names such as LShoulder, RKnee, LAnkle, Nose; mm, cm or m): real 2D detections are uplifted and the
predicted 26 points compared with the markers of the same names, matched in time (keypoint frame 0 = reference time
0; ``--offset`` shifts the reference). ``pa_mpjpe_mm`` per frame after the best similarity transform, ``mpjpe_mm``
after one similarity transform for the whole clip (the root trajectory counts).

Prints the JSON; exit code 1 with a one-line error for an unreadable clip.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.body_points import keypoints_3d  # noqa: E402
from model.keypoints import Keypoints2D  # noqa: E402
from model.kinematics import forward_kinematics  # noqa: E402
from model.mocap import read_motion  # noqa: E402
from model.mocap.bvh import BVHError  # noqa: E402
from model.network import WeightsError  # noqa: E402
from model.readers import KeypointFileError, read_tracks  # noqa: E402
from model.rotations import quat_to_matrix  # noqa: E402
from model.training import evaluation as E  # noqa: E402
from model.training.synthesis import detector_noise, gravity_frame  # noqa: E402
from model.uplift import Uplifter  # noqa: E402


def evaluate_bvh(path: str, weights: str | None, ik_every: int, max_frames: int | None, seed: int = 0) -> dict:
    ref = read_motion(path)
    frames = ref.num_frames if max_frames is None else min(ref.num_frames, max_frames)
    rot_ref = quat_to_matrix(ref.rotations[:frames])
    root = ref.root_translation[:frames]
    kp3d, _ = keypoints_3d(ref.rotations[None, :frames], ref.skeleton.offsets[None], root[None])
    uplifter = Uplifter(weights, backend="auto")
    results, baseline_rows, t_model = [], [], 0.0
    sub = np.arange(0, frames, ik_every) if ik_every > 0 else np.arange(0)
    for k, cam in enumerate(E.fixed_cameras(root.mean(0))):
        px, _ = cam.project(kp3d)
        noisy = detector_noise(np.random.default_rng(seed + k), px, ref.fps, level=1.0)[0]
        kps = Keypoints2D(noisy, fps=ref.fps, image_size=(1920, 1080), source_format="semi-synthetic")
        t0 = time.perf_counter()
        motion = uplifter(kps)
        t_model += time.perf_counter() - t0
        g = gravity_frame(cam)[0]
        ref_pos = ref.joint_positions[:frames] @ g.T
        ref_rot = rot_ref.copy()
        ref_rot[:, 0] = g @ ref_rot[:, 0]
        pred_rot = quat_to_matrix(motion.rotations)
        row = E.position_metrics(motion.joint_positions, ref_pos)
        row["mpjae_deg"] = E.mpjae(pred_rot, ref_rot)
        row["up_error_deg"] = E.angle_between(motion.up_in_camera, np.repeat(cam.up_in_camera(), frames, 0))
        results.append(row)
        if not len(sub):
            continue
        # baselines from the model's own joints, on the subsampled frames
        joints = motion.joint_positions[sub]
        ik, ik_seconds = E.ik_rotations(joints, motion.skeleton)
        bd = E.bone_direction_rotations(joints, motion.skeleton)
        entry = {
            "model": {**E.position_metrics(joints, ref_pos[sub]), "mpjae_deg": E.mpjae(pred_rot[sub], ref_rot[sub])}
        }
        for name, rots in (("ik", ik), ("bone_direction", bd)):
            pos, _ = forward_kinematics(rots, motion.skeleton.offsets, np.zeros((len(sub), 3)))
            entry[name] = {**E.position_metrics(pos, ref_pos[sub]), "mpjae_deg": E.mpjae(rots, ref_rot[sub])}
        entry["ik"]["seconds_per_frame"] = ik_seconds
        baseline_rows.append(entry)

    def mean(rows: list[dict]) -> dict:
        return {key: round(float(np.mean([r[key] for r in rows])), 2) for key in rows[0]}

    out = mean(results)
    out["frames"] = frames
    out["cameras"] = 4
    out["model_seconds_per_frame"] = t_model / (4 * frames)
    if baseline_rows:
        out["baselines"] = {
            name: mean([r[name] for r in baseline_rows]) | {"frames": len(sub)} for name in ("ik", "bone_direction")
        }
        out["model_on_baseline_frames"] = mean([r["model"] for r in baseline_rows]) | {"frames": len(sub)}
    out["clip"] = Path(path).name
    out["weights"] = str(uplifter.weights_path.name)
    out["backend"] = f"{uplifter.backend}-{uplifter.device}"
    return out


def evaluate_keypoints(path: str, reference: str, weights: str | None, person: int = 0, fps: float | None = None,
                       offset: float = 0.0) -> dict:  # fmt: skip
    tracks = read_tracks(path)
    if not 0 <= person < len(tracks):
        raise KeypointFileError(Path(path), f"person {person} asked for, the file has {len(tracks)}")
    kps = tracks[person]
    indices, times, ref = E.read_reference_trc(reference)
    uplifter = Uplifter(weights, backend="auto")
    t0 = time.perf_counter()
    motion = uplifter(kps, fps=fps)
    seconds = time.perf_counter() - t0
    pred, _ = keypoints_3d(motion.rotations, motion.skeleton.offsets, motion.root_translation)
    try:
        out: dict = E.compare_with_reference(pred, motion.fps, indices, times + offset, ref)
    except ValueError as exc:
        raise KeypointFileError(Path(reference), str(exc)) from None
    out["model_seconds_per_frame"] = seconds / motion.num_frames
    out |= {"keypoints": Path(path).name, "reference": Path(reference).name, "weights": uplifter.weights_path.name,
            "backend": f"{uplifter.backend}-{uplifter.device}"}  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--bvh", help="semi-synthetic: a motion clip the model never saw (.bvh, DeepMimic .txt, AMASS .npz)"
    )
    source.add_argument("--keypoints", help="real detections (with --reference)")
    parser.add_argument("--reference", help="3D marker TRC for --keypoints")
    parser.add_argument("--person", type=int, default=0)
    parser.add_argument("--fps", type=float, help="the keypoints' frame rate when the file does not say")
    parser.add_argument("--offset", type=float, default=0.0, help="reference time shift in seconds")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--weights")
    parser.add_argument("--ik-every", type=int, default=10, help="baselines on every Nth frame; 0 skips them")
    parser.add_argument("--max-frames", type=int)
    args = parser.parse_args(argv)
    if args.keypoints and not args.reference:
        parser.error("--keypoints needs --reference FILE.trc")
    try:
        if args.keypoints:
            result = evaluate_keypoints(
                args.keypoints, args.reference, args.weights, args.person, args.fps, args.offset
            )
        else:
            result = evaluate_bvh(args.bvh, args.weights, args.ik_every, args.max_frames)
    except (BVHError, WeightsError, KeypointFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
