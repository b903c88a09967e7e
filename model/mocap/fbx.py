"""FBX motion through Blender's own FBX importer, run in a separate process (``model/`` never imports bpy).

The clip is imported into an empty scene of a Blender process (the Python running this, when it has the ``bpy``
module, else the ``blender`` executable given or found on the PATH), written out with Blender's own BVH exporter
into a temporary file (in the armature's own axes) and read back as a :class:`~.clip.MotionClip`; the retarget turns
it upright by its mapped joints (:func:`~.bvh.upright`).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .bvh import read_bvh
from .clip import MotionClip, MotionFileError

_SCRIPT = r"""
import sys, bpy
src, dst = sys.argv[sys.argv.index("--") + 1 :]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.fbx(filepath=src, automatic_bone_orientation=False)
arms = [o for o in bpy.context.scene.objects if o.type == "ARMATURE"]
if not arms:
    raise SystemExit("no armature in the file")
arm = max(arms, key=lambda o: len(o.data.bones))
act = arm.animation_data.action if arm.animation_data else None
if act is None:
    raise SystemExit("the armature has no animation")
start, end = (int(round(v)) for v in act.frame_range)
for o in bpy.context.scene.objects:
    o.select_set(o is arm)
bpy.context.view_layer.objects.active = arm
bpy.ops.export_anim.bvh(filepath=dst, frame_start=start, frame_end=end, root_transform_only=True, global_scale=1.0)
print("FPS", bpy.context.scene.render.fps / bpy.context.scene.render.fps_base)
"""


def read_fbx(path: str | Path, blender: str | None = None) -> MotionClip:
    path = Path(path)
    if importlib.util.find_spec("bpy") is not None and blender is None:
        cmd = [sys.executable, "-c", _SCRIPT]
    else:
        exe = blender or shutil.which("blender")
        if exe is None:
            raise MotionFileError(f"{path}: reading FBX needs Blender (the bpy module or a blender executable)")
        cmd = [exe, "-b", "--factory-startup", "--python-exit-code", "1", "--python-expr", _SCRIPT]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "clip.bvh"
        proc = subprocess.run([*cmd, "--", str(path.resolve()), str(out)], capture_output=True, text=True)
        if proc.returncode != 0 or not out.exists():
            lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
            raise MotionFileError(f"{path}: Blender could not read it ({lines[-1] if lines else 'no output'})")
        return read_bvh(out)
