"""The demo behind `make demo`: the bundled sample of real 2D keypoints through everything Pose Uplift has.

1. read the bundled sample (MediaPipe detections on a real video) and say what it holds;
2. build the extension zip with Blender's own extension tool;
3. install it into headless Blender (the bpy module, a throwaway user directory under out/) and build a character:
   the CC0 MakeHuman base body (``../shared/assets/makehuman`` beside the checkout, or ``MAKEHUMAN_ASSETS``) with its
   default 163-bone skeleton built from the joints' vertices and its own skin weights on Blender's Armature
   modifier; without those files, a capsule body on the CC0 MPFB2 game_engine rig in scripts/rigs; saved as
   out/character.blend;
4. run the batch script on the sample: uplift with the bundled network, retarget onto the character (preset
   auto-detected), export out/demo.blend, out/demo.fbx, out/demo.bvh and the joint angles out/demo_angles.csv;
5. render a preview contact sheet, out/preview.png: the 2D input above the character at six moments (Cycles, CPU).

It ends by printing where the outputs are. Exit code 1 with a one-line error on failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

SAMPLE = ROOT / "model" / "samples" / "sample_mediapipe.json"
OUT = ROOT / "out"
#: The CC0 MakeHuman base body, skeleton and skin weights (beside the checkout, or MAKEHUMAN_ASSETS).
ASSETS = Path(os.environ.get("MAKEHUMAN_ASSETS", ROOT.parent / "shared" / "assets" / "makehuman"))

_CHARACTER = r"""
import sys, json
import bpy, numpy as np
zip_path, assets, rig_json, blend = sys.argv[1:5]
bpy.ops.wm.read_homefile(use_empty=True)
assert bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True) == {"FINISHED"}
import importlib
retarget = importlib.import_module("bl_ext.user_default.pose_uplift.addon.retarget")
# the CC0 MakeHuman base body: decimetres, Y up, facing +Z -> metres, Z up, facing -Y, feet on the floor
verts, faces, group = [], [], None
for line in open(assets + "/base.obj"):
    if line.startswith("v "):
        verts.append([float(x) for x in line.split()[1:4]])
    elif line.startswith("g "):
        group = line.split()[1]
    elif line.startswith("f ") and group == "body":
        faces.append([int(t.split("/")[0]) - 1 for t in line.split()[1:]])
v = np.array(verts)
v = np.stack([v[:, 0], -v[:, 2], v[:, 1]], 1) * 0.1
v[:, 2] -= v[:13380, 2].min()
used = sorted({i for f in faces for i in f})
index = {old: new for new, old in enumerate(used)}
mesh = bpy.data.meshes.new("body")
mesh.from_pydata(v[used].tolist(), [], [[index[i] for i in f] for f in faces])
mesh.update()
for poly in mesh.polygons:
    poly.use_smooth = True
body = bpy.data.objects.new("body", mesh)
bpy.context.scene.collection.objects.link(body)
mat = bpy.data.materials.new("skin")
mat.diffuse_color = (0.8, 0.6, 0.5, 1.0)
mat.use_nodes = True
mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.8, 0.6, 0.5, 1.0)
mesh.materials.append(mat)
# the default skeleton: each joint the mean of its listed vertices; bone rolls from the MPFB default rig (same bones)
skel = json.load(open(assets + "/default.mhskel"))
rolls = json.load(open(rig_json))["bones"]
joint = {name: v[ids].mean(0) for name, ids in skel["joints"].items()}
bones = {name: {"head": joint[b["head"]].tolist(), "tail": joint[b["tail"]].tolist(), "roll": rolls[name]["roll"],
                "parent": b["parent"], "use_connect": False} for name, b in skel["bones"].items()}
desc = blend + ".rig.json"
json.dump({"bones": bones}, open(desc, "w"))
sys.path.insert(0, str(__import__("pathlib").Path(rig_json).resolve().parents[1]))
from rig_builder import build_rig
rig = build_rig(bpy.context.scene.collection, desc, name="character")
lift = min(min(b["head"][2], b["tail"][2]) for b in bones.values())
body.location.z = -lift  # build_rig stands the skeleton on z = 0: keep the skin on it
# skin weights (vertex ids of the whole file; the body keeps its own order)
weights = json.load(open(assets + "/default_weights.mhw"))["weights"]
for name, pairs in weights.items():
    group = body.vertex_groups.new(name=name)
    for vid, w in pairs:
        if vid in index:
            group.add([index[vid]], w, "REPLACE")
mod = body.modifiers.new("Armature", "ARMATURE")
mod.object = rig
body.parent = rig
bpy.ops.wm.save_as_mainfile(filepath=blend)
import os
os.remove(desc)
"""

_CAPSULE_CHARACTER = """
import sys, importlib
import bpy
from mathutils import Vector
zip_path, rig_json, blend = sys.argv[1:4]
bpy.ops.wm.read_homefile(use_empty=True)
assert bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True) == {"FINISHED"}
sys.path.insert(0, str(__import__("pathlib").Path(rig_json).resolve().parents[1]))
from rig_builder import build_rig
rig = build_rig(bpy.context.scene.collection, rig_json, name="character")
radius = {"pelvis": 0.13, "spine_01": 0.13, "spine_02": 0.14, "spine_03": 0.15, "neck_01": 0.05, "head": 0.09,
          "clavicle": 0.05, "upperarm": 0.05, "lowerarm": 0.04, "hand": 0.035, "thigh": 0.08, "calf": 0.06,
          "foot": 0.045, "ball": 0.035}
