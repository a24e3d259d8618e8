"""Efficient Channel Attention (ECA), Wang et al., CVPR 2020 (ECA-Net).

ECA replaces SE's two fully connected layers by one 1-D convolution of kernel size k across the
channel axis of the squeezed vector z (no bias), followed by a sigmoid gate: ``x · σ(conv1d(z))``.
Klomp et al. fix k = 3; ECA-Net's adaptive rule  k = |log2(C)/γ + b/γ|  rounded to the nearest odd
number (γ = 2, b = 1) is available as ``kernel_size="adaptive"``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from attnlib.attention._common import add_gate_affine, check_feature_map, factory_kwargs, recalibrate, sigmoid_gate


def adaptive_kernel_size(channels: int, gamma: float = 2.0, beta: float = 1.0) -> int:
    """ECA-Net's channel-dependent kernel size: the odd number nearest |log2(C)/γ + β/γ|."""
    size = int(abs((math.log2(channels) + beta) / gamma))
    return size if size % 2 else size + 1


class EfficientChannelAttention(nn.Module):
    """ECA: sigmoid gate from a bias-free 1-D convolution over the channels of z.

    Args:
        channels: number of channels C.
        kernel_size: odd kernel size of the channel convolution (paper: 3), or ``"adaptive"``
            for ECA-Net's rule.
        gamma, beta: parameters of the adaptive rule, ignored for an integer kernel size.
        identity_init: gate a·σ(·) + b with a = 0, b = 1, an exact identity at init (for retrofitting).
        device, dtype: ``torch.nn`` factory keywords for the parameters (timm passes them).
    """

    # The signature every module shares, on purpose (the registry, retrofit and timm rely on it):
    # channels first, options as keywords, torch.nn factory keywords last.
    def __init__(
        self,
        channels: int,
        kernel_size: int | str = 3,
        *,
        gamma: float = 2.0,
        beta: float = 1.0,
        identity_init: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if kernel_size == "adaptive":
            kernel_size = adaptive_kernel_size(channels, gamma, beta)
        if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"ECA kernel_size must be a positive odd int or 'adaptive', got {kernel_size!r}")
        self.channels = channels
        self.kernel_size = kernel_size
        self.conv = nn.Conv1d(1, 1, kernel_size, padding=kernel_size // 2, bias=False, **factory_kwargs(device, dtype))
        add_gate_affine(self, channels, identity_init, device, dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_feature_map(x, self.channels, type(self).__name__)
        batch = x.shape[0]
        z = x.mean((2, 3)).view(batch, 1, self.channels)
        gate = sigmoid_gate(self, self.conv(z).view(batch, self.channels)).view(batch, self.channels, 1, 1)
        return recalibrate(x, gate)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, kernel_size={self.kernel_size}"
