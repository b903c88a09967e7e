"""Uplift many keypoint files headless, with the installed extension's code, and export the results.

    blender -b --factory-startup --python-exit-code 1 -P scripts/uplift_batch.py -- INPUT... [options]
    python scripts/uplift_batch.py INPUT... [options]                          (with the bpy module)

INPUT: files, folders (a folder of OpenPose JSON files is one clip; any other folder is searched for keypoint
files) and globs. Options:

  --out DIR                  where outputs go (default: out/batch)
  --export blend,fbx,bvh,glb Blender's own exporters (default: blend)
  --rig FILE.blend|FILE.fbx  retarget onto the armature in this file, with --preset NAME|auto|MAPPING.json
  --device auto|cpu|cuda     --backend auto|torch|numpy     --fps F (override)     --smooth S (0..1)
  --person N                 --angles (joint angles CSV)    --jobs N (clips in parallel processes)
  --flip                     mirror averaging (each window also uplifted mirrored; twice the work)
  --overwrite                replace existing outputs (otherwise a clip whose outputs exist is reported, not redone)

The extension's code comes from the extension installed and enabled in this Blender; when there is none, the
zip built from this checkout is installed into a temporary extension repository that is removed at the end.
Outputs are written under a temporary name and renamed when complete. A bad clip is reported in one line and
skipped; the exit code is 1 when any clip failed. A summary table ends the run.
"""

from __future__ import annotations

import argparse
import glob
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = ("blend", "fbx", "bvh", "glb")
KEYPOINT_SUFFIXES = {".json", ".csv", ".trc", ".npy", ".npz"}
_TEMP_REPO = "pose_uplift_batch"


def script_args(argv: list[str]) -> list[str]:
    """Arguments after ``--`` under Blender, all of them under plain Python."""
    return argv[argv.index("--") + 1 :] if "--" in argv else argv[1:]


def parse_args(args: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="uplift_batch.py", description=__doc__.split("\n\n")[0])
    p.add_argument("inputs", nargs="+")
    p.add_argument("--out", type=Path, default=ROOT / "out" / "batch")
    p.add_argument("--export", default="blend")
    p.add_argument("--rig")
    p.add_argument("--preset", default="auto")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--backend", choices=["auto", "torch", "numpy"], default="auto")
    p.add_argument("--fps", type=float, default=0.0)
    p.add_argument("--smooth", type=float, default=0.0)
    p.add_argument("--flip", action="store_true", help="mirror averaging (twice the work, slightly more accurate)")
    p.add_argument("--person", type=int, default=0)
    p.add_argument("--angles", action="store_true")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--result-json", help=argparse.SUPPRESS)  # one clip's result, for --jobs workers
    ns = p.parse_args(args)
    ns.formats = [f.strip().lower() for f in ns.export.split(",") if f.strip()]
    bad = [f for f in ns.formats if f not in EXPORTS]
    if bad:
        p.error(f"--export: unknown format {', '.join(bad)} (Blender exports {', '.join(EXPORTS)} here)")
    if not 0.0 <= ns.smooth <= 1.0:
        p.error("--smooth must be within 0 and 1")
    return ns


