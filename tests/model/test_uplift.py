"""The runtime: keypoints in, a Motion out at the input's frame rate, with either backend, on any clip length."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from model.features import resample_points, window_starts
from model.keypoints import Keypoints2D
from model.network import NetworkConfig, load_weights, save_weights, torch_state_to_arrays
from model.network_torch import UpliftNet
from model.readers import read_keypoints
from model.uplift import UpliftCancelled, Uplifter

SAMPLE = Path(__file__).resolve().parents[2] / "model" / "samples" / "sample_mediapipe.json"
CMU = Path(__file__).resolve().parents[1] / "fixtures" / "bvh" / "cmu_01_01_first120.bvh"


@pytest.fixture(scope="module")
def cmu_clip():
    """The held-out CMU clip's first 120 frames as a Motion and its 26 points (T, 26, 3)."""
    from model.body_points import keypoints_3d
    from model.mocap.bvh import read_bvh
    from model.mocap.retarget import retarget_clip

    ref = retarget_clip(read_bvh(CMU))
    return ref, keypoints_3d(ref.rotations, ref.skeleton.offsets, ref.root_translation)[0]


@pytest.fixture(scope="module")
def small_weights(tmp_path_factory) -> Path:
    """A small random network: these tests check the runtime's plumbing, not what a trained model knows."""
    torch.manual_seed(0)
    cfg = replace(NetworkConfig(), window=27, dim=32, layers=1, mlp=64)
    path = tmp_path_factory.mktemp("w") / "small.npz"
    save_weights(path, torch_state_to_arrays(UpliftNet(cfg)), cfg, {"name": "small"})
    return path


def test_motion_matches_the_input_clip(small_weights):
    kps = read_keypoints(SAMPLE)  # 230 frames, 30 fps, with frames where nobody was detected
    motion = Uplifter(small_weights, backend="numpy")(kps)
    assert motion.num_frames == kps.num_frames and motion.fps == kps.fps
    assert np.isfinite(motion.rotations).all() and np.isfinite(motion.root_translation).all()
    assert ((motion.rotations[1:] * motion.rotations[:-1]).sum(-1) >= 0).all()
    assert abs(np.percentile(motion.foot_points()[..., 1].min(1), 5)) < 1e-6  # on the floor
    assert motion.up_in_camera is not None and np.allclose(np.linalg.norm(motion.up_in_camera, axis=-1), 1, atol=1e-6)


@pytest.mark.parametrize("fps", [24.0, 60.0, 120.0])
def test_other_frame_rates_keep_frame_count_and_rate(small_weights, fps):
    pts = read_keypoints(SAMPLE).points[:100]
    kps = Keypoints2D(pts, fps=fps)
    motion = Uplifter(small_weights, backend="numpy")(kps)
    assert motion.num_frames == 100 and motion.fps == fps


def test_a_rate_a_hair_off_reads_the_same_frames():
    """60 fps read back as 60.000000000000014 (1 / a time step) resamples to the same frames: a point missing in
    the next source frame must not blank the one on the frame itself."""
    pts = read_keypoints(SAMPLE).points[:60].copy()
    pts[1::2, 5] = 0.0  # a point lost in every other frame
    exact = resample_points(pts, 60.0, 30.0)
    near = resample_points(pts, 1.0 / (1.0 / 60.0), 30.0)
    off = resample_points(pts, 60.000000000000014, 30.0)
    assert np.array_equal(exact[:, 5, 2] > 0, pts[::2, 5, 2] > 0) and (exact[:, 5, 2] > 0).any()  # frame k: 2k
    assert np.array_equal(exact, near) and np.array_equal(exact, off)


def test_backends_agree(small_weights):
    kps = read_keypoints(SAMPLE)
    a = Uplifter(small_weights, backend="numpy")(kps)
    b = Uplifter(small_weights, backend="torch", device="cpu")(kps)
    assert np.abs(a.rotations - b.rotations).max() < 1e-4
    assert np.abs(a.root_translation - b.root_translation).max() < 1e-4


