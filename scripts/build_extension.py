"""Validate and build the extension zip with Blender's own extension tool (shipped inside the ``bpy`` wheel).

    python scripts/build_extension.py [--out dist] [--validate-only]

Prints the path of the zip it wrote. Exit code 1 with a one-line error when validation or the build fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def blender_ext_tool() -> Path:
    """Path of ``blender_ext.py`` inside the installed ``bpy`` module (found without importing bpy)."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("error: the bpy module is not installed (make venv installs it)")
    for base in spec.submodule_search_locations:
        found = sorted(Path(base).glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
        if found:
            return found[-1]
    raise SystemExit("error: blender_ext.py not found inside the bpy module")


def run_tool(*args: str) -> None:
    proc = subprocess.run([sys.executable, str(blender_ext_tool()), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        detail = " ".join((proc.stdout + proc.stderr).split())
        raise SystemExit(f"error: blender_ext {args[0]} failed: {detail}")


def validate(source: Path = ROOT) -> None:
    run_tool("validate", str(source))


def build(out_dir: Path, source: Path = ROOT) -> Path:
    """Validate the manifest, build ``<id>-<version>.zip`` into ``out_dir``, validate the zip; return its path."""
    validate(source)
    manifest = tomllib.loads((source / "blender_manifest.toml").read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    zip_path = out_dir / f"{manifest['id']}-{manifest['version']}.zip"
    run_tool("build", "--source-dir", str(source), "--output-filepath", str(zip_path))
    validate(zip_path)
    return zip_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (dist/)")
    parser.add_argument("--validate-only", action="store_true", help="validate the manifest, build nothing")
    args = parser.parse_args(argv)
    if args.validate_only:
        validate()
        print("blender_manifest.toml is valid")
        return 0
    print(build(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
