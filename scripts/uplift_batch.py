"""Uplift many keypoint files headless, with the extension's code, and export the results.

    blender -b --factory-startup --python-exit-code 1 -P scripts/uplift_batch.py -- INPUT... [options]
    python scripts/uplift_batch.py INPUT... [options]                          (with the bpy module)

INPUT: files, folders (a folder of OpenPose JSON files is one clip, and so is any one file of a numbered
``*_keypoints.json`` sequence; any other folder is searched for keypoint files and videos) and globs. A video (mp4,
mov, mkv, avi, webm) goes through the detector the add-on's preferences installed first; its keypoint file is
written beside the clip's other outputs (``NAME.keypoints.json``) and reused by a later run. ``--help`` lists every
option. All of the code, the options, readers and presets too, comes from the extension installed and enabled in this
Blender (one copy in the process); when there is none, the zip built from this checkout is installed into a
temporary extension repository, removed at the end with every other temporary folder. ``--rig``, ``--preset`` and ``--export`` are checked before any clip runs. Outputs are
written under a temporary name and renamed when complete; an output that exists is left alone and the clip reported
as skipped (``--overwrite`` replaces it). Two inputs with the same name get outputs named after their extension or
folder too. A bad clip is reported in one line and skipped; the exit code is 1 when any clip failed. One line per
clip, then a summary table; Blender's own messages are kept out of the way.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EXPORTS = ("blend", "fbx", "bvh", "glb")
KEYPOINT_SUFFIXES = {".json", ".csv", ".trc", ".npy", ".npz"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v"}
_TEMP_REPO = "pose_uplift_batch"


def script_args(argv: list[str]) -> list[str]:
    """Arguments after ``--`` under Blender, all of them under plain Python."""
    return argv[argv.index("--") + 1 :] if "--" in argv else argv[1:]


def parse_args(args: list[str], module: str) -> argparse.Namespace:
    """The command line, its uplift options made from the installed extension's own option table (``module``)."""
    pipeline = importlib.import_module(module + ".model.pipeline")
    p = argparse.ArgumentParser(
        prog="uplift_batch.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", help="keypoint files, folders or globs")
    p.add_argument("--out", type=Path, default=ROOT / "out" / "batch", help="folder for the outputs")
    p.add_argument("--export", default="blend", help=f"comma-separated formats out of {', '.join(EXPORTS)}")
    p.add_argument("--rig", help="retarget onto the armature in this .blend or .fbx file instead of a new armature")
    p.add_argument("--preset", default="auto", help="the rig's preset name, auto, or a mapping JSON file")
    p.add_argument("--angles", action="store_true", help="also write a joint-angle CSV per clip")
    p.add_argument("--backend", choices=["auto", "torch", "numpy"], default="auto", help="network backend")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="device for the torch backend")
    p.add_argument("--jobs", type=int, default=1, help="worker processes, each taking a share of the clips")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs (otherwise they are skipped)")
    p.add_argument(
        "--wheels",
        default=None,
        help="with --install-detector: install from this folder of wheel files (offline) instead of the registries",
    )
    p.add_argument(
        "--people",
        type=int,
        default=1,
        help="videos: most people the detector finds per frame (with --all-people each gets its own outputs)",
    )
    p.add_argument(
        "--install-detector",
        action="store_true",
        help="for video inputs: install the detector (MediaPipe, about 300 MB, from the package index) "
        "into this Blender's extension folder when it is missing; this flag is the consent to go online",
    )
    for f in pipeline.option_fields():  # every uplift option is a flag, with the help and range the side panel shows
        flag, meta = "--" + f.name.replace("_", "-"), f.metadata
        text = meta["help"] + (f" ({meta['min']:g} to {meta['max']:g})" if "min" in meta and "max" in meta else "")
        if f.type == "bool":
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=text)
        elif "choices" in meta:
            text += ": " + "; ".join(f"{c[0]}: {c[2]}" for c in meta["choices"])
            p.add_argument(flag, choices=[c[0] for c in meta["choices"]], default=f.default, help=text)
        else:
            p.add_argument(flag, type=int if f.type == "int" else float, default=f.default, help=text)
    p.add_argument("--worker", help=argparse.SUPPRESS)  # a worker's JSON job file (see run_workers)
    ns = p.parse_args(args)
    ns.formats = [f.strip().lower() for f in ns.export.split(",") if f.strip()]
    bad = [f for f in ns.formats if f not in EXPORTS]
    if bad or not ns.formats:
        p.error(f"--export: unknown format {', '.join(bad) or '(none)'} (Blender exports {', '.join(EXPORTS)} here)")
    problem = pipeline.check_options(options_from(ns, module))
    if problem:
        p.error("--" + problem.replace("_", "-"))
    if ns.jobs < 1:
        p.error("--jobs must be at least 1")
    if ns.rig is not None:
        rig = Path(ns.rig)
        if not rig.is_file():
            p.error(f"--rig {ns.rig}: no such file")
        if rig.suffix.lower() not in (".blend", ".fbx"):
            p.error(f"--rig {ns.rig}: a rig must be a .blend or .fbx file")
    list_presets = importlib.import_module(module + ".model.retarget").list_presets
    if ns.preset not in ("auto", *list_presets()) and not Path(ns.preset).is_file():
        p.error(f"--preset {ns.preset}: not a preset ({', '.join(['auto', *list_presets()])}) nor a mapping file")
    return ns