def test_weights_can_set_how_far_apart_the_windows_are(small_weights, tmp_path):
    """The card's ``stride`` spaces the main pass's windows (fewer windows, less work); 0 keeps half a window."""
    weights, cfg = load_weights(small_weights)
    wide = tmp_path / "stride22.npz"
    save_weights(wide, weights, replace(cfg, stride=22), {})
    kps = read_keypoints(SAMPLE)
    frames = len(resample_points(kps.points, kps.fps, cfg.fps))
    seen = {}
    for path in (small_weights, wide):
        up = Uplifter(path, backend="numpy", flip=False, level=False)
        sizes: list[int] = []
        forward = up._forward
        up._forward = lambda w, f=forward, s=sizes: (s.append(len(w)), f(w))[1]  # type: ignore[method-assign]
        motion = up(kps)
        assert motion.num_frames == kps.num_frames and np.isfinite(motion.rotations).all()
        seen[up.config.window_stride] = sum(sizes)
    assert cfg.window_stride == 13 and seen[13] == len(window_starts(frames, 27, 13))
    assert seen[22] == len(window_starts(frames, 27, 22)) < seen[13]


def test_short_and_empty_clips_give_finite_motion(small_weights):
    up = Uplifter(small_weights, backend="numpy")
    short = Keypoints2D(read_keypoints(SAMPLE).points[10:15], fps=30.0)
    assert up(short).num_frames == 5
    nobody = Keypoints2D(np.zeros((40, 26, 3), np.float32), fps=30.0)
    motion = up(nobody)
    assert np.isfinite(motion.rotations).all() and np.isfinite(motion.root_translation).all()


def test_cuda_asked_for_falls_back_with_a_note(small_weights):
    up = Uplifter(small_weights, backend="auto", device="cuda")
    if torch.cuda.is_available():
        assert up.device == "cuda"
    else:
        assert up.device == "cpu" and any("CUDA" in n for n in up.notes)


def test_progress_and_cancel(small_weights):
    kps = read_keypoints(SAMPLE)
    seen: list[float] = []
    Uplifter(small_weights, backend="numpy")(kps, progress=seen.append, batch_windows=2)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    levelled: list[float] = []  # Level the Camera's first look fills the first fifth of the bar
    Uplifter(small_weights, backend="numpy", level=True)(kps, progress=levelled.append, batch_windows=2)
    assert levelled[-1] == 1.0 and levelled == sorted(levelled) and 0 < levelled[0] <= 0.2 and len(levelled) > len(seen)
    assert any(v == pytest.approx(0.2) for v in levelled)
    with pytest.raises(UpliftCancelled):
        Uplifter(small_weights, backend="numpy")(kps, should_cancel=lambda: True)
    with pytest.raises(UpliftCancelled):
        Uplifter(small_weights, backend="numpy", level=True)(kps, should_cancel=lambda: True)


def test_bundled_model_on_real_motion_it_never_saw():
    """A guard against a broken bundle: the first second of the held-out CMU clip, one camera, documented noise.

    (A random network scores about 300 mm and 90 degrees here; the full-clip numbers are in the model card.)
    """
    from model.body_points import keypoints_3d
    from model.mocap.bvh import read_bvh
    from model.mocap.retarget import retarget_clip
    from model.rotations import quat_to_matrix
    from model.training import evaluation as E
    from model.training.synthesis import detector_noise, gravity_frame

    ref = retarget_clip(read_bvh(CMU))
    kp, _ = keypoints_3d(ref.rotations[None], ref.skeleton.offsets[None], ref.root_translation[None])
    cam = E.fixed_cameras(ref.root_translation.mean(0))[0]
    px, _ = cam.project(kp)
    kps = Keypoints2D(detector_noise(np.random.default_rng(0), px, ref.fps, level=1.0)[0], fps=ref.fps)
    motion = Uplifter()(kps)
    g = gravity_frame(cam)[0]
    ref_rot = quat_to_matrix(ref.rotations)
    ref_rot[:, 0] = g @ ref_rot[:, 0]
    assert E.pa_mpjpe(motion.joint_positions, ref.joint_positions @ g.T) < 130  # measured: 98 mm
    assert E.mpjae(quat_to_matrix(motion.rotations), ref_rot) < 40  # measured: 30 degrees


