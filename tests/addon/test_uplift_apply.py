"""Uplift and apply inside headless Blender, on the installed extension: the posed bones land on the model's own
forward kinematics, the keys are the model's quaternions after the documented change of basis, the clip keeps its
length, rate and start frame, stands on the floor upright, and nothing the user had is overwritten.

Runs on bpy 5.0.1 (make test) and on the 4.2 / 4.5 LTS wheels (make test-compat)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
bpy = pytest.importorskip("bpy")

MODULE = "bl_ext.user_default.pose_uplift"
SAMPLE = ROOT / "model" / "samples" / "sample_mediapipe.json"


from .conftest import action_fcurves as _action_fcurves  # noqa: E402
from .conftest import fresh_scene as _fresh_scene  # noqa: E402


def _uplift(path: Path, **settings) -> bpy.types.Object:
    before = set(bpy.data.objects)
    s = bpy.context.scene.pose_uplift
    s.filepath = str(path)
    for key, value in settings.items():
        setattr(s, key, value)
    assert bpy.ops.pose_uplift.uplift() == {"FINISHED"}
    (obj,) = set(bpy.data.objects) - before
    return obj


@pytest.fixture(scope="module")
def applied(ext):
    """The sample uplifted from the panel's settings (start frame 10), and the motion the same options produce."""
    _fresh_scene()
    obj = _uplift(SAMPLE, frame_start=10, smooth=0.0, gaps="keep")  # every frame keyed (gaps: see below)
    pipeline = ext.addon.pipeline
    options = bpy.context.scene.pose_uplift.uplift_options()
    motion = pipeline.uplift(pipeline.read_person(SAMPLE, options), options).motion
    return obj, motion


def test_frames_fps_and_start_frame(applied, ext):
    obj, motion = applied
    scene = bpy.context.scene
    assert motion.num_frames == 230 and motion.fps == pytest.approx(30.0)
    assert (scene.frame_start, scene.frame_end) == (10, 10 + 230 - 1)
    assert scene.render.fps / scene.render.fps_base == pytest.approx(30.0)
    curves = _action_fcurves(obj)
    assert len(curves) == 22 * 4 + 3
    for fc in curves:
        frames = np.empty(2 * len(fc.keyframe_points))
        fc.keyframe_points.foreach_get("co", frames)
        assert np.array_equal(frames[0::2], 10 + np.arange(230))
    assert obj["pose_uplift_frames"] == 230 and obj["pose_uplift_source_file"] == str(SAMPLE)
    assert {b.name for b in obj.data.collections[0].bones} == {b.name for b in obj.data.bones}


def test_keys_are_the_models_quaternions_after_the_change_of_basis(applied, ext):
    obj, motion = applied
    arm = ext.addon.armature
    rest = np.array([np.array(obj.data.bones[n].matrix_local.to_3x3()) for n in arm.JOINT_NAMES])
    expected = arm.bone_quaternions(motion, rest)  # (T, 22, 4)
    # and independently with mathutils: Q = K^-1 R K, K = C^T B
    from mathutils import Matrix, Quaternion

    c = Matrix(arm.MODEL_TO_BLENDER.tolist())
    for j, name in enumerate(arm.JOINT_NAMES):
        k = (c.transposed() @ obj.data.bones[name].matrix_local.to_3x3()).to_quaternion()
        for t in (0, 77, 229):
            q = k.inverted() @ Quaternion(motion.rotations[t, j].tolist()) @ k
            assert abs(abs(q.dot(Quaternion(expected[t, j].tolist()))) - 1) < 1e-6
    keyed = np.empty((230, 22, 4))
    for fc in _action_fcurves(obj):
        name = fc.data_path.split('"')[1]
        if fc.data_path.endswith("rotation_quaternion"):
            co = np.empty(2 * 230)
            fc.keyframe_points.foreach_get("co", co)
            keyed[:, arm.JOINT_NAMES.index(name), fc.array_index] = co[1::2]
    assert np.abs(keyed - expected).max() < 1e-5
    # one hemisphere frame to frame
    assert (np.einsum("tjc,tjc->tj", keyed[1:], keyed[:-1]) > 0).all()


