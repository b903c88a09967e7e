"""The preferences' Install PyTorch button, for real and offline: pip in a subprocess installs PyTorch 2.13.0 (CPU)
from a local folder of wheels into the extension's own user directory, and the result is test-imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

bpy = pytest.importorskip("bpy")


@pytest.fixture(scope="module")
def wheel_dir(tmp_path_factory):
    """PyTorch and its dependencies as wheel files (prepared with pip download: the install itself is offline)."""
    folder = tmp_path_factory.mktemp("wheels")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "torch==2.13.0",
        "-d",
        str(folder),
    ]
    if subprocess.run(cmd, capture_output=True, text=True).returncode != 0:
        pytest.skip("could not gather the wheels")
    return folder


def test_install_torch_from_a_wheel_folder(ext, wheel_dir):
    installer = ext.addon.installer
    try:
        version, log = installer.install_torch("cpu", str(wheel_dir))
    finally:  # the rest of the session keeps the test environment's own PyTorch
        added = str(installer.site_dir())
    assert added in sys.path
    sys.path.remove(added)
    assert version.startswith("2.13.0")
    target = installer.site_dir()
    assert (target / "torch" / "__init__.py").is_file()
    assert "--no-index" in log.read_text().splitlines()[0]  # offline: only the local folder
    assert str(target).startswith(str(bpy.utils.extension_path_user(ext_package(ext), path="")))


def ext_package(ext) -> str:
    return ext.addon.preferences.PACKAGE


def test_the_exact_build_is_asked_for(ext):
    """Online, pip is asked for the CPU (or CUDA) build by its tag, so a PyTorch index that cannot be reached fails
    instead of falling back to PyPI's default (CUDA) wheel; a wheel folder takes whatever build it holds."""
    installer = ext.addon.installer
    assert installer.torch_requirement("cpu", "linux") == "torch==2.13.0+cpu"
    assert installer.torch_requirement("cuda", "win32") == "torch==2.13.0+cu128"
    assert installer.torch_requirement("cpu", "darwin") == "torch==2.13.0"
    offline = installer.pip_command("cpu", Path("/tmp/x"), str(Path(__file__).parent))
    assert "torch==2.13.0" in offline and "--no-index" in offline
