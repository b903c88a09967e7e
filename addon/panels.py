"""The "Uplift" tab of the 3D viewport sidebar: file, what was read, backend/device, options, target, the button."""

from __future__ import annotations

import bpy

from .preferences import addon_preferences
from .properties import OPTION_PROPS, scene_settings


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters (the sidebar cuts longer labels)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


#: People listed in the panel (the rest are counted; the Person option reaches every one).
MAX_TRACK_ROWS = 6


class VIEW3D_PT_pose_uplift(bpy.types.Panel):
    bl_label = "Pose Uplift"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Uplift"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = scene_settings(context)
        row = layout.row(align=True)
        row.operator("pose_uplift.import_keypoints", icon="IMPORT")
        row.operator("pose_uplift.load_sample", text="", icon="FILE_TEXT")
        layout.operator("pose_uplift.import_video", icon="FILE_MOVIE")
        if settings.frames:
            box = layout.box()
            col = box.column(align=True)
            col.label(text=bpy.path.basename(settings.filepath.rstrip("/\\")) or settings.filepath, icon="FILE")
            col.label(text=f"{settings.source_format} ({settings.source_layout})")
            fps = f"{settings.file_fps:g} fps" if settings.file_fps else "fps unknown (30 assumed)"
            people = f"{settings.people} {'person' if settings.people == 1 else 'people'}"
            col.label(text=f"{settings.frames} frames, {fps}, {people}")
            col.label(text=f"{100 * settings.confident_fraction:.0f}% points confident")
            if len(settings.tracks) > 1:
                from ..model.pipeline import min_person_frames

                people_box = box.column(align=True)
                options = settings.uplift_options()
                min_seen = min_person_frames(options, settings.file_fps)
                for row in settings.tracks[:MAX_TRACK_ROWS]:
                    chosen = row.seen >= min_seen if options.all_people else row.index == options.person
                    people_box.label(
                        text=f"Person {row.index}: frames {row.first}-{row.last}, {row.seen} seen",
                        icon="CHECKBOX_HLT" if chosen else "CHECKBOX_DEHLT",
                    )
                if len(settings.tracks) > MAX_TRACK_ROWS:
                    people_box.label(text=f"and {len(settings.tracks) - MAX_TRACK_ROWS} more (Person picks any)")
            if settings.gaps_summary:
                missing = not settings.gaps_summary.startswith("the person is detected")
                for k, line in enumerate(_wrap(settings.gaps_summary, 30)):
                    col.label(text=line, icon=("ERROR" if missing else "CHECKMARK") if k == 0 else "BLANK1")
        prefs = addon_preferences(context)
        backend = settings.last_backend or f"{prefs.backend.lower()} (not run yet)"
        layout.label(text=f"Backend: {backend}", icon="PREFERENCES")

        col = layout.column(align=True)
        col.use_property_split = True
        col.use_property_decorate = False
        for name in OPTION_PROPS:
            col.prop(settings, name)
        layout.prop(settings, "target", expand=True)
        if settings.target == "RIG":
            layout.prop(settings, "rig")
            layout.prop(settings, "preset")
            if settings.preset == "FILE":
                layout.prop(settings, "mapping_file")
            row = layout.row(align=True)
            row.operator("pose_uplift.detect_mapping", icon="BONE_DATA")
            row.operator("pose_uplift.load_mapping", text="", icon="FILEBROWSER")
            row.operator("pose_uplift.save_mapping", text="", icon="FILE_TICK")
        layout.operator("pose_uplift.uplift", icon="ARMATURE_DATA")


class VIEW3D_PT_pose_uplift_mapping(bpy.types.Panel):
    """The rig's bone for each of the 22 joints, to edit; folded by default so the button above stays in view."""

    bl_label = "Bone Mapping"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Uplift"
    bl_parent_id = "VIEW3D_PT_pose_uplift"
    bl_options = {"DEFAULT_CLOSED"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        settings = scene_settings(context)
        return settings.target == "RIG" and settings.rig is not None and settings.rig.type == "ARMATURE"

    def draw(self, context: bpy.types.Context) -> None:
        settings = scene_settings(context)
        col = self.layout.column(align=True)
        if not len(settings.mapping):
            col.label(text="Detect Mapping fills this in")
        for item in settings.mapping:
            split = col.split(factor=0.4, align=True)
            split.label(text=item.joint)
            split.prop_search(item, "bone", settings.rig.data, "bones", text="")
