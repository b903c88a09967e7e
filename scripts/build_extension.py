"""Validate and build the extension zip with Blender's own extension tool (shipped inside the ``bpy`` wheel).

    python scripts/build_extension.py [--out dist] [--validate-only]

Prints the path of the zip it wrote. Exit code 1 with a one-line error when validation or the build fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def blender_ext_tool() -> Path:
    """Path of Blender's ``blender_ext.py``: inside the ``bpy`` module's folder (found without importing bpy), or,
    inside a real Blender (where bpy is built in), under its scripts folder
    (``bpy.utils.system_resource('SCRIPTS')/addons_core/bl_pkg/cli/blender_ext.py``)."""
    tail = Path("addons_core") / "bl_pkg" / "cli" / "blender_ext.py"
    spec = importlib.util.find_spec("bpy")
    if spec is not None and spec.submodule_search_locations:
        for base in spec.submodule_search_locations:
            found = sorted(Path(base).glob(f"*/scripts/{tail.as_posix()}"))
            if found:
                return found[-1]
    if "bpy" in sys.modules or (spec is not None and spec.origin in ("built-in", None)):
        import bpy

        found_in_blender = Path(bpy.utils.system_resource("SCRIPTS")) / tail
        if found_in_blender.is_file():
            return found_in_blender
    if spec is None:
        raise SystemExit("error: the bpy module is not installed (make venv installs it)")
    raise SystemExit("error: blender_ext.py not found in the bpy module or Blender's scripts folder")


def _python() -> str:
    """A Python to run the tool with: this one, or inside a real Blender its bundled (or the system's) Python."""
    if Path(sys.executable).name.startswith("python"):
        return sys.executable
    return shutil.which("python3") or sys.executable


def run_tool(*args: str) -> None:
    proc = subprocess.run([_python(), str(blender_ext_tool()), *args], capture_output=True, text=True)
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
