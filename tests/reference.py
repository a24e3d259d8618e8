"""Plain reference implementations of the five modules, written from the equations.

They read the parameters of an attnlib module but recompute its function step by step, one
branch and one channel-equation at a time, in float64, with none of attnlib's fusing or
broadcasting tricks. Equivalence with these is what "correct before fast" means here.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def spatial_mean(x: torch.Tensor) -> torch.Tensor:
    """Eq. (1): Z[n, c] = 1/(H·W) Σ_i Σ_j X[n, c, i, j]."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h * w).sum(dim=2) / (h * w)


def sigmoid(t: torch.Tensor) -> torch.Tensor:
    return 1.0 / (1.0 + torch.exp(-t))


def attention_bias(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Eq. (2) and Sect. 3.3: out = X + Z ∘ W."""
    x = x.double()
    z_prime = spatial_mean(x) * module.weight.double()
    return x + z_prime[:, :, None, None]


def eca(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """y_c = Σ_j w_j z_{c + j − k//2} (zero padded), out = X · σ(y)."""
    x = x.double()
    z = spatial_mean(x)
    kernel = module.conv.weight.double().flatten()
    k = kernel.numel()
    n, c = z.shape
    y = torch.zeros(n, c, dtype=torch.float64)
    for channel in range(c):
        for j in range(k):
            source = channel + j - k // 2
            if 0 <= source < c:
                y[:, channel] += kernel[j] * z[:, source]
    return x * sigmoid(y)[:, :, None, None]


def squeeze_excitation(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """out = X · σ(W2 ReLU(W1 z + b1) + b2)."""
    x = x.double()
    z = spatial_mean(x)
    hidden = torch.clamp(z @ module.fc1.weight.double().T + module.fc1.bias.double(), min=0)
    s = hidden @ module.fc2.weight.double().T + module.fc2.bias.double()
    return x * sigmoid(s)[:, :, None, None]


def style_recalibration(module: nn.Module, x: torch.Tensor, training: bool = False) -> torch.Tensor:
    """Style pooling [μ, σ], channel-wise FC, BatchNorm (running or batch statistics), sigmoid gate."""
    x = x.double()
    n, c, h, w = x.shape
    flat = x.reshape(n, c, h * w)
    mean = flat.sum(dim=2) / (h * w)
    denominator = h * w - 1 if h * w > 1 else 1
    std = torch.sqrt(((flat - mean[:, :, None]) ** 2).sum(dim=2) / denominator + module.eps)
    cfc = module.cfc.double()
    z = mean * cfc[:, 0] + std * cfc[:, 1]
    bn = module.bn
    if training:
        mu = z.mean(dim=0)
        var = ((z - mu) ** 2).mean(dim=0)
    else:
        mu, var = bn.running_mean.double(), bn.running_var.double()
    z_hat = (z - mu) / torch.sqrt(var + bn.eps) * bn.weight.double() + bn.bias.double()
    return x * sigmoid(z_hat)[:, :, None, None]


def multi_squeeze_excitation(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """B separate SE branches s_b, weights a = softmax(A z), out = X · σ(Σ_b a_b s_b)."""
    x = x.double()
    z = spatial_mean(x)
    h = module.hidden
    w1, c1 = module.fc1.weight.double(), module.fc1.bias.double()
    w2, c2 = module.fc2.weight.double(), module.fc2_bias.double()
    logits = z @ module.assigner.weight.double().T
    a = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    total = torch.zeros_like(z)
    for b in range(module.branches):
        hidden = torch.clamp(z @ w1[b * h : (b + 1) * h].T + c1[b * h : (b + 1) * h], min=0)
        s_b = hidden @ w2[:, b * h : (b + 1) * h].T + c2[b]
        total += a[:, b : b + 1] * s_b
    return x * sigmoid(total)[:, :, None, None]


REFERENCES = {
    "ab": attention_bias,
    "eca": eca,
    "se": squeeze_excitation,
    "srm": style_recalibration,
    "multise": multi_squeeze_excitation,
}


def randomise(module: nn.Module, seed: int = 0) -> nn.Module:
    """Give every parameter and BatchNorm buffer non-trivial values (init zeros hide bugs)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
        for name, buffer in module.named_buffers():
            if name.endswith("running_var"):
                buffer.copy_(torch.rand(buffer.shape, generator=generator) + 0.5)
            elif name.endswith("running_mean"):
                buffer.copy_(torch.randn(buffer.shape, generator=generator) * 0.1)
    return module


def adaptive_kernel_reference(channels: int, gamma: float = 2, beta: float = 1) -> int:
    """ECA-Net Eq. (12): k = |log2(C)/γ + b/γ|_odd, t = int(...), k = t if t odd else t + 1."""
    t = int(abs(math.log(channels, 2) / gamma + beta / gamma))
    return t if t % 2 else t + 1
