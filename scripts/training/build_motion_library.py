"""Build the motion library: every motion file under the given folders (or .tar.xz archives) retargeted onto the
canonical skeleton at 30 fps, duplicates dropped, split by CMU subject, in one compact file (never committed).

    python scripts/training/build_motion_library.py ../shared/data/mocap --out runs/motion_library.npz [--jobs 2]

Writes ``--out`` (float16 rotations, float32 roots and bone offsets, a JSON index of clips: source archive, file,
CMU subject and trial, kind of motion, split, frames, retarget fidelity and label consistency in mm, label
disagreement in degrees with the ASF/AMC copy of the same trial) and prints a table per source, the sources left out
(fidelity worse than 40 mm, or labels more than 20 degrees from the ASF/AMC copies) and the files skipped
(unreadable or unmappable, one line each); draws each source's worst clip (``*_worst_clips.png`` beside ``--out``). Archives are unpacked under ``runs/mocap_unpacked/``.
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

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from model.mocap import MotionFileError, load_motion  # noqa: E402
from model.motion import Motion  # noqa: E402
from model.rotations import geodesic_angle, quat_to_matrix  # noqa: E402

FPS = 30.0
LICENCE = (
    "CMU Graphics Lab Motion Capture Database (mocap.cs.cmu.edu): free to use in products, not to resell; "
    "created with funding from NSF EIA-0196217"
)

#: Subjects (or groups of unknown subject) held out for validation: ballet (CMU 05), Indian dance, martial arts,
#: karate kata (CMU 135), stylised walks and hops (CMU 131).
VALIDATION = frozenset({"05", "131", "135", "acrnn-indian", "acrnn-martial"})

#: When one CMU trial comes from several archives, the most faithful copy is kept (lower is better).
_PRIORITY = {"asf/amc": 0, "bvh": 1, "fbx": 2, "expmap": 3, "deepmimic": 4}
_SOURCE_RANK = {
    "cmu_asfamc_cyun9601": 0,
    "cmu_misc": 1,
    "cmu_iclone_bvh": 2,
    "cmu_acrnn_dance_bvh": 3,
    "cmu_motionpred_expmap": 4,
    "cmu_jump_deepmimic": 5,
    "cmu_more": 6,
}
_SKIP_NAMES = {"standard.bvh", "humanoid3d.txt", "base.fbx", "cmu_data.csv"}

#: A source is left out when its clips replay their files worse than this (mean, mm) ...
MAX_FIDELITY_MM = 40.0
#: ... or when its labels disagree with the ASF/AMC copy of the same CMU trial by more than this (mean, degrees).
MAX_DISAGREEMENT_DEG = 20.0


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
    except Exception as exc:
        return info | {"error": f"{path}: {type(exc).__name__}: {exc}"}
    motion = src.motion
    if info["source"] == "cmu_iclone_bvh":  # its converter put a T-pose in front of every clip: not motion
        motion = Motion(motion.rotations[1:], motion.root_translation[1:], motion.skeleton, motion.fps)
    motion = motion.resampled(FPS).grounded()
    err = src.retarget_fidelity_mm()
    return info | {
        "kind": src.kind,
        "mapping": src.mapping.method if src.mapping else "",
        "motion_data": motion,
        "fidelity_mm": None if err is None else round(err, 2),
        "consistency_mm": round(src.label_consistency_mm(), 4),
        "source_fps": round(src.motion.fps, 3),
    }


def label_agreement_deg(a: Motion, b: Motion, max_shift: int = 40) -> float:
    """Mean angle (degrees, all joints but the root) between the labels of two copies of one trial at the library's
    frame rate, matched in time by the shift (up to ``max_shift`` frames) that best matches their joints."""
    best = (np.inf, 0)
    assert a.joint_positions is not None and b.joint_positions is not None
    for shift in range(-max_shift, max_shift + 1):
        ia = np.arange(max(0, shift), min(a.num_frames, b.num_frames + shift))
        if len(ia) < 30:
            continue
        err = float(np.linalg.norm(a.joint_positions[ia] - b.joint_positions[ia - shift], axis=-1).mean())
        best = min(best, (err, shift))
    if not np.isfinite(best[0]):
        return float("nan")
    ia = np.arange(max(0, best[1]), min(a.num_frames, b.num_frames + best[1]))
    ang = geodesic_angle(quat_to_matrix(a.rotations[ia, 1:]), quat_to_matrix(b.rotations[ia - best[1], 1:]))
    return float(np.degrees(ang).mean())


def contact_sheet(rows: list[tuple[str, Motion]], out: Path) -> None:
    """One row per clip: six frames spread over it, the retargeted body from the front and from the side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from model.skeleton import PARENTS

    fig, axes = plt.subplots(len(rows), 12, figsize=(18, 1.9 * len(rows)), squeeze=False)
    for r, (title, m) in enumerate(rows):
        world = m.world_positions()
        for k, f in enumerate(np.linspace(0, m.num_frames - 1, 6).astype(int)):
            for v, (ax_i, label) in enumerate(((0, "front"), (2, "side"))):
                ax = axes[r, 2 * k + v]
                p = world[f] - world[f, 0] * [1, 0, 1]
                for j, par in enumerate(PARENTS):
                    if par >= 0:
                        colour = "tab:red" if "left" in str(j) else "k"
                        ax.plot([p[j, ax_i], p[par, ax_i]], [p[j, 1], p[par, 1]], color=colour, lw=1.2)
                ax.plot(
                    p[[1, 4, 7, 10, 16, 18, 20], ax_i], p[[1, 4, 7, 10, 16, 18, 20], 1], "o", ms=1.5, color="tab:blue"
                )
                ax.set_xlim(-1, 1)
                ax.set_ylim(-0.05, 2.0)
                ax.set_aspect("equal")
                ax.axis("off")
                ax.set_title(f"{label} {f}", fontsize=6)
        axes[r, 0].text(-1, 2.05, title, fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)