def options_from(args: argparse.Namespace, module: str):  # -> the installed extension's UpliftOptions
    pipeline = importlib.import_module(module + ".model.pipeline")
    values = {f.name: getattr(args, f.name) for f in pipeline.option_fields()}
    return pipeline.UpliftOptions(**values, backend=args.backend, device=args.device)


def expand_inputs(inputs: list[str], module: str) -> tuple[list[Path], list[tuple[str, str]]]:
    """Clips to run (each once), and (input, error) for inputs that name nothing."""
    openpose_sequence = importlib.import_module(module + ".model.readers").openpose_sequence
    clips: list[Path] = []
    errors: list[tuple[str, str]] = []
    for item in inputs:
        matches = [Path(m) for m in sorted(glob.glob(item))] if any(c in item for c in "*?[") else [Path(item)]
        if not matches or not all(m.exists() for m in matches):
            errors.append((item, "no such file or folder"))
            continue
        for m in matches:
            if m.is_dir():
                inner = sorted(x for x in m.iterdir() if x.suffix.lower() in KEYPOINT_SUFFIXES | VIDEO_SUFFIXES)
                if inner and all(x.name.endswith("_keypoints.json") for x in inner):
                    clips.append(m)  # an OpenPose folder: one clip
                else:
                    clips.extend(inner)
            else:
                clips.append(m)
    out: list[Path] = []
    seen: set[Path] = set()
    for clip in clips:  # one clip per OpenPose sequence, however many of its files were named
        key = openpose_sequence(clip)[0] if clip.is_file() else clip
        if key not in seen:
            seen.add(key)
            out.append(clip)
    return out, errors


def output_stems(clips: list[Path], module: str) -> dict[Path, str]:
    """A unique output name per clip: its stem, or with its extension / folder name when stems collide."""
    openpose_sequence = importlib.import_module(module + ".model.readers").openpose_sequence

    def stem(c: Path) -> str:
        if c.is_dir():
            return c.name
        seq = openpose_sequence(c)
        if len(seq) > 1:  # a sequence picked by one file: name it after the files' common part
            return c.name.split("_keypoints")[0].rstrip("0123456789").rstrip("_") or c.parent.name
        return c.stem

    names = {c: stem(c) for c in clips}
    counts: dict[str, int] = {}
    for n in names.values():
        counts[n] = counts.get(n, 0) + 1
    out: dict[Path, str] = {}
    used: set[str] = set()
    for c, n in names.items():
        if counts[n] > 1:
            n = f"{n}_{c.suffix.lstrip('.').lower()}" if c.suffix else f"{n}_{c.parent.name}"
        base, k = n, 2
        while n in used:
            n, k = f"{base}_{k}", k + 1
        used.add(n)
        out[c] = n
    return out


