"""Real-detector evaluation on rendered bodies: validation-subject motion played on the CC0 MakeHuman body, rendered
in headless Blender, run through MediaPipe, uplifted, and compared with the rig's own joints.

    python scripts/training/detector_renders.py --library runs/motion_library.npz --mediapipe-python PY [--out runs/detector]
                                       [--clips 4] [--frames 60] [--weights W.npz]

Needs ``make demo`` first (it builds ``out/character.blend``: the MakeHuman base body skinned to its default
skeleton) and a Python with ``mediapipe==0.10.21`` and ``opencv-python-headless`` (``--mediapipe-python``; not a
project dependency). For each of ``--clips`` validation clips (spread over the validation subjects), ``--frames``
consecutive frames at 30 fps are retargeted onto the character and rendered (Workbench, 640 x 480) from two views
(in front, 20 degrees round, and from the side, 100 degrees round; 4 m away, 1.3 m up, 50 degrees across).
``--bodies DIR`` (``body_variants.py``'s folders) plays clip k on body k modulo their number, in a skin tone and
before a background drawn per clip, instead of the base body.
MediaPipe Pose (``scripts/detect_mediapipe.py``, its own smoothing on) gives 2D points and its world landmarks.

Printed and written to ``OUT/results.json`` (``results_<weights>.json`` with ``--weights``): PA-MPJPE (mm, per frame, on the 12 limb joints: shoulders, elbows,
wrists, hips, knees, ankles) of the network uplifting MediaPipe's 2D, of MediaPipe's own world landmarks, and of the
training set's mean pose held constant, each against the rig's posed joints; the network on exact 2D of the same
motion from the same camera (the library clip's own 26 points projected, its pelvis on the rig's, scored against the
clip's own joints: what is left without the detector); and the detector profile: where
MediaPipe puts each of those points in the image relative to the rig's projected joint (mean offset and spread in
% of the torso's image length, per view), how its error changes over time (its spread and frame-to-frame change in %
of the body's image height, and var(change) / (2 var): 1 for an error new in every frame, near 0 for one that drifts
slowly; ``WHITE_SHARE``), how often it has nobody, how often left and right are swapped, and per view the core of its
spread and its misses in the units of ``MEDIAPIPE_CORE`` and ``MISS_RATE`` (``core_profile``; their side-over-front
ratios are ``SIDE_SPREAD_RATIO`` and ``SIDE_MISS_RATIO``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from model.training.detector_pairs import LIMBS  # noqa: E402

VIEWS = {"front": 20.0, "side": 100.0}

_RENDER = r"""
import sys, json, importlib
import bpy, numpy as np
from mathutils import Vector
zip_path, character, jobs_json = sys.argv[1:4]
bpy.ops.wm.read_homefile(use_empty=True)
bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
retarget = importlib.import_module("bl_ext.user_default.pose_uplift.addon.retarget")
Motion = importlib.import_module("bl_ext.user_default.pose_uplift.model.motion").Motion
Skeleton = importlib.import_module("bl_ext.user_default.pose_uplift.model.skeleton").Skeleton
jobs = json.load(open(jobs_json))
opened = None
def setup(character):
    # open a character file and set the scene up: Workbench, 640 x 480, one camera
    global scene, rig, mapping, cam
    bpy.ops.wm.open_mainfile(filepath=character)
    scene = bpy.context.scene
    rig = next(o for o in scene.objects if o.type == "ARMATURE")
    _, mapping, _ = retarget.resolve_mapping(rig, "mpfb_default")
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.display.shading.light = "STUDIO"
    scene.display.shading.color_type = "MATERIAL"
    scene.render.resolution_x, scene.render.resolution_y = 640, 480
    scene.render.image_settings.file_format = "PNG"
    scene.world = bpy.data.worlds.new("w")
    scene.world.color = (0.55, 0.6, 0.65)
    cam = bpy.data.objects.new("cam", bpy.data.cameras.new("cam"))
    scene.collection.objects.link(cam)
    scene.camera = cam
    cam.data.sensor_fit = "HORIZONTAL"
    cam.data.angle = np.radians(50.0)
