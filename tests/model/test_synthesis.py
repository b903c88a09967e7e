"""Training data: joint ranges, grounded motion, keypoints, cameras, noise and the gravity-aligned targets."""

from __future__ import annotations

import numpy as np

from model.body_points import keypoints_3d
from model.keypoints import KEYPOINT_INDEX
from model.rotations import quat_to_matrix
from model.skeleton import JOINT_INDEX, MIRROR
from model.training.synthesis import (
    HIGH_PITCH,
    JOINT_RANGES,
    NOISE_PROFILES,
    OKS_SIGMAS,
    TILTED_ROLL,
    Clip,
    clean_points,
    detector_noise,
    gravity_frame,
    make_batch,
    random_cameras,
    synthetic_motion,
)


def test_ranges_cover_every_joint_and_mirror():
    assert set(JOINT_RANGES) == set(range(22))
    for j, (order, lims) in JOINT_RANGES.items():
        m_order, m_lims = JOINT_RANGES[MIRROR[j]]
        assert order == m_order
        for axis, (lo, hi), (mlo, mhi) in zip(order, lims, m_lims):
            assert lo < hi
            if MIRROR[j] != j:
                assert (mlo, mhi) == ((lo, hi) if axis == "x" else (-hi, -lo))


def test_synthetic_motion_is_smooth_grounded_and_finite():
    rng = np.random.default_rng(0)
    clip = synthetic_motion(rng, 16, 90, 30.0)
    assert clip.rotations.shape == (16, 90, 22, 4) and np.isfinite(clip.rotations).all()
    # smooth: no joint turns faster than 1000 degrees per second (fast human limbs), most far slower
    dots = np.abs((clip.rotations[:, 1:] * clip.rotations[:, :-1]).sum(-1)).clip(0, 1)
    speed = np.degrees(2 * np.arccos(dots)) * 30
    assert speed.max() < 1000 and np.median(speed) < 200
    kp, joints = keypoints_3d(clip.rotations, clip.offsets, clip.root)
    lowest = kp[..., [KEYPOINT_INDEX[n] for n in ("left_heel", "right_heel", "left_big_toe", "right_big_toe")], 1]
    # the lowest foot point is on the floor (jumps lift it for a moment)
    assert np.median(lowest.min(-1)) < 0.06 and lowest.min() > -0.08
    # knees bend forward, never backward: the knee rotation is about +x within range
    knee = quat_to_matrix(clip.rotations[:, :, JOINT_INDEX["left_knee"]])
    assert (np.degrees(np.arccos(np.clip(knee[..., 1, 1], -1, 1))) <= 136).all()


def test_cameras_see_the_person_and_noise_has_its_documented_size():
    rng = np.random.default_rng(1)
    clip = synthetic_motion(rng, 32, 60, 30.0)
    kp, _ = keypoints_3d(clip.rotations, clip.offsets, clip.root)
    cam = random_cameras(rng, clip.root.mean(1))
    px, depth = cam.project(kp)
    assert (depth > 0.5).mean() > 0.99
    inside = (px[..., 0] > -200) & (px[..., 0] < cam.image[:, None, None, 0] + 200)
    assert inside.mean() > 0.9
    height = np.ptp(px[..., 1], axis=-1).mean(-1)
    for profile in NOISE_PROFILES:  # each detector profile at level 1 has its documented spread
        noisy = detector_noise(np.random.default_rng(2), px, 30.0, level=1.0, profile=profile)
        err = np.linalg.norm(noisy[..., :2] - px, axis=-1)
        kept = noisy[..., 2] > 0
        expected = NOISE_PROFILES[profile][None, None] * height[:, None, None] * np.sqrt(2 * 0.98)
        ratio = np.median(err[kept] / np.broadcast_to(expected, err.shape)[kept])
        assert 0.5 < ratio < 1.6, (profile, ratio)
        assert 0.01 < (~kept).mean() < 0.1  # dropouts
    # MediaPipe's measured spread is a few % of the height (hips 1.6 %), several times under the old COCO-sigma level
    hips = KEYPOINT_INDEX["left_hip"]
    assert NOISE_PROFILES["mediapipe"][hips] < 0.02 < OKS_SIGMAS[hips] / 2
    g = gravity_frame(cam)
    assert np.allclose(g @ np.swapaxes(g, 1, 2), np.eye(3), atol=1e-9) and np.allclose(g[:, 1], [0, 1, 0])


