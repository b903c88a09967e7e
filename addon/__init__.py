"""Everything that imports bpy: operators, panels, properties, preferences.

``register()`` only registers classes: no heavy import (torch), no GPU probing, no file access.
"""

from __future__ import annotations

import bpy

from . import installer, operators, panels, preferences, properties

_CLASSES: tuple[type, ...] = (
    preferences.POSE_UPLIFT_AP_preferences,
    properties.POSE_UPLIFT_PG_bone_map,
    properties.POSE_UPLIFT_PG_track,
    properties.POSE_UPLIFT_PG_settings,
    operators.POSE_UPLIFT_OT_import_keypoints,
    operators.POSE_UPLIFT_OT_load_sample,
    operators.POSE_UPLIFT_OT_import_video,
    operators.POSE_UPLIFT_OT_detect_video,
    operators.POSE_UPLIFT_OT_install_detector,
    operators.POSE_UPLIFT_OT_uplift,
    operators.POSE_UPLIFT_OT_install_torch,
    operators.POSE_UPLIFT_OT_detect_mapping,
    operators.POSE_UPLIFT_OT_save_mapping,
    operators.POSE_UPLIFT_OT_load_mapping,
    panels.VIEW3D_PT_pose_uplift,
    panels.VIEW3D_PT_pose_uplift_mapping,
)


def _menu_import(self: bpy.types.Menu, context: bpy.types.Context) -> None:
    self.layout.operator(operators.POSE_UPLIFT_OT_import_keypoints.bl_idname, text="2D Keypoints (Pose Uplift)")
    self.layout.operator(operators.POSE_UPLIFT_OT_import_video.bl_idname, text="Video (Pose Uplift)")


def register() -> None:
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.pose_uplift = bpy.props.PointerProperty(type=properties.POSE_UPLIFT_PG_settings)  # type: ignore[attr-defined,func-returns-value]
    bpy.types.TOPBAR_MT_file_import.append(_menu_import)
    installer.add_site_dir()  # PyTorch installed by the preferences button, if any (a path, no import)


def unregister() -> None:
    bpy.types.TOPBAR_MT_file_import.remove(_menu_import)
    del bpy.types.Scene.pose_uplift  # type: ignore[attr-defined]
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