def source_table(clips: list[dict]) -> dict[str, dict]:
    """Per source: clips, minutes, mean and worst retarget fidelity, largest label inconsistency, mean label
    disagreement with the ASF/AMC copies of the same trials, and why it is left out (empty when kept)."""
    out = {}
    for source in sorted({c["source"] for c in clips}):
        rows = [c for c in clips if c["source"] == source]
        fid = [c for c in rows if c["fidelity_mm"] is not None]
        agree = [c["agreement_deg"] for c in rows if "agreement_deg" in c and np.isfinite(c["agreement_deg"])]
        worst = max(fid, key=lambda c: c["fidelity_mm"]) if fid else None
        mean_fid = float(np.mean([c["fidelity_mm"] for c in fid])) if fid else None
        mean_agree = float(np.mean(agree)) if agree else None
        why = []
        if mean_fid is not None and mean_fid > MAX_FIDELITY_MM:
            why.append(f"fidelity {mean_fid:.1f} mm > {MAX_FIDELITY_MM:.0f}")
        if mean_agree is not None and mean_agree > MAX_DISAGREEMENT_DEG:
            why.append(
                f"labels {mean_agree:.1f} deg from the ASF/AMC copies of {len(agree)} trials "
                f"> {MAX_DISAGREEMENT_DEG:.0f}"
            )
        out[source] = {
            "kinds": ",".join(sorted({c["kind"] for c in rows})),
            "clips": len(rows),
            "minutes": sum(c["motion_data"].num_frames for c in rows) / FPS / 60,
            "fidelity": f"{mean_fid:.1f}" if mean_fid is not None else "-",
            "worst_mm": f"{worst['fidelity_mm']:.0f}" if worst else "-",
            "consistency": f"{max(c['consistency_mm'] for c in rows):.4f}",
            "agreement": f"{mean_agree:.1f} ({len(agree)})" if agree else "-",
            "left_out": "; ".join(why),
            "worst": worst,
        }
    return out


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
    # label agreement: every copy of a CMU trial against its original ASF/AMC copy
    originals = {(r["subject"], r["trial"]): r for r in clips if r["kind"] == "asf/amc" and r["trial"] is not None}
    for r in clips:
        ref = originals.get((r["subject"], r["trial"]))
        if ref is not None and ref is not r:
            r["agreement_deg"] = round(label_agreement_deg(ref["motion_data"], r["motion_data"]), 2)
    stats = source_table(clips)
    left_out = {src: why for src, row in stats.items() if (why := row["left_out"])}
    contact_sheet(
        [
            (
                f"{src}: worst clip {row['worst']['file']} ({row['worst']['fidelity_mm']} mm)",
                row["worst"]["motion_data"],
            )
            for src, row in stats.items()
            if row["worst"] is not None
        ],
        args.out.with_name(args.out.stem + "_worst_clips.png"),
    )
    clips = [r for r in clips if r["source"] not in left_out]
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
    sources = {k: {n: v for n, v in row.items() if n != "worst"} for k, row in stats.items()}
    meta = {
        "format": "pose_uplift.motion_library/1",
        "fps": FPS,
        "licence": LICENCE,
        "clips": index,
        "sources": sources,
        "left_out": left_out,
        "dropped_duplicates": [d["file"] for d in dropped],
        "skipped": [s["error"] for s in skipped],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        rotations=np.concatenate(rotations),
        roots=np.concatenate(roots),
        offsets=np.stack(offsets),
        meta=np.array(json.dumps(meta)),
    )
    tmp.replace(args.out)
    # report
    print(
        f"{'source':26s} {'kind':10s} {'clips':>5s} {'minutes':>8s} {'fidelity mm':>11s} {'worst':>6s} "
        f"{'consistency mm':>14s} {'vs ASF deg':>10s}"
    )
    for source, row in stats.items():
        print(
            f"{source:26s} {row['kinds']:10s} {row['clips']:5d} {row['minutes']:8.2f} {row['fidelity']:>11s} "
            f"{row['worst_mm']:>6s} {row['consistency']:>14s} {row['agreement']:>10s}"
            + (f"  LEFT OUT: {row['left_out']}" if row["left_out"] else "")
        )
    for split in ("train", "validation"):
        rows = [c for c in index if c["split"] == split]
        subjects = sorted({c["subject"] for c in rows})
        print(
            f"{split}: {len(rows)} clips, {sum(c['frames'] for c in rows) / FPS / 60:.1f} min, subjects "
            f"{', '.join(subjects)}"
        )
    print(
        f"dropped {len(dropped)} duplicate trials; wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) "
        f"in {time.time() - t0:.0f} s"
    )
    for source, why in left_out.items():
        print(f"left out {source}: {why}")
    print(f"contact sheet of each source's worst clip: {args.out.with_name(args.out.stem + '_worst_clips.png')}")
    if skipped:
        print(f"skipped {len(skipped)} files:")
        for s in skipped:
            print(f"  {s['error']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