def test_flip_averaging_is_mirror_symmetric(small_weights):
    """With test-time flipping, a mirrored video gives exactly the mirrored motion (joints swapped, x negated); the
    sample's frames with the person (in a window with nobody, nothing tells the two passes apart: ``mirror_average``)."""
    from model.keypoints import HALPE_MIRROR
    from model.rotations import mirror_quat
    from model.skeleton import MIRROR

    whole = read_keypoints(SAMPLE)
    seen = np.flatnonzero((whole.points[..., 2] > 0).any(-1))
    kps = Keypoints2D(whole.points[: seen[-1] + 1], fps=whole.fps, image_size=whole.image_size)
    pts = kps.points[:, list(HALPE_MIRROR)].copy()
    pts[..., 0] = np.where(pts[..., 2] > 0, kps.image_size[0] - pts[..., 0], 0.0)
    up = Uplifter(small_weights, backend="numpy", flip=True)
    a = up(kps)
    b = up(Keypoints2D(pts, fps=kps.fps, image_size=kps.image_size))
    np.testing.assert_allclose(b.joint_positions, a.joint_positions[:, list(MIRROR)] * [-1, 1, 1], atol=5e-4)
    q = mirror_quat(a.rotations[:, list(MIRROR)])
    assert np.abs(np.abs((b.rotations * q).sum(-1)) - 1).max() < 1e-5  # same rotations (q or -q)
    np.testing.assert_allclose(b.root_translation, a.root_translation * [-1, 1, 1], atol=5e-4)
    plain = Uplifter(small_weights, backend="numpy")(kps)
    assert np.abs(plain.joint_positions - a.joint_positions).max() > 1e-3  # flipping changes the result


def _window_facing(across: float) -> np.ndarray:
    """One window (1, 27, 26, 3) whose left hip and shoulder lie ``across`` to the image's right of the right ones."""
    from model.keypoints import KEYPOINT_INDEX as K

    win = np.random.default_rng(0).normal(0.0, 0.3, (1, 27, 26, 3))
    win[..., 2] = 1.0
    for part in ("hip", "shoulder"):
        win[..., K[f"left_{part}"], 0] = win[..., K[f"right_{part}"], 0] + across
    return win


def test_mirror_average_keeps_the_pass_that_fits_where_the_two_disagree():
    """A network stand-in whose two passes disagree which way the body faces (half a turn about the vertical) and
    bend the other joints a little differently. The pelvis comes from the pass whose left and right lie where the
    image has them (not the mean of the two, which has no first column and faces nowhere); joints within 60 degrees
    get the plain mean of the two; between 60 and 90 degrees the other pass counts less, from 90 not at all."""
    from model.rotations import elementary_rotation, matrix_to_sixd, sixd_to_matrix
    from model.uplift import facing_fit, mirror_average

    back = np.repeat(np.eye(3)[None, None, None], 27, 1).repeat(22, 2)  # forward along +z: its back to the camera
    back[:, :, 1:] = elementary_rotation("x", np.radians(10.0))  # the other joints bent 10 degrees
    front = back.copy()
    front[:, :, 0] = elementary_rotation("y", np.pi)  # facing the camera (forward along -z)
    front[:, :, 1:] = elementary_rotation("x", np.radians(40.0))  # 30 degrees from the other pass
    front[:, :, 2] = elementary_rotation("x", np.radians(85.0))  # 75 degrees: the other pass counts cos 75 < 1/2
    front[:, :, 3] = elementary_rotation("x", np.radians(110.0))  # 100 degrees: not at all
    naive = 0.5 * (matrix_to_sixd(back) + matrix_to_sixd(front))
    assert np.abs(naive[..., 0, :3]).max() < 1e-12  # the plain mean's pelvis: no first column at all
    share = np.cos(np.radians(75.0))
    # facing the camera, the left hip and shoulder are on the image's right
    for across, fits, other in ((0.4, front, back), (-0.4, back, front)):
        win = _window_facing(across)
        assert facing_fit(win, fits[..., 0, :, :]).sum() > 0 > facing_fit(win, other[..., 0, :, :]).sum()
        for direct, mirrored in ((front, back), (back, front)):  # whichever pass it is
            out = mirror_average(win, direct, mirrored)
            np.testing.assert_allclose(sixd_to_matrix(out[..., 0, :]), fits[..., 0, :, :], atol=1e-12)
            mean = 0.5 * (matrix_to_sixd(fits) + matrix_to_sixd(other))
            np.testing.assert_allclose(out[..., 4:, :], mean[..., 4:, :], atol=1e-12)  # 30 degrees apart: the mean
            mixed = (1 - share) * matrix_to_sixd(fits[..., 2, :, :]) + share * matrix_to_sixd(other[..., 2, :, :])
            np.testing.assert_allclose(out[..., 2, :], mixed, atol=1e-12)
            np.testing.assert_allclose(out[..., 3, :], matrix_to_sixd(fits[..., 3, :, :]), atol=1e-12)