out = {}
for job in jobs:
    if job.get("character", character) != opened:
        opened = job.get("character", character)
        setup(opened)
    if "skin" in job:  # the body's and the background's colours for this clip
        for mat in bpy.data.materials:
            mat.diffuse_color = (*job["skin"], 1.0)
        scene.world.color = job["background"]
    d = np.load(job["motion"])
    sk = Skeleton(d["offsets"], Skeleton.default().leaf_ends)
    motion = Motion(d["rotations"], d["root"], sk, float(d["fps"]))
    retarget.retarget_motion(rig, motion, "mpfb_default", frame_start=1, action_name=job["name"])
    scene.frame_start, scene.frame_end = 1, motion.num_frames
    scene.frame_set(1)
    centre = rig.matrix_world @ rig.pose.bones[mapping["pelvis"]].head
    record = {}
    for view, place in job["views"].items():
        az, dist, height = place if isinstance(place, list) else (place, 4.0, 1.3)
        a = np.radians(az)
        # the model's forward axis is Blender's -Y (MODEL_TO_BLENDER): azimuth 0 stands in front of the body at rest
        cam.location = (centre.x + dist * np.sin(a), centre.y - dist * np.cos(a), height)
        direction = Vector((centre.x, centre.y, 1.0)) - cam.location
        cam.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()
        joints, cams = [], []
        for f in range(motion.num_frames):
            scene.frame_set(1 + f)
            joints.append([list(rig.matrix_world @ rig.pose.bones[mapping[n]].head) for n in job["joints"]])
            scene.render.filepath = f"{job['dir']}_{view}/{f:04d}.png"
            bpy.ops.render.render(write_still=True)
        m = np.array(cam.matrix_world.inverted())
        record[view] = {"joints": joints, "world_to_camera": m.tolist(), "focal_px": 640 / 2 / np.tan(np.radians(25.0))}
    out[job["name"]] = record
json.dump(out, open(jobs_json + ".out.json", "w"))
"""


def pick_clips(library: str, count: int, frames: int, split: str = "validation") -> list[tuple[dict, object]]:
    """``count`` clips of the split, one per subject in turn, each long enough, a crop of ``frames`` frames from 1 s in."""
    from model.motion import Motion
    from model.training.library import library_motions

    by_subject: dict[str, list] = {}
    for info, m in library_motions(library, split):
        if m.num_frames >= frames + 30:
            by_subject.setdefault(info["subject"], []).append((info, m))
    chosen = []
    subjects = sorted(by_subject)
    k = 0
    while len(chosen) < count and any(by_subject.values()):
        pool = by_subject[subjects[k % len(subjects)]]
        if pool:
            info, m = pool.pop(0)
            s = 30
            crop = Motion(m.rotations[s : s + frames], m.root_translation[s : s + frames], m.skeleton, m.fps)
            chosen.append((info, crop.grounded()))
        k += 1
    return chosen


def build_characters(bodies: Path, zip_path: Path, env: dict) -> list[Path]:
    """Each body folder's character (``character.blend`` beside its ``base.obj``), built once by the demo's
    character builder."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import demo

    out = []
    for folder in sorted(p for p in bodies.iterdir() if (p / "base.obj").is_file()):
        blend = folder / "character.blend"
        if not blend.is_file():
            demo.build_character(zip_path, folder, blend, env)
        out.append(blend)
    return out


