"""The five channel attention modules compared by Klomp et al. (2023) and a small registry.

Every module takes the channel count first and options as keywords, maps an (N, C, H, W) feature
map to one of the same shape, and is placed after the last BatchNorm of a residual block, before
the residual addition (paper Sect. 4).

>>> from attnlib import attention
>>> attention.available()
('ab', 'eca', 'se', 'srm', 'multise')
>>> attention.create("se", 256, reduction=8)
SqueezeExcitation(...)
"""

from __future__ import annotations

from typing import Any

from torch import nn

from attnlib import names
from attnlib.attention.ab import AttentionBias
from attnlib.attention.eca import EfficientChannelAttention, adaptive_kernel_size
from attnlib.attention.multise import MultiSqueezeExcitation
from attnlib.attention.se import SqueezeExcitation
from attnlib.attention.srm import StyleRecalibration

__all__ = [
    "BASELINE",
    "AttentionBias",
    "EfficientChannelAttention",
    "MultiSqueezeExcitation",
    "SqueezeExcitation",
    "StyleRecalibration",
    "adaptive_kernel_size",
    "attention_or_none",
    "available",
    "compared",
    "create",
    "display_name",
    "resolve",
]

_REGISTRY: dict[str, type[nn.Module]] = {
    "ab": AttentionBias,
    "eca": EfficientChannelAttention,
    "se": SqueezeExcitation,
    "srm": StyleRecalibration,
    "multise": MultiSqueezeExcitation,
}

BASELINE = names.BASELINE
"""The one spelling of "no attention module" in tables, records, options and registries."""

_DISPLAY_NAMES = {"ab": "AB", "eca": "ECA", "se": "SE", "srm": "SRM", "multise": "Multi-SE"}


def available() -> tuple[str, ...]:
    """Names accepted by :func:`create`, in the paper's order."""
    return tuple(_REGISTRY)


def compared() -> tuple[str, ...]:
    """The networks every comparison runs: :data:`BASELINE` first, then every module (paper's order)."""
    return (BASELINE, *available())


def attention_or_none(name: str | None) -> str | None:
    """``None`` for :data:`BASELINE` (or None), else the module name, as configs store it."""
    return None if name is None or name == BASELINE else name


def display_name(name: str) -> str:
    """The paper's spelling of a module name (``"multise"`` → ``"Multi-SE"``); baseline too."""
    if name in (None, BASELINE, "none"):
        return "Baseline"
    return _DISPLAY_NAMES.get(name, name)


def resolve(name_or_class: str | type[nn.Module]) -> type[nn.Module]:
    """Map a registry name (case-insensitive, ``multi-se`` accepted) or a module class to the class."""
    if isinstance(name_or_class, type) and issubclass(name_or_class, nn.Module):
        return name_or_class
    if isinstance(name_or_class, str):
        key = name_or_class.lower().replace("-", "").replace("_", "")
        if key in _REGISTRY:
            return _REGISTRY[key]
    raise ValueError(
        f"unknown attention module {name_or_class!r}; valid names are {', '.join(available())} "
        "(or pass an nn.Module subclass taking channels as its first argument)"
    )


def create(name_or_class: str | type[nn.Module], channels: int, **options: Any) -> nn.Module:
    """Build one attention module for a feature map with ``channels`` channels.

    Args:
        name_or_class: one of :func:`available` or a user-defined ``nn.Module`` subclass whose
            constructor takes the channel count first.
        channels: number of channels of the feature map the module recalibrates.
        **options: keyword options of the module (e.g. ``reduction=16`` for SE).
    """
    if not isinstance(channels, int) or channels < 1:
        raise ValueError(f"channels must be a positive int, got {channels!r}")
    return resolve(name_or_class)(channels, **options)
