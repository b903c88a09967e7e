"""Add-on preferences."""

from __future__ import annotations

import bpy

#: The extension's package name (``bl_ext.<repo>.pose_uplift``), which Blender uses as the preferences id.
PACKAGE = __package__.rpartition(".")[0] if __package__ else "pose_uplift"


class POSE_UPLIFT_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = PACKAGE

    device: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Device",
        description="Where the network runs; Auto uses CUDA when PyTorch sees a GPU, else the CPU",
        items=(
            ("AUTO", "Auto", "CUDA when available, else CPU"),
            ("CPU", "CPU", "Always the CPU"),
            ("CUDA", "CUDA", "An NVIDIA GPU"),
        ),
        default="AUTO",
    )

    def draw(self, context: bpy.types.Context) -> None:
        self.layout.prop(self, "device")
