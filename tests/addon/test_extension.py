"""The extension zip, built by Blender's own extension tool, installs into headless Blender (the bpy module) with a
throwaway user directory, registers its classes, runs its import operator, and disables and uninstalls cleanly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import build_extension  # noqa: E402

bpy = pytest.importorskip("bpy")

MODULE = "bl_ext.user_default.pose_uplift"
LOOKUP = ("POSE_UPLIFT_OT_import_keypoints", "VIEW3D_PT_pose_uplift")  # found by name in bpy.types


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory) -> Path:
    return build_extension.build(tmp_path_factory.mktemp("dist"))


def _repo_index(module: str = "user_default") -> int:
    return [r.module for r in bpy.context.preferences.extensions.repos].index(module)


def test_zip_holds_the_extension_and_no_development_files(built_zip):
    import zipfile

    names = set(zipfile.ZipFile(built_zip).namelist())
    assert {"blender_manifest.toml", "__init__.py", "addon/__init__.py", "model/readers/__init__.py"} <= names
    assert not [
        n for n in names if n.startswith(("tests/", "scripts/", ".ci/", ".venv/", "dist/")) or "__pycache__" in n
    ]


def test_install_enable_use_disable_uninstall(built_zip, fixtures):
    user_dir = Path(bpy.utils.user_resource("EXTENSIONS"))
    assert "pose_uplift_blender_user_" in str(user_dir)  # the throwaway directory, never a real configuration
    classes: tuple = ()
    result = bpy.ops.extensions.package_install_files(
        filepath=str(built_zip), repo="user_default", enable_on_install=True
    )
    assert result == {"FINISHED"}
    try:
        assert MODULE in {a.module for a in bpy.context.preferences.addons}
        classes = sys.modules[MODULE].addon._CLASSES
        assert len(classes) >= 4 and all(cls.is_registered for cls in classes)
        for name in LOOKUP:
            assert hasattr(bpy.types, name), name
        assert hasattr(bpy.types.Scene, "pose_uplift")
        assert bpy.context.preferences.addons[MODULE].preferences.device == "AUTO"  # preferences registered
        assert (user_dir / "user_default" / "pose_uplift" / "blender_manifest.toml").is_file()

        # the import operator reads a file and records what it read
        assert bpy.ops.pose_uplift.import_keypoints(filepath=str(fixtures / "openpose_body25")) == {"FINISHED"}
        settings = bpy.context.scene.pose_uplift
        assert (settings.source_format, settings.source_layout, settings.frames, settings.people) == (
            "openpose",
            "BODY_25",
            5,
            2,
        )

        # a bad file: one-line error, and what the scene had is untouched
        with pytest.raises(RuntimeError) as info:
            bpy.ops.pose_uplift.import_keypoints(filepath=str(fixtures / "broken" / "truncated_keypoints.json"))
        message = str(info.value).strip()
        assert "truncated JSON" in message and "Traceback" not in message and message.count("\n") == 0
        assert settings.frames == 5 and settings.source_format == "openpose"
    finally:
        bpy.ops.preferences.addon_disable(module=MODULE)
        assert MODULE not in {a.module for a in bpy.context.preferences.addons}
        assert not any(cls.is_registered for cls in classes)
        for name in LOOKUP:
            assert not hasattr(bpy.types, name), name
        assert not hasattr(bpy.types.Scene, "pose_uplift")
        assert bpy.ops.extensions.package_uninstall(repo_index=_repo_index(), pkg_id="pose_uplift") == {"FINISHED"}
    assert not (user_dir / "user_default" / "pose_uplift").exists()
