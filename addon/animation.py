"""Bulk keyframe writing, one compatibility function for Blender 4.2 (``action.fcurves``), 4.4/4.5 (slotted actions,
layers and strips) and 5.0+ (channelbags only).

    action = new_action(obj, "walk")                            # a new Action, assigned, never an existing one
    write_channels(action, obj, [Channel(path, index, group, values), ...], frames)

``keyframe_points.add`` + ``foreach_set("co", ...)`` per F-curve: thousands of keys in one call instead of one
``keyframe_insert`` each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import bpy
import numpy as np


@dataclass
class Channel:
    data_path: str
    index: int
    group: str
    values: np.ndarray  # (T,)


def new_action(obj: bpy.types.Object, name: str) -> bpy.types.Action:
    """A new Action named ``name`` (Blender adds .001 on a clash: nothing is overwritten), assigned to ``obj`` with
    its own slot where the Blender version has slots. The object's previous action stays in the file (fake user)."""
    if obj.animation_data is None:
        obj.animation_data_create()
    previous = obj.animation_data.action
    if previous is not None:
        previous.use_fake_user = True  # kept, even with no user left
    action = bpy.data.actions.new(name)
    obj.animation_data.action = action
    if hasattr(action, "slots"):  # 4.4+
        slot = obj.animation_data.action_slot
        if slot is None:
            slot = action.slots.new(id_type="OBJECT", name=obj.name)
            obj.animation_data.action_slot = slot
    return action


def _fcurve_collection(action: Any, obj: bpy.types.Object) -> tuple[Any, Any]:
    """(fcurves, groups) of the action's channels for ``obj``, whichever data model this Blender has (``Any``: the
    stubs know only one Blender version)."""
    if not hasattr(action, "slots"):  # 4.2, 4.3
        return action.fcurves, action.groups
    slot = obj.animation_data.action_slot
    try:
        from bpy_extras import anim_utils

        ensure: Any = anim_utils.action_ensure_channelbag_for_slot  # 5.0+ (the stubs say it returns None)
        bag = ensure(action, slot)
    except AttributeError:  # 4.4, 4.5
        layer = action.layers[0] if action.layers else action.layers.new("Layer")
        strip = layer.strips[0] if layer.strips else layer.strips.new(type="KEYFRAME")
        bag = strip.channelbag(slot, ensure=True)
    return bag.fcurves, bag.groups


def write_channels(
    action: bpy.types.Action,
    obj: bpy.types.Object,
    channels: Sequence[Channel],
    frames: np.ndarray,
    hold: Sequence[int] = (),
) -> int:
    """Write one keyframe per frame for every channel into ``action`` (a new one: see ``new_action``); the keys at
    the indices ``hold`` get constant interpolation (the pose holds until the next key). Returns the number of keys
    written."""
    fcurves, groups = _fcurve_collection(action, obj)
    frames = np.asarray(frames, dtype=np.float32)
    co = np.empty((len(frames), 2), dtype=np.float32)
    co[:, 0] = frames
    made_groups: dict[str, Any] = {g.name: g for g in groups}
    written = 0
    for ch in channels:
        fc = fcurves.new(ch.data_path, index=ch.index)
        if ch.group:
            group = made_groups.get(ch.group) or groups.new(ch.group)
            made_groups[ch.group] = group
            fc.group = group
        co[:, 1] = ch.values
        fc.keyframe_points.add(len(frames))
        fc.keyframe_points.foreach_set("co", co.ravel())
        for k in hold:
            fc.keyframe_points[k].interpolation = "CONSTANT"
        fc.update()
        written += len(frames)
    return written


def key_pose(
    obj: bpy.types.Object,
    action_name: str,
    rotations: dict[str, np.ndarray],
    root_bone: str,
    locations: np.ndarray,
    frames: np.ndarray,
    keyed: np.ndarray | None = None,
) -> bpy.types.Action:
    """A new Action on the armature ``obj`` keying ``rotation_quaternion`` of each bone in ``rotations``
    ({bone: (T, 4)}, which are switched to quaternion rotation) and ``location`` (T, 3) of ``root_bone`` at
    ``frames``; with ``keyed`` (T,) only those frames get keys, and the key before each unkeyed run holds its pose
    (constant interpolation) until the next key."""
    keyed = np.ones(len(frames), bool) if keyed is None else np.asarray(keyed, bool)
    index = np.flatnonzero(keyed)
    # keys whose next frame is unkeyed (and that have a later key): hold them
    nxt = np.flatnonzero(keyed[:-1] & ~keyed[1:])
    hold = [int(np.searchsorted(index, k)) for k in nxt if keyed[k + 1 :].any()]
    channels: list[Channel] = []
    for bone, q in rotations.items():
        obj.pose.bones[bone].rotation_mode = "QUATERNION"
        path = f'pose.bones["{bpy.utils.escape_identifier(bone)}"].'
        if bone == root_bone:
            channels += [Channel(path + "location", i, bone, locations[index, i]) for i in range(3)]
        channels += [Channel(path + "rotation_quaternion", i, bone, q[index, i]) for i in range(4)]
    action = new_action(obj, action_name)
    write_channels(action, obj, channels, np.asarray(frames)[index], hold)
    return action
