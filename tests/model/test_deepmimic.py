"""DeepMimic clips (PyPI pybullet) as BVH-like clips and as canonical-skeleton motion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.mocap.clip import MotionFileError
from model.mocap.deepmimic import read_deepmimic
from model.mocap.retarget import retarget_clip
from model.skeleton import JOINT_INDEX

WALK = Path(__file__).resolve().parents[1] / "fixtures" / "deepmimic" / "humanoid3d_walk.txt"


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_walk_retargets_with_the_same_segment_directions():
    clip = read_deepmimic(WALK)
    motion = retarget_clip(clip, unit_scale=1.0, path=str(WALK))
    src, _ = clip.world()
    dst = motion.joint_positions
    pairs = [
        ("left_hip", "left_knee", "LeftUpLeg", "LeftLeg"),
        ("right_knee", "right_ankle", "RightLeg", "RightFoot"),
        ("left_shoulder", "left_elbow", "LeftArm", "LeftForeArm"),
        ("right_elbow", "right_wrist", "RightForeArm", "RightHand"),
    ]
    for a, b, x, y in pairs:
        d_src = _unit(src[:, clip.names.index(y)] - src[:, clip.names.index(x)])
        d_dst = _unit(dst[:, JOINT_INDEX[b]] - dst[:, JOINT_INDEX[a]])
        worst = np.degrees(np.arccos(np.clip((d_src * d_dst).sum(-1), -1, 1))).max()
        # the thigh starts at the hip where the canonical pelvis puts it, a few mm from the source's: within a degree
        assert worst < (1.0 if a == "left_hip" else 0.01), (a, b, worst)
    # a walk: upright, feet on the floor, forward (+z, the body's facing at rest) at about 1 m/s
    pos = motion.world_positions()
    assert (pos[:, JOINT_INDEX["head"], 1] > pos[:, JOINT_INDEX["pelvis"], 1] + 0.3).all()
    feet = pos[:, [JOINT_INDEX["left_foot"], JOINT_INDEX["right_foot"]], 1].min(1)
    assert abs(np.percentile(feet, 5)) < 0.05
    seconds = (motion.num_frames - 1) / motion.fps
    speed = (motion.root_translation[-1] - motion.root_translation[0]) / seconds
    assert 0.7 < speed[2] < 1.6 and abs(speed[0]) < 0.3, speed


def test_loops_are_repeated_continuing_forward():
    one = read_deepmimic(WALK, min_seconds=0.1)
    four = read_deepmimic(WALK, min_seconds=4.0)
    n = len(one.root_translation)
    assert len(four.root_translation) == 4 * (n - 1) + 1
    step = one.root_translation[-1] - one.root_translation[0]
    # the second cycle is the first moved on by one cycle's displacement (a clip's last frame repeats its first)
    np.testing.assert_allclose(four.root_translation[n - 1 : 2 * n - 2], one.root_translation[:-1] + step, atol=1e-9)
    np.testing.assert_allclose(four.local_rotations[n - 1 : 2 * n - 2], one.local_rotations[:-1], atol=1e-9)


def test_motion_resampled_keeps_duration_and_pose():
    motion = retarget_clip(read_deepmimic(WALK), unit_scale=1.0)
    half = motion.resampled(motion.fps / 2)
    assert half.fps == motion.fps / 2 and half.num_frames == (motion.num_frames - 1) // 2 + 1
    np.testing.assert_allclose(half.rotations, motion.rotations[::2], atol=1e-9)


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "not a DeepMimic motion file"),
        ('{"Frames": [[1, 2, 3], [1, 2, 3]]}', "expected frames of 44 numbers"),
        ('{"Frames": [' + ",".join(["[" + ",".join(["0.1"] * 43 + ["NaN"]) + "]"] * 2) + "]}", "frame 0"),
    ],
)
def test_bad_files_give_one_line(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(MotionFileError, match=message) as err:
        read_deepmimic(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)