def test_tilted_cameras_roll_like_hand_held_phones():
    """Cameras roll up to 10 degrees; ``tilted`` of them up to TILTED_ROLL (a phone held at a slant). Rolling a
    camera about its axis leaves the gravity-aligned frame, and so every rotation label, as it was."""
    target = np.zeros((4000, 3))
    target[:, 1] = 0.9

    def rolls(cam):
        return np.abs(np.degrees(np.arctan2(cam.up_in_camera()[:, 0], -cam.up_in_camera()[:, 1])))

    level = random_cameras(np.random.default_rng(3), target)
    assert rolls(level).max() < 10.5  # roll 10 and a little from the pitch
    tilted = random_cameras(np.random.default_rng(3), target, tilted=0.5)
    r = rolls(tilted)
    assert 0.3 < (r > 12).mean() < 0.45 and r.max() > 30 and r.max() < TILTED_ROLL + 1, (r > 12).mean()
    level = random_cameras(np.random.default_rng(4), target[:1])
    turned = level.rolled(np.radians(30.0))
    assert np.allclose(gravity_frame(turned), gravity_frame(level), atol=1e-9)
    signed = lambda cam: np.degrees(np.arctan2(cam.up_in_camera()[0, 0], -cam.up_in_camera()[0, 1]))  # noqa: E731
    assert abs(abs(signed(turned) - signed(level)) - 30.0) < 1e-6


def test_high_cameras_look_down_at_the_person():
    """``high`` of the cameras look down HIGH_PITCH degrees (a camera on a wall or a stand); the rest are at most
    2.8 m up and look down less; 0 draws the same cameras as before the option existed."""
    target = np.zeros((4000, 3))
    target[:, 1] = 0.9

    def pitch_down(cam):
        return np.degrees(np.arcsin(-cam.up_in_camera()[:, 2]))

    level = random_cameras(np.random.default_rng(3), target)
    assert np.allclose(random_cameras(np.random.default_rng(3), target, high=0.0).rotation, level.rotation)
    p = pitch_down(level)
    assert np.median(p) < 10 and (p > 15).mean() < 0.3, (np.median(p), (p > 15).mean())
    high = random_cameras(np.random.default_rng(3), target, high=0.5)
    q = pitch_down(high)
    assert np.median(q) > 15 and (q > 15).mean() > 0.5, (np.median(q), (q > 15).mean())
    steep = high.centre[:, 1] > 2.8  # placed above every ordinary camera: looking down about the drawn pitch
    assert 0.3 < steep.mean() < 0.5 and HIGH_PITCH[0] < np.median(q[steep]) < HIGH_PITCH[1], np.median(q[steep])


def test_batch_targets_are_consistent():
    from model.kinematics import forward_kinematics

    b = make_batch(np.random.default_rng(3), 8, 27, 30.0)
    pos, _ = forward_kinematics(b["rotations"].astype(np.float64), b["offsets"][:, None].astype(np.float64))
    rel = pos - pos[..., :1, :]
    assert np.abs(rel - b["positions"]).max() < 1e-4  # positions are the FK of the rotation targets
    assert np.allclose(np.linalg.norm(b["up"], axis=-1), 1.0, atol=1e-5)
    assert b["inputs"].shape == (8, 27, 26, 3) and np.isfinite(b["inputs"]).all()


def _walk_clip():
    from pathlib import Path

    from model.mocap import read_motion
    from model.training.synthesis import clip_from_motion

    path = Path(__file__).parents[1] / "fixtures" / "deepmimic" / "humanoid3d_walk.txt"
    return clip_from_motion(read_motion(path).resampled(30.0))


