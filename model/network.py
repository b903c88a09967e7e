"""The uplifting network: a sequence-to-sequence spatio-temporal transformer, in torch and in numpy.

One forward pass maps a window of ``NetworkConfig.window`` frames of normalised Halpe-26 points (x, y, confidence) to
``output_size`` numbers per frame of the window. A spatial transformer layer attends across the 26 points of each
frame; temporal transformer layers attend across the frames. Two layouts (``NetworkConfig.tokens``):

- ``frame`` (bundled): each frame's 26 points become one token; the temporal layers attend across the frames.
- ``parts``: each frame becomes five tokens, one per body part (``PARTS``: torso and head, each arm, each leg), each
  embedded from its own points only; every layer attends across the parts of a frame, then across the frames of a
  part, and each part's joints are read from its own token (the torso's also the root's velocity and the up
  direction). A limb is encoded as a limb, so an arm pose seen in training still reads right under an unseen torso
  or leg pose. With ``whole_frame`` every part's token also gets an embedding of all 26 points of its frame (the
  frame layout's ``frame_embed``), so a part reads the others' points from the start, not only through attention.
  With ``local`` the attention is kept within the parts: in the spatial layer a point attends only to the points of
  its home part, across the parts a limb attends only to itself and the torso and the torso only to itself
  (``part_masks``), so each limb's joints come from its own points and the torso's alone, and a limb pose seen in
  training reads the same whatever the other limbs do.

The outputs, in order (``split_outputs``):

| part | size | meaning |
|---|---|---|
| ``rotations`` | 22 x r | each joint's local rotation in the representation below; the root's (joint 0) relative to the gravity-aligned camera frame G (y up, z the camera's viewing direction on the floor; see :mod:`.motion`) |
| ``velocity`` | 3 | the root's velocity in G, metres per second |
| ``up`` | 3 | the world's up direction in camera coordinates (x right, y down, z forward), not normalised |
| ``log_bones`` | 21 | natural log of each non-root joint's bone length (its offset's norm), metres |

| rotation representation | r | to a rotation matrix (``rotations.rotation_to_matrix``) |
|---|---|---|
| ``6d`` (bundled) | 6 | the first two columns, Gram-Schmidt orthogonalised (Zhou et al.) |
| ``quaternion`` | 4 | (w, x, y, z), normalised |
| ``axis_angle`` | 3 | axis times angle in radians (Rodrigues) |
| ``matrix`` | 9 | row-major 3 x 3, orthogonalised by SVD |

Both implementations read the same weights (a flat ``{name: array}`` dict saved as ``.npz``), so the numpy one
runs in a stock Blender with nothing installed; a test keeps them equal.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS
from .skeleton import JOINT_INDEX, NUM_JOINTS

WEIGHTS_FORMAT = "pose_uplift.weights/1"


@dataclass(frozen=True)
class NetworkConfig:
    window: int = 81  # frames per pass, at FPS
    fps: float = 30.0  # the rate the network runs at; inputs are resampled to it
    spatial_dim: int = 32
    dim: int = 256
    layers: int = 4
    heads: int = 8
    mlp: int = 512
    rotation: str = "6d"  # 6d | quaternion | axis_angle | matrix
    tokens: str = "frame"  # frame | parts (see the module's docstring)
    stride: int = 0  # frames between the windows of the main pass at run time; 0: half a window
    whole_frame: bool = False  # parts layout: every part's token also embeds the whole frame's points
    local: bool = False  # parts layout: a limb reads only its own and the torso's points (``part_masks``)

    @property
    def window_stride(self) -> int:
        """Frames between the windows whose outputs the Uplifter blends (``stride``, else half a window)."""
        return self.stride or self.window // 2

    @property
    def rotation_size(self) -> int:
        return {"6d": 6, "quaternion": 4, "axis_angle": 3, "matrix": 9}[self.rotation]

    @property
    def output_size(self) -> int:
        return NUM_JOINTS * self.rotation_size + 3 + 3 + (NUM_JOINTS - 1)


#: The ``parts`` layout: (name, the Halpe points its token is embedded from, the joints whose rotation and bone length
#: it outputs). The torso's token also gives the root's velocity and the up direction.
PARTS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "torso",
        ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "head", "neck", "hip")
        + ("left_shoulder", "right_shoulder", "left_hip", "right_hip"),
        ("pelvis", "spine1", "spine2", "spine3", "neck", "head"),
    ),
    *(
        (
            f"{side}_arm",
            ("neck", f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist"),
            (f"{side}_collar", f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist"),
        )
        for side in ("left", "right")
    ),
    *(
        (
            f"{side}_leg",
            ("hip", f"{side}_hip", f"{side}_knee", f"{side}_ankle")
            + (f"{side}_heel", f"{side}_big_toe", f"{side}_small_toe"),
            (f"{side}_hip", f"{side}_knee", f"{side}_ankle", f"{side}_foot"),
        )
        for side in ("left", "right")
    ),
)


def part_points(part: int) -> list[int]:
    """The Halpe point indices part ``part``'s token is embedded from."""
    return [KEYPOINT_INDEX[n] for n in PARTS[part][1]]


