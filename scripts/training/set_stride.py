"""Write a copy of a weights file whose run-time windows lie a chosen number of frames apart.

    python scripts/training/set_stride.py WEIGHTS.npz --stride 22 --out OUT.npz

At run time the Uplifter slides the network's window over the clip and blends the windows' outputs; ``stride`` (the
weights' ``config.stride``) is how many frames apart the windows start: 0 means half a window (the default). Fewer
windows are faster (a 27-frame window at 22 apart runs about one and a half times as fast as at 13) and blend less, so
the motion jitters a little more at the seams. The network's weights are copied unchanged; the card ``OUT.json`` is
the source's card with the new stride and where it came from. Exit code 1 with a one-line error for an unreadable
file, a stride outside 0 .. window-1, or ``--out`` naming the source (it is never overwritten).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from model.network import WeightsError, check_stride, load_weights, save_weights  # noqa: E402


def set_stride(source: Path, stride: int, out: Path) -> dict:
    """Copy ``source`` to ``out`` with ``config.stride = stride``; returns the new card."""
    if out.resolve() == source.resolve():
        raise WeightsError(f"{out}: is the source; write the copy to another file")
    arrays, config = load_weights(source)
    check_stride(source, stride, config.window)
    card_path = source.with_suffix(".json")
    card = json.loads(card_path.read_text()) if card_path.exists() else {}
    card = {k: v for k, v in card.items() if k not in ("format", "config")}
    card.update(name=out.stem, stride_set_from=str(source))
    save_weights(out, arrays, replace(config, stride=stride), card)
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("weights", type=Path)
    parser.add_argument("--stride", type=int, required=True, help="frames between windows; 0: half a window")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        set_stride(args.weights, args.stride, args.out)
    except (WeightsError, ValueError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    apart = f"{args.stride} frames" if args.stride else "half a window"
    print(f"{args.out}: {args.weights.name} with its windows {apart} apart")
    return 0


if __name__ == "__main__":
    sys.exit(main())
