"""Motion-capture readers: every format and naming in the CMU archives, mapped by names, by shape or by a file,
retargeted onto the canonical skeleton so that it replays the source's joints."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model.mocap import MotionFileError, load_motion, read_motion
from model.mocap.asf import find_asf
from model.mocap.bvh import read_bvh
from model.mocap.clip import DEFAULT_NAMES, MotionClip, map_joints, rotated
from model.skeleton import JOINT_INDEX, JOINT_NAMES, Skeleton

FIX = Path(__file__).resolve().parents[1] / "fixtures"
MOCAP = FIX / "mocap"

CASES = [
    (MOCAP / "02_01.amc", "asf/amc", 40, 120.0, set()),
    (MOCAP / "daz_salsa_01_first40.bvh", "bvh", 40, 120.0, {"spine3", "left_foot", "right_foot"}),
    (MOCAP / "3dsmax_131_01_first40.bvh", "bvh", 40, 120.0, set()),
    (MOCAP / "expmap_walking_1_first40.txt", "expmap", 40, 120.0, set()),
    (FIX / "bvh" / "cmu_01_01_first120.bvh", "bvh", 120, 120.0, set()),
    (FIX / "deepmimic" / "humanoid3d_walk.txt", "deepmimic", None, 30.0, set()),
]


@pytest.mark.parametrize(("path", "kind", "frames", "fps", "stiff"), CASES, ids=[c[0].name for c in CASES])
def test_every_format_retargets_onto_the_canonical_skeleton(path, kind, frames, fps, stiff):
    src = load_motion(path)
    m = src.motion
    assert src.kind == kind
    assert src.mapping is not None and src.mapping.method == "names"
    assert {JOINT_NAMES[j] for j in src.mapping.stiff} == stiff
    if frames is not None:
        assert m.num_frames == frames
    assert m.fps == pytest.approx(fps, rel=1e-3)
    # a human body: 1.4-2.0 m tall, standing on the floor, head above the pelvis, the left side at +x
    assert 1.4 < m.skeleton.height < 2.0
    world = m.world_positions()
    assert abs(np.percentile(m.foot_points()[..., 1].min(1), 5)) < 0.02
    assert (world[:, JOINT_INDEX["head"], 1] > world[:, 0, 1] + 0.3).all()
    rest = m.skeleton.rest_positions
    assert rest[JOINT_INDEX["left_shoulder"], 0] > 0.1 and rest[JOINT_INDEX["right_shoulder"], 0] < -0.1
    # every label is relative to the canonical T-pose: its forward kinematics on the canonical rest directions
    # (with the subject's bone lengths) gives exactly the joints the motion reports
    assert src.label_consistency_mm() < 1e-6
    unit = Skeleton.default().offsets[1:] / np.linalg.norm(Skeleton.default().offsets[1:], axis=-1, keepdims=True)
    off = m.skeleton.offsets[1:]
    assert np.allclose(off / np.linalg.norm(off, axis=-1, keepdims=True), unit, atol=1e-9)
    # and that canonical body replays the source file's own joints within 15 mm on average (one similarity)
    err = src.retarget_fidelity_mm()
    assert err is not None and err < 15.0, err


def test_the_same_trial_from_two_formats_agrees():
    """CMU 01_01 as the original ASF/AMC would be a big fixture; instead the same walk as BVH and as the same
    BVH turned 90 degrees in its file (axes fixed by the mapped joints) retargets to the same rotations."""
    clip = read_bvh(FIX / "bvh" / "cmu_01_01_first120.bvh")
    turn = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])  # a file lying on its side would be worse
    up_on_z = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    a = load_motion(FIX / "bvh" / "cmu_01_01_first120.bvh").motion
    from model.mocap.retarget import retarget_clip

    for rot in (turn, up_on_z):
        b = retarget_clip(rotated(clip, rot @ np.eye(3)))
        # the body's own rotations do not depend on how the file was turned (the root's heading may)
        assert np.abs(np.abs((a.rotations[:, 1:] * b.rotations[:, 1:]).sum(-1)) - 1).max() < 1e-6
        assert b.skeleton.height == pytest.approx(a.skeleton.height, abs=1e-6)


def test_mapping_by_shape_when_names_are_unknown():
    clip = read_bvh(MOCAP / "3dsmax_131_01_first40.bvh")
    renamed = MotionClip(
        [f"bone{k:02d}" for k in range(len(clip.names))],
        clip.parents,
        clip.offsets,
        clip.end_sites,
        clip.local_rotations,
        clip.root_translation,
        clip.frame_time,
    )
    by_name = map_joints(clip)
    by_shape = map_joints(renamed)
    assert by_shape.method == "shape"
    rest = clip.rest_positions()
    for j, name in enumerate(JOINT_NAMES):  # the same joint, or one sitting at the same place (wrist / hand)
        assert np.allclose(rest[by_shape.index[j]], rest[by_name.index[j]]), (name, clip.names[by_shape.index[j]])
    assert load_motion_shape_error(renamed) < 15.0


def load_motion_shape_error(clip: MotionClip) -> float:
    from model.mocap.clip import clip_height, guess_unit_scale
    from model.mocap.retarget import retarget_error_mm, retarget_mapped

    mapping = map_joints(clip)
    scale = guess_unit_scale(clip_height(clip))
    return retarget_error_mm(clip, retarget_mapped(clip, mapping, scale), mapping, scale)


def test_mapping_file_overrides_and_bad_mapping_files(tmp_path):
    clip = read_bvh(MOCAP / "3dsmax_131_01_first40.bvh")
    renamed = MotionClip(
        [f"b{k}" for k in range(len(clip.names))],
        clip.parents,
        clip.offsets,
        {},
        clip.local_rotations,
        clip.root_translation,
        clip.frame_time,
    )
    # no end sites: the shape fallback cannot tell the head; a mapping file names every joint
    by_name = map_joints(clip)
    mapping = {n: f"b{by_name.index[j]}" for j, n in enumerate(JOINT_NAMES)}
    f = tmp_path / "map.json"
    f.write_text(json.dumps(mapping))
    assert map_joints(renamed, f).index == by_name.index
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"elbow": "b3"}))
    with pytest.raises(MotionFileError, match="'elbow' is not a canonical joint"):
        map_joints(renamed, bad)


def test_default_names_cover_every_canonical_joint():
    assert set(DEFAULT_NAMES) == set(JOINT_NAMES)


def test_asf_found_beside_the_amc(tmp_path):
    assert find_asf(MOCAP / "02_01.amc") == MOCAP / "02.asf"
    (tmp_path / "walk.amc").write_text((MOCAP / "02_01.amc").read_text())
    with pytest.raises(MotionFileError, match=r"walk.amc: no \.asf skeleton beside it \(give --skeleton"):
        read_motion(tmp_path / "walk.amc")
    (tmp_path / "subject.asf").write_text((MOCAP / "02.asf").read_text())
    assert read_motion(tmp_path / "walk.amc").num_frames == 40  # the only .asf in the folder
    (tmp_path / "other.asf").write_text((MOCAP / "02.asf").read_text())
    with pytest.raises(MotionFileError, match="2 .asf files beside it"):
        read_motion(tmp_path / "walk.amc")
    assert read_motion(tmp_path / "walk.amc", skeleton=MOCAP / "02.asf").num_frames == 40


def _one_line(exc: pytest.ExceptionInfo, path: Path) -> str:
    text = str(exc.value)
    assert "\n" not in text and str(path) in text
    return text


def test_bad_motion_files_give_one_line(tmp_path):
    cases = {
        "empty.bvh": ("", "not a BVH file"),
        "short.txt": ("1,2,3\n", "not"),
        "bad_row.csv": ("0," * 116 + "0\n" + "0," * 50 + "0\n", "frame 2: 51 values"),
        "notes.xyz": ("hello", "unknown motion file type"),
        "broken.amc": (":FULLY-SPECIFIED\n1\nroot 0 0 x 0 0 0\n", "frame 1: malformed values"),
    }
    (tmp_path / "broken.asf").write_text((MOCAP / "02.asf").read_text())
    for name, (text, reason) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(MotionFileError) as exc:
            read_motion(path)
        assert reason in _one_line(exc, path), exc.value


def test_implausible_units_are_rejected(tmp_path):
    """A body 20 m tall (a BVH in metres scaled by 10 by mistake) is rejected with that reason."""
    text = (FIX / "bvh" / "cmu_01_01_first120.bvh").read_text()
    clip = read_bvh(FIX / "bvh" / "cmu_01_01_first120.bvh")
    from model.mocap.retarget import retarget_clip

    huge = MotionClip(
        clip.names,
        clip.parents,
        clip.offsets * 0.0564 * 11.5,
        {k: v * 0.65 for k, v in clip.end_sites.items()},
        clip.local_rotations,
        clip.root_translation * 0.65,
        clip.frame_time,
    )
    with pytest.raises(MotionFileError, match="implausible units"):
        retarget_clip(huge, path="huge.bvh")
    assert text  # the fixture itself reads (above)


def test_fbx_through_blenders_importer(tmp_path):
    """A real FBX written by Blender's own exporter from the CMU BVH excerpt reads back to the same motion."""
    pytest.importorskip("bpy")
    import subprocess
    import sys

    fbx = tmp_path / "walk.fbx"
    script = (
        "import bpy, sys; bpy.ops.wm.read_factory_settings(use_empty=True);"
        f"bpy.ops.import_anim.bvh(filepath={str(FIX / 'bvh' / 'cmu_01_01_first120.bvh')!r}, global_scale=0.0564,"
        " update_scene_fps=True, update_scene_duration=True);"
        f"bpy.ops.export_scene.fbx(filepath={str(fbx)!r}, bake_anim=True, add_leaf_bones=False)"
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    a = load_motion(FIX / "bvh" / "cmu_01_01_first120.bvh").motion
    src = load_motion(fbx)
    b = src.motion
    assert src.kind == "fbx" and abs(b.num_frames - a.num_frames) <= 1
    n = min(a.num_frames, b.num_frames)
    pa, pb = a.joint_positions[:n], b.joint_positions[:n]
    assert np.linalg.norm(pa - pb, axis=-1).mean() < 0.02  # same body motion within 2 cm (root-relative)


def _labels_angle(a, b) -> np.ndarray:  # two Motions of one trial, same frames
    from model.rotations import geodesic_angle, quat_to_matrix

    return np.degrees(geodesic_angle(quat_to_matrix(a.rotations[:, 1:]), quat_to_matrix(b.rotations[:, 1:])))


def test_labels_mean_the_same_whatever_the_rest_pose():
    """One motion, two skeletons whose rest poses differ (arms down instead of out, a collar and a hip placed
    elsewhere, the root 10 cm above the hips): the labels agree and each replays its own file."""
    clip = read_bvh(FIX / "bvh" / "cmu_01_01_first120.bvh")
    a = load_motion(FIX / "bvh" / "cmu_01_01_first120.bvh")
    mapping = map_joints(clip)
    # a second skeleton: the same world motion, rest pose with the upper arms hanging 70 degrees down
    from model.mocap.clip import clip_height, guess_unit_scale
    from model.mocap.retarget import retarget_mapped
    from model.rotations import elementary_rotation

    names = clip.names
    offsets = clip.offsets.copy()
    ends = {j: v.copy() for j, v in clip.end_sites.items()}
    local = clip.local_rotations.copy()
    for side, sign in (("Left", 1.0), ("Right", -1.0)):
        arm = names.index(f"{side}Arm")
        turn = elementary_rotation("z", np.radians(-70.0 * sign))  # the rest upper arm turned down
        below, stack = [], [k for k, p in enumerate(clip.parents) if p == arm]
        while stack:
            below.append(stack.pop())
            stack.extend(k for k, p in enumerate(clip.parents) if p == below[-1])
        # the same world motion: every global rotation in the arm becomes glob @ turn.T, its rest offsets turn
        local[:, arm] = local[:, arm] @ turn.T
        for k in below:
            offsets[k] = turn @ offsets[k]
            local[:, k] = turn @ local[:, k] @ turn.T
        for k in [arm, *below]:
            if k in ends:
                ends[k] = turn @ ends[k]
    other = MotionClip(names, clip.parents, offsets, ends, local, clip.root_translation, clip.frame_time)
    # the world motion is the same
    assert np.abs(other.world()[0] - clip.world()[0]).max() < 1e-9
    scale = guess_unit_scale(clip_height(clip))
    b = retarget_mapped(other, mapping, scale)
    angle = _labels_angle(a.motion, b)
    assert angle.mean() < 1.0 and angle.max() < 5.0, (angle.mean(), angle.max())


def _leaf_labels(motion) -> np.ndarray:  # (T, 5, 3, 3): head, feet, wrists, relative to their parents
    from model.rotations import quat_to_matrix

    leaves = [JOINT_INDEX[n] for n in ("head", "left_foot", "right_foot", "left_wrist", "right_wrist")]
    return quat_to_matrix(motion.rotations[:, leaves])


def test_leaf_labels_do_not_follow_ends_that_are_not_the_leaf():
    """A leaf's end moves no joint, so neither label consistency nor fidelity sees it, but the face and toe points
    sit in its frame. Ends that are not the leaf's own segment (a bone tail pointing anywhere, as FBX files read
    through Blender give; an eye or a thumb as the first child, as Daz files have) leave the leaf neutral in the
    file's rest pose; an end near where the parent puts it (a head top 15 degrees further back) is followed."""
    from model.mocap.clip import clip_height, guess_unit_scale
    from model.mocap.retarget import retarget_mapped
    from model.rotations import elementary_rotation, geodesic_angle

    clip = read_bvh(FIX / "bvh" / "cmu_01_01_first120.bvh")
    mapping = map_joints(clip)
    scale = guess_unit_scale(clip_height(clip))
    base = _leaf_labels(retarget_mapped(clip, mapping, scale))
    names = clip.names
    head, ltoe = names.index("Head"), names.index("LeftToeBase")

    def relabel(ends: dict, offsets: np.ndarray | None = None) -> np.ndarray:
        other = MotionClip(
            names,
            clip.parents,
            clip.offsets if offsets is None else offsets,
            ends,
            clip.local_rotations,
            clip.root_translation,
            clip.frame_time,
        )
        return _leaf_labels(retarget_mapped(other, mapping, scale))

    # bone tails pointing anywhere: the head's end down and forward, the toe's down, the hand's first child backwards
    ends = {j: v.copy() for j, v in clip.end_sites.items()}
    ends[head] = np.array([0.5, -10.0, 8.5]) * 0.1
    ends[ltoe] = np.array([-1.8, -11.9, -3.3]) * 0.1
    offsets = clip.offsets.copy()
    fingers = names.index("LeftFingerBase")
    offsets[fingers] = np.array([-2.0, 1.5, 0.8])  # the hand's first child: now points back along the forearm
    garbage = relabel(ends, offsets)
    # ... label as if the file had no ends there: the leaf neutral in the file's rest pose
    ends_none = {j: v for j, v in clip.end_sites.items() if j not in (head, ltoe)}
    offsets_none = clip.offsets.copy()
    offsets_none[fingers] = 0.0
    offsets_none[names.index("LFingers")] = 0.0
    offsets_none[names.index("LThumb")] = 0.0
    for j in (names.index("LFingers"), names.index("LThumb")):
        ends_none[j] = np.zeros(3)
    assert np.degrees(geodesic_angle(garbage, relabel(ends_none, offsets_none))).max() < 1e-6
    # ... which is within the file's rest-pose lean of the labels its true ends give (the least turn onto those
    # bone tails made the head, toe and hand 60-150 degrees off)
    angle = np.degrees(geodesic_angle(garbage, base))
    assert angle.max() < 30.0, angle.max(axis=0)
    # a head top 15 degrees further back in the file's rest pose is the head's own: the labels follow it
    ends = {j: v.copy() for j, v in clip.end_sites.items()}
    ends[head] = elementary_rotation("x", np.radians(-15.0)) @ ends[head]
    angle = np.degrees(geodesic_angle(relabel(ends), base))
    assert np.allclose(angle[:, 0], 15.0, atol=0.5), angle[:, 0]
    assert angle[:, 1:].max() < 1e-6


def _standing_still(clip: MotionClip, offsets: np.ndarray, frames: int = 5) -> MotionClip:
    """The clip's skeleton (with ``offsets``) standing in its rest pose for a few frames."""
    return MotionClip(
        clip.names,
        clip.parents,
        offsets,
        clip.end_sites,
        np.tile(np.eye(3), (frames, len(clip.names), 1, 1)),
        np.tile(clip.root_translation[:1], (frames, 1)),
        clip.frame_time,
    )


def test_an_upright_pelvis_whatever_the_first_spine_joint():
    """Skeletons put their first spine joint anywhere from straight above the hips to well behind them (the canonical
    body: 26 degrees back). The pelvis is aimed along the torso, at the neck, so the same upright body gets the same
    pelvis label whichever it is (aimed at the first spine joint, the two labels differed by the 25 degrees that
    joint was moved: 24 degrees); the joints the labels give are still exactly the library's."""
    from model.mocap.clip import clip_height, guess_unit_scale
    from model.mocap.retarget import label_consistency_mm, retarget_mapped
    from model.rotations import geodesic_angle, quat_to_matrix

    clip = read_bvh(FIX / "bvh" / "cmu_01_01_first120.bvh")
    lower, spine = clip.names.index("LowerBack"), clip.names.index("Spine")
    hips = (clip.offsets[clip.names.index("LeftUpLeg")] + clip.offsets[clip.names.index("RightUpLeg")]) / 2
    assert np.degrees(np.arctan2(-hips[2], -hips[1])) < -20  # CMU's first spine joint: 25 degrees behind the hips
    moved = clip.offsets.copy()
    moved[lower] = [0.0, 0.0, hips[2]]  # ... now straight above them
    moved[spine] = clip.offsets[spine] - moved[lower]  # the rest of the body where it was
    labels = []
    for offsets in (clip.offsets, moved):
        still = _standing_still(clip, offsets)
        motion = retarget_mapped(still, map_joints(still), guess_unit_scale(clip_height(still)))
        assert label_consistency_mm(motion) < 1e-6
        labels.append(quat_to_matrix(motion.rotations[:, 0]))
    assert np.degrees(geodesic_angle(labels[0], labels[1])).max() < 1e-3
    forward = labels[0][:, :, 2]  # the pelvis' forward axis of an upright body: near level (this rest pose leans 7)
    assert np.degrees(np.abs(np.arcsin(forward[:, 1]))).max() < 10.0


def test_a_foot_resting_turned_out_is_not_rolled():
    """The ankle's twist about the foot comes from the shank above it: a file whose feet rest turned out 20 degrees
    and pitched 10 degrees further down than the canonical body's (the CMU ASF skeleton's rest differs like that)
    gives, standing in its rest pose, feet whose sideways axis is the normal of the plane of foot and shank, as in
    the canonical rest (the least turn onto the foot alone rolled them about their own axis: 5.8 degrees here)."""
    from model.kinematics import forward_kinematics
    from model.mocap.clip import clip_height, guess_unit_scale
    from model.mocap.retarget import label_consistency_mm, retarget_mapped
    from model.rotations import elementary_rotation, quat_to_matrix

    clip = read_bvh(FIX / "bvh" / "cmu_01_01_first120.bvh")
    offsets = clip.offsets.copy()
    for name, sign in (("LeftToeBase", 1.0), ("RightToeBase", -1.0)):
        k = clip.names.index(name)
        turn = elementary_rotation("y", np.radians(20.0 * sign)) @ elementary_rotation("x", np.radians(10.0))
        offsets[k] = turn @ offsets[k]
    rest = _standing_still(clip, offsets)
    mapping = map_joints(rest)
    motion = retarget_mapped(rest, mapping, guess_unit_scale(clip_height(rest)))
    assert label_consistency_mm(motion) < 1e-6
    _, glob = forward_kinematics(quat_to_matrix(motion.rotations), motion.skeleton.offsets, motion.root_translation)
    pos = motion.joint_positions
    canon = Skeleton.default().offsets
    for side in ("left", "right"):
        ankle, knee, foot = (JOINT_INDEX[f"{side}_{p}"] for p in ("ankle", "knee", "foot"))
        normal = np.cross(canon[foot], -canon[ankle])  # across the foot, in the canonical rest (about x)
        normal /= np.linalg.norm(normal)
        toe, shank = pos[:, foot] - pos[:, ankle], pos[:, knee] - pos[:, ankle]
        want = np.cross(toe, shank)
        want /= np.linalg.norm(want, axis=-1, keepdims=True)
        roll = np.degrees(np.arccos(np.clip(np.einsum("tij,j,ti->t", glob[:, ankle], normal, want), -1, 1)))
        assert roll.max() < 1e-4, roll
        out = np.degrees(np.arctan2(toe[:, 0], toe[:, 2])) * (1 if side == "left" else -1)
        assert (out > 10.0).all(), out  # ... and the foot points where the file's does: turned out


def test_hinges_get_one_meaning_and_no_joint_moves():
    """An arm whose upper arm rests turned 50 degrees (its elbow bends about a turned axis) and whose elbow also
    carries the forearm's twist (as FBX rigs do): after normalise_hinges every bend turns about the canonical axis,
    the elbow carries no twist, and every joint's position and the hands' and feet's world rotations are unchanged."""
    from model.kinematics import forward_kinematics
    from model.mocap.retarget import HINGES, normalise_hinges
    from model.rotations import axis_angle_to_matrix, elementary_rotation, matrix_to_axis_angle

    rng = np.random.default_rng(3)
    offsets = Skeleton.default().offsets
    t = 60
    local = axis_angle_to_matrix(rng.normal(0, 0.3, (t, 22, 3)))
    for _upper, hinge, _lower, axis in HINGES[:2]:
        u = offsets[JOINT_INDEX[hinge.replace("elbow", "wrist")]]
        u = u / np.linalg.norm(u)
        turned = elementary_rotation("x", np.radians(50.0)) @ np.asarray(axis)  # the source's elbow axis
        bend = rng.uniform(0.8, 2.0, t)[:, None] * turned
        twist = rng.uniform(-0.7, 0.7, t)[:, None] * u
        local[:, JOINT_INDEX[hinge]] = axis_angle_to_matrix(bend) @ axis_angle_to_matrix(twist)
    before_pos, before_glob = forward_kinematics(local, offsets, np.zeros((t, 3)))
    after = local.copy()
    normalise_hinges(after, offsets)
    pos, glob = forward_kinematics(after, offsets, np.zeros((t, 3)))
    assert np.abs(pos - before_pos).max() < 1e-9
    ends = [JOINT_INDEX[n] for n in ("left_wrist", "right_wrist", "left_ankle", "right_ankle")]
    assert np.abs(glob[:, ends] - before_glob[:, ends]).max() < 1e-9
    for _upper, hinge, _lower, axis in HINGES:
        aa = matrix_to_axis_angle(after[:, JOINT_INDEX[hinge]])
        u = offsets[JOINT_INDEX[_lower]] / np.linalg.norm(offsets[JOINT_INDEX[_lower]])
        assert np.abs(aa @ u).max() < 1e-6  # no twist left in the hinge
        if axis is not None:
            unit = aa / np.linalg.norm(aa, axis=-1, keepdims=True)
            assert np.degrees(np.arccos(np.clip(unit @ np.asarray(axis), -1, 1))).max() < 1e-4


def test_exponential_map_rotations_turn_their_own_bones():
    """In the exponential-map layout the rotation stored with LeftArm turns the upper arm (the one with
    LeftShoulder is always zero): walking arms hang by the sides, and the knees bend, as CMU's walks do."""
    src = load_motion(MOCAP / "expmap_walking_1_first40.txt")
    w = src.motion.world_positions()
    for side in ("left", "right"):
        below = w[1:, JOINT_INDEX[f"{side}_shoulder"], 1] - w[1:, JOINT_INDEX[f"{side}_wrist"], 1]
        assert (below > 0.3).all(), below.min()  # a T-pose would give about 0 (as the file's first frame does)
    assert 1.45 < src.motion.skeleton.height < 1.8
    assert src.retarget_fidelity_mm() < 10.0


def test_a_rest_pose_that_is_no_standing_pose_is_refused():
    """iClone's CC_Base BVH files rest with every bone pointing up: their rotations are relative to that, not to a
    standing pose, so no canonical label can be made from them (the library builder lists them as skipped)."""
    with pytest.raises(MotionFileError, match=r"iclone_005_01_first20.bvh: joint CC_Base_L_Foot \(left_ankle\) is not"):
        load_motion(MOCAP / "iclone_005_01_first20.bvh")