mat = bpy.data.materials.new("body")
mat.diffuse_color = (0.8, 0.55, 0.4, 1.0)
for bone in rig.data.bones:
    key = bone.name.rsplit("_", 1)[0] if bone.name.endswith(("_l", "_r")) else bone.name
    if key not in radius:
        continue
    head, tail = rig.matrix_world @ bone.head_local, rig.matrix_world @ bone.tail_local
    axis = tail - head
    bpy.ops.mesh.primitive_cylinder_add(vertices=16, radius=radius[key], depth=axis.length, location=(head + tail) / 2)
    part = bpy.context.active_object
    part.rotation_mode = "QUATERNION"
    part.rotation_quaternion = axis.to_track_quat("Z", "Y")
    part.name = "body_" + bone.name
    part.data.materials.append(mat)
    world = part.matrix_world.copy()
    part.parent, part.parent_type, part.parent_bone = rig, "BONE", bone.name
    part.matrix_world = world
bpy.ops.wm.save_as_mainfile(filepath=blend)
"""

_PREVIEW = """
import sys, json
import bpy, numpy as np
blend, points_json, png = sys.argv[1:4]
bpy.ops.wm.open_mainfile(filepath=blend)
scene = bpy.context.scene
rig = next(o for o in scene.objects if o.type == "ARMATURE")
info = json.loads(open(points_json).read())
frames = info["frames"]
w, h = 240, 320
cam = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
scene.collection.objects.link(cam)
cam.data.type = "ORTHO"
scene.camera = cam
sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN"))
sun.rotation_euler = (0.8, 0.2, 0.6)
scene.collection.objects.link(sun)
scene.world = bpy.data.worlds.new("w")
scene.world.use_nodes = True
scene.world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.85, 0.86, 0.9, 1.0)
scene.render.engine = "CYCLES"
scene.cycles.samples = 8
scene.cycles.device = "CPU"
scene.render.resolution_x, scene.render.resolution_y = w, h
scene.render.film_transparent = False
tiles = []
for f, key in zip(frames, info["scene_frames"]):
    scene.frame_set(key)  # the sample's frame f (the scene's first frame is the first one the detector saw)
    # follow the pelvis (the rig's root bone stays put while the body moves)
    hips = rig.pose.bones.get(rig.get("pose_uplift_root_bone", "")) or rig.pose.bones[0]
    pelvis = rig.matrix_world @ hips.head
    cam.data.ortho_scale = 2.4
    # from where the video's camera was: the uplift leaves the video's viewing direction along Blender's +Y (its
    # Front view, model.motion), so the camera stands on the -Y side looking towards +Y
    cam.location = (pelvis.x, pelvis.y - 6.0, pelvis.z + 0.05)
    cam.rotation_euler = (1.5708, 0.0, 0.0)
    scene.render.filepath = png + f".{f}.png"
    bpy.ops.render.render(write_still=True)
    img = bpy.data.images.load(scene.render.filepath)
    px = np.array(img.pixels[:], dtype=np.float32).reshape(h, w, 4)
    tiles.append(px)
# the 2D input, drawn as dots and limbs on white, same tile size, top row
top = []
limbs = info["limbs"]
for pts in info["points"]:
    tile = np.ones((h, w, 4), np.float32)
    p = np.array(pts, dtype=np.float32)
    ok = p[:, 2] > 0.0
    xy = p[:, :2]
    if not ok.any():
        top.append(tile)
        continue
    lo, hi = xy[ok].min(0), xy[ok].max(0)
    scale = 0.8 * min(w / max(hi[0] - lo[0], 1), h / max(hi[1] - lo[1], 1))
    q = (xy - (lo + hi) / 2) * scale + [w / 2, h / 2]
    for a, b in limbs:
        if ok[a] and ok[b]:
            for t in np.linspace(0, 1, 60):
                x, y = (q[a] * (1 - t) + q[b] * t).astype(int)
                tile[max(h - 1 - y - 1, 0):h - y + 1, max(x - 1, 0):x + 2, :3] = (0.15, 0.3, 0.8)
    for x, y in q[ok].astype(int):
        tile[max(h - 1 - y - 2, 0):h - y + 2, max(x - 2, 0):x + 3, :3] = (0.85, 0.2, 0.1)
    top.append(tile)
