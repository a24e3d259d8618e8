"""``attnlib bench modules``: attnlib's modules vs plain references vs timm, inside one ResNet-50.

All variants are the same ResNet-50 with a different attention implementation in every block,
timed interleaved in one run, so the overheads are directly comparable.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from attnlib import build_model
from attnlib.attention import BASELINE, available
from attnlib.bench.latency import Variant
from attnlib.bench.plain import PLAIN


def timm_attention_class(name: str) -> type[nn.Module]:
    """timm's SE (``SEModule``, r = 16) or ECA (``EcaModule``, k = 3) with our constructor signature."""
    from timm.layers import EcaModule, SEModule

    if name == "se":

        class TimmSE(SEModule):
            def __init__(self, channels: int) -> None:
                super().__init__(channels, rd_ratio=1 / 16, rd_divisor=1)

        return TimmSE
    if name == "eca":

        class TimmECA(EcaModule):
            def __init__(self, channels: int) -> None:
                super().__init__(None, kernel_size=3)  # channels given would pick the adaptive kernel

        return TimmECA
    raise ValueError(f"timm has no equivalent of {name!r} here; valid names are se, eca")


def module_variants(
    model: str = "resnet50", attentions: Sequence[str] = available(), timm: bool = True
) -> list[Variant]:
    """Baseline, then for each module: attnlib's, the plain reference's and (SE, ECA) timm's."""
    variants = [Variant(model, BASELINE, label=BASELINE)]
    for name in attentions:
        variants.append(Variant(model, name, label=f"attnlib/{name}"))
        variants.append(
            Variant(
                model, name, label=f"plain/{name}", factory=lambda name=name: build_model(model, attention=PLAIN[name])
            )
        )
        if timm and name in ("se", "eca"):
            variants.append(
                Variant(
                    model,
                    name,
                    label=f"timm/{name}",
                    factory=lambda name=name: build_model(model, attention=timm_attention_class(name)),
                )
            )
    return variants
