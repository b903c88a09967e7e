"""Import Video in real Blender (the bpy module): the detector installed by the Install Detector button's own code
from the package registries, a 2-second real video (tests/fixtures/video, from PyPI sports2d's demo) detected,
imported, uplifted and keyed, the footage behind a matching camera; a re-import reuses the detections; bad videos
give one line and leave the scene alone."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

bpy = pytest.importorskip("bpy")

from .conftest import fresh_scene  # noqa: E402

VIDEO = Path(__file__).resolve().parents[1] / "fixtures" / "video" / "sports2d_demo_2s.mp4"
MULTI = VIDEO.with_name("pose2sim_multiperson_2s.mp4")


@pytest.fixture(scope="module")
def detector(ext):
    installer = ext.addon.installer
    if (sys.version_info.major, sys.version_info.minor) not in installer.DETECTOR_REQUIREMENTS:
        with pytest.raises(installer.InstallError, match="no MediaPipe with its pose model exists for Python"):
            installer.detector_requirements()
        pytest.skip("no detector for this Python (the one-line message is checked above)")
    if not installer.detector_installed():
        system = bpy.context.preferences.system
        allowed = system.use_online_access
        system.use_online_access = False
        with pytest.raises(installer.InstallError, match="online access is off"):  # honoured
            installer.install_detector()
        system.use_online_access = True  # the user allows it, as in Preferences > System > Network
        try:
            version, _ = installer.install_detector()  # the button's own code, from the registries
        finally:
            system.use_online_access = allowed
        assert version == {(3, 11): "0.10.21", (3, 12): "0.10.21"}.get(sys.version_info[:2], "1.2.3")
    return installer


def test_a_video_becomes_an_animated_rig_over_its_footage(ext, detector, tmp_path):
    fresh_scene()
    video = tmp_path / VIDEO.name
    shutil.copy(VIDEO, video)
    assert bpy.ops.pose_uplift.import_video(filepath=str(video)) == {"FINISHED"}
    written = sorted(tmp_path.glob("sports2d_demo_2s.keypoints-*.json"))
    assert len(written) == 1 and not list(tmp_path.glob("*.partial"))
    s = bpy.context.scene.pose_uplift
    assert s.filepath == str(written[0]) and s.frames == 60 and s.file_fps == 30.0
    rig = next(o for o in bpy.data.objects if o.type == "ARMATURE")
    assert rig.animation_data.action is not None
    camera = bpy.context.scene.camera
    assert camera is not None and camera.data.background_images[0].clip.filepath.endswith(VIDEO.name)
    assert (bpy.context.scene.render.resolution_x, bpy.context.scene.render.resolution_y) == (480, 270)
    # the rig is in front of the camera, where the video shows the person: its pelvis projects inside the frame
    scene = bpy.context.scene
    scene.frame_set(scene.frame_start + 20)
    from bpy_extras.object_utils import world_to_camera_view

    pelvis = rig.matrix_world @ rig.pose.bones["pelvis"].head
    u, v, depth = world_to_camera_view(scene, camera, pelvis)
    assert depth > 1.0 and 0.05 < u < 0.95 and 0.05 < v < 0.95, (u, v, depth)
    # the same video again: the detections are reused, nothing new written
    stamp = written[0].stat().st_mtime_ns
    assert bpy.ops.pose_uplift.import_video(filepath=str(video), footage=False) == {"FINISHED"}
    assert sorted(tmp_path.glob("*.json")) == written and written[0].stat().st_mtime_ns == stamp


def test_bad_videos_give_one_line_and_leave_the_scene(ext, detector, tmp_path):
    fresh_scene()
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("not a video")
    empty_dir = tmp_path / "frames"
    empty_dir.mkdir()
    black = tmp_path / "black.mp4"
    import subprocess

    # a real video where nobody is: 20 black frames, written by the detector's own OpenCV
    code = (
        f"import cv2, numpy as np; w = cv2.VideoWriter({str(black)!r}, cv2.VideoWriter_fourcc(*'mp4v'), 30.0, "
        "(160, 120)); [w.write(np.zeros((120, 160, 3), np.uint8)) for _ in range(20)]; w.release()"
    )
    env = {"PYTHONPATH": str(detector.detector_dir())}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    before = set(bpy.data.objects)
    for path, message in (
        (not_video, "not a video OpenCV can read"),
        (black, "nobody found in any of its 20 frames"),
        (tmp_path / "missing.mp4", "no such file"),
    ):
        with pytest.raises(RuntimeError, match=message):
            bpy.ops.pose_uplift.import_video(filepath=str(path))
        assert set(bpy.data.objects) == before
    assert not list(tmp_path.glob("*.json")) and not list(tmp_path.glob("*.partial"))


def test_several_people_each_get_an_armature_where_the_video_shows_them(ext, detector, tmp_path):
    """Two people in a real video: two tracks listed with their frames, an armature each, each standing where the
    footage camera sees its person (its pelvis projected onto that person's detected hips)."""
    fresh_scene()
    video = tmp_path / MULTI.name
    shutil.copy(MULTI, video)
    single = ext.addon.video.detections_path(video)
    assert ext.addon.video.detections_path(video, people=3) != single  # other settings never reuse a file
    assert bpy.ops.pose_uplift.import_video(filepath=str(video), people=3) == {"FINISHED"}
    s = bpy.context.scene.pose_uplift
    assert s.people == 2 and len(s.tracks) == 2, [(t.index, t.first, t.last, t.seen) for t in s.tracks]
    assert s.tracks[0].seen >= 45 and s.tracks[1].seen >= 35 and s.tracks[0].first == 1
    rigs = sorted((o for o in bpy.data.objects if o.type == "ARMATURE"), key=lambda o: o.name)
    assert len(rigs) == 2
    assert all(r.animation_data and r.animation_data.action for r in rigs)
    from bpy_extras.object_utils import world_to_camera_view

    scene, camera = bpy.context.scene, bpy.context.scene.camera
    tracks = ext.model.readers.read_tracks(s.filepath)
    width, height = tracks[0].image_size
    frame = 20
    scene.frame_set(s.tracks[0].first + frame)
    hips = [ext.model.keypoints.KEYPOINT_INDEX[n] for n in ("left_hip", "right_hip")]
    pelvises = [rig.matrix_world @ rig.pose.bones["pelvis"].head for rig in rigs]
    assert (pelvises[0] - pelvises[1]).length > 0.3  # side by side, not on top of each other
    for k, (rig, pelvis) in enumerate(zip(rigs, pelvises)):
        assert rig.name.endswith(f"person {k}")
        u, v, depth = world_to_camera_view(scene, camera, pelvis)
        x, y = tracks[k].points[frame - tracks[k].first_frame, hips, :2].mean(0)
        assert depth > 1.0 and abs(u - x / width) < 0.08 and abs(v - (1 - y / height)) < 0.08, (k, u, v, x, y)
    # a character rig chosen as the target: several people still get new armatures, and the rig is left alone
    s.target, s.rig = "RIG", rigs[0]
    keyed_before = rigs[0].animation_data.action
    assert bpy.ops.pose_uplift.uplift() == {"FINISHED"}
    assert rigs[0].animation_data.action == keyed_before
    assert len([o for o in bpy.data.objects if o.type == "ARMATURE"]) == 4
