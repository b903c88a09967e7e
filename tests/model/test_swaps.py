"""Whole-body left/right swaps of a detector: found and put back; a genuine turn is left alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.body_points import keypoints_3d
from model.keypoints import HALPE_MIRROR
from model.readers import read_keypoints
from model.rotations import axis_angle_to_quat
from model.skeleton import JOINT_INDEX, Skeleton
from model.swaps import find_swaps, undo_swaps

SAMPLE = Path(__file__).resolve().parents[2] / "model" / "samples" / "sample_mediapipe.json"


def walking_2d(frames: int = 120, turn: tuple[int, int] | None = None, noise: float = 0.0, seed: int = 0):
    """(T, 26, 3) pixels of the default body walking in place (legs and arms swinging, 1 stride/s at 30 fps), seen
    from 4 m at 30 degrees off its front; ``turn`` (start, frames): it turns round about its vertical axis meanwhile;
    ``noise``: white noise of that share of the body's image height."""
    t = np.arange(frames)
    aa = np.zeros((frames, 22, 3))
    aa[:, 0, 1] = np.radians(30)
    if turn is not None:
        aa[:, 0, 1] += np.clip((t - turn[0]) / turn[1], 0, 1) * np.pi
    swing = np.sin(t * 2 * np.pi / 30)
    for name, sign in (("left_hip", 1), ("right_hip", -1), ("left_shoulder", -1), ("right_shoulder", 1)):
        aa[:, JOINT_INDEX[name], 0] = 0.4 * sign * swing
    aa[:, JOINT_INDEX["left_shoulder"], 2] = -1.2  # arms down
    aa[:, JOINT_INDEX["right_shoulder"], 2] = 1.2
    root = np.zeros((frames, 3))
    root[:, 1] = 0.95
    kp, _ = keypoints_3d(axis_angle_to_quat(aa), Skeleton.default().offsets, root)
    cam = kp + np.array([0.0, 0.0, 4.0])
    px = np.stack([800 * cam[..., 0] / cam[..., 2] + 960, -800 * cam[..., 1] / cam[..., 2] + 540], -1)
    px += np.random.default_rng(seed).normal(0, noise * np.ptp(px[..., 1], 1).mean(), px.shape)
    return np.concatenate([px, np.ones((frames, 26, 1))], -1)


def swapped(points: np.ndarray, frames: np.ndarray) -> np.ndarray:
    out = points.copy()
    out[frames] = points[frames][:, list(HALPE_MIRROR)]
    return out


def test_mirror_pairs_are_the_left_right_counterparts():
    pts = walking_2d(2)
    assert not np.allclose(pts[:, list(HALPE_MIRROR)], pts) and np.allclose(swapped(swapped(pts, [0]), [0]), pts)


@pytest.mark.parametrize("noise", [0.0, 0.02])
def test_a_swapped_stretch_with_flicker_and_a_gap_is_put_back(noise):
    """A detector's flip: frames 30-59 swapped, then it flickers back (60 and 62 swapped, 61 not); nobody seen in
    40-42. The flip is found frame for frame and put back exactly; the frames without the person stay unmarked."""
    clean = walking_2d(noise=noise, seed=1)
    clean[40:43] = 0.0
    truth = np.zeros(len(clean), bool)
    truth[30:60] = truth[[60, 62]] = True
    truth[40:43] = False
    fixed, mask = undo_swaps(swapped(clean, np.flatnonzero(truth)))
    assert np.array_equal(mask, truth), np.flatnonzero(mask ^ truth)
    assert np.array_equal(fixed, clean)


@pytest.mark.parametrize("turn_frames", [10, 45])
@pytest.mark.parametrize("noise", [0.0, 0.02])
def test_a_genuine_turn_is_not_a_swap(turn_frames, noise):
    """Turning round (in a third of a second or in 1.5 s) moves each side past the other smoothly: nothing marked,
    also with white noise of 2 % of the body's height on every point."""
    for seed in range(5):
        pts = walking_2d(turn=(40, turn_frames), noise=noise, seed=seed)
        assert not find_swaps(pts).any()


def test_the_clips_ends_decide_which_labelling_is_swapped():
    """A labelling and its opposite cost the same. Both ends as given: the stretch between is swapped back however
    long (here 70 % of the clip). A swap that reaches an end looks like a genuine fast turn or a person leaving the
    image: left as it is (a stretch inside the clip before it still put back)."""
    clean = walking_2d(100)
    assert np.array_equal(np.flatnonzero(find_swaps(swapped(clean, np.arange(15, 85)))), np.arange(15, 85))
    assert not find_swaps(swapped(clean, np.arange(30, 100))).any()
    assert not find_swaps(swapped(clean, np.arange(0, 30))).any()
    mask = find_swaps(swapped(clean, np.r_[10:20, 65:100]))
    assert np.array_equal(np.flatnonzero(mask), np.arange(10, 20))
    assert not find_swaps(clean[:2]).any() and not find_swaps(np.zeros((50, 26, 3))).any()


def test_a_person_leaving_the_image_is_not_a_swap():
    """Walking out of the image on one side (the points leave one by one) and, after frames with nobody, back in:
    nothing marked, although the partial bodies' motion can favour a swap for a frame."""
    pts = walking_2d(150, turn=(60, 40), noise=0.01, seed=3)
    pts[..., 0] += np.clip(np.arange(150) - 40, 0, None)[:, None] * 30.0  # drifts right, 30 px per frame
    pts[pts[..., 0] > 1920] = 0.0  # out of the image
    assert (pts[..., 2] == 0).all(-1).sum() > 30 and not find_swaps(pts).any()


def test_the_bundled_samples_flip_is_found():
    """The bundled MediaPipe sample (a person facing the camera, arms out, at frames 64-75): at 68-71 MediaPipe
    labels the arm on the image's left as the left arm, before and after as the right one: put back. Its first 60
    frames and last 90 are left as they are."""
    pts = read_keypoints(SAMPLE).points
    mask = find_swaps(pts)
    assert mask[68:72].all() and not mask[64:68].any() and not mask[72:76].any()
    assert not mask[:60].any() and not mask[140:].any()
    left, right = 9, 10  # wrists: on the image's right (larger x) for a person facing the camera
    fixed, _ = undo_swaps(pts)
    assert (fixed[64:76, left, 0] > fixed[64:76, right, 0]).all()
    assert not (pts[68:72, left, 0] > pts[68:72, right, 0]).any()
