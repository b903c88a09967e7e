"""Per-scene settings: what the last import read, and the options of the next uplift (shown in the side panel)."""

from __future__ import annotations

from dataclasses import Field
from typing import Any, Literal

import bpy

from ..model.pipeline import UpliftOptions, option_fields

OperatorReturn = Literal["RUNNING_MODAL", "CANCELLED", "FINISHED", "PASS_THROUGH", "INTERFACE"]


def _armature_poll(self: bpy.types.PropertyGroup, obj: bpy.types.Object) -> bool:
    return obj.type == "ARMATURE"


class POSE_UPLIFT_PG_bone_map(bpy.types.PropertyGroup):
    """One row of the retarget mapping shown in the panel: a canonical joint and the rig's bone it drives."""

    joint: bpy.props.StringProperty(name="Joint")
    bone: bpy.props.StringProperty(name="Bone", description="The rig's bone driven by this joint; empty: stays at rest")


class POSE_UPLIFT_PG_track(bpy.types.PropertyGroup):
    """One person (track) of the imported file, as the panel lists it: its frames in the scene's numbering."""

    index: bpy.props.IntProperty(name="Person")
    first: bpy.props.IntProperty(name="First Frame")
    last: bpy.props.IntProperty(name="Last Frame")
    seen: bpy.props.IntProperty(name="Frames Seen")


def _preset_items(self: Any, context: Any) -> list[tuple[str, str, str]]:
    from ..model.retarget import list_presets

    items = [("auto", "Auto-detect", "Detect the rig family from its bone names")]
    items += [(name, name.replace("_", " ").title(), f"The {name} preset") for name in list_presets()]
    items.append(("FILE", "Mapping File", "A mapping JSON file (saved from this panel or written by hand)"))
    _PRESET_ITEMS[:] = items  # Blender needs the strings kept alive
    return _PRESET_ITEMS


_PRESET_ITEMS: list[tuple[str, str, str]] = []


def _blender_property(f: Field) -> Any:
    """The Blender property of one option of ``UpliftOptions`` (its default, label, help and range)."""
    meta = f.metadata
    kw: dict[str, Any] = {"name": meta["label"], "description": meta["help"], "default": f.default}
    if "choices" in meta:
        return bpy.props.EnumProperty(items=meta["choices"], **kw)
    if f.type == "bool":
        return bpy.props.BoolProperty(**kw)
    kw |= {k: meta[k] for k in ("min", "max", "subtype") if k in meta}
    return (bpy.props.IntProperty if f.type == "int" else bpy.props.FloatProperty)(**kw)


class UpliftOptionProps:
    """The uplift options as Blender properties, made from ``model.pipeline.UpliftOptions`` (one declaration): the
    scene settings (side panel) and the import operator both inherit them."""

    __annotations__ = {f.name: _blender_property(f) for f in option_fields()}

    def uplift_options(self, backend: str = "auto", device: str = "auto") -> UpliftOptions:
        """The options as the batch script and scripts would give them: Blender keeps floats in single precision
        (0.6 is 0.6000000238), so they are rounded back to 6 decimals."""
        values = {f.name: getattr(self, f.name) for f in option_fields()}
        values = {k: round(v, 6) if isinstance(v, float) else v for k, v in values.items()}
        return UpliftOptions(**values, backend=backend, device=device)

    def set_option(self, name: str, value: Any) -> None:
        """One of the generated option properties (``OPTION_PROPS``), by name."""
        if name not in OPTION_PROPS:
            raise AttributeError(f"no uplift option {name!r}")
        setattr(self, name, value)


#: The option names (copied from the import operator to the scene settings, drawn in the panel).
OPTION_PROPS = tuple(f.name for f in option_fields())


class POSE_UPLIFT_PG_settings(UpliftOptionProps, bpy.types.PropertyGroup):
    # what the last import read
    filepath: bpy.props.StringProperty(name="Keypoints", subtype="FILE_PATH")
    source_format: bpy.props.StringProperty(name="Format")
    source_layout: bpy.props.StringProperty(name="Layout")
    frames: bpy.props.IntProperty(name="Frames", min=0)
    file_fps: bpy.props.FloatProperty(name="File FPS", min=0.0)
    people: bpy.props.IntProperty(name="People", min=0)
    tracks: bpy.props.CollectionProperty(type=POSE_UPLIFT_PG_track)
    confident_fraction: bpy.props.FloatProperty(name="Confident points", subtype="FACTOR", min=0.0, max=1.0)
    gaps_summary: bpy.props.StringProperty(name="Missing Frames", description="Frames without the chosen person")
    last_backend: bpy.props.StringProperty(name="Last Run", description="The backend and device the last uplift used")
    last_notes: bpy.props.StringProperty(name="Notes", description="Why the last uplift ran where it did")
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
    mapping_file: bpy.props.StringProperty(
        name="Mapping File", subtype="FILE_PATH", description="Used with the Mapping File preset"
    )
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
