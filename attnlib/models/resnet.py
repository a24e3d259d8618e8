"""ResNets with one channel attention module per residual block (Klomp et al. 2023, Sect. 4).

The ImageNet networks are ResNet v1.5 (stride on the 3×3 convolution of the bottleneck) with the
state-dict key names of ``torchvision.models.resnet``, so a torchvision checkpoint loads into them
with only the attention parameters (``layerX.Y.attention.*``) missing. The CIFAR networks follow
He et al. (2016, Sect. 4.2): a 3×3 stem with 16 channels and three stages of 16/32/64 planes, with
basic blocks (depth 6n + 2) or bottleneck blocks of expansion 4 (depth 9n + 2), as in Table 1.

The attention module sits after the block's last BatchNorm and before the residual addition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from attnlib import attention as attention_registry
from attnlib.attention._common import is_tracing

AttentionSpec = str | type[nn.Module] | None
AttentionFactory = Callable[[int], nn.Module]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """3×3 convolution with padding 1 and no bias (BatchNorm follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1×1 convolution with no bias (BatchNorm follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


def attention_factory(attention: AttentionSpec, options: dict[str, Any] | None = None) -> AttentionFactory:
    """Return ``channels -> module``: the named attention module, or ``nn.Identity`` for the baseline."""
    if attention is None or (isinstance(attention, str) and attention.lower() in ("baseline", "none")):
        return lambda channels: nn.Identity()
    attention_class = attention_registry.resolve(attention)
    options = dict(options or {})
    return lambda channels: attention_registry.create(attention_class, channels, **options)


class BasicBlock(nn.Module):
    """Two 3×3 convolutions; ``attention`` acts on the second BatchNorm's output."""

    # BasicBlock and Bottleneck keep torchvision's constructor and attribute names on purpose
    # (state-dict compatibility with its weights), so their openings look alike.

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        make_attention: AttentionFactory | None = None,
    ) -> None:
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu_out = nn.ReLU(inplace=True)  # one activation module per use: PT2E quantizers need it
        self.attention = (make_attention or attention_factory(None))(planes * self.expansion)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.attention(self.bn2(self.conv2(out)))
        return self.relu_out(out + identity)


class Bottleneck(nn.Module):
    """1×1 → 3×3 (stride here: v1.5) → 1×1 expanding by 4; ``attention`` acts on bn3's output."""

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        make_attention: AttentionFactory | None = None,
    ) -> None:
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        # one activation module per use (torchvision shares one): PT2E's int8 quantizers need it
        self.relu2 = nn.ReLU(inplace=True)
        self.relu_out = nn.ReLU(inplace=True)
        self.attention = (make_attention or attention_factory(None))(planes * self.expansion)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.attention(self.bn3(self.conv3(out)))
        return self.relu_out(out + identity)


Block = type[BasicBlock] | type[Bottleneck]


class ResNet(nn.Module):
    """A ResNet with an ImageNet stem (7×7/2 conv + 3×3/2 max-pool) or a CIFAR stem (3×3 conv).

    Use :func:`attnlib.build_model` rather than this class directly.

    Args:
        block: ``BasicBlock`` or ``Bottleneck``.
        layers: number of blocks per stage.
        widths: planes of each stage (64/128/256/512 for ImageNet, 16/32/64 for CIFAR).
        num_classes: size of the final linear layer.
        stem: ``"imagenet"`` or ``"cifar"``.
        attention: attention module name or class for every block, or None for the baseline.
        attention_options: keyword options passed to every attention module.
        in_channels: channels of the input images (3 for colour, 1 for grayscale such as
            Fashion-MNIST); only the stem's first convolution changes.
    """

    def __init__(
        self,
        block: Block,
        layers: list[int],
        widths: list[int],
        num_classes: int,
        *,
        stem: str = "imagenet",
        attention: AttentionSpec = None,
        attention_options: dict[str, Any] | None = None,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        if in_channels < 1:
            raise ValueError(f"in_channels must be >= 1, got {in_channels}")
        self.in_channels = in_channels
        if stem not in ("imagenet", "cifar"):
            raise ValueError(f"stem must be 'imagenet' or 'cifar', got {stem!r}")
        make_attention = attention_factory(attention, attention_options)
        self.inplanes = widths[0]
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        else:
            self.conv1 = conv3x3(in_channels, self.inplanes)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1) if stem == "imagenet" else nn.Identity()
        for index, (planes, blocks) in enumerate(zip(widths, layers, strict=True)):
            stride = 1 if index == 0 else 2
            self.add_module(f"layer{index + 1}", self._make_layer(block, planes, blocks, stride, make_attention))
        self.num_stages = len(layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[-1] * block.expansion, num_classes)
        self._init_backbone()

    def _make_layer(
        self, block: Block, planes: int, blocks: int, stride: int, make_attention: AttentionFactory
    ) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        stage = [block(self.inplanes, planes, stride, downsample, make_attention)]
        self.inplanes = planes * block.expansion
        stage += [block(self.inplanes, planes, make_attention=make_attention) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def _init_backbone(self) -> None:
        """torchvision's initialisation for the backbone; attention modules keep their own.

        Skipped on the meta device (no values to set): there it costs more than building the network,
        and complexity counting builds every network on meta.
        """
        if any(parameter.is_meta for parameter in self.parameters()):
            return
        attention_parts = {id(m) for block in self.blocks() for m in block.attention.modules()}
        for module in self.modules():
            if id(module) in attention_parts:
                continue
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def blocks(self) -> list[BasicBlock | Bottleneck]:
        """All residual blocks in forward order (one attention module each)."""
        return [block for i in range(1, self.num_stages + 1) for block in getattr(self, f"layer{i}")]

    def attention_modules(self) -> list[nn.Module]:
        """The attention module of every block (``nn.Identity`` for the baseline)."""
        return [block.attention for block in self.blocks()]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Stem and residual stages, without pooling and classifier (for detection backbones)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(1, self.num_stages + 1):
            x = getattr(self, f"layer{i}")(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not is_tracing() and (x.dim() != 4 or x.shape[1] != self.in_channels):
            raise ValueError(f"ResNet expects images of shape (N, {self.in_channels}, H, W), got {tuple(x.shape)}")
        x = self.avgpool(self.forward_features(x))
        return self.fc(torch.flatten(x, 1))
