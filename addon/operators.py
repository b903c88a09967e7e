"""Operators. Failures are reported with ``self.report`` as one line; the scene is left as it was."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import bpy
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..model.pipeline import UpliftResult, first_line
from .preferences import TORCH_VARIANTS, addon_preferences
from .properties import OPTION_PROPS, OperatorReturn, UpliftOptionProps, scene_settings

FILE_FILTER = "*.json;*.csv;*.trc;*.npy;*.npz"
_LOG = logging.getLogger(__name__)


class POSE_UPLIFT_OT_import_keypoints(UpliftOptionProps, bpy.types.Operator, ImportHelper):  # type: ignore[misc]
    """Read a 2D keypoint file, an OpenPose JSON sequence (pick any of its files) or folder (OpenPose, COCO,
    AlphaPose, MMPose, MediaPipe, TRC, DeepLabCut, CSV, arrays); tick Uplift and Apply to key an armature as well"""

    bl_idname = "pose_uplift.import_keypoints"
    bl_label = "Import 2D Keypoints"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options={"SKIP_SAVE"})
    directory: bpy.props.StringProperty(subtype="DIR_PATH", options={"SKIP_SAVE", "HIDDEN"})
    filter_glob: bpy.props.StringProperty(default=FILE_FILTER, options={"HIDDEN"})
    use_filter_folder = True

    uplift: bpy.props.BoolProperty(
        name="Uplift and Apply", default=False, description="Run the network and key a new armature right after reading"
    )

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[OperatorReturn]:  # type: ignore[override]
        self.filepath = ""  # not the open .blend's name, which the file browser would otherwise offer
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[OperatorReturn]:
        from ..model.readers import KeypointFileError, read_tracks

        path = self.filepath
        if (not path or os.path.isdir(path) or path.endswith(os.sep)) and self.directory:
            path = self.directory  # a folder of OpenPose JSON files
        options = self.uplift_options()
        try:
            tracks = read_tracks(path.rstrip(os.sep) or path)
        except KeypointFileError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        if options.person >= len(tracks):
            self.report({"ERROR"}, f"{path}: person {options.person} asked for, the file has {len(tracks)} (from 0)")
            return {"CANCELLED"}
        main = tracks[options.person]
        settings = scene_settings(context)
        settings.filepath = path
        settings.source_format = main.source_format
        settings.source_layout = main.source_layout
        settings.frames = main.num_frames
        settings.file_fps = main.fps or 0.0
        settings.people = len(tracks)
        settings.tracks.clear()
        for k, track in enumerate(tracks):
            seen = (track.points[..., 2] > 0).any(-1).nonzero()[0]
            row = settings.tracks.add()
            row.index, row.seen = k, len(seen)
            if len(seen):
                row.first = options.frame_start + track.first_frame + int(seen[0])
                row.last = options.frame_start + track.first_frame + int(seen[-1])
        settings.confident_fraction = main.confident_fraction()
        for name in OPTION_PROPS:
            setattr(settings, name, getattr(self, name))
        from ..model.pipeline import find_gaps

        gaps, _, _ = find_gaps(main, options, float(options.fps or main.fps or 30.0))
        settings.gaps_summary = gaps.summary()
        self.report(
            {"INFO"},
            f"{main.source_format}: {main.num_frames} frames, {len(tracks)} people; "
            f"person {options.person}: {gaps.summary()}",
        )
        if self.uplift:
            mode = "EXEC_DEFAULT" if bpy.app.background else "INVOKE_DEFAULT"
            return bpy.ops.pose_uplift.uplift(mode)  # type: ignore[attr-defined,no-any-return]
        return {"FINISHED"}


SAMPLE = Path(__file__).resolve().parents[1] / "model" / "samples" / "sample_mediapipe.json"


class POSE_UPLIFT_OT_load_sample(bpy.types.Operator):
    """Read the bundled sample: MediaPipe keypoints of a real video of a person jumping, squatting and turning
    (230 frames, 30 fps), ready for Uplift and Apply"""

    bl_idname = "pose_uplift.load_sample"
    bl_label = "Load Sample"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[OperatorReturn]:
        return bpy.ops.pose_uplift.import_keypoints(filepath=str(SAMPLE))  # type: ignore[attr-defined,no-any-return]


class RetargetFailed(Exception):
    """A retarget error's one line (raised by ``apply_results``)."""


