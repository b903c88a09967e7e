"""Retargeting onto a character rig in Blender: read the rig, map it (preset, auto-detection or a mapping file), key
its bones in bulk. The math is ``model.retarget``; rigs whose keyed bones hang under constraints are solved through
Blender's evaluation in :mod:`.constraints`. Nothing on the rig changes unless the whole transfer succeeded.

    action, unmapped = retarget_motion(rig_object, motion, "auto", frame_start=1, action_name="walk")
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from ..model.motion import Motion
from ..model.retarget import (
    MIN_MAPPED,
    RetargetError,
    Rig,
    check_mapping,
    detect_preset,
    list_presets,
    load_preset,
    map_bones,
    retarget,
)
from ..model.skeleton import JOINT_NAMES
from .animation import key_pose
from .constraints import dependency_levels, solve_constrained

__all__ = ["RetargetError", "retarget_motion", "resolve_mapping", "save_mapping", "dependency_levels"]


def rig_from_object(obj: bpy.types.Object) -> Rig:
    bones = list(obj.data.bones)
    order = sorted(range(len(bones)), key=lambda i: _depth(bones[i]))  # parents first
    names = [bones[i].name for i in order]
    pos = {n: k for k, n in enumerate(names)}
    parents = [pos[bones[i].parent.name] if bones[i].parent else -1 for i in order]
    rest = np.array([np.array(bones[i].matrix_local) for i in order])
    tails = np.array([np.array(bones[i].tail_local) for i in order])
    return Rig(names, parents, rest, tails, np.array(obj.matrix_world))


def _depth(bone: Any) -> int:
    d = 0
    while bone.parent is not None:
        bone, d = bone.parent, d + 1
    return d


def resolve_mapping(
    obj: Any, preset: str = "auto", custom: dict[str, str] | None = None
) -> tuple[str, dict[str, str], list[str]]:
    """(preset name, joint -> bone, unmapped joints) for this rig; RetargetError when it cannot be mapped.
    ``custom`` (the panel's edited mapping) wins over ``preset``."""
    if obj is None or getattr(obj, "type", None) != "ARMATURE":
        name = getattr(obj, "name", "nothing")
        raise RetargetError(f"{name}: the retarget target must be an armature")
    names = [b.name for b in obj.data.bones]
    if custom:
        unknown = sorted(set(custom) - set(JOINT_NAMES))
        if unknown:
            raise RetargetError(f"{obj.name}: unknown joints in the mapping: {', '.join(unknown)}")
        # an edited mapping (e.g. filled by Detect Mapping) still belongs to its rig family: the family's rig
        # properties (Rigify's IK/FK switches) are set as with the preset itself
        family = preset if preset in list_presets() else detect_preset(names)[0] if preset in ("", "auto") else ""
        return family or "custom", dict(custom), check_mapping(custom, names, source=f"{obj.name} (edited mapping)")
    if preset in ("", "auto"):
        found, score, mapping = detect_preset(names)
        if not found or "pelvis" not in mapping or len(mapping) < MIN_MAPPED:
            raise RetargetError(
                f"{obj.name}: no preset matches its bone names (best: {found or 'none'}, {100 * score:.0f}% of "
                f"the joints); choose a preset or load a mapping file"
            )
        source = f"{obj.name} (auto-detected {found})"
    else:
        data = load_preset(preset)
        found = data["name"]
        mapping = map_bones(data, names)
        if Path(preset).suffix:  # a user mapping file must name existing bones
            named = {j: v[0] for j, v in data["bones"].items()}
            check_mapping(named, names, source=preset)
        source = f"{obj.name} ({found})"
    unmapped = check_mapping(mapping, names, source=source)
    return found, mapping, unmapped


def save_mapping(path: str | Path, mapping: dict[str, str], preset: str = "custom") -> None:
    """Write a mapping file (``{"bones": {joint: bone}}``), loadable as a preset."""
    data = {"format": "pose_uplift.preset/1", "name": preset, "bones": mapping}
    Path(path).write_text(json.dumps(data, indent=1) + "\n")


def retarget_motion(
    obj: bpy.types.Object,
    motion: Motion,
    preset: str = "auto",
    frame_start: int = 1,
    action_name: str = "Pose Uplift",
    custom: dict[str, str] | None = None,
    frames: np.ndarray | None = None,
    keyed: np.ndarray | None = None,
) -> tuple[bpy.types.Action, list[str]]:
    """Key ``motion`` onto the rig ``obj`` in a new Action at scene ``frames`` (default ``frame_start`` + i; only the
    ``keyed`` ones when given); returns (action, unmapped joints). The rig is left untouched when this raises."""
    preset_name, mapping, unmapped = resolve_mapping(obj, preset, custom)
    rig = rig_from_object(obj)
    quats, root_bone, locations = retarget(rig, mapping, motion)  # everything computed before the rig is touched
    data = load_preset(preset_name) if preset_name in list_presets() else {}
    switches = [  # e.g. Rigify: the limbs' IK/FK sliders to FK, neck and head following their parents
        (pb, key, value)
        for name, values in data.get("rig_properties", {}).items()
        if (pb := obj.pose.bones.get(name)) is not None
        for key, value in values.items()
        if key in pb.keys()
    ]
    old_switches = [(pb, key, pb[key]) for pb, key, _ in switches]
    try:
        for pb, key, value in switches:
            pb[key] = value
        levels = dependency_levels(obj, list(quats))
        if levels:  # keyed bones under constraints: solve through Blender's evaluation
            quats, locations = solve_constrained(obj, rig, quats, root_bone, locations, levels)
    except BaseException:
        for pb, key, value in old_switches:
            pb[key] = value
        raise
    for name in data.get("hide_collections", []):  # e.g. Rigify's IK controls, at rest beside the keyed FK chain
        collection = getattr(obj.data, "collections_all", {}).get(name)
        if collection is not None:
            collection.is_visible = False
    if frames is None:
        frames = frame_start + np.arange(motion.num_frames)
    action = key_pose(obj, action_name, quats, root_bone, locations, frames, keyed)
    obj["pose_uplift_preset"] = f"{preset_name}, edited" if custom and preset_name != "custom" else preset_name
    obj["pose_uplift_root_bone"] = root_bone  # the bone carrying the root motion
    return action, unmapped
