"""The uplifting network as torch modules (see :mod:`.network` for what it computes and the numpy twin). Imported
only where PyTorch is installed: the extension runs without it."""

from __future__ import annotations

import torch
from torch import nn

from .keypoints import NUM_KEYPOINTS
from .network import PARTS, NetworkConfig, part_masks, part_order, part_outputs, part_points


class Block(nn.Module):
    """Pre-norm transformer layer: multi-head self-attention, then a GELU MLP, each with a residual (``dropout``:
    on each branch's output and the attention weights, in training only)."""

    def __init__(self, dim: int, heads: int, mlp: int, dropout: float = 0.0):
        super().__init__()
        self.dropout = dropout
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)
        self.heads = heads

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``mask``: an additive (n, n) attention mask (0 allowed, -inf not), or None."""
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        p = self.dropout if self.training else 0.0
        if x.device.type != "cpu" or (not self.training and q.shape[-1] >= 16):
            att = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        else:
            # on the CPU plain matmuls run narrow heads (the spatial layer's 8) 2x faster than the fused kernel, and a
            # training step (forward and backward, any head) about a fifth faster
            scores = (q @ k.transpose(-1, -2)) * q.shape[-1] ** -0.5
            weights = (scores if mask is None else scores + mask).softmax(-1)
            att = nn.functional.dropout(weights, p, self.training) @ v
        x = x + nn.functional.dropout(self.proj(att.transpose(1, 2).reshape(b, n, d)), p, self.training)
        mlp = self.fc2(nn.functional.gelu(self.fc1(self.norm2(x)), approximate="tanh"))
        return x + nn.functional.dropout(mlp, p, self.training)


class UpliftNet(nn.Module):
    """Points (B, T, 26, 3) -> (B, T, output_size): a spatial layer per frame, then temporal layers (with
    ``cfg.tokens == "parts"`` one token per body part, layers across the parts and across the frames; see
    :mod:`.network`). ``dropout`` (training only; the weights and the numpy twin do not depend on it) regularises the
    temporal layers."""

    def __init__(self, cfg: NetworkConfig, dropout: float = 0.0):
        super().__init__()
        self.config = cfg
        self.point_embed = nn.Linear(4, cfg.spatial_dim)
        self.point_pos = nn.Parameter(torch.zeros(NUM_KEYPOINTS, cfg.spatial_dim))
        self.spatial = Block(cfg.spatial_dim, 4, 2 * cfg.spatial_dim)
        if cfg.tokens == "frame":  # created first: a seed gives the same weights as before the parts layout
            self.frame_embed = nn.Linear(NUM_KEYPOINTS * cfg.spatial_dim, cfg.dim)
        self.time_pos = nn.Parameter(torch.zeros(cfg.window, cfg.dim))
        self.temporal = nn.ModuleList([Block(cfg.dim, cfg.heads, cfg.mlp, dropout) for _ in range(cfg.layers)])
        self.norm = nn.LayerNorm(cfg.dim)
        self.head: nn.Module
        self.order: torch.Tensor
        if cfg.tokens == "parts":
            n = len(PARTS)
            self.part_embed = nn.ModuleList(
                [nn.Linear(len(part_points(i)) * cfg.spatial_dim, cfg.dim) for i in range(n)]
            )
            self.part_pos = nn.Parameter(torch.zeros(n, cfg.dim))
            self.across = nn.ModuleList([Block(cfg.dim, cfg.heads, cfg.mlp, dropout) for _ in range(cfg.layers)])
            self.head = nn.ModuleList([nn.Linear(cfg.dim, len(part_outputs(i, cfg))) for i in range(n)])
            self.register_buffer("order", torch.as_tensor(part_order(cfg)), persistent=False)
            self.parts = [torch.as_tensor(part_points(i)) for i in range(n)]
            nn.init.normal_(self.part_pos, std=0.02)
            if cfg.whole_frame:
                self.frame_embed = nn.Linear(NUM_KEYPOINTS * cfg.spatial_dim, cfg.dim)
        else:
            self.head = nn.Linear(cfg.dim, cfg.output_size)
        self.spatial_mask: torch.Tensor | None
        self.across_mask: torch.Tensor | None
        masks = [torch.as_tensor(m) for m in part_masks()] if cfg.tokens == "parts" and cfg.local else [None, None]
        self.register_buffer("spatial_mask", masks[0], persistent=False)
        self.register_buffer("across_mask", masks[1], persistent=False)
        nn.init.normal_(self.point_pos, std=0.02)
        nn.init.normal_(self.time_pos, std=0.02)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """(B, T, 26, 3) normalised points -> (B, T, output_size)."""
        b, t, k, _ = points.shape
        mask = (points[..., 2:3] > 0).to(points.dtype)
        x = self.point_embed(torch.cat([points * mask, mask], -1)) + self.point_pos
        x = self.spatial(x.reshape(b * t, k, -1), self.spatial_mask).reshape(b, t, k, -1)
        if self.config.tokens == "parts":
            return self._parts(x)
        x = self.frame_embed(x.reshape(b, t, -1)) + self.time_pos[:t]
        for block in self.temporal:
            x = block(x)
        return self.head(self.norm(x))

    def _parts(self, x: torch.Tensor) -> torch.Tensor:
        b, t = x.shape[:2]
        n, d = len(PARTS), self.config.dim
        frame = x
        x = torch.stack([embed(x[:, :, idx].reshape(b, t, -1)) for embed, idx in zip(self.part_embed, self.parts)], 2)
        if self.config.whole_frame:
            x = x + self.frame_embed(frame.reshape(b, t, -1))[:, :, None]
        x = x + self.part_pos + self.time_pos[:t, None]
        for across, temporal in zip(self.across, self.temporal):
            x = across(x.reshape(b * t, n, d), self.across_mask).reshape(b, t, n, d)
            x = temporal(x.transpose(1, 2).reshape(b * n, t, d)).reshape(b, n, t, d).transpose(1, 2)
        x = self.norm(x)
        heads = self.head
        assert isinstance(heads, nn.ModuleList)
        return torch.cat([head(x[:, :, i]) for i, head in enumerate(heads)], -1)[..., self.order]