def test_facing_fit_reads_a_side_view_from_the_nose_and_toes():
    """Seen from the side the hips and shoulders overlap; the nose ahead of the ears and the toes ahead of the heels
    say which way the body faces. Points not seen count for nothing."""
    from model.keypoints import KEYPOINT_INDEX as K
    from model.rotations import elementary_rotation
    from model.uplift import facing_fit

    win = _window_facing(0.0)
    for name, dx in (("nose", 0.3), ("left_big_toe", 0.2), ("right_big_toe", 0.2)):
        win[..., K[name], 0] = win[..., K[name.replace("nose", "left_ear").replace("big_toe", "heel")], 0] + dx
    win[..., K["right_ear"], 0] = win[..., K["left_ear"], 0]
    # the gravity frame: y up, z the camera's view, x = y cross z: the image's left
    right = elementary_rotation("y", np.full((1, 27), -np.pi / 2))  # forward (+z) turned onto -x: the image's right
    left = elementary_rotation("y", np.full((1, 27), np.pi / 2))
    assert (facing_fit(win, right) > 0).all() and (facing_fit(win, left) < 0).all()
    win[..., K["nose"], 2] = 0.0  # the nose and one heel not seen: no evidence left
    win[..., K["left_heel"], 2] = 0.0
    assert np.abs(facing_fit(win, right)).max() < 1e-12


def test_mirror_average_of_a_mirrored_video_is_the_mirrored_average():
    """Whatever the two passes say, the mirror image of a window (x reflected, left and right swapped: its passes
    swap roles, each reflected) gets the reflection of the window's result, also where the passes disagree."""
    from model.keypoints import HALPE_MIRROR
    from model.rotations import mirror_matrix, quat_to_matrix, sixd_to_matrix
    from model.skeleton import MIRROR
    from model.uplift import mirror_average

    rng = np.random.default_rng(3)
    win = rng.normal(0.0, 0.5, (8, 27, 26, 3))
    q = rng.normal(size=(2, 8, 27, 22, 4))
    direct, mirrored = quat_to_matrix(q / np.linalg.norm(q, axis=-1, keepdims=True))
    flipped = win[:, :, list(HALPE_MIRROR)].copy()
    flipped[..., 0] *= -1.0

    def reflect(m):
        return mirror_matrix(m[:, :, list(MIRROR)])

    a = sixd_to_matrix(mirror_average(win, direct, mirrored))
    b = sixd_to_matrix(mirror_average(flipped, reflect(mirrored), reflect(direct)))
    np.testing.assert_allclose(b, reflect(a), atol=1e-9)


