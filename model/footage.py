"""Where the video's camera stood: a static pinhole camera, in the uplifted motion's world, that shows the body where
the keypoints saw it, so the footage can sit behind a scene camera and the rig over the person.

The camera's tilt and roll come from the network's up direction (``Motion.up_in_camera``, averaged over the clip); its
focal length from the frame width and a horizontal field of view (60 degrees unless the user knows better). Its place
follows, per frame, from a linear least-squares fit of the body's 26 keypoints (the keypoint model on the uplifted
skeleton) to the detected 2D points, then the median over the frames: the root path the network integrates may drift,
a static camera may not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .body_points import keypoints_3d
from .keypoints import Keypoints2D
from .motion import Motion
from .root_path import DEFAULT_FOV, camera_from_gravity, focal_length, perspective_translation


@dataclass
class FootageCamera:
    """The camera in the motion's world: ``position`` (3,), ``rotation`` (3, 3) taking camera coordinates (x right,
    y down, z forward) to the world, ``focal_px``, ``image`` (width, height) in pixels, ``fov_deg`` across the
    image's long side."""

    position: np.ndarray
    rotation: np.ndarray
    focal_px: float
    image: tuple[int, int]
    fov_deg: float

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) to pixels (..., 2)."""
        cam = (points - self.position) @ self.rotation
        return self.focal_px * cam[..., :2] / np.maximum(cam[..., 2:], 1e-6) + np.array(self.image) / 2


def camera_to_world(up_in_camera: np.ndarray) -> np.ndarray:
    """(3, 3) the rotation taking camera coordinates into a gravity-aligned frame whose z is the camera's viewing
    direction flattened onto the floor (x = up x z, y up), from the world's up direction seen in the camera: the
    inverse of :func:`.root_path.camera_from_gravity`."""
    return camera_from_gravity(up_in_camera).T


def footage_camera(
    motion: Motion, keypoints: Keypoints2D, frames: np.ndarray, fov_deg: float = DEFAULT_FOV, yaw: float = np.pi
) -> FootageCamera:
    """The static camera (see the module docstring) for ``motion`` uplifted from ``keypoints``; ``frames`` gives the
    keypoint frame of each motion frame, ``yaw`` the turn the pipeline gave the motion's world about the vertical."""
    if keypoints.image_size is None:
        raise ValueError("the keypoints carry no image size: the camera cannot be placed")
    if motion.up_in_camera is None:
        raise ValueError("the motion carries no up direction: the camera cannot be placed")
    width, height = keypoints.image_size
    focal = focal_length((width, height), fov_deg)  # the same camera the root path assumes
    up = motion.up_in_camera.mean(0)
    c, s = np.cos(yaw), np.sin(yaw)
    turn = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    rot = turn @ camera_to_world(up)  # camera coordinates -> the motion's world
    kp3d, _ = keypoints_3d(motion.rotations, motion.skeleton.offsets, motion.root_translation)
    rel = (kp3d - motion.root_translation[:, None]) @ rot  # body points around the pelvis, camera axes
    pts = keypoints.points[frames].astype(np.float64)
    pts[..., 2] = pts[..., 2] > 0.3  # confident points (weighted by reliability in the solve, as the root path's)
    pelvis_cam = perspective_translation(rel, pts, focal, np.array([width, height], dtype=np.float64) / 2)
    ok = (pts[..., 2].sum(-1) >= 6) & np.isfinite(pelvis_cam).all(-1)
    ok[ok] = pelvis_cam[ok, 2] > 0.3
    positions = motion.root_translation[ok] - pelvis_cam[ok] @ rot.T
    if not len(positions):
        raise ValueError("too few confident keypoints to place the camera")
    return FootageCamera(np.median(positions, 0), rot, float(focal), (int(width), int(height)), fov_deg)


def people_offsets(
    people: list[tuple[Motion, Keypoints2D, np.ndarray]], fov_deg: float = DEFAULT_FOV, spacing: float = 1.0
) -> list[np.ndarray]:
    """Where each uplifted person of one video goes (a translation of its motion's world, (3,) each) so that all
    stand where the video shows them, seen by the first person's footage camera. Each person's own camera
    (``footage_camera``) says where its pelvis is in camera coordinates; the first person's camera puts that point in
    the first world, and the median over the frames of the difference is the translation (each person stays upright:
    the cameras' tilts, estimated per person, may differ slightly). Where a camera cannot be placed (no image size,
    too few confident points), people stand ``spacing`` metres apart along x instead."""
    if len(people) == 1:
        return [np.zeros(3)]
    try:
        cams = [footage_camera(m, k, f, fov_deg) for m, k, f in people]
    except ValueError:
        return [np.array([spacing * i, 0.0, 0.0]) for i in range(len(people))]
    first = cams[0]
    out = []
    for (motion, _, _), cam in zip(people, cams):
        root = motion.root_translation
        seen_from_camera = (root - cam.position) @ cam.rotation  # the pelvis in camera coordinates, per frame
        out.append(np.median(first.position + seen_from_camera @ first.rotation.T - root, axis=0))
    return out
