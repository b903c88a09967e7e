"""The root path from the video's perspective: the translation solve, the camera frame, the blend, the fallbacks."""

from __future__ import annotations

import numpy as np
import pytest

from model.keypoints import Keypoints2D
from model.root_path import (
    blended_root,
    camera_from_gravity,
    focal_length,
    low_pass,
    perspective_root,
    perspective_translation,
)
from model.training.evaluation import look_at_camera
from model.training.synthesis import gravity_frame


def test_translation_solve_is_exact_for_a_pinhole_projection():
    rng = np.random.default_rng(0)
    body = rng.normal(0, 0.4, size=(5, 26, 3))  # pelvis-relative points, camera coordinates
    truth = np.stack([rng.uniform(-1, 1, 5), rng.uniform(-0.5, 0.5, 5), rng.uniform(2, 9, 5)], -1)
    f, centre = 1500.0, np.array([960.0, 540.0])
    cam = body + truth[:, None]
    px = f * cam[..., :2] / cam[..., 2:] + centre
    points = np.concatenate([px, np.ones((5, 26, 1))], -1)
    points[1, :23] = 0.0  # three points: not enough
    points[2, :20] = 0.0  # six points: enough
    t = perspective_translation(body, points, f, centre)
    assert np.isnan(t[1]).all()
    ok = [0, 2, 3, 4]
    assert np.abs(t[ok] - truth[ok]).max() < 1e-6


def test_camera_from_gravity_matches_the_training_cameras_frame():
    """G (y up, z the view flattened) to camera coordinates, from the up direction alone, is the training's
    gravity frame: a tilted camera's G-frame points land where its own rotation puts them."""
    cam = look_at_camera(np.array([1.0, 2.5, 4.0]), np.array([0.0, 0.8, 0.0]), (1920.0, 1080.0), 60.0)
    g = gravity_frame(cam)[0]  # world -> G
    rot = camera_from_gravity(cam.up_in_camera()[0])  # G -> camera
    assert np.allclose(rot, cam.rotation[0] @ g.T, atol=1e-9)
    assert focal_length((1920, 1080), 60.0) == pytest.approx(cam.focal[0])
    with pytest.raises(ValueError, match="field of view"):
        focal_length((1920, 1080), 0.0)


def test_walk_towards_the_camera_is_recovered_from_the_points_alone():
    """A body walking 4 m straight at the camera: the perspective path (true rotations and body, exact 2D) follows
    it within a millimetre, in the gravity frame, wherever the points are seen."""
    from model.body_points import keypoints_3d
    from model.skeleton import Skeleton

    frames = 60
    quats = np.zeros((frames, 22, 4))
    quats[..., 0] = 1.0
    root = np.stack([np.full(frames, 0.3), np.full(frames, 0.95), np.linspace(-4.0, 0.0, frames)], -1)
    cam = look_at_camera(np.array([0.0, 1.4, 3.0]), np.array([0.0, 1.0, 0.0]), (1920.0, 1080.0), 60.0)
    kp, _ = keypoints_3d(quats, Skeleton.default().offsets, root)
    px, _ = cam.project(kp[None])
    points = np.concatenate([px[0], np.ones((frames, 26, 1))], -1)
    points[20:25] = 0.0  # nobody seen: interpolated
    g = gravity_frame(cam)[0]
    local = quats.copy()
    from model.rotations import matrix_to_quat

    local[:, 0] = matrix_to_quat(g)  # the root's rotation in G
    up = np.repeat(cam.up_in_camera(), frames, 0)
    path = perspective_root(local, Skeleton.default().offsets, up, points, (1920, 1080), 60.0)
    truth = (root - cam.centre[0]) @ g.T  # G, camera at the origin
    assert path is not None
    assert np.abs(path - truth).max() < 1e-3
    assert perspective_root(local, Skeleton.default().offsets, up, points * 0, (1920, 1080)) is None


