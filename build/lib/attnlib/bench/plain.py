"""Plain implementations of the five modules, written as the public reference code writes them.

They are the baseline our fast modules are measured against in ``attnlib bench modules``: an
``AdaptiveAvgPool2d`` squeeze, ``expand_as`` before the rescale, separate branches for Multi-SE,
and SRM's concatenated style vector. Same parameters, same function (``tests/test_bench.py``
checks it); only the speed differs.
"""

from __future__ import annotations

import torch
from torch import nn

from attnlib import attention


class PlainAB(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.weight = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c = x.shape[:2]
        z = self.pool(x).view(b, c) * self.weight
        return x + z.view(b, c, 1, 1).expand_as(x)


class PlainECA(nn.Module):
    def __init__(self, channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.conv = nn.Conv1d(1, 1, kernel_size, padding=(kernel_size - 1) // 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pool(x)
        y = self.conv(y.squeeze(-1).transpose(-1, -2)).transpose(-1, -2).unsqueeze(-1)
        return x * torch.sigmoid(y).expand_as(x)


class PlainSE(nn.Module):
    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(channels, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, channels), nn.Sigmoid()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c = x.shape[:2]
        y = self.fc(self.pool(x).view(b, c)).view(b, c, 1, 1)
        return x * y.expand_as(x)


class PlainSRM(nn.Module):
    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.cfc = nn.Parameter(torch.zeros(channels, 2))
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c = x.shape[:2]
        flat = x.reshape(b, c, -1)
        mean = flat.mean(-1, keepdim=True)
        std = (flat.var(-1, keepdim=True, correction=1 if flat.shape[-1] > 1 else 0) + self.eps).sqrt()
        t = torch.cat((mean, std), dim=2)
        z = (t * self.cfc[None, :, :]).sum(dim=2)[:, :, None, None]
        g = torch.sigmoid(self.bn(z))
        return x * g.expand_as(x)


class PlainMultiSE(nn.Module):
    def __init__(self, channels: int, reduction: int = 16, branches: int = 3) -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.branches = nn.ModuleList(
            nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, channels))
            for _ in range(branches)
        )
        self.assigner = nn.Linear(channels, branches, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c = x.shape[:2]
        z = self.pool(x).view(b, c)
        outputs = torch.stack([branch(z) for branch in self.branches], dim=2)
        weights = torch.softmax(self.assigner(z), dim=1).unsqueeze(1)
        y = torch.sigmoid((outputs * weights).sum(dim=2)).view(b, c, 1, 1)
        return x * y.expand_as(x)


PLAIN = {"ab": PlainAB, "eca": PlainECA, "se": PlainSE, "srm": PlainSRM, "multise": PlainMultiSE}


def plain_copy(module: nn.Module) -> nn.Module:
    """The plain implementation of an attnlib module, carrying the same weights."""
    channels = module.channels
    if isinstance(module, attention.AttentionBias):
        plain = PlainAB(channels)
        plain.weight.data.copy_(module.weight)
    elif isinstance(module, attention.EfficientChannelAttention):
        plain = PlainECA(channels, module.kernel_size)
        plain.conv.load_state_dict(module.conv.state_dict())
    elif isinstance(module, attention.SqueezeExcitation):
        plain = PlainSE(channels, module.reduction)
        plain.fc[0].load_state_dict(module.fc1.state_dict())
        plain.fc[2].load_state_dict(module.fc2.state_dict())
    elif isinstance(module, attention.StyleRecalibration):
        plain = PlainSRM(channels, module.eps)
        plain.cfc.data.copy_(module.cfc)
        plain.bn.load_state_dict(module.bn.state_dict())
    elif isinstance(module, attention.MultiSqueezeExcitation):
        plain = PlainMultiSE(channels, module.reduction, module.branches)
        h = module.hidden
        for b, branch in enumerate(plain.branches):
            branch[0].weight.data.copy_(module.fc1.weight[b * h : (b + 1) * h])
            branch[0].bias.data.copy_(module.fc1.bias[b * h : (b + 1) * h])
            branch[2].weight.data.copy_(module.fc2.weight[:, b * h : (b + 1) * h])
            branch[2].bias.data.copy_(module.fc2_bias[b])
        plain.assigner.load_state_dict(module.assigner.state_dict())
    else:
        raise ValueError(f"no plain implementation of {type(module).__name__}")
    return plain.train(module.training)
