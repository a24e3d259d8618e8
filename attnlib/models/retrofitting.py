"""Retrofit attention modules into existing (pretrained) ResNets — Klomp et al. Sect. 4.2, Table 3.

:func:`retrofit` puts one module per residual block at the paper's place (after the block's last
BatchNorm, before the residual addition) into an attnlib ResNet or a torchvision ResNet, without
touching any existing weight and keeping every existing state-dict key. torchvision blocks are
given a subclass whose ``forward`` adds the attention call and one stateless ReLU module per use
(torchvision shares one, which PT2E's int8 quantizers refuse); their parameters stay where they are.

A freshly initialised AB module is an identity, so the retrofitted network computes exactly what
the pretrained one did. The sigmoid-gated modules are not — they scale every feature by about
one half — unless built with ``identity_init=True`` (gate a·σ(·) + b with a = 0, b = 1), the paper's
untested suggestion, which this library implements.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torchvision.models import resnet as tv_resnet

from attnlib import attention as attention_registry
from attnlib.models.resnet import BasicBlock, Bottleneck


class RetrofitBasicBlock(tv_resnet.BasicBlock):
    """torchvision's BasicBlock with ``self.attention`` applied to bn2's output.

    torchvision's blocks use the same attribute names as attnlib's, so attnlib's forward serves.
    """

    forward = BasicBlock.forward


class RetrofitBottleneck(tv_resnet.Bottleneck):
    """torchvision's Bottleneck with ``self.attention`` applied to bn3's output (attnlib's forward)."""

    forward = Bottleneck.forward


_TORCHVISION_BLOCKS = {tv_resnet.BasicBlock: RetrofitBasicBlock, tv_resnet.Bottleneck: RetrofitBottleneck}
_SIGMOID_MODULES = ("eca", "se", "srm", "multise")


def _residual_blocks(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, (BasicBlock, Bottleneck, *_TORCHVISION_BLOCKS))]


def retrofit(
    model: nn.Module,
    attention: str | type[nn.Module],
    *,
    identity_init: bool = False,
    **options: Any,
) -> nn.Module:
    """Insert one ``attention`` module per residual block of ``model`` (in place) and return it.

    Args:
        model: an attnlib ResNet (baseline) or a torchvision ResNet.
        attention: a registry name or module class (constructor takes the channel count first).
        identity_init: for the sigmoid-gated modules, start as an exact identity (a = 0, b = 1 after
            the sigmoid). AB is an identity at initialisation anyway.
        **options: passed to every module (e.g. ``reduction=16``).

    Raises:
        ValueError: the model has no residual blocks attnlib knows, or already has attention.
    """
    blocks = _residual_blocks(model)
    if not blocks:
        found = sorted({type(m).__name__ for m in model.modules() if list(m.children())})
        raise ValueError(
            f"retrofit supports attnlib and torchvision ResNets (BasicBlock/Bottleneck); {type(model).__name__} "
            f"has none (container modules found: {', '.join(found[:8]) or 'none'})"
        )
    attention_class = attention_registry.resolve(attention)
    name = next((n for n in attention_registry.available() if attention_registry.resolve(n) is attention_class), None)
    if identity_init and name in _SIGMOID_MODULES:
        options = {**options, "identity_init": True}
    for block in blocks:
        existing = getattr(block, "attention", None)
        if existing is not None and not isinstance(existing, nn.Identity):
            raise ValueError(f"{type(block).__name__} already has an attention module ({type(existing).__name__})")
        last_bn = block.bn3 if hasattr(block, "bn3") else block.bn2
        reference = last_bn.weight
        module = attention_registry.create(attention_class, last_bn.num_features, **options)
        block.attention = module.to(device=reference.device, dtype=reference.dtype).train(block.training)
        if type(block) in _TORCHVISION_BLOCKS:
            block.__class__ = _TORCHVISION_BLOCKS[type(block)]
            # attnlib's forward uses one ReLU module per use (torchvision shares one); ReLU has no
            # state, so the state dict is unchanged, and PT2E's int8 quantizers can now partition it
            block.relu_out = nn.ReLU(inplace=True)
            if isinstance(block, RetrofitBottleneck):
                block.relu2 = nn.ReLU(inplace=True)
    return model


def load_pretrained(model: nn.Module, weights: str | os.PathLike | Any, *, strict_backbone: bool = True) -> nn.Module:
    """Load pretrained backbone weights into ``model`` (before or after :func:`retrofit`).

    Args:
        model: an attnlib or torchvision ResNet.
        weights: a torchvision weights enum (e.g. ``ResNet18_Weights.IMAGENET1K_V1``) or a path to a
            saved state dict. Attention parameters may be missing from it; nothing else may.
        strict_backbone: raise if any non-attention key is missing or unexpected.

    Offline, a torchvision enum whose file is not in torch's hub cache raises ``FileNotFoundError``
    naming where it would be cached and how to provide it.
    """
    if isinstance(weights, (str, os.PathLike)):
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"pretrained weights not found at {path}")
        state = torch.load(path, map_location="cpu", weights_only=True)
        state = state.get("model", state) if isinstance(state, dict) else state
    else:
        cached = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(weights.url)
        try:
            state = weights.get_state_dict(progress=False, check_hash=False)
        except Exception as error:
            raise FileNotFoundError(
                f"pretrained weights {weights} are not present at {cached} and could not be downloaded "
                f"({type(error).__name__}). Download {weights.url} on a machine with internet access and copy it "
                f"there, or pass a local state-dict path."
            ) from error
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if ".attention." not in k]
    if strict_backbone and (missing or result.unexpected_keys):
        raise ValueError(
            f"weights do not fit the backbone: missing {missing[:5]}, unexpected {result.unexpected_keys[:5]}"
        )
    return model
