"""Squeeze-and-Excitation (SE), Hu et al., CVPR 2018.

``x · σ(W2 ReLU(W1 z + b1) + b2)`` with W1 ∈ R^{C/r × C}, W2 ∈ R^{C × C/r} and reduction r = 16,
as used throughout Klomp et al. (2023). Parameters per module: 2C²/r + C/r + C.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from attnlib.attention._common import add_gate_affine, check_feature_map, factory_kwargs, recalibrate, sigmoid_gate


def reduced_channels(channels: int, reduction: int) -> int:
    """Hidden width C/r of an SE bottleneck, at least one unit."""
    if reduction < 1:
        raise ValueError(f"reduction must be >= 1, got {reduction}")
    return max(1, channels // reduction)


class SqueezeExcitation(nn.Module):
    """SE: two fully connected layers (C → C/r → C, with biases) and a sigmoid gate.

    Args:
        channels: number of channels C.
        reduction: reduction ratio r of the hidden layer (paper: 16).
        identity_init: gate a·σ(·) + b with a = 0, b = 1, an exact identity at init (for retrofitting).
        device, dtype: ``torch.nn`` factory keywords for the parameters (timm passes them).
    """

    # The signature every module shares, on purpose (the registry, retrofit and timm rely on it):
    # channels first, options as keywords, torch.nn factory keywords last.
    def __init__(
        self,
        channels: int,
        reduction: int = 16,
        *,
        identity_init: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.channels = channels
        self.reduction = reduction
        hidden = reduced_channels(channels, reduction)
        factory = factory_kwargs(device, dtype)
        self.fc1 = nn.Linear(channels, hidden, **factory)
        self.fc2 = nn.Linear(hidden, channels, **factory)
        add_gate_affine(self, channels, identity_init, device, dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_feature_map(x, self.channels, type(self).__name__)
        z = x.mean((2, 3))
        gate = sigmoid_gate(self, self.fc2(F.relu(self.fc1(z), inplace=True)))
        return recalibrate(x, gate.view(x.shape[0], self.channels, 1, 1))

    def extra_repr(self) -> str:
        return f"channels={self.channels}, reduction={self.reduction}"