def test_anchored_motion_borrows_each_limb_from_a_real_clip():
    from model.rotations import mirror_quat
    from model.training.synthesis import LIMB_GROUPS, anchored_motion

    real = _walk_clip()
    q = real.rotations[0]
    mirrored = mirror_quat(q[:, list(MIRROR)])
    clip = anchored_motion(np.random.default_rng(5), [real], 6, 40, 30.0, scale=0.0)
    assert clip.rotations.shape == (6, 40, 22, 4) and np.isfinite(clip.rotations).all()
    for b in range(6):
        for group, joints in LIMB_GROUPS.items():
            joints = [j for j in joints if j != 0]  # the root is turned to a random heading
            got = clip.rotations[b, 0, joints]
            # the group's first frame is some frame of the real clip or of its mirror image (q and -q alike)
            best = min(
                float(np.abs(np.abs((src[:, joints] * got[None]).sum(-1)) - 1).max(-1).min()) for src in (q, mirrored)
            )
            assert best < 1e-6, (b, group, best)


def test_anchored_motion_is_grounded_with_arms_down_like_people():
    from model.body_points import lowest_foot_height
    from model.kinematics import forward_kinematics
    from model.training.synthesis import anchored_motion

    clip = anchored_motion(np.random.default_rng(6), [_walk_clip()], 16, 60, 30.0)
    mats = quat_to_matrix(clip.rotations)
    foot = clip.root[..., 1] + lowest_foot_height(mats, clip.offsets)
    assert foot.min() > -1e-6 and np.abs(foot.min(1)).max() < 0.02  # on the floor, a walk never leaves it long
    dots = np.abs((clip.rotations[:, 1:] * clip.rotations[:, :-1]).sum(-1)).clip(0, 1)
    assert np.degrees(2 * np.arccos(dots)).max() * 30 < 1000  # still smooth

    def arm_down(c):  # mean downward component of the upper arms' world direction
        pos, _ = forward_kinematics(quat_to_matrix(c.rotations), c.offsets[:, None], c.root)
        d = (
            pos[..., [JOINT_INDEX["left_elbow"], JOINT_INDEX["right_elbow"]], :]
            - pos[..., [JOINT_INDEX["left_shoulder"], JOINT_INDEX["right_shoulder"]], :]
        )
        return float((-d[..., 1] / np.linalg.norm(d, axis=-1)).mean())

    synthetic = synthetic_motion(np.random.default_rng(6), 16, 60, 30.0)
    assert arm_down(clip) > 0.6 > arm_down(synthetic)


def test_batch_mixes_real_anchored_and_synthetic_motion():
    real = [_walk_clip()]
    b = make_batch(np.random.default_rng(7), 8, 27, 30.0, real, real_fraction=0.25, anchored_fraction=0.75)
    assert b["inputs"].shape == (8, 27, 26, 3) and np.isfinite(b["inputs"]).all()
    assert np.isfinite(b["rotations"]).all() and np.isfinite(b["positions"]).all()
    only = make_batch(np.random.default_rng(7), 4, 27, 30.0, real, real_fraction=0.0, anchored_fraction=1.0)
    assert only["inputs"].shape == (4, 27, 26, 3)


def test_real_crops_on_random_bodies_stay_grounded():
    from model.body_points import lowest_foot_height
    from model.training.synthesis import real_clip_crops

    real = _walk_clip()
    own = real_clip_crops(np.random.default_rng(8), [real], 8, 40)
    assert np.allclose(np.abs(own.offsets), np.abs(real.offsets[0])[None])  # the subject's body (maybe mirrored)
    clip = real_clip_crops(np.random.default_rng(8), [real], 8, 40, random_bodies=True)
    lengths = np.linalg.norm(clip.offsets[:, 1:], axis=-1)
    assert np.ptp(lengths.sum(-1)) > 0.1  # bodies of different sizes
    foot = clip.root[..., 1] + lowest_foot_height(quat_to_matrix(clip.rotations), clip.offsets)
    assert foot.min() > -1e-6 and np.abs(foot.min(1)).max() < 0.02
    assert np.allclose(clip.rotations, own.rotations)  # the same motion, only the body changed