def expand_inputs(inputs: list[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Clips to run, and (input, error) for inputs that name nothing."""
    clips: list[Path] = []
    errors: list[tuple[str, str]] = []
    for item in inputs:
        matches = [Path(m) for m in sorted(glob.glob(item))] if any(c in item for c in "*?[") else [Path(item)]
        if not matches or not all(m.exists() for m in matches):
            errors.append((item, "no such file or folder"))
            continue
        for m in matches:
            if m.is_dir():
                inner = sorted(x for x in m.iterdir() if x.suffix.lower() in KEYPOINT_SUFFIXES)
                if inner and all(x.name.endswith("_keypoints.json") for x in inner):
                    clips.append(m)  # an OpenPose folder: one clip
                else:
                    clips.extend(inner)
            else:
                clips.append(m)
    return clips, errors


# ------------------------------------------------------------------------------------------------ inside Blender
def extension_module() -> tuple[str, str | None]:
    """The installed extension's package name; installs the built zip into a temporary repo when needed. Returns
    (module, temporary repo module or None)."""
    import bpy

    assert bpy.app.version  # addon_utils is importable only once bpy is
    import addon_utils

    for mod in addon_utils.modules():
        if mod.__name__.endswith(".pose_uplift") and mod.__name__ in {a.module for a in bpy.context.preferences.addons}:  # fmt: skip
            return mod.__name__, None
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_extension

    zip_path = build_extension.build(Path(tempfile.mkdtemp(prefix="pose_uplift_zip_")))  # this checkout's code
    directory = tempfile.mkdtemp(prefix="pose_uplift_ext_")
    repos = bpy.context.preferences.extensions.repos
    repo = repos.new(name="Pose Uplift batch", module=_TEMP_REPO, custom_directory=directory, source="USER")
    result = bpy.ops.extensions.package_install_files(filepath=str(zip_path), repo=repo.module, enable_on_install=True)
    if result != {"FINISHED"}:
        raise RuntimeError(f"{zip_path}: the extension could not be installed")
    return f"bl_ext.{_TEMP_REPO}.pose_uplift", directory


def remove_temp_repo(directory: str | None) -> None:
    import bpy

    if directory is None:
        return
    module = f"bl_ext.{_TEMP_REPO}.pose_uplift"
    if module in {a.module for a in bpy.context.preferences.addons}:
        bpy.ops.preferences.addon_disable(module=module)
    repos = bpy.context.preferences.extensions.repos
    for repo in list(repos):
        if repo.module == _TEMP_REPO:
            repos.remove(repo)
    shutil.rmtree(directory, ignore_errors=True)


def load_rig(path: str):  # noqa: ANN201
    """The first armature of a .blend (appended) or an .fbx (imported) into the current scene."""
    import bpy

    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{path}: rig file not found")
    if p.suffix.lower() == ".blend":
        with bpy.data.libraries.load(str(p)) as (src, dst):
            dst.objects = list(src.objects)
        arms = [o for o in dst.objects if o is not None and o.type == "ARMATURE"]
        for obj in dst.objects:
            if obj is not None:
                bpy.context.scene.collection.objects.link(obj)
    elif p.suffix.lower() == ".fbx":
        before = set(bpy.data.objects)
        bpy.ops.import_scene.fbx(filepath=str(p))
        arms = [o for o in set(bpy.data.objects) - before if o.type == "ARMATURE"]
    else:
        raise ValueError(f"{path}: a rig must be a .blend or .fbx file")
    if not arms:
        raise ValueError(f"{path}: no armature in the file")
    return arms[0]


def _atomic(final: Path, write) -> None:  # noqa: ANN001
    """Write through ``write(tmp_path)`` and rename: the final name never holds a half-written file."""
    tmp = final.with_name(f".{final.stem}.partial-{os.getpid()}{final.suffix}")
    try:
        write(tmp)
        if not tmp.exists():
            raise RuntimeError(f"{final.name}: the exporter wrote nothing")
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def export(obj, fmt: str, final: Path, frame_range: tuple[int, int]) -> None:  # noqa: ANN001
    import bpy

    for o in bpy.context.scene.objects:
        o.select_set(o == obj)
    bpy.context.view_layer.objects.active = obj
    if fmt == "blend":
        _atomic(final, lambda t: bpy.ops.wm.save_as_mainfile(filepath=str(t), copy=True, check_existing=False))
    elif fmt == "fbx":
        _atomic(final, lambda t: bpy.ops.export_scene.fbx(filepath=str(t), use_selection=True, object_types={"ARMATURE", "MESH"}, bake_anim=True, add_leaf_bones=False, bake_anim_use_nla_strips=False, bake_anim_use_all_actions=False, bake_anim_simplify_factor=0.0))  # fmt: skip
    elif fmt == "bvh":
        _atomic(final, lambda t: bpy.ops.export_anim.bvh(filepath=str(t), frame_start=frame_range[0], frame_end=frame_range[1], rotate_mode="NATIVE", root_transform_only=True))  # fmt: skip
    elif fmt == "glb":
        _atomic(final, lambda t: bpy.ops.export_scene.gltf(filepath=str(t), export_format="GLB", use_selection=True, export_animations=True))  # fmt: skip


def clear_scene() -> None:
    """An empty scene for the next clip (without reloading the file, which would also reload the preferences)."""
    import bpy

    for collection in (bpy.data.objects, bpy.data.armatures, bpy.data.meshes, bpy.data.actions, bpy.data.materials):
        for item in list(collection):
            collection.remove(item)


def run_clip(module: str, clip: Path, args: argparse.Namespace) -> dict:
    """One clip in this Blender: a result row (outputs, or the error in one line)."""
    import bpy

    pipeline = importlib.import_module(module + ".addon.pipeline")
    angles = importlib.import_module(module + ".model.angles")
    t0 = time.perf_counter()
    row: dict = {"clip": str(clip), "frames": 0, "seconds": 0.0, "outputs": [], "error": ""}
    stem = clip.name if clip.is_dir() else clip.stem
    targets = {fmt: args.out / f"{stem}.{fmt}" for fmt in args.formats}
    if args.angles:
        targets["csv"] = args.out / f"{stem}_angles.csv"
    existing = [str(p) for p in targets.values() if p.exists()]
    if existing and not args.overwrite:
        row["error"] = f"{clip}: outputs exist ({', '.join(Path(e).name for e in existing)}); use --overwrite"
        return row
    try:
        clear_scene()
        options = pipeline.UpliftOptions(person=args.person, fps=args.fps, smooth=args.smooth,
                                         backend=args.backend, device=args.device, flip=args.flip)  # fmt: skip
        kp = pipeline.read_person(clip, options)

        def progress(v: float) -> None:
            print(f"\r  {stem}: {100 * v:5.1f}%", end="", file=sys.stderr, flush=True)

        motion, notes = pipeline.compute_motion(kp, options, progress=progress)
        print(file=sys.stderr)
        if args.rig:
            rig = load_rig(args.rig)
            obj, _ = pipeline.apply_to_rig(bpy.context, motion, kp, options, rig, args.preset)
        else:
            obj, _ = pipeline.apply_to_new_armature(bpy.context, motion, kp, options)
        frame_range = (options.frame_start, options.frame_start + motion.num_frames - 1)
        args.out.mkdir(parents=True, exist_ok=True)
        for fmt in args.formats:
            export(obj, fmt, targets[fmt], frame_range)
            row["outputs"].append(str(targets[fmt]))
        if args.angles:
            text = angles.angles_csv(motion, options.frame_start)
            _atomic(targets["csv"], lambda t: t.write_text(text))
            row["outputs"].append(str(targets["csv"]))
        row["frames"] = motion.num_frames
        row["notes"] = notes
    except Exception as exc:  # unreadable file, unusable rig, exporter failure...: this clip only, in one line
        row["error"] = _one_line(exc, clip)
    row["seconds"] = round(time.perf_counter() - t0, 2)
    return row


def _one_line(exc: BaseException, clip: Path) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if str(clip) in text else f"{clip}: {text}"


def summary(rows: list[dict]) -> str:
    width = max([len(Path(r["clip"]).name) for r in rows] + [4])
    lines = [f"{'clip':<{width}}  frames  seconds  result", "-" * (width + 40)]
    for r in rows:
        result = r["error"] or ", ".join(Path(o).name for o in r["outputs"]) or "-"
        lines.append(f"{Path(r['clip']).name:<{width}}  {r['frames']:>6}  {r['seconds']:>7.1f}  {result}")
    failed = sum(1 for r in rows if r["error"])
    lines.append(f"{len(rows) - failed} of {len(rows)} clips done" + (f", {failed} failed" if failed else ""))
    return "\n".join(lines)


def _worker_prefix() -> list[str]:
    """How to start a worker like this process: Blender in background mode, or Python with the bpy module."""
    import bpy  # in the main thread (importing bpy from a worker thread crashes the interpreter at exit)

    if bpy.app.binary_path and Path(bpy.app.binary_path).name.startswith("blender"):
        return [bpy.app.binary_path, "-b", "--factory-startup", "--python-exit-code", "1", "-P", __file__, "--"]
    return [sys.executable, __file__]


def _worker_command(prefix: list[str], clip: Path, args: argparse.Namespace, result: Path) -> list[str]:
    rest = [str(clip), "--out", str(args.out), "--export", ",".join(args.formats), "--preset", args.preset,
            "--device", args.device, "--backend", args.backend, "--fps", str(args.fps), "--smooth", str(args.smooth),
            "--person", str(args.person), "--result-json", str(result)]  # fmt: skip
    rest += (["--rig", args.rig] if args.rig else []) + (["--angles"] if args.angles else [])
    rest += ["--overwrite"] if args.overwrite else []
    rest += ["--flip"] if args.flip else []
    return [*prefix, *rest]


def main(argv: list[str]) -> int:
    args = parse_args(script_args(argv))
    clips, missing = expand_inputs(args.inputs)
    rows = [{"clip": item, "frames": 0, "seconds": 0.0, "outputs": [], "error": f"{item}: {why}"} for item, why in missing]  # fmt: skip
    for r in rows:
        print(f"error: {r['error']}", file=sys.stderr)
    if args.jobs > 1 and len(clips) > 1:
        tmp = Path(tempfile.mkdtemp(prefix="pose_uplift_jobs_"))
        prefix = _worker_prefix()

        def one(k_clip: tuple[int, Path]) -> dict:
            k, clip = k_clip
            result = tmp / f"{k}.json"
            proc = subprocess.run(_worker_command(prefix, clip, args, result), capture_output=True, text=True)
            if result.exists():
                return json.loads(result.read_text())[0]
            last = (proc.stderr.strip().splitlines() or ["worker failed"])[-1]
            return {"clip": str(clip), "frames": 0, "seconds": 0.0, "outputs": [], "error": f"{clip}: {last}"}

        with ThreadPoolExecutor(args.jobs) as pool:
            for k, row in enumerate(pool.map(one, enumerate(clips))):
                print(f"[{k + 1}/{len(clips)}] {Path(row['clip']).name}: {row['error'] or 'done'}", file=sys.stderr)
                rows.append(row)
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        module, temp_dir = extension_module()
        try:
            for k, clip in enumerate(clips):
                print(f"[{k + 1}/{len(clips)}] {clip.name}", file=sys.stderr)
                row = run_clip(module, clip, args)
                if row["error"]:
                    print(f"error: {row['error']}", file=sys.stderr)
                rows.append(row)
        finally:
            remove_temp_repo(temp_dir)
    if args.result_json:
        Path(args.result_json).write_text(json.dumps(rows))
    print(summary(rows))
    return 1 if any(r["error"] for r in rows) or not rows else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
