"""Per-scene settings: what the last import read, and the options of the next uplift (shown in the side panel)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import bpy

if TYPE_CHECKING:
    from .pipeline import UpliftOptions

OperatorReturn = Literal["RUNNING_MODAL", "CANCELLED", "FINISHED", "PASS_THROUGH", "INTERFACE"]


def _armature_poll(self: bpy.types.PropertyGroup, obj: bpy.types.Object) -> bool:
    return obj.type == "ARMATURE"


class POSE_UPLIFT_PG_bone_map(bpy.types.PropertyGroup):
    """One row of the retarget mapping shown in the panel: a canonical joint and the rig's bone it drives."""

    joint: bpy.props.StringProperty(name="Joint")
    bone: bpy.props.StringProperty(name="Bone", description="The rig's bone driven by this joint; empty: stays at rest")


class POSE_UPLIFT_PG_settings(bpy.types.PropertyGroup):
    # what the last import read
    filepath: bpy.props.StringProperty(name="Keypoints", subtype="FILE_PATH")
    source_format: bpy.props.StringProperty(name="Format")
    source_layout: bpy.props.StringProperty(name="Layout")
    frames: bpy.props.IntProperty(name="Frames", min=0)
    fps: bpy.props.FloatProperty(name="FPS", min=0.0)
    people: bpy.props.IntProperty(name="People", min=0)
    confident_fraction: bpy.props.FloatProperty(name="Confident points", subtype="FACTOR", min=0.0, max=1.0)
    # options of the next uplift (the import operator sets them too)
    person: bpy.props.IntProperty(name="Person", min=0, description="Which person (track) of the file, from 0")
    confidence: bpy.props.FloatProperty(
        name="Confidence Threshold",
        min=0.0,
        max=1.0,
        default=0.0,
        description="Points below this confidence count as missing",
    )
    fps_override: bpy.props.FloatProperty(
        name="FPS Override",
        min=0.0,
        max=1000.0,
        default=0.0,
        description="Frame rate of the clip; 0 uses the file's (30 when it has none)",
    )
    frame_start: bpy.props.IntProperty(name="Start Frame", default=1)
    update_scene: bpy.props.BoolProperty(
        name="Update Scene FPS and Range",
        default=True,
        description="Set the scene's frame rate and frame range to the clip's",
    )
    scale: bpy.props.FloatProperty(name="Scale", min=0.0001, max=1000.0, default=1.0)
    smooth: bpy.props.FloatProperty(
        name="Smoothing",
        min=0.0,
        max=1.0,
        default=0.0,
        subtype="FACTOR",
        description="Temporal smoothing of rotations and root path (Savitzky-Golay on the rotation manifold); 0 is off",
    )
    flip: bpy.props.BoolProperty(
        name="Mirror Averaging",
        default=False,
        description="Also uplift the mirrored video and average both (twice the work, slightly more accurate)",
    )
    target: bpy.props.EnumProperty(
        name="Target",
        items=(
            ("NEW", "New Armature", "Create the canonical armature and key it"),
            ("RIG", "Character Rig", "Retarget onto an existing armature (the rig below)"),
        ),
        default="NEW",
    )
    rig: bpy.props.PointerProperty(name="Rig", type=bpy.types.Object, poll=_armature_poll)
    preset: bpy.props.StringProperty(
        name="Preset",
        default="auto",
        description="Retarget preset name (mixamo, unreal, mpfb_default, rigify, rigify_deform, cmu, canonical), a mapping JSON file, or auto",
    )
    mapping: bpy.props.CollectionProperty(type=POSE_UPLIFT_PG_bone_map)
    mapping_index: bpy.props.IntProperty()

    def custom_mapping(self) -> dict[str, str] | None:
        """The mapping edited in the panel (joint -> bone), or None when the panel holds none."""
        rows = {row.joint: row.bone for row in self.mapping if row.bone}
        return rows or None

    def options(self, backend: str = "auto", device: str = "auto") -> UpliftOptions:
        from .pipeline import UpliftOptions

        return UpliftOptions(
            person=self.person, confidence=self.confidence, fps=self.fps_override, frame_start=self.frame_start,
            update_scene=self.update_scene, smooth=self.smooth, scale=self.scale, backend=backend, device=device,
            flip=self.flip,
        )  # fmt: skip


def scene_settings(context: bpy.types.Context) -> POSE_UPLIFT_PG_settings:
    """The scene's Pose Uplift settings (a property registered at run time, so typed here once)."""
    return context.scene.pose_uplift  # type: ignore[attr-defined,no-any-return]
