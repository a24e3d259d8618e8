"""Networks: ImageNet and CIFAR ResNets with attention modules, and the ``build_model`` builder."""

from __future__ import annotations

import re
from typing import Any

from attnlib.models.resnet import (
    AttentionSpec,
    BasicBlock,
    Bottleneck,
    ResNet,
    attention_factory,
)

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "ResNet",
    "attention_factory",
    "available_models",
    "build_model",
    "depth_from_model",
    "load_pretrained",
    "retrofit",
    "torchvision_top1",
]

# depth -> (block, blocks per stage); torchvision's table (He et al. 2016, Table 1).
IMAGENET_RESNETS: dict[int, tuple[type[BasicBlock] | type[Bottleneck], list[int]]] = {
    18: (BasicBlock, [2, 2, 2, 2]),
    34: (BasicBlock, [3, 4, 6, 3]),
    50: (Bottleneck, [3, 4, 6, 3]),
    101: (Bottleneck, [3, 4, 23, 3]),
    152: (Bottleneck, [3, 8, 36, 3]),
}
IMAGENET_WIDTHS = [64, 128, 256, 512]
CIFAR_WIDTHS = [16, 32, 64]
CIFAR_BLOCKS = {"basic": (BasicBlock, 6), "bottleneck": (Bottleneck, 9)}


def __getattr__(name: str) -> Any:
    """``retrofit`` and ``load_pretrained`` on first use: their module (:mod:`attnlib.models.retrofitting`)
    subclasses torchvision's blocks, and importing torchvision costs about two seconds (per process:
    every command, notebook kernel and worker) that building or counting a network never needs."""
    if name in ("retrofit", "load_pretrained"):
        from attnlib.models import retrofitting

        return getattr(retrofitting, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def available_models() -> tuple[str, ...]:
    """Model names accepted by :func:`build_model` (any depth 6n+2 / 9n+2 works for CIFAR)."""
    return (*tuple(f"resnet{depth}" for depth in IMAGENET_RESNETS), "cifar_resnet<depth>")


def depth_from_model(name: str) -> int:
    """Depth encoded in a model name: ``resnet50`` → 50, ``cifar_resnet56`` → 56."""
    return int("".join(ch for ch in name.split("_")[-1] if ch.isdigit()))


def torchvision_top1(depth: int) -> float:
    """ImageNet top-1 (%) that torchvision publishes for its ``IMAGENET1K_V1`` ResNet-``depth`` weights.

    The source of a deeper baseline's accuracy where neither the paper nor our records have one (Fig. 4,
    ``attnlib advise``): read from the weights' metadata, so nothing is downloaded.
    """
    import torchvision

    weights = torchvision.models.get_model_weights(f"resnet{depth}").IMAGENET1K_V1
    return float(weights.meta["_metrics"]["ImageNet-1K"]["acc@1"])


def cifar_blocks_per_stage(depth: int, block: str) -> int:
    """Blocks per stage of a CIFAR ResNet: depth = 6n + 2 (basic) or 9n + 2 (bottleneck)."""
    multiple = CIFAR_BLOCKS[block][1]
    per_stage, remainder = divmod(depth - 2, multiple)
    if remainder or per_stage < 1:
        raise ValueError(
            f"a CIFAR ResNet with {block} blocks needs depth {multiple}n+2 (e.g. {multiple * 6 + 2}), got {depth}"
        )
    return per_stage


def build_model(
    name: str,
    *,
    attention: AttentionSpec = None,
    num_classes: int | None = None,
    block: str | None = None,
    attention_options: dict[str, Any] | None = None,
    in_channels: int = 3,
) -> ResNet:
    """Build a ResNet with one attention module per residual block.

    Args:
        name: ``resnet18/34/50/101/152`` (ImageNet, v1.5, torchvision state-dict keys) or
            ``cifar_resnet<depth>``, e.g. ``cifar_resnet56``.
        attention: ``None``/``"baseline"``, a name from :func:`attnlib.attention.available`, or
            an ``nn.Module`` subclass taking the channel count first.
        num_classes: classifier size; defaults to 1000 (ImageNet) or 10 (CIFAR).
        block: ``"basic"`` (default, depth 6n+2) or ``"bottleneck"`` (depth 9n+2) for CIFAR
            ResNets; for ImageNet ResNets only the depth's own block type is accepted.
        attention_options: keyword options for every attention module (e.g. ``{"reduction": 8}``).
        in_channels: input image channels (3; 1 for grayscale images such as Fashion-MNIST). The
            state dict keeps its keys; only ``conv1.weight``'s input dimension changes.
    """
    key = name.lower()
    imagenet = re.fullmatch(r"resnet(\d+)", key)
    cifar = re.fullmatch(r"cifar_resnet(\d+)", key)
    if imagenet and int(imagenet.group(1)) in IMAGENET_RESNETS:
        block_class, layers = IMAGENET_RESNETS[int(imagenet.group(1))]
        own_block = "basic" if block_class is BasicBlock else "bottleneck"
        if block not in (None, own_block):
            raise ValueError(f"{name} is built from {own_block} blocks; block={block!r} is only for CIFAR ResNets")
        return ResNet(
            block_class,
            layers,
            IMAGENET_WIDTHS,
            num_classes or 1000,
            attention=attention,
            attention_options=attention_options,
            in_channels=in_channels,
        )
    if cifar:
        block = block or "basic"
        if block not in CIFAR_BLOCKS:
            raise ValueError(f"block must be 'basic' or 'bottleneck', got {block!r}")
        per_stage = cifar_blocks_per_stage(int(cifar.group(1)), block)
        return ResNet(
            CIFAR_BLOCKS[block][0],
            [per_stage] * 3,
            CIFAR_WIDTHS,
            num_classes or 10,
            stem="cifar",
            attention=attention,
            attention_options=attention_options,
            in_channels=in_channels,
        )
    raise ValueError(f"unknown model {name!r}; valid names are {', '.join(available_models())}")