def test_mirror_averaging_keeps_the_sample_facing_one_way():
    """The bundled sample with the extension's defaults, every frame lifted: no frame turns the pelvis more than 30
    degrees from the one before. Its last two seconds have nobody in them; a window of nothing and its mirror image
    are the same input, so the two passes there are each other's reflection, and a pelvis facing sideways in one
    faces the other way in the other."""
    from model.rotations import geodesic_angle

    motion = Uplifter(backend="numpy", flip=True, level=True)(read_keypoints(SAMPLE))
    q = motion.rotations[:, 0]
    step = np.degrees(geodesic_angle(q[1:], q[:-1]))
    assert step.max() < 30, f"{step.max():.0f} degrees at frame {step.argmax() + 1}"


def test_detector_swaps_are_put_back_before_uplifting(small_weights):
    """The sample's MediaPipe flips (a person facing the camera labelled as facing away for a few frames) are put
    back and said in the notes; ``fix_swaps=False`` lifts the detections as they are."""
    kps = read_keypoints(SAMPLE)
    uplifter = Uplifter(small_weights, backend="numpy")
    notes: list[str] = []
    fixed = uplifter(kps, notes=notes)
    assert any(n.startswith("left and right put back in") for n in notes), notes
    kept_notes: list[str] = []
    kept = uplifter(kps, notes=kept_notes, fix_swaps=False)
    assert not any("left and right" in n for n in kept_notes)
    assert not np.allclose(fixed.rotations[68:72], kept.rotations[68:72], atol=1e-3)
    assert np.allclose(Uplifter(small_weights, backend="numpy", fix_swaps=False)(kps).rotations, kept.rotations)


def test_facing_yaw_reads_the_root_heading():
    """A root turned by an angle about the vertical has that heading (0 along +z, a quarter turn along +x)."""
    from model.rotations import elementary_rotation, matrix_to_sixd
    from model.uplift import facing_yaw

    angles = np.radians([0.0, 30.0, 90.0, 179.0, -120.0])
    rot = np.repeat(np.eye(3)[None, None], 5, 0).repeat(22, 1)
    rot[:, 0] = elementary_rotation("y", angles)
    np.testing.assert_allclose(facing_yaw(matrix_to_sixd(rot)), angles, atol=1e-9)


def test_a_turned_around_first_window_is_lifted_again(monkeypatch):
    """The bundled sample: MediaPipe's first detection of the man (frame 3) has his shoulders reversed and narrowed
    while he stands facing the camera. The first window alone covers the clip's first frames, and the bundled network
    turns them around (to frame 20); ``_settle_edges`` finds the first window disagreeing with the second on the
    frames both see, starts it further in, and he faces the camera from his first frame; the rest stays as it was."""
    from model.rotations import matrix_to_sixd, quat_to_matrix
    from model.uplift import facing_yaw

    kps = read_keypoints(SAMPLE)

    def heading(motion):
        return facing_yaw(matrix_to_sixd(quat_to_matrix(motion.rotations)))

    def off(yaw, ref):  # degrees from a heading
        return np.degrees(np.abs(np.angle(np.exp(1j * (yaw - ref)))))

    settled = Uplifter(backend="numpy")(kps)
    with monkeypatch.context() as m:
        m.setattr(Uplifter, "_settle_edges", lambda self, points, acc, sixd, *rest: (acc, sixd))
        plain = Uplifter(backend="numpy")(kps)
    yaw, raw = heading(settled), heading(plain)
    camera = np.pi  # facing the camera: forward along -z (the video shows his face in frames 3-60)
    assert off(raw[4:18], camera).min() > 90  # without: the first window's frames turned away (about 170 degrees)
    assert off(yaw[3:60], camera).max() < 45  # with: every one of them faces the camera
    q, r = settled.rotations[40:], plain.rotations[40:]  # beyond the first two windows
    assert np.abs(np.abs((q * r).sum(-1)) - 1).max() < 1e-6  # the rest as it was (q or -q)