def test_posed_heads_follow_the_models_forward_kinematics(applied, ext):
    obj, motion = applied
    arm = ext.addon.armature
    scene = bpy.context.scene
    world = motion.world_positions() @ arm.MODEL_TO_BLENDER.T  # (T, 22, 3), Blender axes
    worst = 0.0
    for t in range(motion.num_frames):
        scene.frame_set(10 + t)
        heads = np.array([np.array(obj.matrix_world @ obj.pose.bones[n].head) for n in arm.JOINT_NAMES])
        worst = max(worst, float(np.linalg.norm(heads - world[t], axis=-1).max()))
    assert worst < 1e-3, f"{worst * 1000:.3f} mm"


@pytest.fixture(scope="module")
def cmu_keypoints(tmp_path_factory, fixtures) -> Path:
    """Real motion (CMU 01_01, first 120 frames: standing, then jumping forward) seen by a camera rolled by 8
    degrees and pitched down, through the keypoint and detector-noise models: a clip whose truth is known."""
    from model.body_points import keypoints_3d
    from model.mocap.bvh import read_bvh
    from model.mocap.retarget import retarget_clip
    from model.rotations import elementary_rotation
    from model.training import evaluation as E
    from model.training.synthesis import detector_noise

    ref = retarget_clip(read_bvh(fixtures / "bvh" / "cmu_01_01_first120.bvh"))
    kp3d, _ = keypoints_3d(ref.rotations[None], ref.skeleton.offsets[None], ref.root_translation[None])
    cam = E.fixed_cameras(ref.root_translation.mean(0))[0]
    cam.rotation = (
        elementary_rotation("z", np.radians([8.0])) @ elementary_rotation("x", np.radians([-10.0])) @ cam.rotation
    )
    px, _ = cam.project(kp3d)
    points = detector_noise(np.random.default_rng(0), px, ref.fps, level=1.0)[0]
    path = tmp_path_factory.mktemp("clips") / "cmu_01_01_tilted.npz"
    np.savez(path, keypoints=points, fps=ref.fps, image_size=np.array([1920, 1080]), layout="Halpe-26")
    return path


def test_upright_and_on_the_floor(ext, cmu_keypoints):
    _fresh_scene()
    obj = _uplift(cmu_keypoints, frame_start=1, smooth=0.0)
    scene = bpy.context.scene
    assert scene.frame_end - scene.frame_start + 1 == 120 and scene.render.fps / scene.render.fps_base == 120
    lowest, ups = [], []
    for t in range(0, 120, 2):
        scene.frame_set(1 + t)
        pb = obj.pose.bones
        feet = [obj.matrix_world @ pb[n].tail for n in ("left_foot", "right_foot")]
        feet += [obj.matrix_world @ pb[n].head for n in ("left_ankle", "right_ankle")]
        lowest.append(min(v.z for v in feet))
        spine = np.array(obj.matrix_world @ pb["neck"].head) - np.array(obj.matrix_world @ pb["pelvis"].head)
        ups.append(np.degrees(np.arccos(spine[2] / np.linalg.norm(spine))))
    assert abs(min(lowest)) < 0.03, min(lowest)
    assert np.mean(ups) < 10.0, np.mean(ups)


def test_nothing_existing_is_overwritten_and_smoothing_changes_little(ext):
    _fresh_scene()
    obj = _uplift(SAMPLE, frame_start=10, smooth=0.0, gaps="keep")
    first_action = obj.animation_data.action
    second = _uplift(SAMPLE, frame_start=1, smooth=0.5, gaps="keep")
    assert second != obj and second.name != obj.name
    assert second.animation_data.action != first_action and first_action.name in bpy.data.actions
    assert obj.animation_data.action == first_action  # the first armature keeps its action
    # smoothing is gentle: the smoothed clip stays close to the raw one, and is smoother
    bpy.context.scene.frame_set(50 + 9)
    a = np.array([list(pb.rotation_quaternion) for pb in obj.pose.bones])
    bpy.context.scene.frame_set(50)
    b = np.array([list(pb.rotation_quaternion) for pb in second.pose.bones])
    angle = np.degrees(2 * np.arccos(np.clip(np.abs((a * b).sum(-1)), 0, 1)))
    assert np.median(angle) < 10.0