# ------------------------------------------------------------------------------------------------ inside Blender
@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Blender's own messages (installs, exporters, add-on toggles) go to a scratch file, not the terminal: they
    write to the process's file descriptors 1 and 2 directly, so those are redirected for the block."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def build_zip(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_extension

    return build_extension.build(folder)


def extension_module(zip_path: Path | None, scratch: Path) -> tuple[str, Path | None]:
    """The installed extension's package name; else installs the zip (built here when ``zip_path`` is None) into a
    temporary repository under ``scratch``. Returns (module, the temporary repository or None)."""
    import bpy

    assert bpy.app.version  # addon_utils is importable only once bpy is
    import addon_utils

    enabled = {a.module for a in bpy.context.preferences.addons}
    for mod in addon_utils.modules():
        if mod.__name__.endswith(".pose_uplift") and mod.__name__ in enabled:
            return mod.__name__, None
    if zip_path is None:
        zip_path = build_zip(scratch / "zip")
    directory = scratch / "extensions"
    directory.mkdir(parents=True, exist_ok=True)
    with quiet():
        repos = bpy.context.preferences.extensions.repos
        repo = repos.new(name="Pose Uplift batch", module=_TEMP_REPO, custom_directory=str(directory), source="USER")
        result = bpy.ops.extensions.package_install_files(
            filepath=str(zip_path), repo=repo.module, enable_on_install=True
        )
    if result != {"FINISHED"}:
        raise RuntimeError(f"{zip_path}: the extension could not be installed")
    return f"bl_ext.{_TEMP_REPO}.pose_uplift", directory


def remove_temp_repo(directory: Path | None) -> None:
    import bpy

    if directory is None:
        return
    module = f"bl_ext.{_TEMP_REPO}.pose_uplift"
    with quiet():
        if module in {a.module for a in bpy.context.preferences.addons}:
            bpy.ops.preferences.addon_disable(module=module)
        repos = bpy.context.preferences.extensions.repos
        for repo in list(repos):
            if repo.module == _TEMP_REPO:
                repos.remove(repo)
    shutil.rmtree(directory, ignore_errors=True)


def load_rig(path: str):
    """The first armature of a .blend (appended) or an .fbx (imported) into the current scene."""
    import bpy

    p = Path(path)
    if p.suffix.lower() == ".blend":
        with bpy.data.libraries.load(str(p)) as (src, dst):
            dst.objects = list(src.objects)
        arms = [o for o in dst.objects if o is not None and o.type == "ARMATURE"]
        for obj in dst.objects:
            if obj is not None:
                bpy.context.scene.collection.objects.link(obj)
    else:
        before = set(bpy.data.objects)
        with quiet():
            bpy.ops.import_scene.fbx(filepath=str(p))
        arms = [o for o in set(bpy.data.objects) - before if o.type == "ARMATURE"]
    if not arms:
        raise ValueError(f"{path}: no armature in the file")
    return arms[0]


def check_rig(module: str, args: argparse.Namespace) -> None:
    """Load the rig and map it with the preset once, before any clip runs (ValueError / RetargetError: one line)."""
    if not args.rig:
        return
    retarget = importlib.import_module(module + ".addon.retarget")
    try:
        retarget.resolve_mapping(load_rig(args.rig), args.preset)
    finally:
        clear_scene()