def apply_results(context: bpy.types.Context, results: list, settings: Any) -> tuple:
    """Uplift results [(options, result)] keyed onto the target: the chosen rig (one person), or a new armature per
    person, several placed side by side as the video shows them (with a rig chosen, the rig is then left alone).
    Returns ([(object, action)], a warning line or None)."""
    from .pipeline import apply_people, apply_to_rig
    from .retarget import RetargetError

    options, result = results[0]
    if settings.target != "RIG":
        return apply_people(context, results), None
    if len(results) > 1 or options.all_people:
        rig = settings.rig.name if settings.rig else "the rig"
        note = f"{rig} left alone: several people get a new armature each (untick All People to retarget one person)"
        return apply_people(context, results), note
    try:
        rigged = apply_to_rig(
            context, result, options, settings.rig, settings.preset_value(), settings.custom_mapping()
        )
    except RetargetError as exc:
        raise RetargetFailed(str(exc)) from None
    return [rigged], None


class POSE_UPLIFT_OT_uplift(bpy.types.Operator):
    """Lift the imported 2D keypoints to 3D with the bundled network and key joint rotations and root motion onto a
    new armature (or retarget onto the chosen rig). Esc cancels and leaves the scene as it was"""

    bl_idname = "pose_uplift.uplift"
    bl_label = "Uplift and Apply"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def description(cls, context: bpy.types.Context, properties: Any) -> str:
        if scene_settings(context).target == "RIG":
            return (
                "Lift the imported 2D keypoints to 3D with the bundled network and key them onto the chosen "
                "character rig (retargeted, no IK), in a new action. Esc cancels and leaves the scene as it was"
            )
        return cls.__doc__ or ""

    filepath: bpy.props.StringProperty(
        subtype="FILE_PATH", options={"SKIP_SAVE"}, description="Keypoint file; empty: the imported one"
    )

    _thread: threading.Thread | None = None
    _timer: Any = None

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        settings = scene_settings(context)
        if not settings.filepath:
            cls.poll_message_set("Import a 2D keypoint file first")
            return False
        if context.mode != "OBJECT":
            cls.poll_message_set("Switch to Object Mode")
            return False
        if settings.target == "RIG" and (settings.rig is None or settings.rig.type != "ARMATURE"):
            cls.poll_message_set("Choose the character rig (an armature) to retarget onto")
            return False
        return True

    # -- the work, shared by execute() and the modal path ------------------------------------------------------------
    def _prepare(self, context: bpy.types.Context) -> bool:
        from ..model.readers import KeypointFileError
        from .pipeline import read_people

        settings = scene_settings(context)
        prefs = addon_preferences(context)
        self._options = settings.uplift_options(prefs.backend.lower(), prefs.device.lower())
        self._path = self.filepath or settings.filepath
        try:
            self._people = read_people(self._path, self._options)
        except KeypointFileError as exc:
            self.report({"ERROR"}, str(exc))
            return False
        self._results: list[tuple[Any, UpliftResult]] = []
        self._error: str | None = None
        self._cancel = False
        self._progress = 0.0
        return True

    def _compute(self) -> None:
        from ..model.network import WeightsError
        from ..model.uplift import UpliftCancelled
        from .pipeline import uplift

        n = len(self._people)
        try:
            for k, (options, keypoints) in enumerate(self._people):

                def progress(value: float, k: int = k) -> None:
                    self._progress = (k + value) / n

                self._results.append((options, uplift(keypoints, options, progress, lambda: self._cancel)))
        except UpliftCancelled:
            self._error = "cancelled"
        except (WeightsError, ValueError, RuntimeError, MemoryError) as exc:
            self._error = first_line(exc, self._path)
        except Exception as exc:  # a bug: still one line for the user, the traceback in the log
            _LOG.exception("uplift failed")
            self._error = f"{self._path}: internal error: {first_line(exc)}"

    def _finish(self, context: bpy.types.Context) -> set[OperatorReturn]:
        if self._error == "cancelled":
            self.report({"WARNING"}, "Uplift cancelled; nothing was changed")
            return {"CANCELLED"}
        if self._error or not self._results:
            self.report({"ERROR"}, self._error or f"{self._path}: uplift failed")
            return {"CANCELLED"}
        settings = scene_settings(context)
        try:
            applied, note = apply_results(context, self._results, settings)
        except RetargetFailed as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except Exception as exc:  # one line for the user, the traceback in the log
            _LOG.exception("applying the motion failed")
            self.report({"ERROR"}, first_line(exc, self._path))
            return {"CANCELLED"}
        result = self._results[0][1]
        for line in [*result.notes, *([note] if note else [])]:
            self.report({"WARNING"}, line)
        keyed = int(result.keyed.sum())
        backend = result.ran_on
        obj, action = applied[0]
        others = f" (and {len(applied) - 1} more people, side by side)" if len(applied) > 1 else ""
        self.report(
            {"INFO"},
            f"{obj.name}: {keyed} frames keyed at {result.motion.fps:g} fps in action {action.name}{others} "
            f"({backend}); {result.gaps.summary()}",
        )
        settings.gaps_summary = result.gaps.summary()
        settings.last_backend = backend
        settings.last_notes = "; ".join(result.notes)
        return {"FINISHED"}

    # -- synchronous (background mode, scripts) ----------------------------------------------------------------------
    def execute(self, context: bpy.types.Context) -> set[OperatorReturn]:
        if not self._prepare(context):
            return {"CANCELLED"}
        self._compute()
        return self._finish(context)

    # -- modal (UI): the network in a worker thread, progress, Esc to cancel ------------------------------------------
    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[OperatorReturn]:
        if bpy.app.background or context.window is None:
            return self.execute(context)
        if not self._prepare(context):
            return {"CANCELLED"}
        self._thread = threading.Thread(target=self._compute, daemon=True)
        self._thread.start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.progress_begin(0, 100)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def _end_modal(self, context: bpy.types.Context) -> None:
        wm = context.window_manager
        wm.progress_end()
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
        if context.workspace is not None:
            context.workspace.status_text_set(None)

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[OperatorReturn]:
        if event.type == "ESC":
            self._cancel = True
        if event.type != "TIMER":
            return {"RUNNING_MODAL"} if event.type in {"ESC", "MOUSEMOVE"} else {"PASS_THROUGH"}
        thread = self._thread
        if thread is not None and thread.is_alive():
            context.window_manager.progress_update(int(100 * self._progress))
            if context.workspace is not None:
                text = "cancelling..." if self._cancel else f"{100 * self._progress:.0f}% (Esc to cancel)"
                context.workspace.status_text_set(f"Pose Uplift: {text}")
            return {"RUNNING_MODAL"}
        self._end_modal(context)
        return self._finish(context)