def clip_colours(rng: np.random.Generator) -> dict:
    """A skin tone (between a light and a dark one, a little tint) and a background colour for one clip."""
    t = rng.uniform()
    skin = (1 - t) * np.array([0.93, 0.78, 0.67]) + t * np.array([0.33, 0.21, 0.14])
    skin = np.clip(skin * rng.uniform(0.92, 1.08, 3), 0.0, 1.0)
    return {
        "skin": [round(float(x), 3) for x in skin],
        "background": [round(float(x), 3) for x in rng.uniform(0.1, 0.9, 3)],
    }


def plan_jobs(
    clips: list[tuple[dict, object]], out: Path, start: int = 0, random_views: int = 0, characters: list | None = None
) -> list[dict]:
    """One render job per clip (its motion saved in ``out``): clip k of the whole list (``start`` + its place here)
    takes cameras seeded 1000 + k (``random_views`` of them, else the two fixed views), and with ``characters`` body
    k modulo their number and colours seeded 5000 + k, so a later folder's clips follow on from an earlier one's."""
    jobs = []
    for c, (info, m) in enumerate(clips, start):
        views: dict = dict(VIEWS)
        if random_views:
            r = np.random.default_rng(1000 + c)
            views = {
                f"v{i}": [float(r.uniform(0, 360)), float(r.uniform(3, 6)), float(r.uniform(0.6, 2.2))]
                for i in range(random_views)
            }
        name = Path(info["file"]).stem + "_" + info["subject"]
        path = out / f"{name}.npz"
        np.savez(path, rotations=m.rotations, root=m.root_translation, offsets=m.skeleton.offsets, fps=m.fps)
        job = {"name": name, "motion": str(path), "dir": str(out / name), "views": views, "joints": ["pelvis", *LIMBS]}
        if characters:
            job |= {"character": str(characters[c % len(characters)])} | clip_colours(np.random.default_rng(5000 + c))
        jobs.append(job)
    return jobs


def project(points: np.ndarray, world_to_camera: np.ndarray, focal: float) -> np.ndarray:
    """Blender world points (..., 3) -> pixels (..., 2) of a 640 x 480 image (x right, y down)."""
    h = np.concatenate([points, np.ones(points.shape[:-1] + (1,))], -1) @ world_to_camera.T
    x, y, z = h[..., 0], h[..., 1], -h[..., 2]  # Blender cameras look down -Z, y up
    return np.stack([320 + focal * x / z, 240 - focal * y / z], -1)


def core_profile(err: np.ndarray) -> dict:
    """MediaPipe's error (frames, 12 limb joints, 2) in % of the limb joints' image height, NaN where not found ->
    per joint kind (both sides pooled): the core of its spread per axis (``core_spread_pct_height``: 1.4826 x the
    median absolute deviation about the median, the two axes' mean, / 1.22 to make it % of the 26 points' height, the
    unit of ``synthesis.MEDIAPIPE_CORE``) and how often it is off by more than 12 % of the body's height
    (``miss_fraction``, the unit of ``synthesis.MISS_RATE``, swaps included)."""
    core, miss = {}, {}
    for kind in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"):
        idx = [LIMBS.index(f"left_{kind}"), LIMBS.index(f"right_{kind}")]
        axes = [e[np.isfinite(e)] for e in err[:, idx].reshape(-1, 2).T]
        mad = [1.4826 * np.median(np.abs(e - np.median(e))) for e in axes if len(e)]
        core[kind] = round(float(np.mean(mad)) / 1.22, 2) if mad else None
        dist = np.linalg.norm(err[:, idx], axis=-1).reshape(-1) / 1.22
        dist = dist[np.isfinite(dist)]
        miss[kind] = round(float((dist > 12.0).mean()), 4) if len(dist) else None
    return {"core_spread_pct_height": core, "miss_fraction": miss}