def test_subject_bodies_keep_a_motion_capture_subject_s_proportions():
    """``subject_bodies``: random bodies taken from the clips' own subjects (any clip), rescaled and stretched a
    little, so proportions outside the MPFB-based random bodies (a DeepMimic humanoid's) are trained on too."""
    from model.body_points import lowest_foot_height
    from model.training.synthesis import real_clip_crops, subject_skeleton

    real = _walk_clip()
    own = np.linalg.norm(real.offsets[0, 1:], axis=-1)
    own = np.minimum(own, own[[MIRROR[j] - 1 for j in range(1, 22)]])  # a symmetric reference (mirroring)

    def distance(lengths: np.ndarray) -> np.ndarray:
        """Largest log-ratio of a bone's share of the body to the subject's."""
        lengths = np.minimum(lengths, lengths[..., [MIRROR[j] - 1 for j in range(1, 22)]])
        share = lengths / lengths.sum(-1, keepdims=True)
        return np.abs(np.log(share / (own / own.sum()))).max(-1)

    rng = np.random.default_rng(3)
    for _ in range(20):
        body = subject_skeleton(rng, [real])
        assert 1.45 - 1e-9 <= body.height <= 2.0 + 1e-9
        assert distance(np.linalg.norm(body.offsets[1:], axis=-1)) < 0.13  # +-6 % stretches of the subject
    subject = real_clip_crops(np.random.default_rng(8), [real], 16, 40, random_bodies=True, subject_bodies=1.0)
    mpfb = real_clip_crops(np.random.default_rng(8), [real], 16, 40, random_bodies=True, subject_bodies=0.0)
    assert distance(np.linalg.norm(subject.offsets[:, 1:], axis=-1)).max() < 0.13
    assert distance(np.linalg.norm(mpfb.offsets[:, 1:], axis=-1)).min() > 0.3  # the MPFB bodies are elsewhere
    foot = subject.root[..., 1] + lowest_foot_height(quat_to_matrix(subject.rotations), subject.offsets)
    assert foot.min() > -1e-6 and np.abs(foot.min(1)).max() < 0.02  # still on the floor


def test_evaluation_batches_exact_and_at_a_profile():
    """make_batch's evaluation modes: exact 2D is the keypoint model's projection (confidence 1 inside the image),
    a profile adds that profile's spread and MediaPipe's measured shoulder/hip placement, nothing else."""
    rng = np.random.default_rng(5)
    clip = synthetic_motion(rng, 4, 30, 30.0)
    real = [
        Clip(clip.rotations[i : i + 1], clip.root[i : i + 1], clip.offsets[i : i + 1], [clip.leaf_ends[i]])
        for i in range(4)
    ]
    exact = make_batch(np.random.default_rng(9), 8, 30, 30.0, real, real_fraction=1.0, noise="exact")
    noisy = make_batch(np.random.default_rng(9), 8, 30, 30.0, real, real_fraction=1.0, noise="mediapipe")
    conf = exact["inputs"][..., 2]
    assert set(np.unique(conf)) <= {0.0, 1.0} and (conf == 1).mean() > 0.8
    np.testing.assert_array_equal(exact["rotations"], noisy["rotations"])  # same motion and cameras
    moved = np.abs(noisy["inputs"][..., :2] - exact["inputs"][..., :2])[conf == 1]
    assert 0 < np.median(moved) < 0.1