def part_outputs(part: int, config: NetworkConfig) -> list[int]:
    """The indices into the output vector that part ``part``'s head writes (see ``split_outputs``)."""
    r, n = config.rotation_size, NUM_JOINTS * config.rotation_size
    out: list[int] = []
    for name in PARTS[part][2]:
        out += range(JOINT_INDEX[name] * r, (JOINT_INDEX[name] + 1) * r)
    if part == 0:
        out += range(n, n + 6)  # velocity, up
    out += [n + 6 + JOINT_INDEX[name] - 1 for name in PARTS[part][2] if name != "pelvis"]
    return out


def part_masks() -> tuple[np.ndarray, np.ndarray]:
    """The ``local`` layout's additive attention masks (0 where allowed, -inf elsewhere): (26, 26) for the spatial
    layer, where a point attends to the points of its home part (the torso for the points the torso's token is
    embedded from, shoulders and hips included; otherwise the one limb it belongs to), so a point shared by a limb
    and the torso carries the torso's points only; and (parts, parts) across the parts (a limb: itself and the
    torso; the torso: itself)."""
    n = len(PARTS)
    spatial = np.zeros((NUM_KEYPOINTS, NUM_KEYPOINTS), bool)
    for i in range(n):
        home = [k for k in part_points(i) if i == 0 or k not in part_points(0)]
        spatial[np.ix_(home, part_points(i))] = True
    across = np.eye(n, dtype=bool)
    across[1:, 0] = True
    return tuple(np.where(m, 0.0, -np.inf).astype(np.float32) for m in (spatial, across))  # type: ignore[return-value]


def part_order(config: NetworkConfig) -> np.ndarray:
    """The permutation that puts the parts' heads' outputs (concatenated in part order) into output order."""
    written = np.concatenate([part_outputs(p, config) for p in range(len(PARTS))])
    assert sorted(written.tolist()) == list(range(config.output_size))
    return np.argsort(written)


def split_outputs(out: Any, config: NetworkConfig) -> dict[str, Any]:
    """Raw (..., output_size) -> named parts."""
    n = NUM_JOINTS * config.rotation_size
    return {
        "rotations": out[..., :n].reshape(*out.shape[:-1], NUM_JOINTS, config.rotation_size),
        "velocity": out[..., n : n + 3],
        "up": out[..., n + 3 : n + 6],
        "log_bones": out[..., n + 6 :],
    }


# ----------------------------------------------------------------------------------------------------- torch
# (the torch module itself is model.network_torch.UpliftNet, imported where it is used)


def torch_state_to_arrays(module: Any) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().astype(np.float32) for k, v in module.state_dict().items()}


# ----------------------------------------------------------------------------------------------------- numpy


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh form (as the torch layers use). ``x * x`` rather than ``x**3``: numpy 1.26 computes a float32 power
    element by element through ``pow``, about 100 times slower."""
    return 0.5 * x * (1.0 + np.tanh(x * (math.sqrt(2.0 / math.pi) * (1.0 + 0.044715 * (x * x)))))


def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x @ w.T + b`` for (..., in) inputs as one 2-D matrix product: numpy 2.x runs stacked (3-D) matmuls
    several times slower than numpy 1.26 did, a plain 2-D product is fast in both."""
    return (x.reshape(-1, x.shape[-1]) @ w.T + b).reshape(*x.shape[:-1], w.shape[0])


