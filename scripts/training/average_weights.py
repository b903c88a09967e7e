"""Average two weight sets of one network shape (a weight-space ensemble): typically a model and a continuation of
it trained on wider data (cameras rolled further, say), which together keep the first one's accuracy and gain the
second one's robustness where neither alone has both.

    python scripts/training/average_weights.py A.npz B.npz --out C.npz [--share 0.5]

``--share`` is B's weight (0: A unchanged, 1: B). Both must have the same configuration (layers, widths, window,
rotation representation); every weight is ``(1 - share) * A + share * B``. Writes ``C.npz`` and its card ``C.json``
(the two sources and the share). Exit code 1 with a one-line error for an unreadable file or differing shapes.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from model.network import WeightsError, load_weights, save_weights  # noqa: E402


def average_weights(first: Path, second: Path, out: Path, share: float = 0.5) -> dict:
    """Write ``(1 - share) * first + share * second`` to ``out``; returns the card."""
    if not 0.0 <= share <= 1.0:
        raise WeightsError(f"--share must be between 0 and 1, got {share}")
    a, config_a = load_weights(first)
    b, config_b = load_weights(second)
    differ = [k for k, v in asdict(config_a).items() if asdict(config_b)[k] != v]
    if differ:
        raise WeightsError(f"{second}: a different network from {first.name} ({', '.join(differ)}): cannot be averaged")
    arrays = {
        k: ((1.0 - share) * a[k].astype(np.float64) + share * b[k].astype(np.float64)).astype(np.float32) for k in a
    }
    card = {
        "name": out.stem,
        "averaged_from": [str(first), str(second)],
        "share_of_second": share,
    }
    save_weights(out, arrays, config_a, card)
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--share", type=float, default=0.5, help="the second set's weight (default 0.5)")
    args = parser.parse_args(argv)
    try:
        card = average_weights(args.first, args.second, args.out, args.share)
    except WeightsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{args.out}: {1 - card['share_of_second']:g} x {args.first.name} + {card['share_of_second']:g} x {args.second.name}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