sheet = np.concatenate([np.concatenate(tiles, 1), np.concatenate(top, 1)], 0)  # rows bottom-up in Blender images
out = bpy.data.images.new("preview", sheet.shape[1], sheet.shape[0])
out.pixels.foreach_set(sheet.ravel())
out.filepath_raw = png
out.file_format = "PNG"
out.save()
"""


def _run_bpy(code: str, args: list[str], env: dict) -> None:
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"headless Blender run failed: {last}")


def build_character(zip_path: Path, assets: Path, blend: Path, env: dict) -> None:
    """The MakeHuman body in ``assets`` (base.obj, default.mhskel, default_weights.mhw) skinned to its default
    skeleton, saved as ``blend``."""
    _run_bpy(
        _CHARACTER, [str(zip_path), str(assets), str(ROOT / "scripts" / "rigs" / "mpfb_default.json"), str(blend)], env
    )


def main() -> int:
    import build_extension
    import inspect_keypoints

    from model.keypoints import HALPE26
    from model.pipeline import UpliftOptions
    from model.readers import KeypointFileError, read_keypoints

    OUT.mkdir(exist_ok=True)
    try:
        info = inspect_keypoints.summary(str(SAMPLE))
    except KeypointFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"[1/5] sample: {SAMPLE.relative_to(ROOT)}: {info['format']} ({info['layout']}), {info['frames']} frames "
        f"at {info['fps']} fps, {info['people']} people, {100 * info['confident_fraction']:.0f}% points confident"
    )
    zip_path = build_extension.build(ROOT / "dist")
    print(f"[2/5] extension built with Blender's extension tool: {zip_path.relative_to(ROOT)}")
    user_dir = OUT / "blender_user"
    shutil.rmtree(user_dir, ignore_errors=True)
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(user_dir))
    character = OUT / "character.blend"
    try:
        if all((ASSETS / name).is_file() for name in ("base.obj", "default.mhskel", "default_weights.mhw")):
            build_character(zip_path, ASSETS, character, env)
            what = "the CC0 MakeHuman body skinned to its default skeleton"
        else:  # without the MakeHuman assets: a capsule body on the CC0 MPFB game_engine rig (in scripts/rigs)
            _run_bpy(
                _CAPSULE_CHARACTER,
                [str(zip_path), str(ROOT / "scripts" / "rigs" / "mpfb_game_engine.json"), str(character)],
                env,
            )
            what = f"a capsule body on the CC0 MPFB game_engine rig ({ASSETS} not found)"
        print(
            f"[3/5] installed into headless Blender {_bpy_version(env)}; character: {what} -> {character.relative_to(ROOT)}"
        )
        batch_dir = OUT / "demo_batch"  # the demo's own folder (out/batch, the batch script's default, is left alone)
        shutil.rmtree(batch_dir, ignore_errors=True)
        cmd = [
            sys.executable,
            str(ROOT / "scripts" / "uplift_batch.py"),
            str(SAMPLE),
            "--out",
            str(batch_dir),
            "--rig",
            str(character),
            "--preset",
            "auto",
            "--export",
            "blend,fbx,bvh",
            "--angles",
            "--overwrite",
        ]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError("batch run failed: " + (proc.stdout.strip().splitlines() or ["?"])[-1])
        outputs = {}
        for src in batch_dir.iterdir():
            dst = OUT / src.name.replace(SAMPLE.stem, "demo")
            os.replace(src, dst)
            outputs[dst.suffix] = dst
        batch_dir.rmdir()
        print(
            f"[4/5] uplifted and retargeted onto the character by the batch script: {', '.join(p.name for p in outputs.values())}"
        )
        kp = read_keypoints(SAMPLE)
        seen = np.flatnonzero((kp.points[..., 2] > 0).sum(-1) >= 12)  # frames where the detector saw the person
        frames = [int(seen[int(k)]) for k in np.linspace(0, len(seen) - 1, 6)]
        limbs = [(HALPE26.index(a), HALPE26.index(b)) for a, b in _LIMBS]
        points_json = OUT / "preview_points.json"
        points_json.write_text(
            json.dumps(
                {
                    "frames": frames,
                    "scene_frames": [UpliftOptions().frame_start + f for f in frames],  # the batch run's defaults
                    "limbs": limbs,
                    "points": [kp.points[f].tolist() for f in frames],
                }
            )
        )
        preview = OUT / "preview.png"
        _run_bpy(_PREVIEW, [str(OUT / "demo.blend"), str(points_json), str(preview)], env)
        for f in frames:
            Path(f"{preview}.{f}.png").unlink(missing_ok=True)
        points_json.unlink()
        print(f"[5/5] preview rendered (Cycles, CPU): {preview.relative_to(ROOT)}")
    except (RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        "\nOutputs:\n  "
        + "\n  ".join(
            str(p)
            for p in [
                OUT / "demo.blend",
                OUT / "demo.fbx",
                OUT / "demo.bvh",
                OUT / "demo_angles.csv",
                OUT / "preview.png",
                character,
                zip_path,
            ]
        )
    )
    return 0


_LIMBS = [
    ("left_shoulder", "right_shoulder"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("left_hip", "right_hip"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("left_ankle", "left_big_toe"),
    ("right_ankle", "right_big_toe"),
    ("neck", "head"),
    ("neck", "hip"),
]


def _bpy_version(env: dict) -> str:
    code = "import bpy; print(bpy.app.version_string)"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return proc.stdout.strip().splitlines()[-1] if proc.returncode == 0 and proc.stdout.strip() else "?"


if __name__ == "__main__":
    sys.exit(main())