def summarise(rows: list[dict]) -> dict[str, float]:
    """The set's PA-MPJPE (mm) per column of ``rows``, each view weighted by its frames: all of them for the model,
    its exact 2D and the constant pose; those MediaPipe found the person in for its own 3D and for the model on the
    same frames (``model_detected_frames``: the like-for-like comparison where MediaPipe misses frames)."""
    out = {}
    for key in ("model", "model_exact_2d", "mediapipe_world", "model_detected_frames", "constant_mean_pose"):
        weight = "detected" if key in ("mediapipe_world", "model_detected_frames") else "frames"
        vals = [(r[key], r[weight]) for r in rows if r.get(key) is not None and r[weight] > 0]
        if vals:
            out[f"{key}_pa_mpjpe_mm"] = round(float(np.average([v for v, _ in vals], weights=[w for _, w in vals])), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--library", required=True)
    p.add_argument("--mediapipe-python", required=True, help="a Python with mediapipe==0.10.21 and OpenCV")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "detector")
    p.add_argument("--clips", type=int, default=4)
    p.add_argument("--frames", type=int, default=60)
    p.add_argument(
        "--start",
        type=int,
        default=0,
        help="skip the list's first N clips (rendered into another folder before): more clips whose seeds and "
        "bodies follow on from theirs",
    )
    p.add_argument("--weights")
    p.add_argument(
        "--no-flip", action="store_true", help="one pass, without Mirror Averaging (the extension's default)"
    )
    p.add_argument(
        "--split",
        choices=["validation", "train"],
        default="validation",
        help="whose motion: the validation subjects (the evaluation), or the training split (to measure the "
        "detector's profile on motion the evaluation never uses)",
    )
    p.add_argument("--skip-render", action="store_true", help="reuse the renders and detections in --out")
    p.add_argument(
        "--detect", action="store_true", help="with --skip-render: run MediaPipe on the views it has not read yet"
    )
    p.add_argument(
        "--bodies",
        type=Path,
        help="a folder of body builds (body_variants.py): clip k is played on body k modulo their number, in a skin "
        "tone and before a background colour drawn per clip (seeded by its place in the list), instead of the base "
        "body in its one colour; each body's character is built beside it once",
    )
    p.add_argument(
        "--random-views",
        type=int,
        default=0,
        help="N cameras per clip at random azimuths, 3-6 m away, 0.6-2.2 m up (seeded by the clip's place in the "
        "list), instead of the two fixed views: detections of many views for training (--split train)",
    )
    args = p.parse_args(argv)
    from model.body_points import keypoints_3d
    from model.keypoints import HALPE26, Keypoints2D
    from model.pipeline import UpliftOptions, read_person, uplift
    from model.skeleton import JOINT_INDEX, MODEL_TO_BLENDER
    from model.training import evaluation as E

    picked = pick_clips(args.library, args.start + args.clips, args.frames, args.split)
    clips = picked[args.start :]
    if len(clips) < args.clips:
        have = len(picked)
        line = f"the {args.split} split has {have} clips of {args.frames + 30} frames or more"
        if not clips:
            print(f"error: --start {args.start}: {line}", file=sys.stderr)
            return 1
        print(f"note: {line}: clips {args.start}-{have - 1}, {len(clips)} instead of {args.clips}")
    character = ROOT / "out" / "character.blend"
    zips = sorted((ROOT / "dist").glob("pose_uplift-*.zip"))
    if not character.is_file() or not zips:
        print("error: run `make demo` first (it builds out/character.blend and the extension zip)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(ROOT / "out" / "blender_user"))
    characters = build_characters(args.bodies, zips[-1], env) if args.bodies else []
    if args.bodies and not characters:
        print(f"error: --bodies {args.bodies}: no body folders (body_variants.py writes them)", file=sys.stderr)
        return 1
    jobs = plan_jobs(clips, args.out, args.start, args.random_views, characters)
    jobs_json = args.out / "jobs.json"
    jobs_json.write_text(json.dumps(jobs))
    if not args.skip_render:
        proc = subprocess.run(
            [sys.executable, "-c", _RENDER, str(zips[-1]), str(character), str(jobs_json)],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            print("error: rendering failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1], file=sys.stderr)
            return 1
    if not args.skip_render or args.detect:
        for job in jobs:
            for view in job["views"]:
                folder = Path(f"{job['dir']}_{view}")
                if args.skip_render and folder.with_suffix(".json").is_file():
                    continue
                proc = subprocess.run(
                    [
                        args.mediapipe_python,
                        str(ROOT / "scripts" / "detect_mediapipe.py"),
                        str(folder),  # the folder: its images in order
                        str(folder.with_suffix(".json")),
                        "--smooth",
                    ],
                    capture_output=True,
                    text=True,
                )
                if proc.returncode != 0:
                    why = (proc.stderr.strip().splitlines() or ["?"])[-1]
                    print(f"{folder.name}: left out: {why.removeprefix('error: ')}", file=sys.stderr)
    for job in jobs:  # a view where MediaPipe found nobody in any frame has no detections: it is left out
        job["views"] = {v: p for v, p in job["views"].items() if Path(f"{job['dir']}_{v}.json").is_file()}
    rendered = json.loads((args.out / "jobs.json.out.json").read_text())
    from model.kinematics import forward_kinematics
    from model.skeleton import Skeleton
    from model.training.library import training_mean_pose

    constant_q = training_mean_pose(args.library)
    limb_j = [JOINT_INDEX[n] for n in LIMBS]
    limb_k = [HALPE26.index(n) for n in LIMBS]
    rows: list[dict] = []
    profile = {v: {"offset": [], "nobody": 0, "frames": 0, "swapped": 0, "drift": [], "core": []} for v in VIEWS}
    bucket = {}  # a view's profile: front where the camera is within 30 degrees of the body's front or back
    for job in jobs:
        for view, place in job["views"].items():
            az = place[0] if isinstance(place, list) else place
            bucket[(job["name"], view)] = "front" if abs(np.sin(np.radians(az))) < 0.5 else "side"
    options = UpliftOptions(gaps="keep", backend="auto", flip=not args.no_flip)
    for job, (_, motion) in zip(jobs, clips, strict=True):
        points_3d, joints_3d = keypoints_3d(motion.rotations, motion.skeleton.offsets, motion.root_translation)
        for view in job["views"]:
            rec = rendered[job["name"]][view]
            truth = np.array(rec["joints"])[:, 1:]  # (T, 12, 3) Blender world
            detections = Path(f"{job['dir']}_{view}.json")
            kp = read_person(detections, options)
            result = uplift(kp, options, weights=args.weights)
            pred = result.motion.joint_positions[:, limb_j] @ MODEL_TO_BLENDER.T
            world = E.read_world_landmarks(detections)[0][:, limb_k]  # MediaPipe's own 3D, the same 12 points
            q = np.repeat(constant_q[None], len(truth), 0)
            const, _ = forward_kinematics(q, Skeleton.default().offsets, np.zeros((len(truth), 3)))
            n = min(len(truth), len(pred), len(world))
            seen = np.isfinite(world[:n]).all((-1, -2))
            # the same motion's exact 2D: the clip's own points, its pelvis where the rig's is in the first frame
            shift = np.array(rec["joints"][0][0]) - joints_3d[0, JOINT_INDEX["pelvis"]] @ MODEL_TO_BLENDER.T
            exact_px = project(
                points_3d @ MODEL_TO_BLENDER.T + shift, np.array(rec["world_to_camera"]), rec["focal_px"]
            )
            exact_kp = Keypoints2D(
                np.concatenate([exact_px, np.ones(exact_px.shape[:-1] + (1,))], -1),
                fps=motion.fps,
                image_size=(640, 480),
            )
            exact = uplift(exact_kp, options, weights=args.weights).motion.joint_positions[:, limb_j]
            row = {
                "clip": job["name"],
                "view": view,
                "frames": n,
                "detected": int(seen.sum()),
                "model": E.pa_mpjpe(pred[:n], truth[:n]),
                "model_exact_2d": E.pa_mpjpe(exact[:n], joints_3d[:n, limb_j]),
                "mediapipe_world": E.pa_mpjpe(world[:n][seen], truth[:n][seen]) if seen.any() else None,
                # on the frames MediaPipe found the person in, as its own 3D is scored
                "model_detected_frames": E.pa_mpjpe(pred[:n][seen], truth[:n][seen]) if seen.any() else None,
                "constant_mean_pose": E.pa_mpjpe(const[:n][:, limb_j], truth[:n]),
            }
            rows.append(row)
            # the detector profile: MediaPipe's 2D against the rig's projected joints
            px = project(truth[:n], np.array(rec["world_to_camera"]), rec["focal_px"])
            det = kp.points[:n, limb_k]
            ok = det[..., 2] > 0
            torso = np.linalg.norm(px[:, [0, 1]].mean(1) - px[:, [6, 7]].mean(1), axis=-1)[:, None, None]
            off = (det[..., :2] - px) / torso * 100
            swapped_err = np.linalg.norm(det[:, [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10], :2] - px, axis=-1)
            straight_err = np.linalg.norm(det[..., :2] - px, axis=-1)
            prof = profile[bucket[(job["name"], view)]]
            prof["offset"].append(np.where(ok[..., None], off, np.nan))
            limb_height = np.ptp(px[..., 1], axis=-1)[:, None, None]  # the limb joints' image height, per frame
            prof["core"].append(np.where(ok[..., None], (det[..., :2] - px) / limb_height * 100, np.nan))
            prof["frames"] += n
            prof["nobody"] += int((~ok.any(-1)).sum())
            prof["swapped"] += int(((swapped_err.mean(-1) < straight_err.mean(-1)) & ok.all(-1)).sum())
            # how the error changes over time, in % of the body's image height: its spread about the clip's mean and
            # its frame-to-frame change
            err = np.where(ok[..., None], det[..., :2] - px, np.nan) / np.ptp(px[..., 1], axis=-1).mean() * 100
            err -= np.nanmean(err, 0)
            prof["drift"].append((np.nanmean(err**2), np.nanmean(np.diff(err, axis=0) ** 2)))
    out: dict = {"rows": rows, **summarise(rows)}
    out["profile"] = {}
    for view, prof in profile.items():
        off = np.concatenate(prof["offset"])
        out["profile"][view] = {
            "frames": prof["frames"],
            "nobody_fraction": round(prof["nobody"] / max(prof["frames"], 1), 3),
            "left_right_swapped_fraction": round(prof["swapped"] / max(prof["frames"], 1), 3),
            "mean_offset_pct_torso": {n: np.round(np.nanmean(off[:, k], 0), 1).tolist() for k, n in enumerate(LIMBS)},
            "error_spread_pct_height": round(float(np.sqrt(np.mean([v for v, _ in prof["drift"]]))), 2),
            "frame_to_frame_change_pct_height": round(float(np.sqrt(np.mean([d for _, d in prof["drift"]]))), 2),
            "white_ratio": round(
                float(np.mean([d for _, d in prof["drift"]]) / (2 * np.mean([v for v, _ in prof["drift"]]))), 3
            ),
            "spread_pct_torso": {
                n: round(float(np.nanstd(np.linalg.norm(off[:, k], axis=-1))), 1) for k, n in enumerate(LIMBS)
            },
            **core_profile(np.concatenate(prof["core"])),
        }
    out["frames"] = sum(r["frames"] for r in rows)
    name = "results.json" if not args.weights else f"results_{Path(args.weights).stem}.json"
    out["weights"] = Path(args.weights).name if args.weights else "pose_uplift.npz (bundled)"
    (args.out / name).write_text(json.dumps(out, indent=1))
    print(json.dumps({k: v for k, v in out.items() if k != "rows"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