def test_clean_samples_get_2d_as_a_more_precise_detector_gives_it():
    """make_batch(clean_fraction=1): the same motion and cameras as the training noise, but the 2D near the exact
    projection (no placement bias, no failure modes, 0-0.5 of the noise); clean_points keeps a dropped point dropped,
    drops points outside the image and raises the confidence as the error shrinks."""
    rng = np.random.default_rng(5)
    clip = synthetic_motion(rng, 4, 30, 30.0)
    real = [
        Clip(clip.rotations[i : i + 1], clip.root[i : i + 1], clip.offsets[i : i + 1], [clip.leaf_ends[i]])
        for i in range(4)
    ]
    kw = dict(real_fraction=1.0, random_bodies=False)
    exact = make_batch(np.random.default_rng(9), 16, 30, 30.0, real, noise="exact", **kw)
    train = make_batch(np.random.default_rng(9), 16, 30, 30.0, real, **kw)
    clean = make_batch(np.random.default_rng(9), 16, 30, 30.0, real, clean_fraction=1.0, **kw)
    np.testing.assert_array_equal(train["rotations"], clean["rotations"])
    np.testing.assert_array_equal(exact["rotations"], clean["rotations"])
    seen = (exact["inputs"][..., 2] > 0) & (clean["inputs"][..., 2] > 0) & (train["inputs"][..., 2] > 0)
    off_clean = np.abs(clean["inputs"][..., :2] - exact["inputs"][..., :2])[seen].mean()
    off_train = np.abs(train["inputs"][..., :2] - exact["inputs"][..., :2])[seen].mean()
    assert 0 < off_clean < 0.5 * off_train
    assert clean["inputs"][..., 2][seen].mean() > train["inputs"][..., 2][seen].mean()

    px = np.array([[[[10.0, 20.0], [30.0, 40.0], [700.0, 40.0]]]])  # (1, 1, 3, 2): the third outside 640 x 480
    noise = np.array([[[[4.0, -2.0, 0.25], [5.0, 5.0, 0.0], [1.0, 1.0, 0.9]]]])  # the second dropped by the draw
    out = clean_points(px, np.full((1, 1, 3), 3.0), noise, np.array([0.5]), np.array([[640.0, 480.0]]))
    np.testing.assert_allclose(out[0, 0, 0], [12.0, 19.0, 0.5])
    assert (out[0, 0, 1:] == 0).all()
    exact_out = clean_points(px, np.full((1, 1, 3), 3.0), noise, np.array([0.0]), np.array([[640.0, 480.0]]))
    np.testing.assert_allclose(exact_out[0, 0, 0], [10.0, 20.0, 1.0])