def _atomic(final: Path, write) -> None:
    """Write through ``write(tmp_path)`` and rename: the final name never holds a half-written file."""
    tmp = final.with_name(f".{final.stem}.partial-{os.getpid()}{final.suffix}")
    try:
        with quiet():
            write(tmp)
        if not tmp.exists():
            raise RuntimeError(f"{final.name}: the exporter wrote nothing")
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def export(obj, fmt: str, final: Path, frame_range: tuple[int, int]) -> None:
    import bpy

    for o in bpy.context.scene.objects:
        o.select_set(o == obj)
    bpy.context.view_layer.objects.active = obj
    if fmt == "blend":
        _atomic(final, lambda t: bpy.ops.wm.save_as_mainfile(filepath=str(t), copy=True, check_existing=False))
    elif fmt == "fbx":
        _atomic(
            final,
            lambda t: bpy.ops.export_scene.fbx(
                filepath=str(t),
                use_selection=True,
                object_types={"ARMATURE", "MESH"},
                bake_anim=True,
                add_leaf_bones=False,
                bake_anim_use_nla_strips=False,
                bake_anim_use_all_actions=False,
                bake_anim_simplify_factor=0.0,
            ),
        )
    elif fmt == "bvh":
        _atomic(
            final,
            lambda t: bpy.ops.export_anim.bvh(
                filepath=str(t),
                frame_start=frame_range[0],
                frame_end=frame_range[1],
                rotate_mode="NATIVE",
                root_transform_only=True,
            ),
        )
    elif fmt == "glb":
        _atomic(
            final,
            lambda t: bpy.ops.export_scene.gltf(
                filepath=str(t), export_format="GLB", use_selection=True, export_animations=True
            ),
        )


def clear_scene() -> None:
    """An empty scene for the next clip (without reloading the file, which would also reload the preferences)."""
    import bpy

    for collection in (bpy.data.objects, bpy.data.armatures, bpy.data.meshes, bpy.data.actions, bpy.data.materials):
        for item in list(collection):
            collection.remove(item)


def _row(clip: Path, **kw: object) -> dict:
    return {
        "clip": str(clip),
        "frames": 0,
        "keyed": 0,
        "gaps": "",
        "seconds": 0.0,
        "outputs": [],
        "error": "",
        "skipped": False,
    } | kw


def run_clip(module: str, clip: Path, stem: str, args: argparse.Namespace) -> dict:
    """One clip in this Blender: a result row (outputs, or the error in one line)."""
    import bpy

    pipeline = importlib.import_module(module + ".addon.pipeline")
    angles = importlib.import_module(module + ".model.angles")
    t0 = time.perf_counter()
    row = _row(clip)
    several = args.all_people

    def targets_of(name: str) -> dict[str, Path]:
        out = {fmt: args.out / f"{name}.{fmt}" for fmt in args.formats}
        if args.angles:
            out["csv"] = args.out / f"{name}_angles.csv"
        return out

    if several:  # one set of outputs per person (STEM_personK.*), everyone in one STEM.blend
        existing = sorted(p for fmt in targets_of("x") for p in args.out.glob(f"{stem}_person*.{fmt}"))
        existing += [p for p in [args.out / f"{stem}.blend"] if p.exists()]
    else:
        existing = [p for p in targets_of(stem).values() if p.exists()]
    if existing and not args.overwrite:
        row["skipped"] = True
        row["outputs"] = [str(p) for p in existing]
        return row
    try:
        clear_scene()
        options = options_from(args, module)
        if clip.suffix.lower() in VIDEO_SUFFIXES:  # a video: its keypoint file first, beside the other outputs
            keypoints = args.out / f"{stem}.keypoints.json"
            if not keypoints.exists() or args.overwrite:
                args.out.mkdir(parents=True, exist_ok=True)
                detect_video(module, clip, keypoints, args.install_detector, args.people, args.wheels)
            row["outputs"].append(str(keypoints))
            clip = keypoints
        people = [(o, pipeline.uplift(k, o)) for o, k in pipeline.read_people(clip, options)]
        if args.rig:
            if several:
                raise ValueError("--all-people keys a new armature per person; leave out --rig")
            options, result = people[0]
            applied = [pipeline.apply_to_rig(bpy.context, result, options, load_rig(args.rig), args.preset)]
        else:
            applied = pipeline.apply_people(bpy.context, people)
        args.out.mkdir(parents=True, exist_ok=True)
        for (options, result), (obj, _) in zip(people, applied):
            targets = targets_of(f"{stem}_person{options.person}" if several else stem)
            first = options.frame_start + int(result.frames[0])
            frame_range = (first, options.frame_start + int(result.frames[-1]))
            for fmt in args.formats:
                if not (several and fmt == "blend"):
                    export(obj, fmt, targets[fmt], frame_range)
                    row["outputs"].append(str(targets[fmt]))
            if args.angles:
                text = angles.angles_csv(result.motion, options.frame_start, result.frames, result.detected)
                _atomic(targets["csv"], lambda t, text=text: t.write_text(text))
                row["outputs"].append(str(targets["csv"]))
        if several and "blend" in args.formats:
            export(applied[0][0], "blend", args.out / f"{stem}.blend", (0, 0))
            row["outputs"].append(str(args.out / f"{stem}.blend"))
        result = people[0][1]
        row["frames"] = result.motion.num_frames
        row["keyed"] = int(result.keyed.sum())
        row["gaps"] = result.gaps.summary()
        row["notes"] = result.notes
        if several:
            row["people"] = len(people)
    except Exception as exc:  # unreadable file, unusable rig, exporter failure...: this clip only, in one line
        row["error"] = importlib.import_module(module + ".model.pipeline").first_line(exc, clip)
    row["seconds"] = round(time.perf_counter() - t0, 2)
    return row