class _PipInstall:
    """An install by pip in a separate process: blocking in background mode, else modal (the UI stays usable) with
    a timer that waits for pip, then test-imports the result. Subclasses name what they install and how."""

    what = ""
    _proc: Any = None

    def _start(self) -> tuple[Any, Path]:
        raise NotImplementedError

    def _check(self, returncode: int, log: Path) -> str:
        raise NotImplementedError

    def execute(self, context: bpy.types.Context) -> set[OperatorReturn]:
        from .installer import InstallError

        try:
            proc, log = self._start()
            version = self._check(proc.wait(), log)
        except InstallError as exc:
            self.report({"ERROR"}, str(exc))  # type: ignore[attr-defined]
            return {"CANCELLED"}
        self.report({"INFO"}, f"{self.what} {version} installed (log: {log})")  # type: ignore[attr-defined]
        return {"FINISHED"}

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[OperatorReturn]:
        if bpy.app.background or context.window is None:
            return self.execute(context)
        from .installer import InstallError

        try:
            self._proc, self._log = self._start()
        except InstallError as exc:
            self.report({"ERROR"}, str(exc))  # type: ignore[attr-defined]
            return {"CANCELLED"}
        self._timer = context.window_manager.event_timer_add(0.5, window=context.window)
        context.window_manager.modal_handler_add(self)  # type: ignore[arg-type]
        self.report({"INFO"}, f"Installing {self.what}; log: {self._log}")  # type: ignore[attr-defined]
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[OperatorReturn]:
        if event.type != "TIMER" or self._proc.poll() is None:
            return {"PASS_THROUGH"}
        from .installer import InstallError

        context.window_manager.event_timer_remove(self._timer)
        try:
            version = self._check(self._proc.returncode, self._log)
        except InstallError as exc:
            self.report({"ERROR"}, str(exc))  # type: ignore[attr-defined]
            return {"CANCELLED"}
        self.report({"INFO"}, f"{self.what} {version} installed")  # type: ignore[attr-defined]
        return {"FINISHED"}


