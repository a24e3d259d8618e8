"""Helpers shared by the attention modules: input validation and the squeeze (Eq. 1)."""

from __future__ import annotations

import torch


def check_feature_map(x: torch.Tensor, channels: int, module: str) -> None:
    """Raise one clear ValueError when ``x`` is not an (N, channels, H, W) feature map.

    Every module validates its input so that a block wired with the wrong channel count fails
    at the first forward with the expected shape named, instead of deep inside a matmul.
    """
    if x.dim() != 4 or x.shape[1] != channels:
        raise ValueError(
            f"{module} expects a feature map of shape (N, C={channels}, H, W), got a tensor of shape {tuple(x.shape)}"
        )


def squeeze(x: torch.Tensor) -> torch.Tensor:
    """Spatial mean z of Eq. (1), kept as (N, C, 1, 1) so it broadcasts back onto ``x``."""
    return x.mean((2, 3), keepdim=True)
