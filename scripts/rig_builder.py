"""Armatures from the rig descriptions in scripts/rigs/ (CC0 MakeHuman/MPFB2 rigs), for the demo, the benchmark and
the tests: plain Blender code, not part of the extension."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bpy
import numpy as np

RIGS = Path(__file__).resolve().parent / "rigs"


def build_rig(collection: Any, path: str | Path, name: str | None = None, scale: float = 1.0) -> bpy.types.Object:
    """An armature from a rig description (``{"bones": {name: {head, tail, roll, parent, use_connect}}}``, the
    MPFB2 rig files' fields), standing on z = 0; ``scale`` < 1 builds it like an FBX import (object scale, bones in
    larger units), e.g. 0.01 for Mixamo."""
    bones = json.loads(Path(path).read_text())["bones"]
    floor = min(min(b["head"][2], b["tail"][2]) for b in bones.values())
    data = bpy.data.armatures.new(name or Path(path).stem)
    obj = bpy.data.objects.new(name or Path(path).stem, data)
    collection.objects.link(obj)
    view_layer = bpy.context.view_layer
    view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        made = {}
        for bone_name, b in bones.items():
            eb = data.edit_bones.new(bone_name)
            eb.head = ((np.array(b["head"]) - [0, 0, floor]) / scale).tolist()
            eb.tail = ((np.array(b["tail"]) - [0, 0, floor]) / scale).tolist()
            eb.roll = b["roll"]
            made[bone_name] = eb
        for bone_name, b in bones.items():
            if b.get("parent"):
                made[bone_name].parent = made[b["parent"]]
                made[bone_name].use_connect = bool(b.get("use_connect"))
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
    obj.scale = (scale, scale, scale)
    return obj
