"""Style-based Recalibration Module (SRM), Lee et al., ICCV 2019.

Style pooling takes each channel's mean and standard deviation t = [μ, σ] ∈ R^{C×2}; a channel-wise
fully connected layer (CFC, weights (C, 2), no bias) mixes them, z = μ·w₀ + σ·w₁, followed by
BatchNorm and a sigmoid gate: ``x · σ(BN(z))``. Parameters per module: 4C (CFC 2C + BN γ, β 2C).

Numerically safe standard deviation: the SRM and Klomp et al. code use ``x.std()`` (unbiased, no
epsilon), which divides by H·W − 1 and so returns NaN on a 1×1 map (e.g. the last stage of an
ImageNet ResNet fed a 32-px image) and has an unbounded gradient where the variance is 0. We use
σ = sqrt(var + ε) with the unbiased variance when H·W > 1 and the (zero) biased one on a 1×1 map.
For H·W > 1 and ε → 0 this is exactly the paper's operation.

Reduced precision: the norm of the centred map is accumulated and returned in fp32 and divided by
sqrt(H·W − 1) *before* squaring, so fp16/bf16 inputs neither overflow (in fp16, ‖x − μ‖² exceeds
65504 once σ > 4.6 on a 56×56 map) nor lose the statistic; σ is cast back to the input's dtype.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from attnlib.attention._common import (
    add_gate_affine,
    check_feature_map,
    factory_kwargs,
    is_tracing,
    recalibrate,
    sigmoid_gate,
)


def style_pool(x: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and safe standard deviation of an (N, C, H, W) map, each (N, C, 1, 1).

    Two-pass (mean, then the norm of the centred map) for accuracy; ``torch.linalg.vector_norm``
    fuses square-and-sum into one reduction, which on CPU is ~18× faster than ``torch.var_mean``
    over the spatial dims (``attnlib bench modules`` measures it).
    """
    count = x.shape[2] * x.shape[3]
    mean = x.mean((2, 3), keepdim=True)
    accumulate = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else None
    norm = torch.linalg.vector_norm(x - mean, dim=(2, 3), keepdim=True, dtype=accumulate)
    scaled = norm / math.sqrt(max(count - 1, 1))  # = sqrt(unbiased var), never squared in low precision
    return mean, torch.sqrt(scaled * scaled + eps).to(x.dtype)


# torch.fx records style_pool as one call (a leaf): its dtype and size arithmetic are Python, not graph
# operations. Dynamo-based tools (torch.export, torch.compile) trace through it as usual.
torch.fx.wrap("style_pool")


class StyleRecalibration(nn.Module):
    """SRM: style pooling [mean, std], channel-wise FC, BatchNorm and a sigmoid gate.

    Args:
        channels: number of channels C.
        eps: added to the variance before the square root (see module docstring).
        identity_init: gate a·σ(·) + b with a = 0, b = 1, an exact identity at init (for retrofitting).
        device, dtype: ``torch.nn`` factory keywords for the parameters (timm passes them).
    """

    # The signature every module shares, on purpose (the registry, retrofit and timm rely on it):
    # channels first, options as keywords, torch.nn factory keywords last.
    def __init__(
        self,
        channels: int,
        *,
        eps: float = 1e-5,
        identity_init: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.channels = channels
        self.eps = eps
        factory = factory_kwargs(device, dtype)
        # Zero-initialised as in the SRM reference code: the gate starts at σ(BN(0)) = 0.5.
        self.cfc = nn.Parameter(torch.zeros(channels, 2, **factory))
        self.bn = nn.BatchNorm2d(channels, **factory)
        add_gate_affine(self, channels, identity_init, device, dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_feature_map(x, self.channels, type(self).__name__)
        if self.training and not is_tracing() and x.shape[0] == 1:
            raise ValueError(
                "StyleRecalibration (SRM) in training mode needs a batch of at least 2 feature maps: its "
                "BatchNorm normalises the style vector z, shape (N, C, 1, 1), over the batch, which is undefined "
                "for N = 1. Call .eval() for single-image inference, or train with batch size >= 2."
            )
        mean, std = style_pool(x, self.eps)
        weight = self.cfc.view(1, self.channels, 2, 1)
        z = mean * weight[:, :, 0:1] + std * weight[:, :, 1:2]
        return recalibrate(x, sigmoid_gate(self, self.bn(z)))

    def extra_repr(self) -> str:
        return f"channels={self.channels}, eps={self.eps}"
