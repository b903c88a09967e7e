"""Readers: every format's fixture read into Halpe-26 with the right values, frames, gaps and people; a corpus of
broken files, each rejected with one line naming the file (and frame); fuzzed JSON; a 100,000-frame file in
bounded memory; the inspector on every fixture."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.keypoints import HALPE26, KEYPOINT_INDEX, LAYOUTS, Keypoints2D, halpe_name, to_halpe26
from model.readers import KeypointFileError, read_keypoints, read_tracks

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"
sys.path.insert(0, str(FIX))
from make_fixtures import TRC_NAMES, halpe_pose  # noqa: E402

DLC_POINTS = [
    halpe_name(n)
    for n in (
        "nose",
        "leftshoulder",
        "rightshoulder",
        "leftelbow",
        "rightelbow",
        "leftwrist",
        "rightwrist",
        "lefthip",
        "righthip",
        "leftknee",
        "rightknee",
        "leftankle",
        "rightankle",
    )
]
NAMED_CSV_POINTS = [
    halpe_name(n)
    for n in (
        "Nose",
        "LShoulder",
        "RShoulder",
        "LElbow",
        "RElbow",
        "LWrist",
        "RWrist",
        "LHip",
        "RHip",
        "LKnee",
        "RKnee",
        "LAnkle",
        "RAnkle",
    )
]


def layout_points(layout: str) -> list[str]:
    return [n for n in LAYOUTS[layout] if n is not None]


# name: (format, layout, people, frames, first_frame, {array frame: pose time t}, points compared, xy tol, conf?)
CASES = {
    "openpose_body25": ("openpose", "BODY_25", 2, 5, 0, {1: 1, 3: 3, 4: 4}, layout_points("BODY_25"), 0.01, True),
    "openpose_coco18": ("openpose", "COCO-18", 1, 3, 0, {0: 0, 1: 1, 2: 2}, layout_points("COCO-18"), 0.01, True),
    "openpose_halpe26": ("openpose", "Halpe-26", 1, 3, 10, {0: 10, 2: 12}, list(HALPE26), 0.01, True),
    "coco_annotations.json": ("coco", "COCO-17", 2, 4, 0, {0: 0, 1: 1, 3: 3}, layout_points("COCO-17"), 0.5, False),
    "coco_results.json": ("coco_results", "COCO-17", 1, 6, 0, {0: 0, 5: 5}, layout_points("COCO-17"), 0.01, True),
    "alphapose_halpe26.json": ("alphapose", "Halpe-26", 2, 4, 0, {0: 0, 3: 3}, list(HALPE26), 0.01, True),
    "alphapose_coco17.json": ("alphapose", "COCO-17", 1, 3, 0, {0: 0, 2: 2}, layout_points("COCO-17"), 0.01, True),
    "mmpose_images": ("mmpose", "COCO-17", 1, 3, 0, {0: 0, 2: 2}, layout_points("COCO-17"), 0.01, True),
    "mmpose_video.json": ("mmpose", "Halpe-26", 1, 4, 0, {0: 0, 3: 3}, list(HALPE26), 0.01, True),
    "mmpose_meta.json": ("mmpose", "COCO-17", 2, 3, 1, {0: 0, 2: 2}, layout_points("COCO-17"), 0.01, True),
    "mediapipe.json": ("mediapipe", "MediaPipe-33", 1, 3, 0, {0: 0, 2: 2}, layout_points("MediaPipe-33"), 0.01, True),
    "mediapipe.csv": (
        "mediapipe_csv",
        "MediaPipe-33",
        1,
        3,
        0,
        {0: 0, 1: 1, 2: 2},
        layout_points("MediaPipe-33"),
        0.01,
        True,
    ),
    "walk_Sports2D_px_person00.trc": (
        "trc",
        "named",
        1,
        4,
        1,
        {0: 0, 3: 3},
        [halpe_name(n) for n in TRC_NAMES],
        0.01,
        False,
    ),
    "deeplabcut.csv": ("deeplabcut", "named", 1, 4, 0, {0: 0, 3: 3}, DLC_POINTS, 0.01, True),
    "deeplabcut_multi.csv": ("deeplabcut", "named", 2, 3, 0, {0: 0, 2: 2}, DLC_POINTS, 0.01, True),
    "coco17.npy": ("npy", "COCO-17", 1, 5, 0, {0: 0, 4: 4}, layout_points("COCO-17"), 0.01, True),
    "h36m17.npz": ("npz", "H36M-17", 1, 5, 0, {0: 0, 4: 4}, layout_points("H36M-17"), 0.01, False),
    "halpe26.csv": ("csv", "Halpe-26", 1, 3, 0, {0: 0, 2: 2}, list(HALPE26), 0.01, True),
    "named.csv": ("csv", "named", 1, 5, 0, {0: 0, 4: 4}, NAMED_CSV_POINTS, 0.01, True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_reads_into_halpe26(name):
    fmt, layout, people, frames, first, times, points, tol, conf = CASES[name]
    tracks = read_tracks(FIX / name)
    main = tracks[0]
    assert isinstance(main, Keypoints2D)
    assert (main.source_format, main.source_layout) == (fmt, layout)
    assert len(tracks) == people
    assert main.points.shape == (frames, 26, 3) and main.points.dtype == np.float32
    assert main.first_frame == first
    assert np.isfinite(main.points).all()
    idx = [KEYPOINT_INDEX[p] for p in points]
    for array_frame, t in times.items():
        expected = halpe_pose(t)[idx]
        got = main.points[array_frame, idx]
        present = got[:, 2] > 0
        assert present.sum() >= len(idx) - 1, (array_frame, got)
        assert np.abs(got[present, :2] - expected[present, :2]).max() <= tol
        if conf:
            assert np.abs(got[present, 2] - expected[present, 2]).max() < 1e-3
    # points the source layout lacks are absent, except neck/hip which are derived
    lacking = [KEYPOINT_INDEX[n] for n in HALPE26 if n not in points and n not in ("neck", "hip")]
    assert (main.points[:, lacking, 2] == 0).all()


def test_frame_gaps_become_empty_frames():
    main = read_keypoints(FIX / "openpose_body25")
    assert main.points[2, :, 2].max() == 0  # file for frame 2 is missing
    results = read_keypoints(FIX / "coco_results.json")
    assert results.points[3:5, :, 2].max() == 0  # image ids 3 and 4 have no detection
    mp = read_keypoints(FIX / "mediapipe.json")
    assert mp.points[1, :, 2].max() == 0  # a frame listed with nobody


def test_missed_openpose_point_is_absent_not_origin():
    main = read_keypoints(FIX / "openpose_body25")
    # BODY_25 point 4 (right wrist) is (0, 0, 0) in the first frame
    assert main.points[0, KEYPOINT_INDEX["right_wrist"]].tolist() == [0.0, 0.0, 0.0]


def test_several_people_default_is_the_most_present():
    tracks = read_tracks(FIX / "alphapose_halpe26.json")
    assert [t.track_id for t in tracks] == [1, 2]  # AlphaPose idx
    assert tracks[0].frames_present() == 4 and tracks[1].frames_present() == 3
    second = read_keypoints(FIX / "alphapose_halpe26.json", person=2)
    assert second.points[0, KEYPOINT_INDEX["nose"], 0] == pytest.approx(halpe_pose(0, 260.0, 0.8)[0, 0], abs=0.01)
    with pytest.raises(KeypointFileError, match="no person with track id 7"):
        read_keypoints(FIX / "alphapose_halpe26.json", person=7)
    # without ids, people are linked by position: the second OpenPose person stays a separate track
    op = read_tracks(FIX / "openpose_body25")
    assert op[1].frames_present() == 1 and op[1].points[3, KEYPOINT_INDEX["nose"], 0] < 400
    dlc = read_tracks(FIX / "deeplabcut_multi.csv")
    assert [t.track_id for t in dlc] == ["individual1", "individual2"]


def test_coco_visibility_and_image_size():
    main = read_keypoints(FIX / "coco_annotations.json")
    assert main.image_size == (1280, 720)
    assert main.points[0, KEYPOINT_INDEX["left_ear"], 2] == 0.5  # v = 1: labelled, occluded
    assert main.points[0, KEYPOINT_INDEX["right_ear"], 2] == 0.0  # v = 0
    assert main.points[1, KEYPOINT_INDEX["nose"], 2] == 1.0  # v = 2


def test_fps_and_metadata_are_read_where_formats_have_them():
    assert read_keypoints(FIX / "walk_Sports2D_px_person00.trc").fps == 30.0
    assert read_keypoints(FIX / "h36m17.npz").fps == 50.0
    assert read_keypoints(FIX / "named.csv").fps == 24.0
    assert read_keypoints(FIX / "mediapipe.json").fps == 25.0
    assert read_keypoints(FIX / "openpose_body25").fps is None  # OpenPose files do not store it


def test_trc_y_up_is_flipped_back_and_missing_markers_absent():
    main = read_keypoints(FIX / "walk_Sports2D_px_person00.trc")
    assert (main.points[..., 1][main.points[..., 2] > 0] > 0).all()
    assert main.points[2, KEYPOINT_INDEX["left_wrist"], 2] == 0  # empty cells in the file


def test_glob_input(tmp_path):
    tracks = read_tracks(str(FIX / "openpose_coco18" / "*_keypoints.json"))
    assert tracks[0].num_frames == 3
    with pytest.raises(KeypointFileError, match="matches no files"):
        read_tracks(str(tmp_path / "*_keypoints.json"))


def test_nan_and_inf_are_missing_points(tmp_path):
    arr = np.stack([halpe_pose(i) for i in range(4)]).astype(np.float32)
    arr[1, 3, 0] = np.nan
    arr[2, 5, 1] = np.inf
    arr[3, 7, 2] = np.nan
    np.save(tmp_path / "k.npy", arr)
    main = read_keypoints(tmp_path / "k.npy")
    assert np.isfinite(main.points).all()
    assert main.points[1, 3].tolist() == [0, 0, 0] and main.points[2, 5, 2] == 0 and main.points[3, 7, 2] == 0
    assert main.points[0, 3, 2] > 0


def test_layout_can_be_named_for_ambiguous_arrays(tmp_path):
    arr = np.random.default_rng(0).uniform(0, 500, size=(3, 17, 3)).astype(np.float32)
    np.save(tmp_path / "h36m.npy", arr)
    coco = read_keypoints(tmp_path / "h36m.npy")
    h36m = read_keypoints(tmp_path / "h36m.npy", layout="H36M-17")
    assert coco.source_layout == "COCO-17" and h36m.source_layout == "H36M-17"
    assert np.allclose(h36m.points[:, KEYPOINT_INDEX["hip"], :2], arr[:, 0, :2])
    with pytest.raises(KeypointFileError, match="does not fit"):
        read_keypoints(tmp_path / "h36m.npy", layout="BODY_25")


def test_midpoints_for_neck_and_hip():
    pts = np.zeros((1, 17, 3), np.float32)
    pts[0, 5] = (100, 50, 0.9)
    pts[0, 6] = (200, 70, 0.6)
    out = to_halpe26(pts, LAYOUTS["COCO-17"])
    assert out[0, KEYPOINT_INDEX["neck"]].tolist() == pytest.approx([150, 60, 0.6])
    assert out[0, KEYPOINT_INDEX["hip"], 2] == 0  # hips absent: no midpoint


# --------------------------------------------------------------------------------------------------- broken corpus

BROKEN = {
    "empty.json": "the file is empty",
    "truncated_keypoints.json": "truncated JSON",
    "wrong_count_keypoints.json": "frame 0: 10 points per person is no known layout",
    "mixed_layouts": "frame 1: mixed layouts",
    "not_utf8.csv": "not UTF-8",
    "latin1_keypoints.json": "not UTF-8",
    "unknown_format.xyz": "unknown keypoint format",
    "unknown_layout.json": "unknown JSON keypoint format",
    "coco_results_ragged.json": "frame 1: keypoints has 35 numbers",
    "mmpose_score_mismatch.json": "frame 0: 17 keypoints but 16 keypoint_scores",
    "mediapipe_wrong_count.json": "frame 1: mixed layouts",
    "trc_bad_number.trc": "frame 2: not a number",
    "trc_not_trc.trc": "not a TRC file",
    "dlc_truncated.csv": "truncated DeepLabCut header",
    "csv_no_points.csv": "names no '<point>_x'",
    "csv_wrong_count.csv": "7 values per row match no known layout",
    "npy_wrong_shape.npy": "expected (frames, points, 2|3)",
    "npy_no_frames.npy": "the array has no frames (shape (0, 17, 2))",
    "npy_unknown_count.npy": "20 points per person is no known layout",
    "npy_object.npy": "not a readable numpy array file",
    "npz_corrupt.npz": "not a readable numpy array file",
    "npy_all_nan.npy": "no confident point",
    "coco_missing_image.json": "refers to image 2, which is not listed",
    "alphapose_mixed.json": "frame 1: mixed layouts",
    "empty_list.json": "holds no detections",
    "openpose_nobody_keypoints.json": "nobody detected",
}


def test_broken_corpus_is_complete():
    on_disk = {p.name for p in (FIX / "broken").iterdir()}
    assert on_disk == set(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_file_gives_one_line_error(name):
    path = FIX / "broken" / name
    with pytest.raises(KeypointFileError) as info:
        read_tracks(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert BROKEN[name] in message


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(KeypointFileError, match="no such file"):
        read_tracks(tmp_path / "nope.json")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(KeypointFileError, match="holds no keypoint files"):
        read_tracks(tmp_path / "empty_dir")


# --------------------------------------------------------------------------------------------------- fuzzing

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=6)
        | st.dictionaries(
            st.sampled_from(
                [
                    "people",
                    "pose_keypoints_2d",
                    "person_id",
                    "image_id",
                    "keypoints",
                    "images",
                    "annotations",
                    "id",
                    "instances",
                    "frame_id",
                    "keypoint_scores",
                    "bbox",
                    "meta_info",
                    "instance_info",
                    "frames",
                    "poses",
                    "landmarks",
                    "format",
                    "idx",
                    "categories",
                    "fps",
                    "frame",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=40,
)


def _check_read(path: Path) -> None:
    try:
        tracks = read_tracks(path)
    except KeypointFileError as exc:
        assert "\n" not in str(exc)
        return
    for t in tracks:
        assert t.points.shape[1:] == (26, 3) and np.isfinite(t.points).all()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=json_values)
def test_fuzzed_json_reads_or_fails_cleanly(tmp_path, doc):
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(doc))
    _check_read(path)


def _mutate(doc, path: list[int], value):
    """Replace the node that ``path`` (child indices, taken modulo the child count) leads to with ``value``."""
    if not path or not isinstance(doc, (dict, list)) or not doc:
        return value
    if isinstance(doc, dict):
        key = sorted(doc)[path[0] % len(doc)]
        return {**doc, key: _mutate(doc[key], path[1:], value)}
    i = path[0] % len(doc)
    return doc[:i] + [_mutate(doc[i], path[1:], value)] + doc[i + 1 :]


def test_an_image_size_under_one_pixel_is_no_image_size(tmp_path):
    """A MediaPipe JSON whose image height is a fraction (found by the fuzz test below: 0.26 became a zero-pixel
    image and a traceback) reads as a file without an image size."""
    from model.readers import read_tracks

    doc = json.loads((FIX / "mediapipe.json").read_text())
    doc["image_height"] = 0.26
    path = tmp_path / "mediapipe.json"
    path.write_text(json.dumps(doc))
    track = read_tracks(path)[0]
    assert track.image_size is None and track.num_frames > 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(
        [
            "coco_annotations.json",
            "coco_results.json",
            "alphapose_halpe26.json",
            "mmpose_video.json",
            "mmpose_meta.json",
            "mediapipe.json",
            "openpose_body25/walk_000000000000_keypoints.json",
        ]
    ),
    path_choice=st.lists(st.integers(0, 50), min_size=1, max_size=5),
    value=json_values,
)
def test_fuzzed_real_structures_read_or_fail_cleanly(tmp_path, name, path_choice, value):
    doc = json.loads((FIX / name).read_text())
    path = tmp_path / Path(name).name
    path.write_text(json.dumps(_mutate(doc, path_choice, value)))
    _check_read(path)


# --------------------------------------------------------------------------------------------------- size


def test_100k_frame_file_reads_in_bounded_memory(tmp_path):
    frames = 100_000
    row = ",".join(f"{v:.2f}" for v in halpe_pose(0).reshape(-1))
    path = tmp_path / "long.csv"
    with open(path, "w") as fh:
        block = "\n".join([row] * 1000) + "\n"
        for _ in range(frames // 1000):
            fh.write(block)
    size_mb = path.stat().st_size / 1e6
    tracemalloc.start()
    main = read_keypoints(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert main.num_frames == frames
    result_mb = main.points.nbytes / 1e6  # 31 MB of float32
    # the whole file's text is never held, nor per-point objects: peak stays near the result itself
    assert peak / 1e6 < result_mb * 2 + 40, (peak / 1e6, size_mb)


# --------------------------------------------------------------------------------------------------- inspector

INSPECT = [sys.executable, str(ROOT / "scripts" / "inspect_keypoints.py")]


@pytest.mark.parametrize("name", sorted(CASES))
def test_inspector_on_every_fixture(name):
    sys.path.insert(0, str(ROOT / "scripts"))
    import inspect_keypoints

    info = inspect_keypoints.summary(str(FIX / name))
    fmt, layout, people, frames, *_ = CASES[name]
    assert (info["format"], info["frames"], info["people"]) == (fmt, frames, people)
    assert {"format", "frames", "people", "fps"} <= set(info)
    assert json.loads(json.dumps(info)) == info


def test_inspector_command_line():
    ok = subprocess.run(INSPECT + [str(FIX / "mediapipe.json"), "--json"], capture_output=True, text=True)
    assert ok.returncode == 0
    info = json.loads(ok.stdout)
    assert info["format"] == "mediapipe" and info["fps"] == 25.0 and info["image_size"] == [1280, 720]
    text = subprocess.run(INSPECT + [str(FIX / "openpose_body25")], capture_output=True, text=True)
    assert text.returncode == 0 and "BODY_25" in text.stdout and "people:      2" in text.stdout
    bad = subprocess.run(INSPECT + [str(FIX / "broken" / "truncated_keypoints.json")], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "truncated JSON" in bad.stderr and "Traceback" not in bad.stderr


def test_bundled_sample_of_real_detections():
    tracks = read_tracks(ROOT / "model" / "samples" / "sample_mediapipe.json")
    main = tracks[0]
    assert (main.source_format, main.num_frames, main.fps, main.image_size) == ("mediapipe", 230, 30.0, (1768, 994))
    assert main.frames_present() == 166  # the man on the box; MediaPipe then switches to the walker
    present = main.points[main.confidence > 0]
    assert (present[:, 0] >= -50).all() and (present[:, 0] <= 1768 + 50).all()
    assert main.confident_fraction() > 0.5
