"""The one path from file to Motion (model/pipeline.py): options, errors, gaps; OpenPose sequences; joint angles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.angles import joint_angles
from model.keypoints import Keypoints2D
from model.motion import Motion
from model.pipeline import UpliftOptions, find_gaps, read_person, uplift
from model.readers import KeypointFileError, read_tracks
from model.rotations import axis_angle_to_quat
from model.skeleton import JOINT_INDEX, NUM_JOINTS, Skeleton

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"
SAMPLE = ROOT / "model" / "samples" / "sample_mediapipe.json"


def test_one_file_of_an_openpose_sequence_reads_the_whole_sequence():
    one = read_tracks(FIX / "openpose_halpe26" / "walk_000000000011_keypoints.json")[0]
    folder = read_tracks(FIX / "openpose_halpe26")[0]
    assert one.num_frames == folder.num_frames == 3
    assert np.array_equal(one.points, folder.points)
    # a file that is not numbered stays one file
    assert read_tracks(FIX / "mediapipe.json")[0].num_frames > 0


def test_person_and_threshold_errors_are_one_line():
    with pytest.raises(KeypointFileError) as info:
        read_person(SAMPLE, UpliftOptions(person=9))
    people = len(read_tracks(SAMPLE))
    assert str(info.value) == f"{SAMPLE}: person 9 asked for, the file has {people} (from 0)"
    with pytest.raises(KeypointFileError, match=r"of the points are confident \(threshold 1\)"):
        read_person(SAMPLE, UpliftOptions(confidence=1.0))


def _track(empty: list[tuple[int, int]], frames: int = 200) -> Keypoints2D:
    pts = np.zeros((frames, 26, 3), np.float32)
    pts[..., 0], pts[..., 1], pts[..., 2] = 500.0, 400.0, 0.9
    pts[:, :, 1] += np.arange(26) * 10
    for a, b in empty:
        pts[a:b] = 0.0
    return Keypoints2D(pts, fps=30.0, image_size=(1920, 1080))


def test_gaps_trimmed_bridged_or_left_unkeyed():
    kp = _track([(0, 5), (40, 60), (100, 160), (190, 200)])
    gaps, span, keyed = find_gaps(kp, UpliftOptions(), 30.0)
    assert (span.start, span.stop) == (5, 190)
    assert gaps.trimmed == [(0, 5), (190, 200)] and gaps.bridged == [(40, 60)] and gaps.unkeyed == [(100, 160)]
    assert keyed.sum() == 185 - 60 and not keyed[100 - 5 : 160 - 5].any()
    assert gaps.summary() == (
        "95 of 200 frames without the person (0-4, 40-59, 100-159, 190-199): 15 trimmed, 20 bridged, 60 left unkeyed"
    )
    gaps, span, keyed = find_gaps(kp, UpliftOptions(gaps="keep"), 30.0)
    assert (span.start, span.stop) == (0, 200) and keyed.all()
    assert gaps.summary().endswith("95 keyed with network guesses")
    assert find_gaps(_track([]), UpliftOptions(), 30.0)[0].summary() == "the person is detected in all 200 frames"


def test_uplift_keeps_the_files_frame_numbers():
    options = UpliftOptions(backend="numpy")
    result = uplift(read_person(SAMPLE, options), options)
    assert result.frames[0] == 3 and result.frames[-1] == 168 and result.motion.num_frames == 166
    assert result.detected.all() and result.keyed.all()


def test_fix_swaps_option_puts_the_detectors_swaps_back_and_says_so():
    """On by default: the sample's MediaPipe left/right flips are put back, with a note for the user; off, the
    detections are lifted as they are and nothing is said."""
    on = UpliftOptions(backend="numpy")
    off = UpliftOptions(backend="numpy", fix_swaps=False)
    kps = read_person(SAMPLE, on)
    fixed, kept = uplift(kps, on), uplift(kps, off)
    assert [n for n in fixed.notes if n.startswith("left and right put back in 28 frames")], fixed.notes
    assert not [n for n in kept.notes if "left and right" in n]
    assert not np.allclose(fixed.motion.rotations, kept.motion.rotations, atol=1e-3)


def _arm_raised(axis: np.ndarray, degrees: np.ndarray) -> Motion:
    """The left arm swung from hanging (-y) through ``degrees`` about ``axis`` (model frame), the rest at rest."""
    t = len(degrees)
    q = np.zeros((t, NUM_JOINTS, 4))
    q[..., 0] = 1.0
    # at rest the arm points along +x (T-pose): first bring it down to the side, then raise it
    down = axis_angle_to_quat(np.array([0.0, 0.0, -np.pi / 2]))
    for k, d in enumerate(np.radians(degrees)):
        from model.rotations import quat_multiply

        q[k, JOINT_INDEX["left_shoulder"]] = quat_multiply(axis_angle_to_quat(axis * d), down)
    return Motion(q, np.tile([0.0, 0.95, 0.0], (t, 1)), Skeleton.default(), 30.0)


@pytest.mark.parametrize(
    ("axis", "plane"), [((0.0, 0.0, 1.0), 0.0), ((-1.0, 0.0, 0.0), 90.0)], ids=["abduction", "flexion"]
)
def test_shoulder_angles_do_not_wrap_with_the_arm_overhead(axis, plane):
    """Sweeping the arm from the side to straight overhead (sideways, then forwards): the elevation climbs
    smoothly from 0 to 180 degrees and the plane of elevation stays put, no jump at +-180."""
    sweep = np.linspace(0, 178, 90)
    angles = joint_angles(_arm_raised(np.array(axis), sweep))
    elevation = angles["shoulder_elevation_l"]
    assert np.allclose(elevation, sweep, atol=1.0)
    assert np.abs(np.diff(elevation)).max() < 3.0
    raised = (elevation > 20) & (elevation < 160)  # the plane is undefined with the arm straight down or up
    assert np.allclose(angles["shoulder_elevation_plane_l"][raised], plane, atol=4.0)
    assert np.abs(np.diff(angles["shoulder_elevation_plane_l"][raised])).max() < 3.0
