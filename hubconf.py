"""torch.hub entry points: ``torch.hub.load("<owner>/attnlib", "resnet50", attention="eca")``.

Each entry builds an attnlib ResNet with one channel attention module per residual block (or none:
``attention=None``). There are no pretrained attnlib weights to download; ``weights=`` takes
torchvision's ImageNet weights for the backbone (the modules stay freshly initialised, as in the
paper's Sect. 4.2 — pass ``identity_init=True`` to start from the pretrained network's function).
"""

from __future__ import annotations

from typing import Any

dependencies = ["torch", "torchvision"]


def _imagenet(depth: int, attention: str | None, weights: Any, identity_init: bool, **options: Any) -> Any:
    from attnlib import build_model, load_pretrained, retrofit

    if weights is None:
        return build_model(f"resnet{depth}", attention=attention, **options)
    network = load_pretrained(build_model(f"resnet{depth}", **options), weights)
    return retrofit(network, attention, identity_init=identity_init) if attention else network


def resnet18(attention: str | None = "se", weights: Any = None, identity_init: bool = False, **options: Any) -> Any:
    """ResNet-18 with ``attention`` (ab, eca, se, srm, multise or None) in every block."""
    return _imagenet(18, attention, weights, identity_init, **options)


def resnet34(attention: str | None = "se", weights: Any = None, identity_init: bool = False, **options: Any) -> Any:
    """ResNet-34 with ``attention`` in every block."""
    return _imagenet(34, attention, weights, identity_init, **options)


def resnet50(attention: str | None = "se", weights: Any = None, identity_init: bool = False, **options: Any) -> Any:
    """ResNet-50 with ``attention`` in every block."""
    return _imagenet(50, attention, weights, identity_init, **options)


def resnet101(attention: str | None = "se", weights: Any = None, identity_init: bool = False, **options: Any) -> Any:
    """ResNet-101 with ``attention`` in every block."""
    return _imagenet(101, attention, weights, identity_init, **options)


def resnet152(attention: str | None = "se", weights: Any = None, identity_init: bool = False, **options: Any) -> Any:
    """ResNet-152 with ``attention`` in every block."""
    return _imagenet(152, attention, weights, identity_init, **options)


def cifar_resnet(depth: int = 56, attention: str | None = "se", block: str = "basic", **options: Any) -> Any:
    """A CIFAR ResNet (depth 6n+2 basic, 9n+2 bottleneck) with ``attention`` in every block."""
    from attnlib import build_model

    return build_model(f"cifar_resnet{depth}", attention=attention, block=block, **options)
