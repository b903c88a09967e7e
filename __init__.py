"""Pose Uplift, a Blender extension: 2D keypoints to 3D animation with joint rotations. The code lives in addon/."""

from .addon import register, unregister  # noqa: F401
