"""The uplifting network: a sequence-to-sequence spatio-temporal transformer, in torch and in numpy.

One forward pass maps a window of ``NetworkConfig.window`` frames of normalised Halpe-26 points (x, y, confidence) to
``output_size`` numbers per frame of the window. A spatial transformer layer attends across the 26 points of each
frame; temporal transformer layers attend across the frames. The outputs, in order (``split_outputs``):

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

from .keypoints import NUM_KEYPOINTS
from .skeleton import NUM_JOINTS

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

    @property
    def rotation_size(self) -> int:
        return {"6d": 6, "quaternion": 4, "axis_angle": 3, "matrix": 9}[self.rotation]

    @property
    def output_size(self) -> int:
        return NUM_JOINTS * self.rotation_size + 3 + 3 + (NUM_JOINTS - 1)


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
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x @ w.T + b`` for (..., in) inputs as one 2-D matrix product: numpy 2.x runs stacked (3-D) matmuls
    several times slower than numpy 1.26 did, a plain 2-D product is fast in both."""
    return (x.reshape(-1, x.shape[-1]) @ w.T + b).reshape(*x.shape[:-1], w.shape[0])


def _block(x: np.ndarray, p: dict[str, np.ndarray], prefix: str, heads: int) -> np.ndarray:
    b, n, d = x.shape
    h = _layer_norm(x, p[prefix + "norm1.weight"], p[prefix + "norm1.bias"])
    qkv = _linear(h, p[prefix + "qkv.weight"], p[prefix + "qkv.bias"])
    q, k, v = qkv.reshape(b, n, 3, heads, d // heads).transpose(2, 0, 3, 1, 4)
    att = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d // heads)
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
    x = _block(x.reshape(b * t, k, -1), p, "spatial.", 4).reshape(b, t, -1)
    x = _linear(x, p["frame_embed.weight"], p["frame_embed.bias"]) + p["time_pos"][:t]
    for i in range(config.layers):
        x = _block(x, p, f"temporal.{i}.", config.heads)
    x = _layer_norm(x, p["norm.weight"], p["norm.bias"])
    return _linear(x, p["head.weight"], p["head.bias"])


# ----------------------------------------------------------------------------------------------------- files


class WeightsError(ValueError):
    """Weights that cannot be loaded; the message is one line naming the file."""


def save_weights(path: str | Path, arrays: dict[str, np.ndarray], config: NetworkConfig, card: dict) -> None:
    """``path`` (.npz, no pickles) and its card ``path.json`` (config, data, training, metrics)."""
    path = Path(path)
    meta = {"format": WEIGHTS_FORMAT, "config": asdict(config)}
    np.savez(path, __meta__=np.array(json.dumps(meta)), **arrays)
    path.with_suffix(".json").write_text(json.dumps({**card, **meta}, indent=2) + "\n")


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
        "frame_embed.weight": (config.dim, NUM_KEYPOINTS * config.spatial_dim),
        "frame_embed.bias": (config.dim,),
        "time_pos": (config.window, config.dim),
        "norm.weight": (config.dim,),
        "norm.bias": (config.dim,),
        "head.weight": (config.output_size, config.dim),
        "head.bias": (config.output_size,),
    }
    for prefix, dim, mlp in [("spatial.", config.spatial_dim, 2 * config.spatial_dim)] + [
        (f"temporal.{i}.", config.dim, config.mlp) for i in range(config.layers)
    ]:
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