class POSE_UPLIFT_OT_install_torch(_PipInstall, bpy.types.Operator):
    """Install PyTorch into this extension's own user directory with pip (in a separate process), so the network can
    use the torch backend (and a GPU). Needs online access, or a folder of wheel files"""

    bl_idname = "pose_uplift.install_torch"
    bl_label = "Install PyTorch"
    bl_options = {"REGISTER", "INTERNAL"}
    what = "PyTorch"

    variant: bpy.props.EnumProperty(name="Variant", items=TORCH_VARIANTS, default="CPU")
    wheel_dir: bpy.props.StringProperty(
        name="Wheel Folder", subtype="DIR_PATH", description="Install offline from this folder of wheel files"
    )

    def _start(self) -> tuple[Any, Path]:
        from .installer import start_install

        return start_install(self.variant.lower(), self.wheel_dir or None)

    def _check(self, returncode: int, log: Path) -> str:
        from .installer import check_install

        return check_install(returncode, log)


class POSE_UPLIFT_OT_install_detector(_PipInstall, bpy.types.Operator):
    """Install the 2D detector (MediaPipe Pose, its models inside the package, about 300 MB) into this extension's
    own folder with pip, in a separate process, for Import Video. Needs online access, or a folder of wheel files"""

    bl_idname = "pose_uplift.install_detector"
    bl_label = "Install Detector"
    bl_options = {"REGISTER", "INTERNAL"}
    what = "MediaPipe"

    wheel_dir: bpy.props.StringProperty(
        name="Wheel Folder", subtype="DIR_PATH", description="Install offline from this folder of wheel files"
    )

    def _start(self) -> tuple[Any, Path]:
        from .installer import start_detector_install

        return start_detector_install(self.wheel_dir or None)

    def _check(self, returncode: int, log: Path) -> str:
        from .installer import check_detector

        return check_detector(returncode, log)


VIDEO_FILTER = "*.mp4;*.mov;*.mkv;*.avi;*.webm;*.m4v;*.png;*.jpg;*.jpeg"


class VideoProps:
    """What Import Video does after detection (the file browser's options and the detection step's)."""

    uplift: bpy.props.BoolProperty(
        name="Uplift and Apply",
        default=True,
        description="Run the network and key the target (a new armature or the rig) after detection",
    )
    footage: bpy.props.BoolProperty(
        name="Footage Camera",
        default=True,
        description="A camera matching the video, the video behind it, the rig over the person",
    )
    fov: bpy.props.FloatProperty(
        name="Field of View",
        default=60.0,
        min=5.0,
        max=150.0,
        description="The video camera's field of view across the video's long side in degrees (a phone's main "
        "camera: about 65-70); also the uplift's Field of View",
    )
    fps: bpy.props.FloatProperty(
        name="FPS",
        default=0.0,
        min=0.0,
        max=1000.0,
        description="Frame rate of an image sequence (0: 30); videos carry their own",
    )
    people: bpy.props.IntProperty(
        name="People",
        default=1,
        min=1,
        max=10,
        description="Most people to find in each frame. 1: one person followed (fastest); more: everyone up to this "
        "many, each uplifted onto an armature of its own, side by side as in the video (about half the speed)",
    )


class POSE_UPLIFT_OT_import_video(VideoProps, bpy.types.Operator, ImportHelper):  # type: ignore[misc]
    """Detect a person's 2D keypoints in a video (mp4, mov, mkv, avi, webm) or a numbered image sequence with
    MediaPipe, then import them, uplift and key the target, and show it over the footage. The keypoint file is kept
    beside the video (or in the preferences' folder) and reused when the same video is imported again"""

    bl_idname = "pose_uplift.import_video"
    bl_label = "Import Video"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options={"SKIP_SAVE"})
    filter_glob: bpy.props.StringProperty(default=VIDEO_FILTER, options={"HIDDEN"})

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[OperatorReturn]:  # type: ignore[override]
        self.filepath = ""
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[OperatorReturn]:
        mode = "EXEC_DEFAULT" if bpy.app.background or context.window is None else "INVOKE_DEFAULT"
        return bpy.ops.pose_uplift.detect_video(  # type: ignore[attr-defined,no-any-return]
            mode,
            filepath=self.filepath,
            uplift=self.uplift,
            footage=self.footage,
            fov=self.fov,
            fps=self.fps,
            people=self.people,
        )


