"""SMPL / SMPL-X motion in the AMASS layout (built here from a known motion: no such data is shipped)."""

from __future__ import annotations

import numpy as np
import pytest

from model.mocap import read_motion
from model.mocap.amass import read_amass
from model.mocap.clip import MotionFileError
from model.rotations import elementary_rotation, quat_to_axis_angle, quat_to_matrix
from model.training.synthesis import synthetic_motion


def _amass_file(tmp_path, layout: str, z_up: bool = True):
    clip = synthetic_motion(np.random.default_rng(3), 1, 60, 30.0)
    quats, root = clip.rotations[0], clip.root[0]
    aa = quat_to_axis_angle(quats)  # (60, 22, 3)
    if z_up:  # AMASS: the same motion in a z-up world
        to_z = elementary_rotation("x", np.pi / 2)
        rot0 = to_z @ quat_to_matrix(quats[:, 0])
        from model.rotations import matrix_to_axis_angle

        aa[:, 0] = matrix_to_axis_angle(rot0)  # root_orient + pose_body win over poses (zeros here)
        root = root @ to_z.T
    path = tmp_path / f"{layout}.npz"
    if layout == "smplh":
        poses = np.concatenate([aa.reshape(60, -1), np.zeros((60, 3 * 30))], 1)  # 52 joints: hands dropped
        np.savez(path, poses=poses, trans=root, mocap_framerate=np.array(60.0), betas=np.zeros(16))
    else:
        np.savez(
            path,
            root_orient=aa[:, 0],
            pose_body=aa[:, 1:].reshape(60, -1),
            trans=root,
            mocap_frame_rate=np.array(30.0),
            poses=np.zeros((60, 165)),
        )
    return path, quats


@pytest.mark.parametrize("layout", ["smplh", "smplx"])
def test_amass_layouts_read_back_the_motion(tmp_path, layout):
    path, quats = _amass_file(tmp_path, layout)
    motion = read_amass(path)
    assert motion.num_frames == 60 and motion.fps == (60.0 if layout == "smplh" else 30.0)
    local = np.abs((motion.rotations[:, 1:] * quats[:, 1:]).sum(-1))
    assert np.abs(local - 1).max() < 1e-6  # body rotations unchanged
    root = np.abs((motion.rotations[:, 0] * quats[:, 0]).sum(-1))
    assert np.abs(root - 1).max() < 1e-6  # z-up turned back to the model's y-up world
    heads = motion.world_positions()[:, 15]
    assert (heads[:, 1] > motion.root_translation[:, 1]).mean() > 0.9  # mostly upright
    assert np.isclose(np.percentile(motion.foot_points()[..., 1].min(1), 5), 0, atol=1e-6)
    assert read_motion(path).num_frames == 60  # the dispatcher used by train.py and evaluate.py


def test_y_up_files_and_auto_detection(tmp_path):
    path, quats = _amass_file(tmp_path, "smplh", z_up=False)
    for up in ("y", "auto"):
        motion = read_amass(path, up=up)
        assert np.abs(np.abs((motion.rotations[:, 0] * quats[:, 0]).sum(-1)) - 1).max() < 1e-6


def test_bad_amass_files(tmp_path):
    np.savez(tmp_path / "a.npz", trans=np.zeros((5, 3)))
    with pytest.raises(MotionFileError, match="no 'poses'"):
        read_amass(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", poses=np.zeros((5, 30)), trans=np.zeros((5, 3)))
    with pytest.raises(MotionFileError, match="at least 22 joints"):
        read_amass(tmp_path / "b.npz")
    poses = np.zeros((5, 72))
    poses[3, 4] = np.nan
    np.savez(tmp_path / "c.npz", poses=poses, trans=np.zeros((5, 3)))
    with pytest.raises(MotionFileError, match="frame 3"):
        read_amass(tmp_path / "c.npz")
    (tmp_path / "d.npz").write_text("not a zip")
    with pytest.raises(MotionFileError, match="d.npz: not a readable"):
        read_amass(tmp_path / "d.npz")
