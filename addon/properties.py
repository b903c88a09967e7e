"""Per-scene settings: what the last import read, and the options of the next uplift (shown in the side panel)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import bpy

if TYPE_CHECKING:
    from ..model.pipeline import UpliftOptions

OperatorReturn = Literal["RUNNING_MODAL", "CANCELLED", "FINISHED", "PASS_THROUGH", "INTERFACE"]


def _armature_poll(self: bpy.types.PropertyGroup, obj: bpy.types.Object) -> bool:
    return obj.type == "ARMATURE"


class POSE_UPLIFT_PG_bone_map(bpy.types.PropertyGroup):
    """One row of the retarget mapping shown in the panel: a canonical joint and the rig's bone it drives."""

    joint: bpy.props.StringProperty(name="Joint")
    bone: bpy.props.StringProperty(name="Bone", description="The rig's bone driven by this joint; empty: stays at rest")


def _preset_items(self: Any, context: Any) -> list[tuple[str, str, str]]:
    from ..model.retarget import list_presets

    items = [("auto", "Auto-detect", "Detect the rig family from its bone names")]
    items += [(name, name.replace("_", " ").title(), f"The {name} preset") for name in list_presets()]
    items.append(("FILE", "Mapping File", "A mapping JSON file (saved from this panel or written by hand)"))
    _PRESET_ITEMS[:] = items  # Blender needs the strings kept alive
    return _PRESET_ITEMS


_PRESET_ITEMS: list[tuple[str, str, str]] = []


class UpliftOptionProps:
    """The uplift options, declared once: the scene settings (side panel) and the import operator both inherit them,
    and ``uplift_options()`` turns them into ``model.pipeline.UpliftOptions`` (whose ``OPTION_HELP`` gives the tooltips)."""

    person: bpy.props.IntProperty(name="Person", min=0, description="Which person (track) of the file, from 0")
    confidence: bpy.props.FloatProperty(
        name="Min Confidence",
        min=0.0,
        max=1.0,
        default=0.0,
        description="Points below this confidence count as missing",
    )
    fps_override: bpy.props.FloatProperty(
        name="FPS", min=0.0, max=1000.0, default=0.0,
        description="Frame rate of the clip; 0 uses the file's (30 when it has none)",
    )  # fmt: skip
    frame_start: bpy.props.IntProperty(name="Start Frame", default=1, description="Scene frame of the file's frame 0")
    update_scene: bpy.props.BoolProperty(
        name="Set Scene Timing", default=True, description="Set the scene's frame rate and frame range to the clip's"
    )
    scale: bpy.props.FloatProperty(name="Scale", min=0.0001, max=1000.0, default=1.0)
    smooth: bpy.props.FloatProperty(
        name="Smoothing", min=0.0, max=1.0, default=0.0, subtype="FACTOR",
        description="Temporal smoothing of rotations and root path (Savitzky-Golay on the rotation manifold); 0 is off",
    )  # fmt: skip
    flip: bpy.props.BoolProperty(
        name="Mirror Averaging", default=False,
        description="Also uplift the mirrored video and average both (twice the work, slightly more accurate)",
    )  # fmt: skip
    gaps: bpy.props.EnumProperty(
        name="Missing Frames",
        items=(
            ("trim", "Trim and Bridge", "Cut frames without the person at the ends, bridge gaps up to a second, "
             "leave longer gaps unkeyed (the armature holds its last pose)"),
            ("keep", "Key Every Frame", "Key every frame, including the network's guesses where nobody was seen"),
        ),
        default="trim",
    )  # fmt: skip

    def uplift_options(self, backend: str = "auto", device: str = "auto") -> UpliftOptions:
        from ..model.pipeline import UpliftOptions

        return UpliftOptions(
            person=self.person, confidence=self.confidence, fps=self.fps_override, frame_start=self.frame_start,
            update_scene=self.update_scene, smooth=self.smooth, scale=self.scale, backend=backend, device=device,
            flip=self.flip, gaps=self.gaps,
        )  # fmt: skip


#: The option names of ``UpliftOptionProps`` (copied from the import operator to the scene settings).
OPTION_PROPS = (
    "person",
    "confidence",
    "fps_override",
    "frame_start",
    "update_scene",
    "scale",
    "smooth",
    "flip",
    "gaps",
)


class POSE_UPLIFT_PG_settings(UpliftOptionProps, bpy.types.PropertyGroup):
    # what the last import read
    filepath: bpy.props.StringProperty(name="Keypoints", subtype="FILE_PATH")
    source_format: bpy.props.StringProperty(name="Format")
    source_layout: bpy.props.StringProperty(name="Layout")
    frames: bpy.props.IntProperty(name="Frames", min=0)
    fps: bpy.props.FloatProperty(name="FPS", min=0.0)
    people: bpy.props.IntProperty(name="People", min=0)
    confident_fraction: bpy.props.FloatProperty(name="Confident points", subtype="FACTOR", min=0.0, max=1.0)
    gaps_summary: bpy.props.StringProperty(name="Missing Frames", description="Frames without the chosen person")
    last_backend: bpy.props.StringProperty(name="Last Run", description="The backend and device the last uplift used")
    target: bpy.props.EnumProperty(
        name="Target",
        items=(
            ("NEW", "New Armature", "Create the canonical armature and key it"),
            ("RIG", "Character Rig", "Retarget onto an existing armature (the rig below)"),
        ),
        default="NEW",
    )
    rig: bpy.props.PointerProperty(name="Rig", type=bpy.types.Object, poll=_armature_poll)
    preset: bpy.props.EnumProperty(name="Preset", items=_preset_items, description="How the rig's bones are found")
    mapping_file: bpy.props.StringProperty(name="Mapping File", subtype="FILE_PATH", description="Used with the "
                                           "Mapping File preset")  # fmt: skip
    mapping: bpy.props.CollectionProperty(type=POSE_UPLIFT_PG_bone_map)
    mapping_index: bpy.props.IntProperty()

    def custom_mapping(self) -> dict[str, str] | None:
        """The mapping edited in the panel (joint -> bone), or None when the panel holds none."""
        rows = {row.joint: row.bone for row in self.mapping if row.bone}
        return rows or None

    def preset_value(self) -> str:
        """The preset name, "auto", or the mapping file's path."""
        return self.mapping_file if self.preset == "FILE" else self.preset


def scene_settings(context: bpy.types.Context) -> POSE_UPLIFT_PG_settings:
    """The scene's Pose Uplift settings (a property registered at run time, so typed here once)."""
    return context.scene.pose_uplift  # type: ignore[attr-defined,no-any-return]
