"""Learning curves of a training run: the numbers ``train.py`` logs every ``--curve-every`` steps, the real-video
development set scored for each weights snapshot, and (when present) the rendered real-detector set, drawn as one PNG.

    python scripts/training/learning_curves.py runs/NAME [--realvideo ../shared/data/realvideo/pose2sim_trial1]
                                      [--renders runs/detector] [--png FILE.png] [--against CARD.json]

    python scripts/training/learning_curves.py --card model/weights/pose_uplift.json --png docs/learning_curves.png

The second form draws the bundled weights' whole record from their card: the first stretch of steps, then each
continuation the bundle grew from, one after the other on one step axis, with a line where each began (the label
and camera changes each one trained on are named there).

Reads ``runs/NAME/curves.jsonl`` (train.py: the training split at exact 2D, the validation subjects at exact 2D and
at MediaPipe's measured profile: the model, its rotations on the true skeleton, the true rotations on its skeleton,
MPJAE), scores every ``weights_step*.npz`` not yet scored on the real-video set (MediaPipe 2D of cam01, cam02, cam04
against the reference triangulated without that camera, PA-MPJPE mm; appended to ``realvideo.jsonl``), reads
``results_weights_step*.json`` from ``--renders`` (scripts/training/detector_renders.py --weights ...), and draws
``runs/NAME/curves.png``. Prints one line per curve point. A run trained with ``--average`` also has the averaged
weights' curves (``averaged`` in each point, drawn dash-dotted) and their snapshots ``averaged_step*.npz`` scored on
the real video (``realvideo_averaged.jsonl``, drawn with open circles). ``--against`` a weights card draws the run
those weights came from (the card's first stretch of curves and its real-video points) in grey beside it, up to twice
the run's last step (equal steps and, for a layout that costs twice as much a step, equal time), and prints its numbers
at the same steps.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

REAL_CAMERAS = ("cam01", "cam02", "cam04")


def score_realvideo(run: Path, realvideo: Path, prefix: str = "weights") -> list[dict]:
    """Every snapshot of the run (``PREFIX_step*.npz``) on the real-video set (cached in ``realvideo.jsonl``, or
    ``realvideo_PREFIX.jsonl`` for another prefix)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from evaluate import evaluate_keypoints

    cache = run / ("realvideo.jsonl" if prefix == "weights" else f"realvideo_{prefix}.jsonl")
    done = (
        {json.loads(line)["step"]: json.loads(line) for line in cache.read_text().splitlines()}
        if cache.exists()
        else {}
    )
    for weights in sorted(run.glob(f"{prefix}_step*.npz"), key=_step):
        step = _step(weights)
        if step in done:
            continue
        per = {}
        for cam in REAL_CAMERAS:
            res = evaluate_keypoints(
                str(realvideo / f"{cam}_json"),
                str(realvideo / f"reference_3d_without_{cam}.trc"),
                str(weights),
                fps=60.0,
            )
            per[cam] = round(res["pa_mpjpe_mm"], 1)
        point = {
            "step": step,
            "per_camera_pa_mpjpe_mm": per,
            "mean_pa_mpjpe_mm": round(float(np.mean(list(per.values()))), 1),
        }
        done[step] = point
        with cache.open("a") as fh:
            fh.write(json.dumps(point) + "\n")
    return [done[k] for k in sorted(done)]


def read_renders(renders: Path | None) -> list[dict]:
    if renders is None or not renders.is_dir():
        return []
    out = []
    for path in renders.glob("results_weights_step*.json"):
        res = json.loads(path.read_text())
        out.append(
            {
                "step": _step(path),
                "pa_mpjpe_mm": res["model_pa_mpjpe_mm"],
                "mediapipe_world_mm": res.get("mediapipe_world_landmarks_pa_mpjpe_mm"),
            }
        )
    return sorted(out, key=lambda r: r["step"])


def _step(path: Path) -> int:
    m = re.search(r"step(\d+)", path.name)
    return int(m.group(1)) if m else -1


