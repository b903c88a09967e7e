"""Score weights files on the learning curves' fixed windows (``train.py``'s ``CURVE_SETS``: the training clips, the
validation subjects at exact 2D and at MediaPipe's profile, the training clips' limbs assembled), the same numbers a
run's ``curves.jsonl`` records, so that any weights (the bundle, an average, a soup) compare with a run's curve.

    python scripts/training/curve_score.py --library runs/pelvis/motion_library.npz WEIGHTS.npz [...] [--json OUT]

One line per weights file: PA-MPJPE mm per set (its rotations on the true skeleton and the true rotations on its
skeleton in brackets) and the joint angle error at MediaPipe's profile.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from train import curve_batches, curve_metrics  # noqa: E402

from model.network import load_weights  # noqa: E402


def score(weights: str, library: Path, cache: dict | None = None) -> dict[str, dict[str, float]]:
    """One weights file on every curve set; ``cache`` keeps the sets between files of the same window and rate."""
    import torch

    from model.network_torch import UpliftNet

    arrays, cfg = load_weights(weights)
    model = UpliftNet(cfg)
    model.load_state_dict({k: torch.as_tensor(v) for k, v in arrays.items()})
    model.eval()
    key = (cfg.window, cfg.fps)
    cache = {} if cache is None else cache
    if key not in cache:
        cache[key] = curve_batches(library, cfg)
    return {name: curve_metrics(model, b, cfg, "cpu", torch) for name, b in cache[key].items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("weights", nargs="+")
    p.add_argument("--library", type=Path, required=True, help="the motion library the run trained on")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    cache: dict = {}
    results = {}
    for w in args.weights:
        res = score(w, args.library, cache)
        results[w] = res
        sets = " | ".join(
            f"{name} {r['model_mm']:.1f} ({r['rotations_on_true_skeleton_mm']:.1f}, "
            f"{r['true_rotations_on_its_skeleton_mm']:.1f})"
            for name, r in res.items()
        )
        print(f"{w}: {sets} | MPJAE at the profile {res['validation_mediapipe']['mpjae_deg']:.1f} deg", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