def test_detector_placement_moves_points_as_mediapipe_does():
    """MediaPipe's measured placement (``placement_shift``, for scoring against references made from MediaPipe): every
    point moves by its table offset turned with its joint and scaled with the body; left and right mirror each other;
    the ears sit in front of the keypoint model's; levels per body. The neck and hip points are the midpoints of
    their pairs: in the keypoint model, in the placement, and in every batch's 2D (from the image's points)."""
    from model.kinematics import forward_kinematics
    from model.skeleton import Skeleton
    from model.training.synthesis import MEDIAPIPE_PLACEMENT, placement_shift

    body = Skeleton.default()
    turn = np.array([np.cos(np.pi / 4), 0.0, np.sin(np.pi / 4), 0.0])  # 90 degrees about the vertical
    q = np.zeros((2, 1, 22, 4))
    q[..., 0] = 1.0
    q[1, 0, JOINT_INDEX["head"]] = turn
    offsets = np.stack([body.offsets, 1.2 * body.offsets])
    kp, pos = keypoints_3d(q, offsets, np.zeros((2, 1, 3)))
    _, glob = forward_kinematics(q, offsets[:, None], np.zeros((2, 1, 3)))
    shift = placement_shift(glob, offsets, 1.0)
    ear = np.array(MEDIAPIPE_PLACEMENT["left_ear"][1])
    np.testing.assert_allclose(shift[0, 0, KEYPOINT_INDEX["left_ear"]], ear, atol=1e-9)
    np.testing.assert_allclose(shift[1, 0, KEYPOINT_INDEX["left_ear"]], 1.2 * quat_to_matrix(turn) @ ear, atol=1e-9)
    assert ear[2] > 0.03  # in front of the keypoint model's ear point
    for name, (_, off) in MEDIAPIPE_PLACEMENT.items():
        if name.startswith("left_"):
            other = np.array(MEDIAPIPE_PLACEMENT["right_" + name[5:]][1])
            np.testing.assert_allclose(other, np.array(off) * [-1, 1, 1])
    levels = placement_shift(glob, offsets, np.array([0.0, 2.0]))
    assert np.abs(levels[0]).max() == 0.0
    np.testing.assert_allclose(levels[1], 2.0 * shift[1])
    for mid, pair in (("neck", "shoulder"), ("hip", "hip")):
        np.testing.assert_allclose(
            kp[:, :, KEYPOINT_INDEX[mid]],
            0.5 * (pos[:, :, JOINT_INDEX[f"left_{pair}"]] + pos[:, :, JOINT_INDEX[f"right_{pair}"]]),
        )
        np.testing.assert_allclose(
            shift[..., KEYPOINT_INDEX[mid], :],
            0.5 * (shift[..., KEYPOINT_INDEX[f"left_{pair}"], :] + shift[..., KEYPOINT_INDEX[f"right_{pair}"], :]),
        )
    rng = np.random.default_rng(5)
    clip = synthetic_motion(rng, 2, 30, 30.0)
    real = [
        Clip(clip.rotations[i : i + 1], clip.root[i : i + 1], clip.offsets[i : i + 1], [clip.leaf_ends[i]])
        for i in range(2)
    ]
    for noise in ("exact", "mediapipe", "train"):  # as the readers make them for COCO-17 and MediaPipe
        x = make_batch(np.random.default_rng(9), 8, 30, 30.0, real, real_fraction=1.0, noise=noise)["inputs"]
        for mid, pair in (("neck", "shoulder"), ("hip", "hip")):
            two = x[..., [KEYPOINT_INDEX[f"left_{pair}"], KEYPOINT_INDEX[f"right_{pair}"]], :]
            seen = (two[..., 2] > 0).all(-1)
            assert seen.mean() > 0.5
            np.testing.assert_allclose(x[..., KEYPOINT_INDEX[mid], :2][seen], two[..., :2].mean(-2)[seen], atol=1e-5)
            np.testing.assert_array_equal(x[..., KEYPOINT_INDEX[mid], 2][~seen], 0.0)


def test_chest_split_moves_only_the_hidden_upper_spine():
    """Random bodies place spine3 anywhere from mid-chest (the canonical MPFB body) to near the collar bones
    (motion-capture skeletons): the neck, collars and shoulders stay within a few cm, spine3 rises."""
    from model.skeleton import Skeleton
    from model.training.synthesis import chest_split

    body = Skeleton.default()
    high = chest_split(body, 0.4)
    a, b = body.rest_positions, high.rest_positions
    for name in ("neck", "left_collar", "right_shoulder", "head", "left_hip"):
        assert np.linalg.norm(a[JOINT_INDEX[name]] - b[JOINT_INDEX[name]]) < 0.05, name
    assert b[JOINT_INDEX["spine3"], 1] - a[JOINT_INDEX["spine3"], 1] > 0.15
    np.testing.assert_allclose(chest_split(body, 1.0).offsets, body.offsets)


def test_detector_noise_changes_frame_to_frame_as_measured():
    """At evaluation MediaPipe's error drifts slowly as measured on the renders (var(frame-to-frame change) / (2 var)
    about 0.14); a frame-by-frame detector's is half white; in training the share is drawn per clip."""
    from model.training.synthesis import WHITE_SHARE

    px = np.zeros((64, 120, 26, 2))
    px[..., 1] = np.linspace(0, 1000, 26)

    def ratio(noisy):
        ok = noisy[..., 2] > 0
        e = np.where(ok[..., None], noisy[..., :2] - px, np.nan)
        e = e - np.nanmean(e, 1, keepdims=True)
        return np.nanmean(np.diff(e, axis=1) ** 2) / (2 * np.nanmean(e**2))

    mp = ratio(detector_noise(np.random.default_rng(0), px, 30.0, level=1.0, profile="mediapipe"))
    coco = ratio(detector_noise(np.random.default_rng(0), px, 30.0, level=1.0, profile="coco"))
    assert 0.08 < mp < 0.2 and 0.4 < coco < 0.6
    assert WHITE_SHARE["mediapipe"] < WHITE_SHARE["coco"]
    drawn = [ratio(detector_noise(np.random.default_rng(s), px[:1], 30.0)) for s in range(30)]
    assert min(drawn) < 0.2 and max(drawn) > 0.4