def detect_video(
    module: str, video: Path, out: Path, install: bool = False, people: int = 1, wheels: str | None = None
) -> None:
    """The installed extension's detector on one video (a process of its own); RuntimeError with its one line."""
    import bpy

    installer = importlib.import_module(module + ".addon.installer")
    video_mod = importlib.import_module(module + ".addon.video")
    installer.detector_requirements()  # one line where this Python has no detector
    if not installer.detector_installed():
        if not install:
            raise RuntimeError(
                f"{video}: the detector is not installed (--install-detector, or Install Detector in "
                "the add-on's preferences)"
            )
        bpy.context.preferences.system.use_online_access = True  # --install-detector is the consent
        with quiet():
            installer.install_detector(wheels)
    proc = video_mod.start_detection(video, out, people=people)
    for _ in proc.stdout:  # progress lines
        pass
    if proc.wait() != 0:
        raise RuntimeError(video_mod.detection_error(proc, video))


def _status(row: dict) -> str:
    if row["error"]:
        return f"error: {row['error']}"
    if row["skipped"]:
        return "skipped: outputs exist (--overwrite replaces them)"
    return f"{row['keyed']} frames keyed; {row['gaps']}" + "".join(f"; {n}" for n in row.get("notes") or [])


def summary(rows: list[dict]) -> str:
    width = max([len(Path(r["clip"]).name) for r in rows] + [4])
    lines = [f"{'clip':<{width}}  frames  seconds  result", "-" * (width + 40)]
    for r in rows:
        if r["error"]:
            result = r["error"]
        elif r["skipped"]:
            result = "skipped (outputs exist)"
        else:
            result = ", ".join(Path(o).name for o in r["outputs"]) + f"; {r['gaps']}"
        lines.append(f"{Path(r['clip']).name:<{width}}  {r['keyed']:>6}  {r['seconds']:>7.1f}  {result}")
    failed = sum(1 for r in rows if r["error"])
    skipped = sum(1 for r in rows if r["skipped"])
    done = len(rows) - failed - skipped
    lines.append(
        f"{done} of {len(rows)} clips done"
        + (f", {skipped} skipped" if skipped else "")
        + (f", {failed} failed" if failed else "")
    )
    return "\n".join(lines)


def _blender_prefix() -> list[str]:
    """How to start another process like this one: Blender in background mode, or Python with the bpy module."""
    import bpy

    binary = Path(bpy.app.binary_path or "")
    if binary.name.startswith("blender") and binary.is_file():
        return [str(binary), "-b", "--factory-startup", "--python-exit-code", "1", "-P", __file__, "--"]
    return [sys.executable, __file__]


