"""The canonical armature and the direct transfer of the model's quaternions onto its pose bones.

Model to Blender (one documented transform): the model's world frame (x = body's left, y = up, z = forward, metres)
maps to Blender's (Z up, the character faces -Y) by a rotation of +90 degrees about X::

    C = [[1, 0, 0], [0, 0, -1], [0, 1, 0]]       p_blender = C @ p_model

Bones: one per joint, named like the joints (``pelvis``, ``left_hip``, ...), head at the joint's rest position, tail
at its main child (leaves: the keypoint model's segment end), roll such that the bone's Z axis points forward (-Y),
or up (+Z) for bones that themselves point forward (feet). ``B_j`` is bone j's rest orientation (armature space).

Change of basis (fixed per bone, no IK, no constraints): a model local rotation ``R_j`` (joint frames aligned with the
world at rest) becomes the pose bone's ``rotation_quaternion``::

    Q_j = K_j^-1 R_j K_j,    K_j = C^T B_j

so that the bone's posed orientation is ``C G_j C^T B_j`` with ``G_j`` the joint's global rotation: every bone head
lands on the model's forward kinematics. The root bone's ``location`` (bone-local) is ``B_0^T (C p_root - h_0)``.
"""

from __future__ import annotations

import bpy
import numpy as np

from ..model.motion import Motion
from ..model.rotations import matrix_to_quat, quat_conjugate, quat_continuity, quat_multiply
from ..model.skeleton import JOINT_NAMES, MODEL_TO_BLENDER, PARENTS, Skeleton, main_child
from .animation import key_pose

BONE_COLLECTION = "Pose Uplift"


def bone_ends(skeleton: Skeleton) -> tuple[np.ndarray, np.ndarray]:
    """(22, 3) heads and (22, 3) tails of the canonical bones in Blender axes (rest pose, metres)."""
    return skeleton.rest_positions @ MODEL_TO_BLENDER.T, skeleton.segment_ends @ MODEL_TO_BLENDER.T


def roll_axis(head: np.ndarray, tail: np.ndarray) -> np.ndarray:
    """The direction the bone's Z axis is aligned with: forward (-Y), or up (+Z) for bones pointing forward."""
    axis = (tail - head) / max(float(np.linalg.norm(tail - head)), 1e-9)
    forward = np.array([0.0, -1.0, 0.0])
    return forward if abs(float(axis @ forward)) < 0.7 else np.array([0.0, 0.0, 1.0])


def create_armature(
    collection: bpy.types.Collection, skeleton: Skeleton, name: str = "Pose Uplift", properties: dict | None = None
) -> bpy.types.Object:
    """A new armature object with the canonical bones, in ``collection``. Nothing existing is renamed or changed."""
    data = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, data)
    collection.objects.link(obj)
    heads, tails = bone_ends(skeleton)
    view_layer = bpy.context.view_layer
    previous_active = view_layer.objects.active
    previous_mode = bpy.context.mode
    if previous_mode != "OBJECT" and previous_active is not None:
        bpy.ops.object.mode_set(mode="OBJECT")
    view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        bones = []
        for j, joint in enumerate(JOINT_NAMES):
            bone = data.edit_bones.new(joint)
            bone.head = heads[j].tolist()
            bone.tail = tails[j].tolist()
            bone.align_roll(roll_axis(heads[j], tails[j]).tolist())
            bones.append(bone)
        for j, parent in enumerate(PARENTS):
            if parent >= 0:
                bones[j].parent = bones[parent]
                bones[j].use_connect = main_child(parent) == j
        if hasattr(data, "collections"):  # bone collections, 4.0+
            coll = data.collections.new(BONE_COLLECTION)
            for bone in bones:
                coll.assign(bone)
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
    data.display_type = "OCTAHEDRAL"
    obj.show_in_front = True
    for key, value in (properties or {}).items():
        obj[f"pose_uplift_{key}"] = value
    view_layer.objects.active = obj
    return obj


def rest_orientations(obj: bpy.types.Object) -> np.ndarray:
    """(22, 3, 3) rest orientations ``B_j`` of the canonical bones, read back from Blender."""
    bones = obj.data.bones
    return np.array([np.array(bones[j].matrix_local.to_3x3()) for j in JOINT_NAMES])


def bone_quaternions(motion: Motion, rest: np.ndarray) -> np.ndarray:
    """(T, 22, 4) pose-bone quaternions ``K_j^-1 R_j K_j`` from the model's local rotations, one hemisphere."""
    k = matrix_to_quat(np.einsum("ji,njk->nik", MODEL_TO_BLENDER, rest))  # K_j = C^T B_j, as quaternions
    q = quat_multiply(quat_multiply(quat_conjugate(k)[None], motion.rotations), k[None])
    return quat_continuity(q, axis=0)


def root_locations(motion: Motion, rest: np.ndarray, head: np.ndarray) -> np.ndarray:
    """(T, 3) root bone locations (bone-local) that put the pelvis on the motion's root path."""
    world = motion.root_translation @ MODEL_TO_BLENDER.T
    return (world - head) @ rest[0]  # B_0^T (p - h_0), row vectors


def apply_motion(
    obj: bpy.types.Object,
    motion: Motion,
    frame_start: int = 1,
    action_name: str = "Pose Uplift",
    frames: np.ndarray | None = None,
    keyed: np.ndarray | None = None,
) -> bpy.types.Action:
    """Key ``motion`` onto the canonical armature ``obj`` in a new Action at scene ``frames`` (default
    ``frame_start`` + i), only the ``keyed`` ones when given (see ``key_pose``); returns it."""
    rest = rest_orientations(obj)
    head = np.array(obj.data.bones[JOINT_NAMES[0]].head_local)
    quats = bone_quaternions(motion, rest)
    loc = root_locations(motion, rest, head)
    if frames is None:
        frames = frame_start + np.arange(motion.num_frames)
    rotations = {joint: quats[:, j] for j, joint in enumerate(JOINT_NAMES)}
    action = key_pose(obj, action_name, rotations, JOINT_NAMES[0], loc, frames, keyed)
    action.frame_range = (float(frames[0]), float(max(frames[-1], frames[0] + 1)))
    if hasattr(action, "use_frame_range"):
        action.use_frame_range = True
    return action


def set_scene_timing(scene: bpy.types.Scene, fps: float, frame_start: int, frames: int) -> None:
    """Scene frame rate (fps / fps_base, e.g. 30 / 1.001 for 29.97) and frame range for a clip."""
    rounded = max(1, int(round(fps)))
    scene.render.fps = rounded
    scene.render.fps_base = 1.0 if abs(fps - rounded) < 0.01 else rounded / fps  # 120.0005 from a BVH is 120
    scene.frame_start = frame_start
    scene.frame_end = frame_start + frames - 1