def test_detector_misses_points_as_measured():
    """Besides its spread a detector misses points (``MISS_RATE``, measured on rendered bodies): at evaluation each
    point is far from where it belongs at about the measured rate, in runs of frames, with ordinary confidence; in
    training the rate is drawn per clip (most clips miss little, a few a lot)."""
    from model.training.synthesis import MISS_RATE

    b, t = 128, 120
    angle = 2 * np.pi * np.arange(26) / 26  # every point at least 12 % of the height from any other
    px = np.zeros((b, t, 26, 2))
    px[..., 0], px[..., 1] = 600 * np.cos(angle), 600 * np.sin(angle) + 600

    def far(noisy, limit=0.08):  # (B, T, 26): more than 4 x the largest core spread away; NaN where dropped
        d = np.linalg.norm(noisy[..., :2] - px, axis=-1) / np.ptp(px[..., 1], axis=-1).mean()
        return np.where(noisy[..., 2] > 0, d > limit, np.nan)

    noisy = detector_noise(np.random.default_rng(3), px, 30.0, level=1.0, profile="mediapipe")
    rate = np.nanmean(far(noisy), (0, 1))
    assert np.all(rate > MISS_RATE - 0.01) and np.all(rate < MISS_RATE + 0.025), np.round(rate - MISS_RATE, 3)
    f = np.nan_to_num(far(noisy)).astype(bool)
    runs = (f[:, 1:] & ~f[:, :-1]).sum()  # a run's first frame
    assert f.sum() / max(runs, 1) > 2.5  # misses last several frames
    assert np.median(noisy[..., 2][f]) > 0.5  # with ordinary confidence
    noisy = detector_noise(np.random.default_rng(4), px, 30.0, profile="mediapipe")  # levels drawn: up to 2 x
    drawn = np.nanmean(far(noisy, 0.16), (1, 2))
    assert np.quantile(drawn, 0.25) < 0.5 * drawn.mean() and drawn.max() > 3 * drawn.mean()


def test_sideness_reads_how_side_on_the_camera_sees_the_body():
    """The canonical body at rest seen by cameras at 0, 20, 45, 90, 100 and 180 degrees round it: the share of its
    shoulder and hip lines along the camera's axis is the sine of that angle (front and back 0, side 1)."""
    from model.skeleton import Skeleton
    from model.training.synthesis import Camera, sideness

    sk = Skeleton.default()
    quats = np.zeros((1, 1, 22, 4))
    quats[..., 0] = 1.0
    kp, _ = keypoints_3d(quats, sk.offsets[None], np.array([[[0.0, 1.0, 0.0]]]))
    for deg in (0, 20, 45, 90, 100, 180):
        a = np.radians(deg)
        centre = np.array([[4 * np.sin(a), 1.0, 4 * np.cos(a)]])  # the body faces +z: 0 degrees is in front
        back = -np.array([np.sin(a), 0.0, np.cos(a)])  # the camera looks level towards the body along its +z
        x = np.cross([0.0, 1.0, 0.0], back)
        x /= np.linalg.norm(x)
        rot = np.stack([x, np.cross(back, x), back])[None]
        _, depth = Camera(rot, centre, np.array([1000.0]), np.array([[1920.0, 1080.0]])).project(kp)
        assert abs(sideness(kp, depth)[0, 0] - abs(np.sin(a))) < 0.02, deg