def test_settle_edges_starts_a_turned_first_or_last_window_further_in(small_weights):
    """Both ends, on a network whose answer is known: it faces the body away (half a turn) in every window that holds
    the marked frame (confidence 0.5), towards the camera in every other. Marked at the clip's first or last frame,
    the edge window is turned, the windows beside it are not; the edge window moves in past the marked frame, and
    every frame comes out facing one way (the marked frame holds its neighbour's pose)."""
    from model.rotations import elementary_rotation, matrix_to_sixd
    from model.uplift import facing_yaw

    class Known(Uplifter):
        calls = 0

        def _predict(self, windows, flip):
            self.calls += len(windows)
            marked = np.isclose(windows[..., 2], 0.5).any(axis=(1, 2))
            rot = np.repeat(np.eye(3)[None, None, None], len(windows), 0).repeat(windows.shape[1], 1).repeat(22, 2)
            rot[marked, :, 0] = elementary_rotation("y", np.pi)
            sixd = matrix_to_sixd(rot)
            return sixd, np.zeros((len(windows), windows.shape[1], 27)), sixd

    up = Known(small_weights, backend="numpy")
    w = up.config.window
    for edge in (0, -1):
        pts = np.ones((4 * w, 26, 3))
        pts[..., :2] = np.random.default_rng(0).uniform(100, 300, (4 * w, 26, 2))
        pts[edge, :, 2] = 0.5
        plain, sixd = up._windows(pts, w // 2, False, 64)
        assert np.degrees(np.abs(facing_yaw(sixd))).max() > 170  # the edge window's frames face away
        acc, settled = up._settle_edges(pts, plain, sixd, w // 2, False, 64)
        assert np.degrees(np.abs(facing_yaw(settled))).max() < 1e-6, edge
        # only the frames near the moved window were blended again: the same as blending the whole clip again
        moved = window_starts(len(pts), w, w // 2)
        moved[edge] += 1 if edge == 0 else -1  # one frame past the marked frame
        whole_acc, whole = up._windows(pts, w // 2, False, 64, starts=moved)
        np.testing.assert_allclose(settled, whole, atol=1e-12)
        np.testing.assert_allclose(acc, whole_acc, atol=1e-12)
        assert not np.allclose(sixd, whole)  # and the edge window did move
        # the edge windows as the main pass kept them: the same answer, without running them again
        kept = dict.fromkeys(window_starts(len(pts), w, w // 2)[:3] + window_starts(len(pts), w, w // 2)[-3:])
        up._windows(pts, w // 2, False, 64, keep=kept)
        assert all(r is not None and r.shape == (w, 22, 6) for r in kept.values())
        up.calls = 0
        again = up._settle_edges(pts, plain, sixd, w // 2, False, 64, kept)[1]
        np.testing.assert_allclose(again, settled, atol=1e-12)
        solo = up.calls
        up._settle_edges(pts, plain, sixd, w // 2, False, 64)
        assert up.calls > solo  # without them, the edge windows run once more to read their headings
    # nothing turned: no window runs again and the blended outputs come back as they were
    pts[..., 2] = 1.0
    plain, sixd = up._windows(pts, w // 2, False, 64, keep=kept)
    up.calls = 0
    assert up._settle_edges(pts, plain, sixd, w // 2, False, 64, kept)[1] is sixd
    assert up.calls == 0


def test_turned_points_are_what_the_camera_turned_upright_sees(cmu_clip):
    """A camera rolled 25 degrees (and looking 18 degrees further down): ``camera_roll`` of its true up direction and
    ``turned_points`` by minus that give what the same camera turned back about its axis sees (after the network's
    normalisation, which takes out the shift); the same turn about z turns the up direction back."""
    from dataclasses import replace as replaced

    from model.features import normalise_window
    from model.rotations import elementary_rotation
    from model.training import evaluation as E
    from model.uplift import camera_roll, turned_points

    ref, kp3d = cmu_clip
    cam = E.fixed_cameras(ref.root_translation.mean(0))[0]
    down = replaced(cam, rotation=elementary_rotation("x", np.radians(-18.0))[None] @ cam.rotation)
    tilted = down.rolled(np.radians(25.0))

    def seen(c):
        return np.concatenate([c.project(kp3d[None])[0][0], np.ones((len(kp3d), 26, 1))], -1)

    up = np.repeat(tilted.up_in_camera(), len(kp3d), 0)
    roll = camera_roll(up, 30.0)
    assert np.allclose(np.abs(np.degrees(roll)), 25.0, atol=1e-6), np.degrees(roll[:3])
    back = turned_points(seen(tilted), -roll)
    assert np.allclose(normalise_window(back), normalise_window(seen(down)), atol=1e-4)
    assert np.allclose(np.einsum("tij,tj->ti", elementary_rotation("z", -roll), up), down.up_in_camera(), atol=1e-9)
    wrapped = np.tile([np.sin(3.1), -np.cos(3.1), 0.0], (40, 1))
    assert np.allclose(camera_roll(wrapped, 30.0), 3.1)  # upside down: no jump at 180 degrees
    # frames without the person (weight 0) carry the network's guesses: they neither count nor keep their own
    guessed = up.copy()
    guessed[40:60] = [1.0, 0.0, 0.0]
    weight = np.ones(len(up))
    weight[40:60] = 0.0
    assert np.allclose(camera_roll(guessed, 30.0, weight=weight), roll, atol=1e-9)
    assert np.allclose(camera_roll(guessed, 30.0, weight=np.zeros(len(up))), 0.0)


def test_level_the_camera_makes_a_rolled_camera_as_good_as_a_level_one(cmu_clip):
    """The bundled network on exact 2D of one clip from a level camera and from the same camera rolled 55 degrees
    (beyond the 35 its training saw; at 45 it is a few degrees off on its own). With Level the Camera the rolled
    camera's up direction is as near the truth as the level camera's and the pose scores what the level camera's
    scores; without, the up direction is several degrees off. The up direction comes back in the rolled camera's coordinates."""
    from model.body_points import keypoints_3d
    from model.training import evaluation as E

    ref, kp3d = cmu_clip
    level_cam = E.fixed_cameras(ref.root_translation.mean(0))[0]
    scores = {}
    for roll, level in ((0.0, False), (55.0, False), (55.0, True)):
        cam = level_cam.rolled(np.radians(roll))
        px = cam.project(kp3d[None])[0][0]
        w, h = (int(v) for v in cam.image[0])
        kps = Keypoints2D(np.concatenate([px, np.ones((len(px), 26, 1))], -1), fps=ref.fps, image_size=(w, h))
        m = Uplifter(backend="numpy", level=level)(kps)
        pred, _ = keypoints_3d(m.rotations, m.skeleton.offsets, m.root_translation)
        scores[roll, level] = (E.angle_between(m.up_in_camera, cam.up_in_camera()), E.pa_mpjpe(pred, kp3d))
    (up0, pa0), (up_off, _), (up_on, pa_on) = scores.values()
    assert up_on < up0 + 1.0 and up_off > up_on + 4.0, scores
    assert abs(pa_on - pa0) < 2.5, scores  # mm


def test_neck_and_hip_are_read_as_midpoints(small_weights):
    """A detector's own neck and mid-hip points (OpenPose BODY_25, Halpe) are read as the shoulders' and hips'
    midpoints, as the network was trained: moving them changes nothing; moving a shoulder does."""
    from model.keypoints import KEYPOINT_INDEX

    pts = read_keypoints(SAMPLE).points[:60].copy()
    up = Uplifter(small_weights, backend="numpy")
    base = up(Keypoints2D(pts, fps=30.0))
    moved = pts.copy()
    for mid in ("neck", "hip"):
        moved[:, KEYPOINT_INDEX[mid], :2] += (0.0, -40.0)  # 40 px higher
        moved[:, KEYPOINT_INDEX[mid], 2] = 0.9
    again = up(Keypoints2D(moved, fps=30.0))
    np.testing.assert_allclose(again.rotations, base.rotations, atol=1e-9)
    shoulder = pts.copy()
    shoulder[:, KEYPOINT_INDEX["left_shoulder"], :2] += (0.0, -40.0)
    assert np.abs(up(Keypoints2D(shoulder, fps=30.0)).rotations - base.rotations).max() > 1e-4
