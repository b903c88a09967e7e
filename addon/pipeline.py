"""Motion -> keyframed armature (main thread), behind the operators and the batch script. File -> Motion is
:mod:`..model.pipeline` (no bpy, safe in a worker thread), re-exported here.

    options = UpliftOptions(person=0, smooth=0.2)
    keypoints = read_person(path, options)                      # KeypointFileError with a one-line message
    result = uplift(keypoints, options)                         # the network; progress / cancel callbacks
    obj, action = apply_to_new_armature(context, result, options)   # or apply_to_rig(context, result, options, rig)

    people = [(o, uplift(k, o)) for o, k in read_people(path, UpliftOptions(all_people=True))]
    apply_people(context, people)                               # an armature each, side by side as in the video
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..model.motion import Motion
from ..model.pipeline import (
    UpliftOptions,
    UpliftResult,
    clip_name,
    get_uplifter,
    read_people,
    read_person,
    scaled_motion,
    uplift,
)
from ..model.uplift import DEFAULT_WEIGHTS

__all__ = [
    "UpliftOptions",
    "UpliftResult",
    "apply_people",
    "apply_to_new_armature",
    "apply_to_rig",
    "clip_name",
    "get_uplifter",
    "read_people",
    "read_person",
    "scaled_motion",
    "uplift",
]


def _frame_step(scene: Any, options: UpliftOptions, motion: Motion) -> float:
    """1 when the scene takes the clip's rate; otherwise keys spaced so that the clip plays in real time."""
    return 1.0 if options.update_scene else (scene.render.fps / scene.render.fps_base) / motion.fps


def _update_scene(scene: Any, options: UpliftOptions, result: UpliftResult, obj: Any) -> None:
    """The scene's rate and range for the clip, the range widened to keep every other uplifted clip in the scene
    (people of one video imported one by one), the current frame moved into it when it was outside."""
    from .armature import set_scene_timing

    if not options.update_scene:
        return
    start = options.frame_start + int(result.frames[0])
    end = start + len(result.frames) - 1
    for other in scene.objects:
        action = other.animation_data.action if other is not obj and other.animation_data else None
        if action is not None and "pose_uplift_source_file" in other:
            first, last = action.frame_range
            start, end = min(start, int(first)), max(end, int(round(last)))
    set_scene_timing(scene, result.motion.fps, start, end - start + 1)
    if not start <= scene.frame_current <= end:
        scene.frame_set(start)


def _key_frames(result: UpliftResult, options: UpliftOptions, step: float) -> Any:
    """Scene frame numbers of the motion's frames (the file's frame numbers, counted from ``frame_start``, so the
    animation stays in step with the video) and the keyed mask."""
    return options.frame_start + result.frames * step, result.keyed


def apply_to_new_armature(context: Any, result: UpliftResult, options: UpliftOptions) -> tuple:
    """A new canonical armature in the active collection, keyed with the result's motion (frames of long gaps left
    unkeyed, holding the last pose); returns (object, action)."""
    from .armature import apply_motion, create_armature

    motion, keypoints = result.motion, result.keypoints
    name = clip_name(keypoints, options)
    props = {
        "source_file": keypoints.source_path,
        "source_format": keypoints.source_format,
        "person": options.person,
        "model": DEFAULT_WEIGHTS.name,
        "backend": f"{result.backend}-{result.device}",
        "fps": motion.fps,
        "frames": motion.num_frames,
        "settings": str({k: v for k, v in asdict(options).items() if k not in ("backend", "device")}),
        "gaps": result.gaps.summary(),
    }
    obj = create_armature(context.collection or context.scene.collection, motion.skeleton, name, props)
    frames, keyed = _key_frames(result, options, _frame_step(context.scene, options, motion))
    action = apply_motion(obj, motion, action_name=name, frames=frames, keyed=keyed)
    _update_scene(context.scene, options, result, obj)
    _select_only(context, obj)
    return obj, action


def apply_people(context: Any, people: list[tuple[UpliftOptions, UpliftResult]]) -> list:
    """Each person's result on a new armature, placed where the video shows them (``model.footage.people_offsets``:
    the first person's footage camera sees every rig over its person, a person on a stage or a treadmill higher up);
    all of them selected, the first active. Returns [(object, action)]."""
    from mathutils import Vector

    from ..model.footage import people_offsets
    from ..model.skeleton import MODEL_TO_BLENDER

    offsets = people_offsets([(r.motion, r.keypoints, r.frames) for _, r in people], people[0][0].fov)
    out = []
    for (options, result), offset in zip(people, offsets):
        obj, action = apply_to_new_armature(context, result, options)
        obj.location = Vector((MODEL_TO_BLENDER @ offset).tolist())
        out.append((obj, action))
    for obj, _ in out:
        obj.select_set(True)
    context.view_layer.objects.active = out[0][0]
    return out


def _select_only(context: Any, obj: Any) -> None:
    """The new (or keyed) armature selected and active, nothing else selected, as after adding an object."""
    for other in context.view_layer.objects:
        if other.select_get():
            other.select_set(False)
    obj.select_set(True)
    context.view_layer.objects.active = obj


def apply_to_rig(
    context: Any,
    result: UpliftResult,
    options: UpliftOptions,
    rig: Any,
    preset: str = "auto",
    custom: dict[str, str] | None = None,
) -> tuple:
    """Key a character rig with the clip (retargeted, named after the input); returns (rig, action). Raises
    RetargetError, with the rig and scene untouched, when the rig cannot be mapped."""
    from .retarget import retarget_motion

    motion, keypoints = result.motion, result.keypoints
    frames, keyed = _key_frames(result, options, _frame_step(context.scene, options, motion))
    action, unmapped = retarget_motion(
        rig, motion, preset, action_name=clip_name(keypoints, options), custom=custom, frames=frames, keyed=keyed
    )
    _update_scene(context.scene, options, result, rig)
    rig["pose_uplift_source_file"] = keypoints.source_path
    rig["pose_uplift_unmapped"] = ", ".join(unmapped)
    return rig, action