def _block(
    x: np.ndarray, p: dict[str, np.ndarray], prefix: str, heads: int, mask: np.ndarray | None = None
) -> np.ndarray:
    b, n, d = x.shape
    h = _layer_norm(x, p[prefix + "norm1.weight"], p[prefix + "norm1.bias"])
    qkv = _linear(h, p[prefix + "qkv.weight"], p[prefix + "qkv.bias"])
    q, k, v = qkv.reshape(b, n, 3, heads, d // heads).transpose(2, 0, 3, 1, 4)
    att = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d // heads)
    if mask is not None:
        att = att + mask
    att = np.exp(att - att.max(-1, keepdims=True))
    att /= att.sum(-1, keepdims=True)
    o = (att @ v).transpose(0, 2, 1, 3).reshape(b, n, d)
    x = x + _linear(o, p[prefix + "proj.weight"], p[prefix + "proj.bias"])
    h = _layer_norm(x, p[prefix + "norm2.weight"], p[prefix + "norm2.bias"])
    h = _gelu(_linear(h, p[prefix + "fc1.weight"], p[prefix + "fc1.bias"]))
    return x + _linear(h, p[prefix + "fc2.weight"], p[prefix + "fc2.bias"])


def numpy_forward(points: np.ndarray, weights: dict[str, np.ndarray], config: NetworkConfig) -> np.ndarray:
    """The same forward pass as the torch module, in numpy float32."""
    p = weights
    points = points.astype(np.float32)
    b, t, k, _ = points.shape
    mask = (points[..., 2:3] > 0).astype(np.float32)
    x = (
        _linear(np.concatenate([points * mask, mask], -1), p["point_embed.weight"], p["point_embed.bias"])
        + p["point_pos"]
    )
    local = config.tokens == "parts" and config.local
    x = _block(x.reshape(b * t, k, -1), p, "spatial.", 4, part_masks()[0] if local else None).reshape(b, t, k, -1)
    if config.tokens == "parts":
        return _numpy_parts(x, p, config)
    x = _linear(x.reshape(b, t, -1), p["frame_embed.weight"], p["frame_embed.bias"]) + p["time_pos"][:t]
    for i in range(config.layers):
        x = _block(x, p, f"temporal.{i}.", config.heads)
    x = _layer_norm(x, p["norm.weight"], p["norm.bias"])
    return _linear(x, p["head.weight"], p["head.bias"])


def _numpy_parts(x: np.ndarray, p: dict[str, np.ndarray], config: NetworkConfig) -> np.ndarray:
    """The ``parts`` layout after the spatial layer: (B, T, 26, spatial_dim) -> (B, T, output_size)."""
    b, t = x.shape[:2]
    n = len(PARTS)
    frame = x
    x = np.stack(
        [
            _linear(x[:, :, part_points(i)].reshape(b, t, -1), p[f"part_embed.{i}.weight"], p[f"part_embed.{i}.bias"])
            for i in range(n)
        ],
        2,
    )
    if config.whole_frame:
        x = x + _linear(frame.reshape(b, t, -1), p["frame_embed.weight"], p["frame_embed.bias"])[:, :, None]
    x = x + p["part_pos"] + p["time_pos"][:t, None]
    d = x.shape[-1]
    across = part_masks()[1] if config.local else None
    for i in range(config.layers):
        x = _block(x.reshape(b * t, n, d), p, f"across.{i}.", config.heads, across).reshape(b, t, n, d)
        x = x.transpose(0, 2, 1, 3).reshape(b * n, t, d)
        x = _block(x, p, f"temporal.{i}.", config.heads).reshape(b, n, t, d).transpose(0, 2, 1, 3)
    x = _layer_norm(x, p["norm.weight"], p["norm.bias"])
    out = np.concatenate([_linear(x[:, :, i], p[f"head.{i}.weight"], p[f"head.{i}.bias"]) for i in range(n)], -1)
    return out[..., part_order(config)]


# ----------------------------------------------------------------------------------------------------- files


class WeightsError(ValueError):
    """Weights that cannot be loaded; the message is one line naming the file."""


def save_weights(path: str | Path, arrays: dict[str, np.ndarray], config: NetworkConfig, card: dict) -> None:
    """``path`` (.npz, no pickles) and its card ``path.json`` (config, data, training, metrics)."""
    path = Path(path)
    meta = {"format": WEIGHTS_FORMAT, "config": asdict(config)}
    np.savez(path, __meta__=np.array(json.dumps(meta)), **arrays)
    path.with_suffix(".json").write_text(json.dumps({**card, **meta}, indent=2) + "\n")


def check_stride(path: str | Path, stride: int, window: int) -> None:
    """Raise ``WeightsError`` naming ``path`` unless ``stride`` is 0 (half a window) or 1 .. ``window`` - 1."""
    if not 0 <= stride < window:
        raise WeightsError(f"{path}: window stride {stride} should be 0 (half a window) or 1-{window - 1}")


def load_weights(path: str | Path) -> tuple[dict[str, np.ndarray], NetworkConfig]:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise WeightsError(f"{path}: the weights file is missing") from None
    except Exception as exc:  # a corrupt zip raises many kinds of errors
        raise WeightsError(f"{path}: not a readable weights file ({' '.join(str(exc).split())[:100]})") from None
    try:
        meta = json.loads(str(arrays.pop("__meta__")))
        config = NetworkConfig(**meta["config"])
    except (KeyError, TypeError, ValueError):
        raise WeightsError(f"{path}: no weights metadata (not a Pose Uplift weights file)") from None
    if config.tokens not in ("frame", "parts"):
        raise WeightsError(f"{path}: network layout {config.tokens!r} unknown to this version")
    check_stride(path, config.stride, config.window)
    for option in ("whole_frame", "local"):
        if getattr(config, option) and config.tokens != "parts":
            raise WeightsError(f"{path}: {option} is an option of the parts layout, not of {config.tokens!r}")
    if meta.get("format") != WEIGHTS_FORMAT:
        raise WeightsError(f"{path}: weights format {meta.get('format')!r}, this version reads {WEIGHTS_FORMAT!r}")
    expected = torch_free_shapes(config)
    for name, shape in expected.items():
        if name not in arrays or arrays[name].shape != shape:
            got = arrays[name].shape if name in arrays else "missing"
            raise WeightsError(f"{path}: weight {name} should be {shape}, is {got}")
    return {k: v.astype(np.float32) for k, v in arrays.items()}, config


def torch_free_shapes(config: NetworkConfig) -> dict[str, tuple[int, ...]]:
    """The shape of every weight, without torch (for validating a weights file)."""
    shapes: dict[str, tuple[int, ...]] = {
        "point_embed.weight": (config.spatial_dim, 4),
        "point_embed.bias": (config.spatial_dim,),
        "point_pos": (NUM_KEYPOINTS, config.spatial_dim),
        "time_pos": (config.window, config.dim),
        "norm.weight": (config.dim,),
        "norm.bias": (config.dim,),
    }
    blocks = [("spatial.", config.spatial_dim, 2 * config.spatial_dim)]
    blocks += [(f"temporal.{i}.", config.dim, config.mlp) for i in range(config.layers)]
    if config.tokens == "parts":
        shapes["part_pos"] = (len(PARTS), config.dim)
        for i in range(len(PARTS)):
            shapes[f"part_embed.{i}.weight"] = (config.dim, len(part_points(i)) * config.spatial_dim)
            shapes[f"part_embed.{i}.bias"] = (config.dim,)
            shapes[f"head.{i}.weight"] = (len(part_outputs(i, config)), config.dim)
            shapes[f"head.{i}.bias"] = (len(part_outputs(i, config)),)
        blocks += [(f"across.{i}.", config.dim, config.mlp) for i in range(config.layers)]
    if config.tokens != "parts" or config.whole_frame:
        shapes["frame_embed.weight"] = (config.dim, NUM_KEYPOINTS * config.spatial_dim)
        shapes["frame_embed.bias"] = (config.dim,)
    if config.tokens != "parts":
        shapes["head.weight"] = (config.output_size, config.dim)
        shapes["head.bias"] = (config.output_size,)
    for prefix, dim, mlp in blocks:
        shapes.update(
            {
                prefix + "norm1.weight": (dim,),
                prefix + "norm1.bias": (dim,),
                prefix + "qkv.weight": (3 * dim, dim),
                prefix + "qkv.bias": (3 * dim,),
                prefix + "proj.weight": (dim, dim),
                prefix + "proj.bias": (dim,),
                prefix + "norm2.weight": (dim,),
                prefix + "norm2.bias": (dim,),
                prefix + "fc1.weight": (mlp, dim),
                prefix + "fc1.bias": (mlp,),
                prefix + "fc2.weight": (dim, mlp),
                prefix + "fc2.bias": (dim,),
            }
        )
    return shapes
