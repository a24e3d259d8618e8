"""Style-based Recalibration Module (SRM), Lee et al., ICCV 2019.

Style pooling takes each channel's mean and standard deviation t = [μ, σ] ∈ R^{C×2}; a channel-wise
fully connected layer (CFC, weights (C, 2), no bias) mixes them, z = μ·w₀ + σ·w₁, followed by
BatchNorm and a sigmoid gate: ``x · σ(BN(z))``. Parameters per module: 4C (CFC 2C + BN γ, β 2C).

Numerically safe standard deviation: the SRM and Klomp et al. code use ``x.std()`` (unbiased, no
epsilon), which divides by H·W − 1 and so returns NaN on a 1×1 map (e.g. the last stage of an
ImageNet ResNet fed a 32-px image) and has an unbounded gradient where the variance is 0. We use
σ = sqrt(var + ε) with the unbiased variance when H·W > 1 and the (zero) biased one on a 1×1 map.
For H·W > 1 and ε → 0 this is exactly the paper's operation.
"""

from __future__ import annotations

import torch
from torch import nn

from attnlib.attention._common import add_gate_affine, check_feature_map, sigmoid_gate


def style_pool(x: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and safe standard deviation of an (N, C, H, W) map, each (N, C, 1, 1).

    Two-pass (mean, then the norm of the centred map) for accuracy; ``torch.linalg.vector_norm``
    fuses square-and-sum into one reduction, which on CPU is ~18× faster than ``torch.var_mean``
    over the spatial dims (``attnlib bench modules`` measures it).
    """
    count = x.shape[2] * x.shape[3]
    mean = x.mean((2, 3), keepdim=True)
    norm = torch.linalg.vector_norm(x - mean, dim=(2, 3), keepdim=True)
    var = norm * norm / max(count - 1, 1)
    return mean, torch.sqrt(var + eps)


class StyleRecalibration(nn.Module):
    """SRM: style pooling [mean, std], channel-wise FC, BatchNorm and a sigmoid gate.

    Args:
        channels: number of channels C.
        eps: added to the variance before the square root (see module docstring).
        identity_init: gate a·σ(·) + b with a = 0, b = 1, an exact identity at init (for retrofitting).
    """

    def __init__(self, channels: int, *, eps: float = 1e-5, identity_init: bool = False) -> None:
        super().__init__()
        self.channels = channels
        self.eps = eps
        # Zero-initialised as in the SRM reference code: the gate starts at σ(BN(0)) = 0.5.
        self.cfc = nn.Parameter(torch.zeros(channels, 2))
        self.bn = nn.BatchNorm2d(channels)
        add_gate_affine(self, channels, identity_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_feature_map(x, self.channels, type(self).__name__)
        mean, std = style_pool(x, self.eps)
        weight = self.cfc.view(1, self.channels, 2, 1)
        z = mean * weight[:, :, 0:1] + std * weight[:, :, 1:2]
        return x * sigmoid_gate(self, self.bn(z))

    def extra_repr(self) -> str:
        return f"channels={self.channels}, eps={self.eps}"