def test_mirror_averaging_option(ext):
    pipeline = ext.addon.pipeline
    plain = pipeline.UpliftOptions(flip=False)
    flipped = pipeline.UpliftOptions()
    a = pipeline.uplift(pipeline.read_person(SAMPLE, plain), plain).motion
    b = pipeline.uplift(pipeline.read_person(SAMPLE, flipped), flipped).motion
    angle = np.degrees(2 * np.arccos(np.clip(np.abs((a.rotations * b.rotations).sum(-1)), 0, 1)))
    assert 0.01 < np.median(angle) < 10.0  # a different, close result
    assert bpy.context.scene.pose_uplift.uplift_options().flip is True  # on by default


@pytest.fixture(scope="module")
def gappy_sample(tmp_path_factory) -> Path:
    """The bundled sample (nobody in frames 0-2 and 169-229) with nobody in 50-54 too (bridged: under a second)
    and in 80-129 (left unkeyed: 50 frames at 30 fps)."""
    from model.readers import read_keypoints

    pts = read_keypoints(SAMPLE).points.copy()
    pts[50:55] = 0.0
    pts[80:130] = 0.0
    path = tmp_path_factory.mktemp("gaps") / "gappy.npy"
    np.save(path, pts)
    return path


def test_gaps_are_honest(ext, gappy_sample):
    """Frames without the person are reported, trimmed at the ends, bridged when short, left unkeyed (the pose
    held) when long; the angles CSV says which frames were seen and leaves the others empty."""
    _fresh_scene()
    assert bpy.ops.pose_uplift.import_keypoints(filepath=str(gappy_sample)) == {"FINISHED"}
    s = bpy.context.scene.pose_uplift
    assert s.gaps_summary.startswith("119 of 230 frames without the person (0-2, 50-54, 80-129, 169-229)"), (
        s.gaps_summary
    )
    obj = _uplift(gappy_sample, frame_start=1, smooth=0.0)
    assert "64 trimmed" in s.gaps_summary and "5 bridged" in s.gaps_summary and "50 left unkeyed" in s.gaps_summary
    assert s.last_backend  # which backend ran, shown in the panel
    (fc, *_) = _action_fcurves(obj)
    co = np.empty(2 * len(fc.keyframe_points))
    fc.keyframe_points.foreach_get("co", co)
    keyed = co[0::2].astype(int) - 1  # file frame numbers
    expected = [f for f in range(3, 169) if not 80 <= f < 130]
    assert keyed.tolist() == expected
    # the last key before the long gap holds (constant interpolation), the others interpolate
    for fc in _action_fcurves(obj):
        modes = [k.interpolation for k in fc.keyframe_points]
        assert modes[expected.index(79)] == "CONSTANT" and modes.count("CONSTANT") == 1
    scene = bpy.context.scene
    assert (scene.frame_start, scene.frame_end) == (1 + 3, 1 + 168)
    scene.frame_set(1 + 79)
    held = [tuple(pb.rotation_quaternion) for pb in obj.pose.bones]
    scene.frame_set(1 + 110)
    assert [tuple(pb.rotation_quaternion) for pb in obj.pose.bones] == held
    # the joint angles: a detected column, empty cells where nobody was seen
    pipeline, angles = ext.addon.pipeline, ext.model.angles
    options = pipeline.UpliftOptions()
    result = pipeline.uplift(pipeline.read_person(gappy_sample, options), options)
    rows = angles.angles_csv(result.motion, 1, result.frames, result.detected).splitlines()
    header = rows[0].split(",")
    assert header[:3] == ["frame", "time_s", "detected"] and "shoulder_elevation_plane_l" in header
    by_frame = {int(r.split(",")[0]) - 1: r.split(",") for r in rows[1:]}
    assert sorted(by_frame) == list(range(3, 169))
    for f in (52, 100):
        assert by_frame[f][2] == "0" and set(by_frame[f][3:]) == {""}
    assert by_frame[60][2] == "1" and all(v for v in by_frame[60][3:])
    # keep: every frame keyed, still reported
    _fresh_scene()
    obj = _uplift(gappy_sample, frame_start=1, gaps="keep")
    (fc, *_) = _action_fcurves(obj)
    summary = bpy.context.scene.pose_uplift.gaps_summary
    assert len(fc.keyframe_points) == 230 and summary.startswith("119 of 230 frames without the person")


