"""Attention Bias (AB), the module proposed by Klomp et al. (2023), Sect. 3.

AB recalibrates each channel by adding an input-dependent bias instead of multiplying by a
sigmoid gate:  ``out = x + Z ∘ W``  with Z the spatial mean of x (Eq. 1) and W ∈ R^C (Eq. 2).
W is initialised to zero, so a freshly inserted AB module is an exact identity: that is what lets
it be added to a pretrained network without changing its predictions (Sect. 3.3, Table 3).
"""

from __future__ import annotations

import torch
from torch import nn

from attnlib.attention._common import check_feature_map


class AttentionBias(nn.Module):
    """Attention Bias: ``x + mean_hw(x) * weight`` with a per-channel weight initialised to 0.

    Args:
        channels: number of channels C of the feature map it recalibrates.
        device, dtype: where and in which dtype to create the weight (``torch.nn`` factory keywords,
            which timm passes to attention layers).
    """

    # The signature every module shares, on purpose (the registry, retrofit and timm rely on it):
    # channels first, options as keywords, torch.nn factory keywords last.
    def __init__(
        self, channels: int, *, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> None:
        super().__init__()
        self.channels = channels
        self.weight = nn.Parameter(torch.zeros(channels, device=device, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_feature_map(x, self.channels, type(self).__name__)
        # The (N, C, 1, 1) bias is formed first, so the full-size tensor is touched only by one
        # broadcast add: the whole module is one reduction and one elementwise pass over x. The small
        # bias is cast to x's dtype: under bf16/fp16 autocast the fp32 weight would otherwise promote
        # the whole feature map (and the layers after it) to fp32.
        bias = x.mean((2, 3), keepdim=True) * self.weight.view(1, -1, 1, 1)
        return x + bias.to(x.dtype)

    def extra_repr(self) -> str:
        return f"channels={self.channels}"
