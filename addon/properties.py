"""Per-scene settings and what the last import read, shown in the side panel."""

from __future__ import annotations

from typing import Literal

import bpy

OperatorReturn = Literal["RUNNING_MODAL", "CANCELLED", "FINISHED", "PASS_THROUGH", "INTERFACE"]


class POSE_UPLIFT_PG_settings(bpy.types.PropertyGroup):
    filepath: bpy.props.StringProperty(name="Keypoints", subtype="FILE_PATH")  # type: ignore[valid-type]
    source_format: bpy.props.StringProperty(name="Format")  # type: ignore[valid-type]
    source_layout: bpy.props.StringProperty(name="Layout")  # type: ignore[valid-type]
    frames: bpy.props.IntProperty(name="Frames", min=0)  # type: ignore[valid-type]
    fps: bpy.props.FloatProperty(name="FPS", min=0.0)  # type: ignore[valid-type]
    people: bpy.props.IntProperty(name="People", min=0)  # type: ignore[valid-type]
    confident_fraction: bpy.props.FloatProperty(name="Confident points", subtype="FACTOR", min=0.0, max=1.0)  # type: ignore[valid-type]


def scene_settings(context: bpy.types.Context) -> POSE_UPLIFT_PG_settings:
    """The scene's Pose Uplift settings (a property registered at run time, so typed here once)."""
    return context.scene.pose_uplift  # type: ignore[attr-defined,no-any-return]
