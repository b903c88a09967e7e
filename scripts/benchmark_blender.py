"""Blender-side timings, run by scripts/benchmark.py in a fresh process (the bpy module, the built extension installed
into a throwaway user directory). Prints one JSON object:

- ``apply_seconds_10k``: keying a 10,000-frame Motion onto a new canonical armature (bulk ``foreach_set``);
- ``keyframe_insert_seconds_10k``: the naive loop (set the pose, ``keyframe_insert`` per bone and frame), same clip;
- ``end_to_end_seconds_10k``: a 10,000-frame keypoint file to a keyframed armature through the operator (read,
  uplift, armature, keys);
- ``retarget_seconds_10k``: retargeting the same Motion onto the MakeHuman/MPFB default rig (163 bones, A-pose).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="pose_uplift_bench_")
sys.path.insert(0, str(ROOT / "scripts"))

import bpy  # noqa: E402
import build_extension  # noqa: E402
import numpy as np  # noqa: E402

MODULE = "bl_ext.user_default.pose_uplift"
FRAMES = 10_000


def main() -> int:
    zip_path = build_extension.build(Path(tempfile.mkdtemp()))
    bpy.ops.extensions.package_install_files(filepath=str(zip_path), repo="user_default", enable_on_install=True)
    pipeline = importlib.import_module(MODULE + ".addon.pipeline")
    armature = importlib.import_module(MODULE + ".addon.armature")
    readers = importlib.import_module(MODULE + ".model.readers")
    from_sample = readers.read_keypoints(ROOT / "model" / "samples" / "sample_mediapipe.json")
    points = np.resize(from_sample.points, (FRAMES, 26, 3))
    clip = Path(tempfile.mkdtemp()) / "bench_10k.npz"
    np.savez(clip, keypoints=points, fps=30.0, layout="Halpe-26")
    result: dict = {}

    # end to end through the operator (the network is loaded once before, like a second run in a session)
    options = pipeline.UpliftOptions(backend="torch", device="cpu")
    motion, _ = pipeline.compute_motion(pipeline.read_person(clip, options), options)
    bpy.ops.wm.read_homefile(use_empty=True)
    if MODULE not in {a.module for a in bpy.context.preferences.addons}:
        bpy.ops.preferences.addon_enable(module=MODULE)
    bpy.context.scene.pose_uplift.filepath = str(clip)
    t0 = time.perf_counter()
    assert bpy.ops.pose_uplift.uplift() == {"FINISHED"}
    result["end_to_end_seconds_10k"] = round(time.perf_counter() - t0, 2)

    # bulk keying onto a new armature
    obj = armature.create_armature(bpy.context.scene.collection, motion.skeleton, "bench")
    t0 = time.perf_counter()
    armature.apply_motion(obj, motion, 1, "bench")
    result["apply_seconds_10k"] = round(time.perf_counter() - t0, 2)

    # the naive loop on the same values
    rest = armature.rest_orientations(obj)
    quats = armature.bone_quaternions(motion, rest)
    head = np.array(obj.data.bones["pelvis"].head_local)
    loc = armature.root_locations(motion, rest, head)
    naive = armature.create_armature(bpy.context.scene.collection, motion.skeleton, "naive")
    bones = [naive.pose.bones[n] for n in armature.JOINT_NAMES]
    t0 = time.perf_counter()
    for t in range(FRAMES):
        bones[0].location = loc[t]
        bones[0].keyframe_insert("location", frame=t + 1)
        for j, pb in enumerate(bones):
            pb.rotation_quaternion = quats[t, j]
            pb.keyframe_insert("rotation_quaternion", frame=t + 1)
    result["keyframe_insert_seconds_10k"] = round(time.perf_counter() - t0, 2)
    result["keyframe_speedup"] = round(result["keyframe_insert_seconds_10k"] / result["apply_seconds_10k"], 1)

    retarget = importlib.import_module(MODULE + ".addon.retarget")
    rig = retarget.build_rig(bpy.context.scene.collection, ROOT / "model" / "rigs" / "mpfb_default.json")
    t0 = time.perf_counter()
    retarget.retarget_motion(rig, motion, "auto", frame_start=1, action_name="bench")
    result["retarget_seconds_10k"] = round(time.perf_counter() - t0, 2)
    result["retarget_rig_bones"] = len(rig.data.bones)
    result["blender"] = bpy.app.version_string
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