def draw(
    run: Path,
    curves: list[dict],
    real: list[dict],
    renders: list[dict],
    png: Path,
    marks: Sequence[tuple[int, str]] = (),
    real_averaged: Sequence[dict] = (),
    against: Sequence[dict] = (),
    against_real: Sequence[dict] = (),
    against_name: str = "",
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 5.6))
    steps = [c["step"] for c in curves]
    styles = {
        "train_exact": "tab:green",
        "validation_exact": "tab:blue",
        "validation_mediapipe": "tab:purple",
        "train_assembled_exact": "tab:olive",
    }
    for name, colour in styles.items():
        if curves and name in curves[0]:
            ax.plot(steps, [c[name]["model_mm"] for c in curves], color=colour, label=f"{name}: model")
            ax.plot(
                steps,
                [c[name]["rotations_on_true_skeleton_mm"] for c in curves],
                color=colour,
                ls="--",
                label=f"{name}: its rotations, true skeleton",
            )
            ax2.plot(steps, [c[name]["mpjae_deg"] for c in curves], color=colour, label=f"{name}: MPJAE")
        averaged = [c for c in curves if name in c.get("averaged", {})]
        if averaged and name not in ("train_exact", "train_assembled_exact"):
            at = [c["step"] for c in averaged]
            ax.plot(
                at,
                [c["averaged"][name]["model_mm"] for c in averaged],
                color=colour,
                ls="-.",
                label=f"{name}: averaged",
            )
            ax2.plot(at, [c["averaged"][name]["mpjae_deg"] for c in averaged], color=colour, ls="-.")
    if against:
        at = [c["step"] for c in against]
        for name, style in (("train_exact", ":"), ("validation_exact", "-"), ("validation_mediapipe", "--")):
            if name in against[0]:
                for axis, key, what in ((ax, "model_mm", "model"), (ax2, "mpjae_deg", "MPJAE")):
                    values = [c[name][key] for c in against]
                    axis.plot(at, values, color="grey", ls=style, lw=1.2, label=f"{against_name} {name}: {what}")
        if against_real:
            at_real = [r["step"] for r in against_real]
            ax.plot(
                at_real,
                [r["mean_pa_mpjpe_mm"] for r in against_real],
                "o-",
                color="grey",
                ms=4,
                lw=1.2,
                label=f"{against_name} real video",
            )
    if real:
        for points, style, face, label in (
            (real, "o-", "tab:red", "real video (pose2sim cam01/02/04)"),
            (real_averaged, "o-.", "white", "real video: averaged weights"),
        ):
            if points:
                steps_at = [r["step"] for r in points]
                mm = [r["mean_pa_mpjpe_mm"] for r in points]
                ax.plot(steps_at, mm, style, color="tab:red", mfc=face, label=label)
        ax.axhline(98.1, color="tab:red", ls=":", lw=1, label="real video: MediaPipe's own 3D (98.1)")
        ax.axhline(114.5, color="grey", ls=":", lw=1, label="real video: oracle constant pose (114.5)")
    if renders:
        ax.plot(
            [r["step"] for r in renders],
            [r["pa_mpjpe_mm"] for r in renders],
            "s-",
            color="tab:orange",
            label="rendered bodies, MediaPipe 2D",
        )
    for axis in (ax, ax2):
        for step, label in marks:
            axis.axvline(step, color="black", ls=":", lw=0.8)
            if axis is ax2:
                axis.text(
                    step,
                    0.02,
                    f" {label}",
                    transform=axis.get_xaxis_transform(),
                    fontsize=6.5,
                    rotation=90,
                    va="bottom",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
                )
    ax.set_xlabel("step")
    ax.set_ylabel("PA-MPJPE (mm)")
    ax.set_title(f"{run.name}: joint position error")
    ax.grid(alpha=0.3)
    # below the plots, where no curve runs
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    ax2.set_xlabel("step")
    ax2.set_ylabel("MPJAE (degrees)")
    ax2.set_title("joint angle error")
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1, frameon=False)
    # room below the plots for the longer legend (two columns, about 0.17 inch a row)
    rows = -(-len(ax.get_legend_handles_labels()[0]) // 2)
    below = 0.75 + 0.17 * rows
    fig.set_size_inches(13, 3.8 + below)
    fig.subplots_adjust(left=0.06, right=0.98, top=1 - 0.3 / (3.8 + below), bottom=below / (3.8 + below), wspace=0.18)
    fig.savefig(png, dpi=90)
    plt.close(fig)


#: The continuations the bundle grew from, in order: (key in the card's ``learning_curves``, label where it begins).
LINEAGE = (
    ("tilted_continuation", "tilted cameras (bundled: the mean with step 27,000)"),
    ("leaf_continuation", "leaf labels of one meaning (library rebuilt)"),
    ("hinge_continuation", "hinge labels of one meaning (library rebuilt)"),
    ("pelvis_continuation", "ankle and pelvis labels of one meaning (library rebuilt)"),
    ("neck_continuation", "neck and hip points at the midpoints (bundled: the mean with the stretch before)"),
    ("pairs_continuation", "MediaPipe on 24 rendered clips, 8 builds"),
    ("pairs_72_clips_continuation", "72 rendered clips, 24 builds (the previous bundle)"),
    ("pairs_72_clips_second_continuation", "the same, another seed (the previous bundle)"),
    ("clean_2d_continuation", "a fifth of the 2D cleaner (bundled: its average at the end)"),
)


def card_lineage(card: dict) -> tuple[list[dict], list[dict], list[tuple[int, str]]]:
    """The card's curves on one step axis: (curve points, real-video points, [(step where a stretch begins, label)]).
    Each continuation's steps are counted from its start, so they are shifted to follow the stretch before."""
    lc = card["learning_curves"]
    curves = [dict(c) for c in lc["curves"]]
    real = [dict(r) for r in lc.get("real_video", [])]
    marks = []
    end = curves[-1]["step"] if curves else 0
    for key, label in LINEAGE:
        entry = lc.get(key)
        if not entry:
            continue
        points = entry["curves"] if isinstance(entry, dict) else entry
        marks.append((end, label))
        for c in points:
            shifted = dict(c, step=end + c["step"])
            curves.append(shifted)
            if "real_video_mean_pa_mpjpe_mm" in c:
                real.append({"step": shifted["step"], "mean_pa_mpjpe_mm": c["real_video_mean_pa_mpjpe_mm"]})
        end = curves[-1]["step"]
    return curves, real, marks


def _model_mm(point: dict) -> str:
    """'train / validation exact / validation at the profile' of one curve point (those it has)."""
    names = ("train_exact", "validation_exact", "validation_mediapipe")
    return " / ".join(f"{point[n]['model_mm']:.1f}" for n in names if n in point)


def against_curves(card_path: Path | None, curves: Sequence[dict]) -> tuple[list[dict], list[dict]]:
    """The first stretch of a card's curves and its real-video points, up to twice the run's last step."""
    if card_path is None or not curves:
        return [], []
    lc = json.loads(card_path.read_text())["learning_curves"]
    until = 2 * max(c["step"] for c in curves)
    return (
        [c for c in lc["curves"] if c["step"] <= until],
        [r for r in lc.get("real_video", []) if r["step"] <= until],
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", type=Path, nargs="?")
    p.add_argument("--card", type=Path, help="draw this weights card's whole record instead of one run")
    p.add_argument("--realvideo", type=Path, default=ROOT.parent / "shared" / "data" / "realvideo" / "pose2sim_trial1")
    p.add_argument("--renders", type=Path, default=None)
    p.add_argument("--png", type=Path, default=None)
    p.add_argument("--against", type=Path, default=None, help="a weights card: its run drawn beside this one")
    args = p.parse_args(argv)
    if args.card is not None:
        card = json.loads(args.card.read_text())
        curves, real, marks = card_lineage(card)
        averaged = card["learning_curves"].get("real_video_averaged", [])
        png = args.png or args.card.with_suffix(".png")
        draw(Path(args.card.stem), curves, real, [], png, marks, real_averaged=averaged)
        print(f"{len(curves)} curve points, {len(real)} real-video points, {len(marks)} continuations")
        return 0
    if args.run is None:
        p.error("a run folder or --card is needed")
    path = args.run / "curves.jsonl"
    curves = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    real = score_realvideo(args.run, args.realvideo) if args.realvideo.is_dir() else []
    real_averaged = score_realvideo(args.run, args.realvideo, "averaged") if args.realvideo.is_dir() else []
    renders = read_renders(args.renders)
    against, against_real = against_curves(args.against, curves)
    against_by_step = {c["step"]: c for c in against}
    real_by_step = {r["step"]: r for r in real}
    averaged_by_step = {r["step"]: r for r in real_averaged}
    for c in curves:
        line = [f"step {c['step']:6d}"]
        for name in ("train_exact", "train_assembled_exact", "validation_exact", "validation_mediapipe"):
            if name in c:
                m = c[name]
                line.append(
                    f"{name} {m['model_mm']:.1f} mm (rot/true {m['rotations_on_true_skeleton_mm']:.1f}, "
                    f"true/its {m['true_rotations_on_its_skeleton_mm']:.1f}) {m['mpjae_deg']:.1f} deg"
                )
        if c["step"] in real_by_step:
            line.append(f"real video {real_by_step[c['step']]['mean_pa_mpjpe_mm']:.1f} mm")
        if "averaged" in c:
            av = c["averaged"]
            mpjae = av.get("validation_mediapipe", {}).get("mpjae_deg")
            line.append("averaged " + _model_mm(av) + (f" mm, {mpjae:.1f} deg" if mpjae is not None else " mm"))
            if c["step"] in averaged_by_step:
                line.append(f"real video {averaged_by_step[c['step']]['mean_pa_mpjpe_mm']:.1f} mm")
        if c["step"] in against_by_step:
            other = against_by_step[c["step"]]
            at_real = [r for r in against_real if r["step"] == c["step"]]
            line.append(
                f"{args.against.stem} same step "
                + _model_mm(other)
                + " mm"
                + (f", real video {at_real[0]['mean_pa_mpjpe_mm']:.1f} mm" if at_real else "")
            )
        print(" | ".join(line))
    draw(
        args.run,
        curves,
        real,
        renders,
        args.png or args.run / "curves.png",
        real_averaged=real_averaged,
        against=against,
        against_real=against_real,
        against_name=args.against.stem if args.against else "",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