def test_blend_keeps_the_slow_path_and_the_fast_detail():
    t = np.arange(200) / 30.0
    slow = np.stack([t * 1.2, np.zeros_like(t), np.sin(t)], -1)
    fast = np.stack([np.zeros_like(t), 0.05 * np.sin(2 * np.pi * 4 * t), np.zeros_like(t)], -1)
    drift = np.stack([0.3 * t, np.zeros_like(t), np.zeros_like(t)], -1)
    noise = np.random.default_rng(1).normal(0, 0.03, size=slow.shape)
    out = blended_root(slow + fast + drift, slow + noise, 30.0)  # network: drifts; perspective: noisy
    inner = slice(15, -15)
    floor = [0, 2]  # across the floor; the height below
    assert np.abs(out - (slow + fast))[inner][:, floor].max() < 0.05
    assert np.abs(out - (slow + fast))[inner][:, floor].mean() < 0.015  # noise 0.03 and a 2 m drift, both mostly gone
    hop = np.zeros_like(t)
    hop[90:102] = 0.3 * np.sin(np.linspace(0, np.pi, 14)[1:-1])  # a 0.4 s jump the perspective sees
    height = np.stack([slow[:, 0], 0.1 * t + hop, slow[:, 2]], -1)  # and the network's slow rise, not the jump
    seen = np.stack([slow[:, 0], 0.5 * np.sin(t / 3) + hop, slow[:, 2]], -1)  # the perspective's slow height errs
    up = blended_root(np.stack([slow[:, 0], 0.1 * t, slow[:, 2]], -1), seen, 30.0)[:, 1]
    away = np.r_[15:80, 115:185]
    assert np.abs(up - height[:, 1])[away].max() < 0.05  # the perspective's slow error (0.5 m) stays out
    assert up[90:102].max() - up[80] > 0.2  # the jump (0.35 m above frame 80) shows; the network's path rises 0.05
    spiky = slow + 0.0
    spiky[[0, 80]] += 2.0  # single-frame outliers, one at the clip's first frame
    kept = blended_root(slow, spiky, 30.0)
    assert np.abs(kept - slow)[80].max() < 0.02 and np.abs(kept - slow)[0].max() < 0.15  # of 2 m
    ramp = np.linspace(0, 3, 50)[:, None]
    assert np.allclose(low_pass(ramp, 6.0), ramp)  # steady motion passes, ends included


def test_uplift_uses_the_perspective_path_only_with_an_image_size():
    from model.uplift import Uplifter

    rng = np.random.default_rng(2)
    pts = np.concatenate([rng.uniform(300, 700, size=(40, 26, 2)), np.ones((40, 26, 1))], -1).astype(np.float32)
    up = Uplifter(backend="numpy", fix_swaps=False)  # random points: their jumps would read as left/right swaps
    notes: list[str] = []
    with_size = up(Keypoints2D(pts, fps=30.0, image_size=(1000, 1000)), notes=notes)
    assert notes == []
    network = up(Keypoints2D(pts, fps=30.0, image_size=(1000, 1000)), root_path="network")
    assert not np.allclose(with_size.root_translation, network.root_translation)
    no_size = up(Keypoints2D(pts / 1000, fps=30.0), notes=notes)
    assert notes == ["root path from the network only: the keypoints have no image size"]
    assert np.isfinite(no_size.root_translation).all()
    with pytest.raises(ValueError, match="root_path"):
        up(Keypoints2D(pts, fps=30.0), root_path="somewhere")


def test_floor_height_takes_out_drift_and_keeps_jumps():
    """The lowest foot point of a body whose integrated height drifts 0.5 m over 10 s, jumping 30 cm for 0.4 s
    twice: with the floor taken out the feet stay within 2 cm of the floor between the jumps and the jumps keep at
    least 25 cm."""
    from model.root_path import floor_height

    fps = 30.0
    t = np.arange(300) / fps
    jump = np.zeros_like(t)
    for start in (3.0, 7.0):
        inside = (t >= start) & (t < start + 0.4)
        jump[inside] = 0.3 * np.sin(np.pi * (t[inside] - start) / 0.4)
    low = 0.05 * t + jump  # drift plus jumps
    kept = low - floor_height(low, fps)
    contact = jump == 0
    assert np.abs(kept[contact]).max() < 0.02
    for start in (3.0, 7.0):
        inside = (t >= start) & (t < start + 0.4)
        assert kept[inside].max() > 0.25
    assert floor_height(np.array([0.2]), fps)[0] == pytest.approx(0.2)


