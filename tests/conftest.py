"""Shared fixtures. The repository root is importable so that ``import model`` works without installing."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Blender run by the tests (the bpy module) gets a throwaway user directory: set before anything imports bpy, so
# installing the extension never touches a real Blender configuration.
BLENDER_USER_DIR = Path(tempfile.mkdtemp(prefix="pose_uplift_blender_user_"))
os.environ["BLENDER_USER_RESOURCES"] = str(BLENDER_USER_DIR)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(BLENDER_USER_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def mathutils():
    """Blender's own ``mathutils`` (from the PyPI ``bpy`` module), an oracle independent of our code."""
    pytest.importorskip("bpy")
    import mathutils as mu

    return mu


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES
