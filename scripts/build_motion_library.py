"""Build the motion library: every motion file under the given folders (or .tar.xz archives) retargeted onto the
canonical skeleton at 30 fps, duplicates dropped, split by CMU subject, in one compact file (never committed).

    python scripts/build_motion_library.py ../shared/data/mocap --out runs/motion_library.npz [--jobs 2]

Writes ``--out`` (float16 rotations, float32 roots and bone offsets, a JSON index of clips: source archive, file,
CMU subject and trial, kind of motion, split, frames, retarget error in cm) and prints a table per source plus the
files skipped (unreadable or unmappable, one line each). Archives are unpacked under ``runs/mocap_unpacked/``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.mocap import MotionFileError, load_motion  # noqa: E402
from model.motion import Motion  # noqa: E402

FPS = 30.0
LICENCE = ("CMU Graphics Lab Motion Capture Database (mocap.cs.cmu.edu): free to use in products, not to resell; "
           "created with funding from NSF EIA-0196217")  # fmt: skip

#: Subjects (or groups of unknown subject) held out for validation: ballet (CMU 05), Indian dance, martial arts,
#: karate kata (CMU 135), stylised walks and hops (CMU 131).
VALIDATION = frozenset({"05", "131", "135", "acrnn-indian", "acrnn-martial"})

#: When one CMU trial comes from several archives, the most faithful copy is kept (lower is better).
_PRIORITY = {"asf/amc": 0, "bvh": 1, "fbx": 2, "expmap": 3, "deepmimic": 4}
_SOURCE_RANK = {"cmu_asfamc_cyun9601": 0, "cmu_misc": 1, "cmu_iclone_bvh": 2, "cmu_acrnn_dance_bvh": 3,
                "cmu_motionpred_expmap": 4, "cmu_jump_deepmimic": 5}  # fmt: skip
_SKIP_NAMES = {"standard.bvh", "humanoid3d.txt", "base.fbx", "cmu_data.csv"}


def unpack(inputs: list[Path]) -> list[Path]:
    roots = []
    for item in inputs:
        if item.is_dir() and any(item.glob("*.tar.xz")):
            roots.extend(unpack(sorted(item.glob("*.tar.xz"))))
        elif item.suffix == ".xz":
            dest = ROOT / "runs" / "mocap_unpacked" / item.name.removesuffix(".tar.xz")
            if not dest.exists():
                dest.mkdir(parents=True)
                subprocess.run(["tar", "xJf", str(item), "-C", str(dest)], check=True)
            roots.append(dest)
        else:
            roots.append(item)
    return roots


def describe(path: Path, root: Path) -> dict:
    """Source archive, CMU subject/trial and motion kind of one file, from its place in the archive."""
    rel = path.relative_to(root)
    source = root.name if root.name.startswith("cmu_") else rel.parts[0]
    stem = path.stem
    info = {"source": source, "file": str(rel), "subject": None, "trial": None, "motion": ""}
    m = re.fullmatch(r"0*(\d+)_0*(\d+)", stem)
    if m:
        info["subject"], info["trial"] = f"{int(m.group(1)):02d}", int(m.group(2))
    if "acrnn" in source:
        info["subject"] = f"acrnn-{path.parent.name}"
        info["motion"] = path.parent.name
    elif "expmap" in source:
        info["subject"] = f"expmap-{path.parent.name}"
        info["motion"] = path.parent.name
    return info


def find_files(roots: list[Path]) -> list[tuple[Path, Path]]:
    out = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() not in (".bvh", ".amc", ".txt", ".csv", ".fbx") or path.name.lower() in _SKIP_NAMES:
                continue
            if path.suffix.lower() == ".txt" and not ("cmu_mocap" in str(path) or "/vae/" in str(path)):
                continue  # READMEs, source notes
            out.append((path, root))
    return out


def load_one(item: tuple[Path, Path]) -> dict:
    path, root = item
    info = describe(path, root)
    try:
        src = load_motion(path)
    except MotionFileError as exc:
        return info | {"error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the build; it is listed
        return info | {"error": f"{path}: {type(exc).__name__}: {exc}"}
    motion = src.motion
    if info["source"] == "cmu_iclone_bvh":  # its converter put a T-pose in front of every clip: not motion
        motion = Motion(motion.rotations[1:], motion.root_translation[1:], motion.skeleton, motion.fps)
    motion = motion.resampled(FPS).grounded()
    err = src.retarget_error_cm()
    return info | {"kind": src.kind, "mapping": src.mapping.method if src.mapping else "", "motion_data": motion,
                   "retarget_cm": None if err is None else round(err, 2), "source_fps": round(src.motion.fps, 3)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("inputs", nargs="+", type=Path, help="folders of motion files, .tar.xz archives, or folders of them")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "motion_library.npz")
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args(argv)
    t0 = time.time()
    files = find_files(unpack(args.inputs))
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(load_one, files, chunksize=2))
    skipped = [r for r in results if "error" in r]
    clips = [r for r in results if "error" not in r]
    # duplicates: one CMU trial from several archives -> keep the most faithful copy
    best: dict[tuple[str, int], dict] = {}
    for r in clips:
        if r["trial"] is None:
            continue
        key = (r["subject"], r["trial"])
        rank = (_PRIORITY.get(r["kind"], 9), _SOURCE_RANK.get(r["source"], 9))
        if key not in best or rank < best[key]["_rank"]:
            best[key] = r | {"_rank": rank}
    kept, dropped = [], []
    for r in clips:
        if r["trial"] is None or best[(r["subject"], r["trial"])]["file"] == r["file"]:
            kept.append(r)
        else:
            dropped.append(r)
    rotations, roots, offsets, index = [], [], [], []
    start = 0
    for r in kept:
        m = r.pop("motion_data")
        r.pop("_rank", None)
        split = "validation" if r["subject"] in VALIDATION else "train"
        rotations.append(m.rotations.astype(np.float16))
        roots.append(m.root_translation.astype(np.float32))
        offsets.append(m.skeleton.offsets.astype(np.float32))
        index.append(r | {"split": split, "start": start, "frames": m.num_frames})
        start += m.num_frames
    meta = {"format": "pose_uplift.motion_library/1", "fps": FPS, "licence": LICENCE, "clips": index,
            "dropped_duplicates": [d["file"] for d in dropped], "skipped": [s["error"] for s in skipped]}  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, rotations=np.concatenate(rotations), roots=np.concatenate(roots),
                        offsets=np.stack(offsets), meta=np.array(json.dumps(meta)))  # fmt: skip
    tmp.replace(args.out)
    # report
    print(f"{'source':26s} {'kind':10s} {'clips':>5s} {'minutes':>8s} {'retarget cm':>11s}")
    for source in sorted({c["source"] for c in index}):
        rows = [c for c in index if c["source"] == source]
        errs = [c["retarget_cm"] for c in rows if c["retarget_cm"] is not None]
        minutes = sum(c["frames"] for c in rows) / FPS / 60
        kinds = ",".join(sorted({c["kind"] for c in rows}))
        err = f"{np.mean(errs):.2f}" if errs else "-"
        print(f"{source:26s} {kinds:10s} {len(rows):5d} {minutes:8.2f} {err:>11s}")
    for split in ("train", "validation"):
        rows = [c for c in index if c["split"] == split]
        subjects = sorted({c["subject"] for c in rows})
        print(f"{split}: {len(rows)} clips, {sum(c['frames'] for c in rows) / FPS / 60:.1f} min, subjects "
              f"{', '.join(subjects)}")  # fmt: skip
    print(f"dropped {len(dropped)} duplicate trials; wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) "
          f"in {time.time() - t0:.0f} s")  # fmt: skip
    if skipped:
        print(f"skipped {len(skipped)} files:")
        for s in skipped:
            print(f"  {s['error']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