def run_workers(
    clips: list[Path], stems: dict[Path, str], args: argparse.Namespace, zip_path: Path, scratch: Path
) -> list[dict]:
    """``--jobs`` worker processes, each installing the extension once and taking every jobs-th clip; one line
    per clip as results come in (workers append JSON lines to their result files)."""
    prefix = _blender_prefix()
    procs = []
    for w in range(min(args.jobs, len(clips))):
        share = clips[w :: args.jobs]
        job = scratch / f"job{w}.json"
        result = scratch / f"result{w}.jsonl"
        job.write_text(
            json.dumps(
                {
                    "clips": [str(c) for c in share],
                    "stems": [stems[c] for c in share],
                    "zip": str(zip_path),
                    "result": str(result),
                }
            )
        )
        rest = [a for a in sys.argv[sys.argv.index("--") + 1 if "--" in sys.argv else 1 :] if a != "--"]
        cmd = [*prefix, *rest, "--jobs", "1", "--worker", str(job)]
        log = open(scratch / f"worker{w}.log", "w")
        procs.append((subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log, result, share))
    rows: list[dict] = []
    reported: dict[Path, int] = {}
    while procs:
        for entry in list(procs):
            proc, log, result, share = entry
            lines = result.read_text().splitlines() if result.exists() else []
            for line in lines[reported.get(result, 0) :]:
                row = json.loads(line)
                rows.append(row)
                print(f"[{len(rows)}/{len(clips)}] {Path(row['clip']).name}: {_status(row)}", flush=True)
            reported[result] = len(lines)
            if proc.poll() is not None:
                log.close()
                done = {r["clip"] for r in rows}
                last = (Path(log.name).read_text().strip().splitlines() or ["the worker stopped"])[-1]
                for clip in share:
                    if str(clip) not in done:
                        row = _row(clip, error=f"{clip}: worker failed ({last})")
                        rows.append(row)
                        print(f"[{len(rows)}/{len(clips)}] {clip.name}: {_status(row)}", flush=True)
                procs.remove(entry)
        time.sleep(0.2)
    order = {str(c): k for k, c in enumerate(clips)}
    return sorted(rows, key=lambda r: order.get(r["clip"], 0))


def worker(args: argparse.Namespace, module: str) -> int:
    """A ``--jobs`` worker: its share of the clips, with the extension its parent installed for it."""
    job = json.loads(Path(args.worker).read_text())
    for clip, stem in zip(job["clips"], job["stems"], strict=True):
        row = run_clip(module, Path(clip), stem, args)
        with open(job["result"], "a") as fh:
            fh.write(json.dumps(row) + "\n")
    return 0


def main(argv: list[str]) -> int:
    raw = script_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="pose_uplift_batch_"))
    try:
        # one copy of the code in this process: the installed extension's (a worker installs its parent's zip)
        job_zip = json.loads(Path(raw[raw.index("--worker") + 1]).read_text())["zip"] if "--worker" in raw else None
        module, repo = extension_module(Path(job_zip) if job_zip else None, scratch)
        try:
            return run(parse_args(raw, module), module, repo, scratch)
        finally:
            remove_temp_repo(repo)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(args: argparse.Namespace, module: str, repo: Path | None, scratch: Path) -> int:
    if args.worker:
        return worker(args, module)
    first_line = importlib.import_module(module + ".model.pipeline").first_line
    clips, missing = expand_inputs(args.inputs, module)
    rows = [_row(Path(item), error=f"{item}: {why}") for item, why in missing]
    for r in rows:
        print(f"error: {r['error']}", flush=True)
    stems = output_stems(clips, module)
    try:
        if clips:
            check_rig(module, args)
        if args.jobs > 1 and len(clips) > 1:
            zip_path = build_zip(scratch / "zip") if repo is None else next((scratch / "zip").glob("*.zip"))
            rows += run_workers(clips, stems, args, zip_path, scratch)
        else:
            for k, clip in enumerate(clips):
                row = run_clip(module, clip, stems[clip], args)
                rows.append(row)
                print(f"[{k + 1}/{len(clips)}] {clip.name}: {_status(row)}", flush=True)
    except Exception as exc:  # a rig or preset that cannot be used: before any clip ran
        print(f"error: {first_line(exc, Path(args.rig or args.preset))}", flush=True)
        return 1
    print(summary(rows), flush=True)
    return 1 if any(r["error"] for r in rows) or not rows else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
