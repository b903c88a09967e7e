"""The built extension installed into headless Blender (the bpy module) with the throwaway user directory."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import build_extension  # noqa: E402

MODULE = "bl_ext.user_default.pose_uplift"


class Installed:
    """The installed package's modules, imported on first use (``ext.addon.pipeline``, ``ext.model.retarget``)."""

    def __getattr__(self, name: str):
        return _Namespace(f"{MODULE}.{name}")


class _Namespace:
    def __init__(self, prefix: str):
        self._prefix = prefix

    def __getattr__(self, name: str):
        return importlib.import_module(f"{self._prefix}.{name}")


@pytest.fixture(scope="module")
def ext(tmp_path_factory):
    bpy = pytest.importorskip("bpy")
    bpy.ops.wm.read_homefile(use_empty=True)
    zip_path = build_extension.build(tmp_path_factory.mktemp("dist"))
    assert bpy.ops.extensions.package_install_files(
        filepath=str(zip_path), repo="user_default", enable_on_install=True
    ) == {"FINISHED"}
    try:
        yield Installed()
    finally:
        bpy.ops.preferences.addon_disable(module=MODULE)
        # bpy 4.2's package_uninstall makes the interpreter crash at exit; there the throwaway user directory is
        # simply deleted at the end of the session (tests/conftest.py)
        if bpy.app.version >= (4, 3):
            repos = [r.module for r in bpy.context.preferences.extensions.repos]
            bpy.ops.extensions.package_uninstall(repo_index=repos.index("user_default"), pkg_id="pose_uplift")


def action_fcurves(obj) -> list:
    """The F-curves of the object's action for its slot (4.4+) or of the action itself (4.2)."""
    action = obj.animation_data.action
    if hasattr(action, "slots"):
        from bpy_extras.anim_utils import action_get_channelbag_for_slot

        return list(action_get_channelbag_for_slot(action, obj.animation_data.action_slot).fcurves)
    return list(action.fcurves)


def fresh_scene() -> None:
    """An empty scene, the extension still enabled."""
    import bpy

    bpy.ops.wm.read_homefile(use_empty=True)
    if MODULE not in {a.module for a in bpy.context.preferences.addons}:
        bpy.ops.preferences.addon_enable(module=MODULE)