def test_running_percentile_matches_the_frame_by_frame_one():
    """The vectorised running percentile equals the NaN-aware one over each frame's window, clip ends included, for
    clips shorter and longer than the window."""
    from model.root_path import _running_percentile, _windows

    rng = np.random.default_rng(3)
    for frames in (5, 31, 32, 300):
        values = rng.normal(size=frames).cumsum()
        for half, q in ((30, 10.0), (15, 20.0), (2, 50.0)):
            expected = np.nanpercentile(_windows(values, half), q, axis=1)
            np.testing.assert_allclose(_running_percentile(values, half, q), expected)


def test_sinking_lifts_a_foot_out_of_the_floor_and_nothing_else():
    """A lowest foot point that dips 5 cm through the floor for three frames: the lift takes it out (within 5 mm),
    rises and falls over a few frames, and is zero a third of a second away and where no foot is below the floor."""
    from model.root_path import sinking

    low = np.full(90, 0.01)
    low[44:47] = [-0.03, -0.05, -0.02]
    lift = sinking(low, 30.0)
    assert (low + lift)[44:47].min() > -0.005
    assert np.abs(np.diff(lift)).max() < 0.03  # no kink of the full depth in one frame
    assert np.all(lift[:34] == 0) and np.all(lift[57:] == 0)
    assert not sinking(np.full(30, 0.02), 30.0).any()


def _standing_feet(frames: int) -> np.ndarray:
    """(T, 6, 3) heel, big toe, small toe of the left then the right foot of someone standing still, root at 0."""
    left = np.array([[0.1, -0.9, -0.05], [0.09, -0.9, 0.15], [0.13, -0.9, 0.11]])
    right = left * [-1.0, 1.0, 1.0]
    return np.repeat(np.concatenate([left, right])[None], frames, 0)


def test_pinned_feet_stop_sliding_and_the_path_keeps_its_course():
    """Someone standing still whose root wobbles 3 cm at 2 Hz and drifts 30 cm in 3 s (the feet drawn with the
    root): pinned, the feet's wobble is mostly gone (the root's fast motion within a fifth of what it was; the feet are smoothed over 0.05 s first), the slow drift (the
    camera's path) kept within 3 cm; a foot in the air (20 cm up) or moving fast (2 m/s) is not pinned."""
    from model.root_path import pin_planted_feet

    fps, frames = 30.0, 90
    t = np.arange(frames) / fps
    root = np.zeros((frames, 3))
    root[:, 1] = 0.9
    root[:, 0] = 0.03 * np.sin(2 * np.pi * 2 * t)
    root[:, 2] = 0.1 * t
    feet = _standing_feet(frames)
    pinned = pin_planted_feet(root, feet, fps)
    fast = lambda x: x - low_pass(x, 0.5 * fps)  # noqa: E731
    assert np.abs(fast(pinned[:, 0])).max() < 0.2 * np.abs(fast(root[:, 0])).max()
    assert np.abs(pinned[:, 2] - root[:, 2]).max() < 0.03 and np.abs(pinned[:, 1] - root[:, 1]).max() == 0
    lifted = feet + [0.0, 0.2, 0.0]
    np.testing.assert_allclose(pin_planted_feet(root, lifted, fps), root)
    running = root.copy()
    running[:, 2] = 2.0 * t  # the body (and feet with it) at 2 m/s
    np.testing.assert_allclose(pin_planted_feet(running, feet, fps), running)