def test_side_views_widen_the_noise_and_the_misses_as_measured():
    """With ``side``, a frame seen from the side gets the measured side-over-front ratio of spread
    (``SIDE_SPREAD_RATIO``) and of misses (``SIDE_MISS_RATIO``); the mean of the two measured views is the pooled
    profile, so the profile itself is unchanged; without ``side`` nothing changes."""
    from model.training.synthesis import (
        FRONT_SIDENESS,
        SIDE_MISS_RATIO,
        SIDE_SIDENESS,
        SIDE_SPREAD_RATIO,
        view_factor,
    )

    side = np.array([[0.0, FRONT_SIDENESS, SIDE_SIDENESS, 1.0]])
    spread = view_factor(side, SIDE_SPREAD_RATIO)[0]
    np.testing.assert_allclose(spread[2] / spread[1], SIDE_SPREAD_RATIO)
    np.testing.assert_allclose(0.5 * (spread[1] + spread[2]), 1.0)
    np.testing.assert_allclose(spread[0], spread[1])  # square on: the front view's
    np.testing.assert_allclose(spread[3], spread[2])
    assert SIDE_SPREAD_RATIO.max() > 1.3 and SIDE_MISS_RATIO.max() > 2  # from the side MediaPipe is far worse

    b, t = 256, 60
    angle = 2 * np.pi * np.arange(26) / 26
    px = np.zeros((b, t, 26, 2))
    px[..., 0], px[..., 1] = 600 * np.cos(angle), 600 * np.sin(angle) + 600
    views = np.where(np.arange(b)[:, None] < b // 2, FRONT_SIDENESS, SIDE_SIDENESS) * np.ones((b, t))

    def core(noisy, clean):  # per point: 1.4826 x the median absolute deviation of x over the clips and frames
        e = np.where(noisy[..., 2:] > 0, noisy[..., :2] - clean, np.nan)[..., 0]
        return 1.4826 * np.nanmedian(np.abs(e - np.nanmedian(e, (0, 1))), (0, 1))

    noisy = detector_noise(np.random.default_rng(5), px, 30.0, level=1.0, profile="mediapipe", side=views)
    ratio = core(noisy[b // 2 :], px[b // 2 :]) / core(noisy[: b // 2], px[: b // 2])
    limbs = [KEYPOINT_INDEX[f"{s}_{p}"] for s in ("left", "right") for p in ("shoulder", "elbow", "wrist")]
    np.testing.assert_allclose(ratio[limbs], SIDE_SPREAD_RATIO[limbs], rtol=0.12)
    far = np.linalg.norm(noisy[..., :2] - px, axis=-1) > 0.08 * 1200  # misses: far beyond the core spread
    far = np.where(noisy[..., 2] > 0, far, np.nan)  # of the points detected
    torso = [KEYPOINT_INDEX[f"{s}_{p}"] for s in ("left", "right") for p in ("shoulder", "hip")]
    side_misses, front_misses = np.nanmean(far[b // 2 :, :, torso]), np.nanmean(far[: b // 2, :, torso])
    # the shoulders and hips are missed 3.9 and 5.4 times as often from the side (the limb swaps, 1 % of frames in
    # either view, come on top)
    from model.training.synthesis import MISS_RATE

    gain = view_factor(np.array([[SIDE_SIDENESS, FRONT_SIDENESS]]), SIDE_MISS_RATIO)[0]  # (2 views, 26)
    expected = float((MISS_RATE * (gain[0] - gain[1]))[torso].mean())
    assert 0.7 * expected < side_misses - front_misses < 1.3 * expected, (side_misses, front_misses, expected)
    plain = detector_noise(np.random.default_rng(5), px, 30.0, level=1.0, profile="mediapipe")
    again = detector_noise(np.random.default_rng(5), px, 30.0, level=1.0, profile="mediapipe", side=None)
    np.testing.assert_array_equal(plain, again)


def test_side_views_change_only_the_training_noise():
    """``make_batch(side_views=True)``: the same motion, cameras and targets from the same seed, other noisy inputs."""
    plain = make_batch(np.random.default_rng(7), 8, 27, 30.0)
    side = make_batch(np.random.default_rng(7), 8, 27, 30.0, side_views=True)
    for key in ("rotations", "positions", "velocity", "up", "log_bones"):
        np.testing.assert_array_equal(plain[key], side[key])
    assert not np.allclose(plain["inputs"], side["inputs"])
