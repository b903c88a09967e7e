"""Operators. Failures are reported with ``self.report`` as one line; the scene is left as it was."""

from __future__ import annotations

import bpy
from bpy_extras.io_utils import ImportHelper

from .properties import OperatorReturn, scene_settings


class POSE_UPLIFT_OT_import_keypoints(bpy.types.Operator, ImportHelper):  # type: ignore[misc]
    """Read a 2D keypoint file (OpenPose, COCO, AlphaPose, MMPose, MediaPipe, TRC, DeepLabCut, arrays)"""

    bl_idname = "pose_uplift.import_keypoints"
    bl_label = "Import 2D Keypoints"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options={"SKIP_SAVE"})  # type: ignore[valid-type]
    filter_glob: bpy.props.StringProperty(default="*.json;*.csv;*.trc;*.npy;*.npz", options={"HIDDEN"})  # type: ignore[valid-type]
    use_filter_folder = True

    def execute(self, context: bpy.types.Context) -> set[OperatorReturn]:
        from ..model.readers import KeypointFileError, read_tracks

        try:
            tracks = read_tracks(self.filepath)
        except KeypointFileError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        main = tracks[0]
        settings = scene_settings(context)
        settings.filepath = self.filepath
        settings.source_format = main.source_format
        settings.source_layout = main.source_layout
        settings.frames = main.num_frames
        settings.fps = main.fps or 0.0
        settings.people = len(tracks)
        settings.confident_fraction = main.confident_fraction()
        self.report({"INFO"}, f"{main.source_format}: {main.num_frames} frames, {len(tracks)} people")
        return {"FINISHED"}
