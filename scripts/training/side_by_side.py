"""Train several recipes side by side on one machine for the same wall-clock budget, then score each on the
real-video set and read its last learning-curve point: a comparison that fits one lease of a GPU machine.

    python scripts/training/side_by_side.py --out runs/NAME --minutes 8 \\
        --common "--library runs/pelvis/motion_library.npz --window 27 --batch 256 --steps 100000 --device cuda" \\
        --run ctl= --run mix="--real-fraction 0.4 --mixed-fraction 0.4" --run local="--tokens parts --local"

Each ``--run NAME=ARGS`` starts ``train.py --out OUT/NAME COMMON ARGS --minutes M`` (all at once, each with
``OMP_NUM_THREADS=--threads``; its output in ``OUT/NAME.log``). When all have ended, each run's ``averaged.npz`` (or
``weights.npz`` without ``--average``) is scored by ``real_video.py`` (when the set is there) and the results, with
each run's exit status, steps and last ``curves.jsonl`` point, go to ``OUT/summary.json`` and a table on stdout.
Exits 1 if any run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from real_video import DEFAULT_SET, score  # noqa: E402


def parse_run(text: str) -> tuple[str, list[str]]:
    name, sep, args = text.partition("=")
    if not sep or not name or not name.replace("_", "").replace("-", "").isalnum():
        raise argparse.ArgumentTypeError(f"--run {text!r}: expected NAME=ARGS, NAME in letters, digits, - and _")
    return name, shlex.split(args)


def last_curve_point(run: Path) -> dict | None:
    path = run / "curves.jsonl"
    lines = path.read_text().splitlines() if path.is_file() else []
    return json.loads(lines[-1]) if lines else None


def steps_done(log: Path) -> int | None:
    """The last ``step N/M`` the run logged."""
    if not log.is_file():
        return None
    for line in reversed(log.read_text().splitlines()):
        if line.startswith("step ") and "/" in line:
            return int(line.split()[1].split("/")[0])
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--minutes", type=float, required=True, help="each run's wall-clock budget (train.py --minutes)")
    p.add_argument("--common", default="", help="train.py arguments every run gets (one string)")
    p.add_argument("--run", type=parse_run, action="append", required=True, help="NAME=ARGS (repeat)")
    p.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS of each run")
    p.add_argument("--realvideo", type=Path, default=DEFAULT_SET)
    args = p.parse_args(argv)
    names = [name for name, _ in args.run]
    if len(set(names)) != len(names):
        p.error(f"--run names must differ: {', '.join(names)}")
    args.out.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"OMP_NUM_THREADS": str(args.threads), "PYTHONUNBUFFERED": "1"}
    procs = {}
    t0 = time.time()
    for name, extra in args.run:
        cmd = [sys.executable, str(HERE / "train.py"), "--out", str(args.out / name)]
        cmd += [*shlex.split(args.common), *extra, "--minutes", str(args.minutes)]
        log = (args.out / f"{name}.log").open("w")
        log.write(shlex.join(cmd) + "\n")
        log.flush()
        procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        print(f"started {name}: {shlex.join(cmd)}", flush=True)
    codes = {name: proc.wait() for name, proc in procs.items()}
    summary: dict = {"minutes": args.minutes, "wall_seconds": round(time.time() - t0, 1), "runs": {}}
    for name, code in codes.items():
        run = args.out / name
        weights = next((w for w in (run / "averaged.npz", run / "weights.npz") if w.is_file()), None)
        entry: dict = {
            "exit": code,
            "steps": steps_done(run / "train.log"),
            "weights": str(weights) if weights else None,
        }
        entry["last_curves"] = last_curve_point(run)
        if weights is not None and (args.realvideo / "cameras.json").is_file():
            entry["real_video"] = score(str(weights), args.realvideo)
        summary["runs"][name] = entry
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    for name, entry in summary["runs"].items():
        rv = entry.get("real_video")
        real = f"real video {rv['mean_pa_mpjpe_mm']:.2f} mm, jerk {rv['angular_jerk_deg']:.3f}" if rv else "not scored"
        print(f"{name}: exit {entry['exit']}, {entry['steps']} steps, {real}", flush=True)
    return 1 if any(codes.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
