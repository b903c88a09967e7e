"""The README's batch command in a real Blender binary: Debian's `blender` (5.2.x, its own Python with numpy, no
PyTorch) in the chroot `make blender` builds under .cache/. The checkout is copied into the chroot, the batch
script runs with ``blender -b --factory-startup --python-exit-code 1 -P scripts/uplift_batch.py -- ...``, once with
one process and once with ``--jobs 2``, and its outputs are read back."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROOT = ROOT / ".cache" / "debian-blender"

pytestmark = pytest.mark.skipif(
    not (CHROOT / ".ready").exists() or os.geteuid() != 0,
    reason="no real Blender chroot (make blender builds it; running it needs root)",
)


@pytest.fixture(scope="module")
def checkout() -> str:
    """This checkout's tracked and new files, copied to /srv/pose_uplift inside the chroot."""
    dest = CHROOT / "srv" / "pose_uplift"
    shutil.rmtree(dest, ignore_errors=True)
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    yield "/srv/pose_uplift"
    shutil.rmtree(dest, ignore_errors=True)


def _blender(*args: str) -> subprocess.CompletedProcess:
    cmd = [
        "chroot",
        str(CHROOT),
        "env",
        "-i",
        "HOME=/tmp",
        "TMPDIR=/tmp",
        "PATH=/usr/bin:/bin",
        "blender",
        "-b",
        "--factory-startup",
        "--python-exit-code",
        "1",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def test_batch_in_the_real_binary(checkout):
    out = CHROOT / "tmp" / "batch_out"
    shutil.rmtree(out, ignore_errors=True)
    clips = [
        f"{checkout}/model/samples/sample_mediapipe.json",
        f"{checkout}/tests/fixtures/openpose_body25",
        f"{checkout}/tests/fixtures/mediapipe.csv",
        f"{checkout}/tests/fixtures/mediapipe.json",
    ]
    version = _blender("--version")
    assert version.returncode == 0 and version.stdout.startswith("Blender 5."), version.stdout[:200]
    proc = _blender(
        "-P",
        f"{checkout}/scripts/uplift_batch.py",
        "--",
        *clips,
        "--out",
        "/tmp/batch_out",
        "--export",
        "blend,bvh",
        "--angles",
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "4 of 4 clips done" in proc.stdout
    names = sorted(p.name for p in out.iterdir())
    stems = ("sample_mediapipe", "openpose_body25", "mediapipe_csv", "mediapipe_json")
    assert names == sorted(f"{s}{e}" for s in stems for e in (".blend", ".bvh", "_angles.csv"))
    bvh = (out / "sample_mediapipe.bvh").read_text()
    assert bvh.startswith("HIERARCHY") and "Frames: 166" in bvh  # the frames with the person
    # the same clips with two workers, into another folder, and a re-run that skips what exists
    proc = _blender(
        "-P",
        f"{checkout}/scripts/uplift_batch.py",
        "--",
        *clips,
        "--out",
        "/tmp/batch_jobs",
        "--export",
        "bvh",
        "--jobs",
        "2",
    )
    assert proc.returncode == 0 and "4 of 4 clips done" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (CHROOT / "tmp" / "batch_jobs" / "sample_mediapipe.bvh").read_text() == bvh  # same result
    proc = _blender(
        "-P", f"{checkout}/scripts/uplift_batch.py", "--", *clips, "--out", "/tmp/batch_jobs", "--export", "bvh"
    )
    assert proc.returncode == 0 and "0 of 4 clips done, 4 skipped" in proc.stdout
    leftovers = [p.name for p in (CHROOT / "tmp").iterdir() if p.name.startswith("pose_uplift_")]
    assert leftovers == []
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(CHROOT / "tmp" / "batch_jobs", ignore_errors=True)


def test_video_in_the_real_binary_on_python_313(checkout):
    """Blender 5.1 and newer run Python 3.13 (Debian's 5.2 its system Python, newer still), for which no MediaPipe
    release ships its pose model: a video input says so in one line, naming the file, and nothing is written."""
    video = f"{checkout}/tests/fixtures/video/sports2d_demo_2s.mp4"
    out = CHROOT / "tmp" / "video_out"
    shutil.rmtree(out, ignore_errors=True)
    proc = _blender(
        "-P",
        f"{checkout}/scripts/uplift_batch.py",
        "--",
        video,
        "--out",
        "/tmp/video_out",
        "--export",
        "bvh",
        "--install-detector",
    )
    python = _blender("--python-expr", "import sys; print('PY', sys.version_info[:2])").stdout
    if "(3, 11)" in python or "(3, 12)" in python:
        pytest.skip("this Blender's Python has a MediaPipe with its pose model")
    assert proc.returncode == 1, proc.stdout[-2000:]
    line = next(ln for ln in proc.stdout.splitlines() if "sports2d_demo_2s.mp4" in ln and "MediaPipe" in ln)
    assert re.search(r"no MediaPipe with its pose model exists for Python 3\.1[3-9]", line), line
    assert not (out / "sports2d_demo_2s.bvh").exists()
    shutil.rmtree(out, ignore_errors=True)