def test_bad_person_and_threshold_give_one_line(ext):
    """Person out of range, or a threshold that leaves no point: one line naming the file, no traceback."""
    _fresh_scene()
    s = bpy.context.scene.pose_uplift
    s.filepath = str(SAMPLE)
    for name, value, expected in (
        ("person", 3, "person 3 asked for, the file has 3 (from 0)"),
        ("confidence", 1.0, "of the points are confident"),
    ):
        s.person, s.confidence = 0, 0.0
        setattr(s, name, value)
        with pytest.raises(RuntimeError) as info:
            bpy.ops.pose_uplift.uplift()
        message = str(info.value).strip()
        assert str(SAMPLE) in message and expected in message and "\n" not in message, message
        assert "Traceback" not in message and "TypeError" not in message
    s.person, s.confidence = 0, 0.0


def test_bad_file_reports_one_line_and_leaves_the_scene(ext, fixtures):
    _fresh_scene()
    s = bpy.context.scene.pose_uplift
    s.filepath = str(fixtures / "broken" / "truncated_keypoints.json")
    objects, actions = len(bpy.data.objects), len(bpy.data.actions)
    with pytest.raises(RuntimeError) as info:
        bpy.ops.pose_uplift.uplift()
    message = str(info.value).strip()
    assert "truncated_keypoints.json" in message and message.count("\n") == 0 and "Traceback" not in message
    assert (len(bpy.data.objects), len(bpy.data.actions)) == (objects, actions)


def test_poll_says_why(ext):
    _fresh_scene()
    bpy.context.scene.pose_uplift.filepath = ""
    assert not bpy.ops.pose_uplift.uplift.poll()


def test_numpy_backend_in_blender_matches(ext):
    """A stock Blender has no PyTorch: the numpy backend gives the same motion."""
    pipeline = ext.addon.pipeline
    opts = pipeline.UpliftOptions(backend="numpy")
    kp = pipeline.read_person(SAMPLE, opts)
    m_np = pipeline.uplift(kp, opts).motion
    try:
        import torch  # noqa: F401
    except ImportError:
        pytest.skip("PyTorch is not installed in this Blender")
    m_t = pipeline.uplift(kp, pipeline.UpliftOptions(backend="torch", device="cpu")).motion
    assert np.abs(m_np.world_positions() - m_t.world_positions()).max() < 1e-3


def test_cancel_leaves_nothing(ext):
    """Esc in the UI sets the cancel flag the network checks between batches of windows: nothing is produced."""
    pipeline = ext.addon.pipeline
    uplift = ext.model.uplift
    opts = pipeline.UpliftOptions(backend="numpy")
    kp = pipeline.read_person(SAMPLE, opts)
    objects = len(bpy.data.objects)
    with pytest.raises(uplift.UpliftCancelled):
        pipeline.uplift(kp, opts, should_cancel=lambda: True)
    assert len(bpy.data.objects) == objects


def test_install_torch_offline_reports_one_line(ext, tmp_path):
    """The Install PyTorch button runs pip in a subprocess into the extension's own directory; offline with a wheel
    folder that lacks PyTorch it fails with one line naming its log, and installs nothing."""
    installer = ext.addon.installer
    empty = tmp_path / "wheels"
    empty.mkdir()
    with pytest.raises(installer.InstallError) as info:
        installer.install_torch("cpu", str(empty))
    message = str(info.value)
    assert message.startswith("pip failed") and "install_torch.log" in message and "\n" not in message
    assert not any(installer.site_dir().glob("torch*"))
    with pytest.raises(installer.InstallError, match="wheel folder not found"):
        installer.install_torch("cpu", str(tmp_path / "nowhere"))
    online = bpy.app.online_access
    if not online:  # the bpy module runs offline by default: without a wheel folder the button says why
        with pytest.raises(installer.InstallError, match="online access is off"):
            installer.install_torch("cpu", None)