class POSE_UPLIFT_OT_detect_video(VideoProps, bpy.types.Operator):
    """Run the detector on a video in a process of its own, with progress; Esc stops it and nothing is written"""

    bl_idname = "pose_uplift.detect_video"
    bl_label = "Detect Keypoints in Video"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options={"SKIP_SAVE"})

    _proc: Any = None
    _timer: Any = None

    def _prepare(self, context: bpy.types.Context) -> bool:
        from .installer import InstallError, detector_installed, detector_requirements
        from .video import detections_path

        video = Path(self.filepath)
        if not video.exists():
            self.report({"ERROR"}, f"{video}: no such file or folder")
            return False
        prefs = addon_preferences(context)
        folder = bpy.path.abspath(prefs.detections_folder) if prefs.detections_folder else None
        self._out = detections_path(video, folder, self.people)
        self._progress = 0.0
        if self._out.exists():  # detected before with these settings: reused, no detector needed
            return True
        try:
            detector_requirements()
        except InstallError as exc:
            self.report({"ERROR"}, f"{video}: {exc}")
            return False
        if not detector_installed():
            self.report(
                {"ERROR"}, "The detector is not installed: Preferences > Add-ons > Pose Uplift > Install Detector"
            )
            return False
        return True

    def _start(self) -> None:
        from .video import start_detection

        self._proc = start_detection(self.filepath, self._out, self.fps or None, self.people)
        self._lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self._proc.stdout:
            if line.startswith("progress "):
                done, total = line.split()[1:3]
                self._progress = int(done) / max(int(total), 1)

    def _failed(self) -> str | None:
        from .video import detection_error

        if self._proc.returncode != 0:
            self._out.with_name(self._out.name + ".partial").unlink(missing_ok=True)
            return detection_error(self._proc, self.filepath)
        return None

    def execute(self, context: bpy.types.Context) -> set[OperatorReturn]:
        if not self._prepare(context):
            return {"CANCELLED"}
        if not self._out.exists():
            self._start()
            self._proc.wait()
            self._reader.join()
            error = self._failed()
            if error:
                self.report({"ERROR"}, error)
                return {"CANCELLED"}
        return self._finish(context)

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[OperatorReturn]:
        if bpy.app.background or context.window is None:
            return self.execute(context)
        if not self._prepare(context):
            return {"CANCELLED"}
        if self._out.exists():
            return self._finish(context)
        self._start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.2, window=context.window)
        wm.modal_handler_add(self)
        wm.progress_begin(0, 100)
        return {"RUNNING_MODAL"}

    def _end_modal(self, context: bpy.types.Context) -> None:
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        wm.progress_end()
        if context.workspace is not None:
            context.workspace.status_text_set(None)

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[OperatorReturn]:
        if event.type == "ESC":
            self._proc.kill()
            self._proc.wait()
            self._out.with_name(self._out.name + ".partial").unlink(missing_ok=True)
            self._end_modal(context)
            self.report({"WARNING"}, f"{self.filepath}: detection cancelled, nothing written")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        if self._proc.poll() is None:
            context.window_manager.progress_update(int(100 * self._progress))
            if context.workspace is not None:
                context.workspace.status_text_set(f"Pose Uplift: detecting {100 * self._progress:.0f}% (Esc to cancel)")
            return {"RUNNING_MODAL"}
        self._reader.join()
        self._end_modal(context)
        error = self._failed()
        if error:
            self.report({"ERROR"}, error)
            return {"CANCELLED"}
        return self._finish(context)

    def _finish(self, context: bpy.types.Context) -> set[OperatorReturn]:
        """The keypoint file imported like any other; uplifted and keyed; the footage behind a matching camera."""
        if bpy.ops.pose_uplift.import_keypoints(filepath=str(self._out)) != {"FINISHED"}:  # type: ignore[attr-defined]
            return {"CANCELLED"}
        if not self.uplift:
            self.report({"INFO"}, f"{self._out.name}: keypoints detected and imported")
            return {"FINISHED"}
        from ..model.readers import KeypointFileError
        from .pipeline import read_people, uplift

        settings = scene_settings(context)
        settings.set_option("all_people", self.people > 1)
        settings.set_option("fov", self.fov)  # the root path's camera is the footage camera
        prefs = addon_preferences(context)
        options = settings.uplift_options(prefs.backend.lower(), prefs.device.lower())
        try:
            results = [(o, uplift(k, o)) for o, k in read_people(self._out, options)]
            applied, note = apply_results(context, results, settings)
            if note:
                self.report({"WARNING"}, note)
            result = results[0][1]
            settings.last_backend = result.ran_on
            settings.gaps_summary = result.gaps.summary()
            if self.footage:
                from .video import add_footage

                add_footage(context, self.filepath, result, options.fov, applied[0][0], options.frame_start)
        except (RetargetFailed, KeypointFileError, ValueError) as exc:
            self.report({"ERROR"}, first_line(exc, self.filepath))
            return {"CANCELLED"}
        names = ", ".join(obj.name for obj, _ in applied)
        self.report(
            {"INFO"},
            f"{names}: {int(result.keyed.sum())} frames keyed from {Path(self.filepath).name} "
            f"({result.ran_on}); {result.gaps.summary()}",
        )
        return {"FINISHED"}


