"""Add-on preferences: backend and device, what the last run used and why, and the Install PyTorch button."""

from __future__ import annotations

import importlib.util

import bpy

#: The extension's package name (``bl_ext.<repo>.pose_uplift``), which Blender uses as the preferences id.
PACKAGE = __package__.rpartition(".")[0] if __package__ else "pose_uplift"


#: The PyTorch builds the Install PyTorch button offers (preferences and operator).
TORCH_VARIANTS = (("CPU", "CPU", "About 200 MB"), ("CUDA", "CUDA", "Several GB; for NVIDIA GPUs"))


class POSE_UPLIFT_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = PACKAGE

    backend: bpy.props.EnumProperty(
        name="Backend",
        description="Which implementation runs the network; both run the same weights",
        items=(
            ("AUTO", "Auto", "PyTorch when it is installed, else numpy"),
            ("TORCH", "PyTorch", "PyTorch (CPU or CUDA); must be installed"),
            ("NUMPY", "NumPy", "Built-in numpy implementation: works in a stock Blender, CPU only"),
        ),
        default="AUTO",
    )
    device: bpy.props.EnumProperty(
        name="Device",
        description="Where the network runs; Auto uses CUDA when PyTorch sees a GPU, else the CPU",
        items=(
            ("AUTO", "Auto", "CUDA when available, else CPU"),
            ("CPU", "CPU", "Always the CPU"),
            ("CUDA", "CUDA", "An NVIDIA GPU (falls back to the CPU with a warning when there is none)"),
        ),
        default="AUTO",
    )
    torch_variant: bpy.props.EnumProperty(name="PyTorch Build", items=TORCH_VARIANTS, default="CPU")
    wheel_dir: bpy.props.StringProperty(
        name="Wheel Folder", subtype="DIR_PATH", description="Optional: install offline from a folder of wheel files"
    )
    detections_folder: bpy.props.StringProperty(
        name="Keypoint Files",
        subtype="DIR_PATH",
        description="Where Import Video writes the keypoint files it detects; empty: beside each video",
    )

    def draw(self, context: bpy.types.Context) -> None:
        from .properties import scene_settings

        settings = scene_settings(context)
        layout = self.layout
        row = layout.row()
        row.prop(self, "backend")
        row.prop(self, "device")
        box = layout.box()
        torch_found = importlib.util.find_spec("torch") is not None
        box.label(text="PyTorch: " + ("found" if torch_found else "not installed (the numpy backend is used)"))
        if settings.last_backend:
            box.label(text=f"Last run in this scene: {settings.last_backend}")
            for note in filter(None, settings.last_notes.split("; ")):
                box.label(text=note, icon="INFO")
        else:
            why = "PyTorch" if torch_found and self.backend != "NUMPY" else "NumPy"
            box.label(text=f"Next run: {why} ({self.backend.lower()} backend, {self.device.lower()} device)")
        col = layout.column()
        col.prop(self, "torch_variant")
        col.prop(self, "wheel_dir")
        if not bpy.app.online_access and not self.wheel_dir:
            col.label(
                text="Online access is off: choose a wheel folder, or allow it in System preferences", icon="ERROR"
            )
        op = col.operator("pose_uplift.install_torch", icon="IMPORT")
        op.variant = self.torch_variant
        op.wheel_dir = self.wheel_dir
        box = layout.box()
        from .installer import InstallError, detector_installed, detector_requirements

        try:
            wanted = detector_requirements()[0]
            box.label(
                text="Detector (Import Video): " + ("installed" if detector_installed() else f"{wanted}, not installed")
            )
            op = box.operator("pose_uplift.install_detector", icon="IMPORT")
            op.wheel_dir = self.wheel_dir
        except InstallError as exc:
            box.label(text=str(exc)[:90], icon="ERROR")
        box.prop(self, "detections_folder")


def addon_preferences(context: bpy.types.Context) -> POSE_UPLIFT_AP_preferences:
    """The extension's preferences (defaults when it is not registered as an add-on, e.g. run from a script)."""
    addon = context.preferences.addons.get(PACKAGE)
    if addon is None:
        return _DEFAULTS  # type: ignore[return-value]
    return addon.preferences  # type: ignore[return-value]


class _Defaults:
    backend = "AUTO"
    device = "AUTO"
    detections_folder = ""


_DEFAULTS = _Defaults()
