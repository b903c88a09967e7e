"""Acclaim ASF/AMC motion capture (the CMU database's original format) as a :class:`~.clip.MotionClip`.

The ASF file is the subject's skeleton: per bone a ``direction`` (unit vector in the global rest frame), a
``length``, an ``axis`` (the bone's local frame as Euler angles, order given, usually ``XYZ``) and its ``dof``.
The AMC file holds, per frame, the root's position and rotation and each bone's dof values in degrees. A bone's
local rotation is ``C @ Rz(rz) @ Ry(ry) @ Rx(rx) @ C^-1`` (``C`` from its axis), composed down the tree, and the
bone's end is its start plus the global rotation times ``direction * length``.

In the MotionClip a joint sits where its bone starts (its parent bone's end) and carries that bone's rotation, so a
joint is named after the bone it turns: ``lfemur`` is the hip, ``ltibia`` the knee. Units: ASF ``length 0.45``
(CMU) means a unit of 1/0.45 inch; :func:`read_asf_amc` returns the metres per unit beside the clip.

An AMC file finds its ASF (:func:`find_asf`): the ``.asf`` its name starts with (``01_01.amc`` -> ``01.asf``), or
the only one in its folder, or one given explicitly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..rotations import elementary_rotation
from .clip import MotionClip, MotionFileError

_CMU_FPS = 120.0


def find_asf(amc: Path, skeleton: str | Path | None = None) -> Path:
    """The ASF skeleton for an AMC file (see the module docstring); MotionFileError when there is none or it is unclear."""
    if skeleton is not None:
        if not Path(skeleton).is_file():
            raise MotionFileError(f"{amc}: the skeleton file {skeleton} does not exist")
        return Path(skeleton)
    candidates = sorted(amc.parent.glob("*.asf")) + sorted(amc.parent.glob("*.ASF"))
    prefixed = [c for c in candidates if amc.stem.lower().startswith(c.stem.lower())]
    if prefixed:
        return max(prefixed, key=lambda c: len(c.stem))
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise MotionFileError(f"{amc}: no .asf skeleton beside it (give --skeleton FILE.asf)")
    raise MotionFileError(
        f"{amc}: {len(candidates)} .asf files beside it and none named like it (give --skeleton FILE.asf)"
    )


def _euler(order: str, degrees: np.ndarray) -> np.ndarray:
    """Rotation for Euler angles (..., 3) given in ``order`` (e.g. "XYZ": x applied first, i.e. Rz Ry Rx)."""
    out = np.broadcast_to(np.eye(3), degrees.shape[:-1] + (3, 3)).copy()
    for k, axis in enumerate(order):
        out = elementary_rotation(axis.lower(), np.radians(degrees[..., k])) @ out
    return out


def read_asf(path: Path) -> dict:
    """Bones of an ASF file: name -> dict(direction, length, axis matrix, dof), plus parents, root order, units."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise MotionFileError(f"{path}: cannot read the skeleton ({exc})") from None
    section = ""
    bones: dict[str, dict] = {}
    current: dict = {}
    units: dict = {"length": 1.0, "angle": "deg"}
    root_order, root_axis = ["TX", "TY", "TZ", "RX", "RY", "RZ"], "XYZ"
    hierarchy: list[list[str]] = []
    try:
        for raw in lines:
            line = raw.split("#")[0].strip()
            if not line:
                continue
            if line.startswith(":"):
                head = line.split()
                section = head[0][1:]
                continue
            words = line.split()
            if section == "units" and len(words) >= 2:
                units[words[0]] = float(words[1]) if words[0] in ("length", "mass") else words[1]
            elif section == "root":
                if words[0] == "order":
                    root_order = [w.upper() for w in words[1:]]
                elif words[0] == "axis":
                    root_axis = words[1].upper()
            elif section == "bonedata":
                if words[0] == "begin":
                    current = {"dof": [], "axis": np.eye(3), "direction": np.zeros(3), "length": 0.0}
                elif words[0] == "end":
                    bones[current["name"]] = current
                    current = {}
                elif current:
                    if words[0] == "name":
                        current["name"] = words[1]
                    elif words[0] == "direction":
                        current["direction"] = np.array([float(w) for w in words[1:4]])
                    elif words[0] == "length":
                        current["length"] = float(words[1])
                    elif words[0] == "axis":
                        current["axis"] = _euler(words[4].upper(), np.array([float(w) for w in words[1:4]]))
                    elif words[0] == "dof":
                        current["dof"] = [w.lower() for w in words[1:]]
            elif section == "hierarchy" and words[0] not in ("begin", "end"):
                hierarchy.append(words)
    except (ValueError, IndexError, KeyError, TypeError):
        raise MotionFileError(f"{path}: malformed ASF skeleton") from None
    if not bones or not hierarchy:
        raise MotionFileError(f"{path}: not an ASF skeleton (no :bonedata or :hierarchy)")
    parents: dict[str, str] = {}
    for words in hierarchy:
        for child in words[1:]:
            if child not in bones:
                raise MotionFileError(f"{path}: the hierarchy names an unknown bone {child!r}")
            parents[child] = words[0]
    if units.get("angle", "deg") not in ("deg", "degree", "degrees"):
        raise MotionFileError(f"{path}: angles in {units['angle']!r}; only degrees are read")
    return {
        "bones": bones,
        "parents": parents,
        "root_order": root_order,
        "root_axis": root_axis,
        "length": float(units["length"]),
    }