def test_options_are_declared_once(ext):
    """The side panel's settings and the import dialog carry every uplift option with the label, tooltip, default
    and range of its one declaration (model.pipeline.UpliftOptions), and the panel draws them all."""
    from model.pipeline import UpliftOptions, option_fields

    settings = bpy.context.scene.pose_uplift.bl_rna.properties
    dialog = bpy.ops.pose_uplift.import_keypoints.get_rna_type().properties
    for f in option_fields():
        for props in (settings, dialog):
            prop = props[f.name]
            assert (prop.name, prop.description) == (f.metadata["label"], f.metadata["help"]), f.name
            if "min" in f.metadata:
                assert prop.hard_min == pytest.approx(f.metadata["min"]), f.name
        assert getattr(bpy.context.scene.pose_uplift, f.name) == pytest.approx(getattr(UpliftOptions(), f.name)), f.name
    assert vars(bpy.context.scene.pose_uplift.uplift_options()) == vars(UpliftOptions())  # the installed copy's class


def test_load_sample_reads_the_bundled_clip(ext):
    """One click shows a new user what the tool does: the bundled sample is read like any imported file."""
    _fresh_scene()
    assert bpy.ops.pose_uplift.load_sample() == {"FINISHED"}
    s = bpy.context.scene.pose_uplift
    assert s.filepath.endswith("sample_mediapipe.json") and s.frames == 230 and s.people >= 1
    assert bpy.ops.pose_uplift.uplift() == {"FINISHED"}
    assert any(o.type == "ARMATURE" for o in bpy.data.objects)


def test_the_videos_view_is_blenders_front_view(ext):
    """The person of the bundled sample faces the camera: in Blender they face -Y, towards the Front view's
    viewer (Numpad 1 looks along +Y), so the Front view shows what the video shows, not the back, not mirrored."""
    _fresh_scene()
    obj = _uplift(SAMPLE, frame_start=1, smooth=0.0)
    scene, facing = bpy.context.scene, []
    for f in range(scene.frame_start, scene.frame_end, 10):
        scene.frame_set(f)
        pb = obj.pose.bones
        left = np.array(obj.matrix_world @ pb["left_hip"].head) - np.array(obj.matrix_world @ pb["right_hip"].head)
        facing.append(np.cross(left, [0.0, 0.0, 1.0])[:2])  # the body's forward (left x up) in the floor plane
    mean = np.mean(facing, 0)
    assert mean[1] < -0.7 * np.linalg.norm(mean), mean


def test_people_uplifted_one_by_one_share_the_scene_range(ext):
    """A second clip keeps the first in the scene's range (each import used to reset it), and the current frame
    is moved into the range when it was outside."""
    _fresh_scene()
    scene = bpy.context.scene
    _uplift(SAMPLE, frame_start=1)
    first = (scene.frame_start, scene.frame_end)
    scene.frame_current = 1
    _uplift(SAMPLE, frame_start=500)
    assert scene.frame_start == first[0] and scene.frame_end > 500 + 100
    assert scene.frame_start <= scene.frame_current <= scene.frame_end
    assert scene.frame_current != 1 or first[0] <= 1


def test_uplift_tooltip_names_the_target(ext):
    s = bpy.context.scene.pose_uplift
    s.target = "NEW"
    new = bpy.ops.pose_uplift.uplift.get_rna_type().description
    assert "new armature" in new
    s.target = "RIG"
    rna = bpy.types.POSE_UPLIFT_OT_uplift if hasattr(bpy.types, "POSE_UPLIFT_OT_uplift") else None
    op_cls = rna or type(bpy.ops.pose_uplift.uplift.get_rna_type())
    text = (
        op_cls.description(bpy.context, None) if hasattr(op_cls, "description") and callable(op_cls.description) else ""
    )
    assert "character rig" in text
    s.target = "NEW"