class POSE_UPLIFT_OT_detect_mapping(bpy.types.Operator):
    """Map the rig's bones to the 22 joints (the preset, or auto-detection) and show the mapping to edit"""

    bl_idname = "pose_uplift.detect_mapping"
    bl_label = "Detect Mapping"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        rig = scene_settings(context).rig
        if rig is None or rig.type != "ARMATURE":
            cls.poll_message_set("Choose the character rig (an armature)")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[OperatorReturn]:
        from ..model.skeleton import JOINT_NAMES
        from .retarget import RetargetError, resolve_mapping

        settings = scene_settings(context)
        try:
            found, mapping, unmapped = resolve_mapping(settings.rig, settings.preset_value())
        except RetargetError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        fill_mapping(settings, mapping)
        note = f"; unmapped: {', '.join(unmapped)}" if unmapped else ""
        self.report({"INFO"}, f"{settings.rig.name}: {found}, {len(mapping)} of {len(JOINT_NAMES)} joints{note}")
        return {"FINISHED"}


def fill_mapping(settings: Any, mapping: dict[str, str]) -> None:
    from ..model.skeleton import JOINT_NAMES

    settings.mapping.clear()
    for joint in JOINT_NAMES:
        row = settings.mapping.add()
        row.joint, row.bone = joint, mapping.get(joint, "")


class POSE_UPLIFT_OT_save_mapping(bpy.types.Operator, ExportHelper):  # type: ignore[misc]
    """Save the mapping shown in the panel as a JSON file (loadable later, or usable as a preset file)"""

    bl_idname = "pose_uplift.save_mapping"
    bl_label = "Save Mapping"
    filename_ext = ".json"
    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options={"SKIP_SAVE"})
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if not scene_settings(context).custom_mapping():
            cls.poll_message_set("Detect or load a mapping first")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[OperatorReturn]:
        from .retarget import save_mapping

        try:
            save_mapping(self.filepath, scene_settings(context).custom_mapping() or {})
        except OSError as exc:
            self.report({"ERROR"}, f"{self.filepath}: {exc.strerror or exc}")
            return {"CANCELLED"}
        return {"FINISHED"}


class POSE_UPLIFT_OT_load_mapping(bpy.types.Operator, ImportHelper):  # type: ignore[misc]
    """Load a mapping JSON file (joint -> bone) into the panel"""

    bl_idname = "pose_uplift.load_mapping"
    bl_label = "Load Mapping"
    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options={"SKIP_SAVE"})
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context: bpy.types.Context) -> set[OperatorReturn]:
        from ..model.retarget import RetargetError, load_preset

        try:
            data = load_preset(self.filepath)
        except RetargetError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        fill_mapping(scene_settings(context), {j: v[0] for j, v in data["bones"].items()})
        return {"FINISHED"}