def read_asf_amc(amc: str | Path, skeleton: str | Path | None = None) -> tuple[MotionClip, float]:
    """An AMC clip on its ASF skeleton as a MotionClip, and the metres per file unit."""
    amc = Path(amc)
    asf_path = find_asf(amc, skeleton)
    asf = read_asf(asf_path)
    bones, parents = asf["bones"], asf["parents"]
    # joints: the root, then bones parents-first (the order of the hierarchy walk)
    order = ["root"]
    for name in order:
        order.extend(c for c, p in parents.items() if p == name)
    missing = [b for b in bones if b not in order]
    if missing:
        raise MotionFileError(f"{asf_path}: bones not reachable from the root: {', '.join(missing[:5])}")
    index = {n: i for i, n in enumerate(order)}
    try:
        text = amc.read_text(encoding="utf-8", errors="replace").split()
    except OSError as exc:
        raise MotionFileError(f"{amc}: cannot read the motion ({exc})") from None
    frames: list[dict[str, list[float]]] = []
    k, n = 0, len(text)
    while k < n and not text[k].isdigit():  # header (:FULLY-SPECIFIED, :DEGREES, comments)
        k += 1
    dof_count = {b: len(bones[b]["dof"]) for b in bones} | {"root": len(asf["root_order"])}
    try:
        while k < n:
            int(text[k])
            k += 1
            frame: dict[str, list[float]] = {}
            while k < n and not text[k].isdigit():
                name = text[k]
                if name not in dof_count:
                    raise MotionFileError(f"{amc}: frame {len(frames) + 1}: unknown bone {name!r} for {asf_path.name}")
                count = dof_count[name]
                frame[name] = [float(v) for v in text[k + 1 : k + 1 + count]]
                if len(frame[name]) != count:
                    raise ValueError
                k += 1 + count
            frames.append(frame)
    except ValueError:
        raise MotionFileError(f"{amc}: frame {len(frames) + 1}: malformed values") from None
    if not frames:
        raise MotionFileError(f"{amc}: no frames")
    t, j = len(frames), len(order)
    local = np.tile(np.eye(3), (t, j, 1, 1))
    root = np.zeros((t, 3))
    offsets = np.zeros((j, 3))
    end_sites: dict[int, np.ndarray] = {}
    for name in order[1:]:
        parent = parents[name]
        offsets[index[name]] = _bone_vector(bones, parent)
        if not any(p == name for p in parents.values()):
            end_sites[index[name]] = _bone_vector(bones, name)
    root_axis = _euler(asf["root_axis"], np.zeros(3))
    for f, frame in enumerate(frames):
        values = dict(zip(asf["root_order"], frame.get("root", [0.0] * 6), strict=False))
        root[f] = [values.get("TX", 0.0), values.get("TY", 0.0), values.get("TZ", 0.0)]
        local[f, 0] = (
            root_axis @ _euler("XYZ", np.array([values.get(a, 0.0) for a in ("RX", "RY", "RZ")])) @ root_axis.T
        )
    for name in order[1:]:
        bone = bones[name]
        if not bone["dof"]:
            continue
        angles = np.zeros((t, 3))
        for f, frame in enumerate(frames):
            for dof, v in zip(bone["dof"], frame.get(name, []), strict=False):
                if dof in ("rx", "ry", "rz"):
                    angles[f, "xyz".index(dof[1])] = v
        c = bone["axis"]
        local[:, index[name]] = c @ _euler("XYZ", angles) @ c.T
    parent_index = [-1] + [index[parents[n]] for n in order[1:]]
    clip = MotionClip(order, parent_index, offsets, end_sites, local, root, 1.0 / _CMU_FPS)
    scale = 0.0254 / asf["length"]  # 1/length inches per unit
    return clip, scale


def _bone_vector(bones: dict, name: str) -> np.ndarray:
    if name == "root":
        return np.zeros(3)
    return bones[name]["direction"] * bones[name]["length"]
