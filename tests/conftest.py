"""Shared fixtures. The repository root is importable so that ``import model`` works without installing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def mathutils():
    """Blender's own ``mathutils`` (from the PyPI ``bpy`` module), an oracle independent of our code."""
    pytest.importorskip("bpy")
    import mathutils as mu

    return mu


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES
