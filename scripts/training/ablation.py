"""Ablation like the paper's: rotation representation x rotation loss x supervision, same budget, same validation.

    python scripts/training/ablation.py --out runs/ablation --real CMU_01_03.bvh --eval CMU_01_01.bvh [--steps 400]
                               [--batch 16] [--dim 96] [--layers 2] [--threads 1] [--only 6d-geodesic-full ...]

Each configuration is trained from scratch with ``scripts/training/train.py`` on the same seed, budget and data mix, then
evaluated with ``scripts/training/evaluate.py``'s protocol on the held-out clip (first ``--eval-frames`` frames, no
baselines). Finished configurations are skipped on a re-run, so the table can be built up over several sessions.
Writes ``OUT/ablation.json`` and ``OUT/ablation.md`` (a markdown table for the model card).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CONFIGS = [
    ("6d", "geodesic", "full"),
    ("6d", "mse", "full"),
    ("quaternion", "geodesic", "full"),
    ("quaternion", "mse", "full"),
    ("axis_angle", "geodesic", "full"),
    ("matrix", "geodesic", "full"),
    ("6d", "geodesic", "positions_only"),
    ("axis_angle", "mse", "full"),
    ("matrix", "mse", "full"),
    ("quaternion", "geodesic", "positions_only"),
]  # in order of interest: a run that is cut short still has the paper's main comparisons


def name_of(rotation: str, loss: str, supervision: str) -> str:
    return f"{rotation}-{loss}-{supervision}"


def table(rows: list[dict], budget: str) -> str:
    lines = [
        f"Budget per configuration: {budget}. Evaluation: held-out clip, 4 cameras, noise level 1.",
        "",
        "| representation | loss | supervision | MPJPE mm | PA-MPJPE mm | MPJAE deg | up error deg | train minutes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        e = r["evaluation"].get("model", r["evaluation"])
        loss = r["loss"] if r["supervision"] == "full" else "- (FK + joint-limit prior)"
        lines.append(
            f"| {r['rotation']} | {loss} | {r['supervision']} | {e['mpjpe_mm']:.1f} | {e['pa_mpjpe_mm']:.1f} | "
            f"{e['mpjae_deg']:.1f} | {e['up_error_deg']:.1f} | {r['train_minutes']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--real", nargs="*", default=[])
    p.add_argument("--eval", required=True, help="held-out BVH clip")
    p.add_argument("--eval-frames", type=int, default=1200)
    p.add_argument("--steps", type=int, default=1200)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--dim", type=int, default=96)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--only", nargs="*", help="configuration names (rotation-loss-supervision)")
    args = p.parse_args(argv)
    import torch
    from scripts.evaluate import evaluate_file

    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    results_path = args.out / "ablation.json"
    done = {r["name"]: r for r in json.loads(results_path.read_text())["rows"]} if results_path.exists() else {}
    budget = (
        f"{args.steps} steps x {args.batch} windows x 81 frames, dim {args.dim}, {args.layers} temporal layers, "
        f"lr {args.lr:g}, {args.threads} CPU thread(s)"
    )
    for rotation, loss, supervision in CONFIGS:
        name = name_of(rotation, loss, supervision)
        if name in done or (args.only and name not in args.only):
            continue
        run = args.out / name
        cmd = [
            sys.executable,
            str(ROOT / "scripts" / "training" / "train.py"),
            "--out",
            str(run),
            "--rotation",
            rotation,
            "--loss",
            loss,
            "--supervision",
            supervision,
            "--steps",
            str(args.steps),
            "--batch",
            str(args.batch),
            "--lr",
            str(args.lr),
            "--dim",
            str(args.dim),
            "--layers",
            str(args.layers),
            "--threads",
            str(args.threads),
            "--every",
            "100",
            "--resume",
            "--real",
            *args.real,
        ]
        t0 = time.time()
        with open(run.with_suffix(".log"), "a") as log:
            code = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
        if code:
            print(f"{name}: training failed (exit {code}), see {run.with_suffix('.log')}", file=sys.stderr)
            continue
        minutes = (time.time() - t0) / 60
        evaluation = evaluate_file(args.eval, str(run / "weights.npz"), 0, args.eval_frames)
        card = json.loads((run / "weights.json").read_text())
        done[name] = {
            "name": name,
            "rotation": rotation,
            "loss": loss,
            "supervision": supervision,
            "train_minutes": minutes,
            "validation_synthetic": card.get("validation_synthetic"),
            "evaluation": evaluation,
        }
        rows = [done[name_of(*c)] for c in CONFIGS if name_of(*c) in done]
        tmp = results_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"budget": budget, "eval_clip": Path(args.eval).name, "rows": rows}, indent=1))
        tmp.replace(results_path)
        (args.out / "ablation.md").write_text(table(rows, budget))
        print(
            f"{name}: PA-MPJPE {evaluation['model']['pa_mpjpe_mm']:.1f} mm, MPJAE {evaluation['model']['mpjae_deg']:.1f} deg",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
