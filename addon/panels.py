"""The "Uplift" tab of the 3D viewport sidebar."""

from __future__ import annotations

import bpy

from .properties import scene_settings


class VIEW3D_PT_pose_uplift(bpy.types.Panel):
    bl_label = "Pose Uplift"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Uplift"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = scene_settings(context)
        layout.operator("pose_uplift.import_keypoints", icon="IMPORT")
        if settings.frames:
            col = layout.column(align=True)
            col.label(text=f"{settings.source_format} ({settings.source_layout})")
            fps = f"{settings.fps:g} fps" if settings.fps else "fps unknown"
            col.label(text=f"{settings.frames} frames, {fps}, {settings.people} people")
            col.label(text=f"{100 * settings.confident_fraction:.0f}% points confident")
