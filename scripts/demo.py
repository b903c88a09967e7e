"""The demo behind `make demo`: the bundled sample through everything Pose Uplift has, end to end.

1. read the bundled sample of real 2D keypoints and say what it holds;
2. build the extension zip with Blender's own extension tool;
3. install it into headless Blender (the bpy module) with a throwaway user directory under out/;
4. import the sample with the extension's operator and save the scene to out/demo.blend;
5. uplift the sample with the bundled network (joint rotations, root motion, bone lengths) to out/sample_motion.npz.

It ends by printing where the outputs are. Exit code 1 with a one-line error on failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

SAMPLE = ROOT / "model" / "samples" / "sample_mediapipe.json"
OUT = ROOT / "out"

_IN_BLENDER = """
import json, sys
import bpy
zip_path, sample, blend = sys.argv[1:4]
assert bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True) == {"FINISHED"}
bpy.ops.pose_uplift.import_keypoints(filepath=sample)
s = bpy.context.scene.pose_uplift
bpy.ops.wm.save_as_mainfile(filepath=blend)
print("RESULT " + json.dumps({"format": s.source_format, "frames": s.frames, "people": s.people, "fps": s.fps}))
"""


def main() -> int:
    import build_extension
    import inspect_keypoints

    from model.readers import KeypointFileError

    OUT.mkdir(exist_ok=True)
    try:
        info = inspect_keypoints.summary(str(SAMPLE))
    except KeypointFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"[1/5] sample: {SAMPLE.relative_to(ROOT)}: {info['format']} ({info['layout']}), {info['frames']} frames "
          f"at {info['fps']} fps, {info['people']} people, {100 * info['confident_fraction']:.0f}% points confident")  # fmt: skip
    zip_path = build_extension.build(ROOT / "dist")
    print(f"[2/5] extension built with Blender's extension tool: {zip_path.relative_to(ROOT)}")
    user_dir = OUT / "blender_user"
    shutil.rmtree(user_dir, ignore_errors=True)
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(user_dir))
    blend = OUT / "demo.blend"
    proc = subprocess.run([sys.executable, "-c", _IN_BLENDER, str(zip_path), str(SAMPLE), str(blend)],
                          env=env, capture_output=True, text=True)  # fmt: skip
    result = next((line[7:] for line in proc.stdout.splitlines() if line.startswith("RESULT ")), None)
    if proc.returncode != 0 or result is None:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"error: headless Blender run failed: {last}", file=sys.stderr)
        return 1
    print(f"[3/5] installed into headless Blender {_bpy_version(env)} (user directory {user_dir.relative_to(ROOT)})")
    got = json.loads(result)
    print(
        f"[4/5] imported with the extension's operator: {got['format']}, {got['frames']} frames, {got['people']} people"
    )
    motion_path = OUT / "sample_motion.npz"
    uplift_sample(motion_path)
    print(f"\nOutputs:\n  {blend}\n  {motion_path}\n  {zip_path}")
    return 0


def uplift_sample(path: Path) -> None:
    import time

    import numpy as np

    from model.readers import read_keypoints
    from model.uplift import Uplifter

    keypoints = read_keypoints(SAMPLE)
    uplifter = Uplifter()
    start = time.perf_counter()
    motion = uplifter(keypoints)
    seconds = time.perf_counter() - start
    np.savez(path, rotations_wxyz=motion.rotations, root_translation=motion.root_translation,
             joint_positions=motion.joint_positions, offsets=motion.skeleton.offsets, fps=motion.fps)  # fmt: skip
    travel = np.linalg.norm(np.ptp(motion.root_translation[:, [0, 2]], axis=0))
    print(f"[5/5] uplifted with the bundled network ({uplifter.backend}, {uplifter.device}) in {seconds:.2f} s: "
          f"{motion.num_frames} frames at {motion.fps:g} fps, 22 joint rotations per frame, body height "
          f"{motion.skeleton.height:.2f} m, root travel {travel:.2f} m")  # fmt: skip


def _bpy_version(env: dict) -> str:
    code = "import bpy; print(bpy.app.version_string)"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return proc.stdout.strip().splitlines()[-1] if proc.returncode == 0 and proc.stdout.strip() else "?"


if __name__ == "__main__":
    sys.exit(main())
