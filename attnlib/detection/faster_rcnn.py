"""Table 4's detector: torchvision Faster R-CNN + FPN on an attnlib ResNet-50 with attention.

The paper used MMDetection; we stay inside one stack (torchvision's ``FasterRCNN`` and
``BackboneWithFPN``). Modules sit in the backbone only, one per residual block (16 for ResNet-50).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.ops.misc import FrozenBatchNorm2d

from attnlib.models import build_model


def _freeze_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every BatchNorm2d by a FrozenBatchNorm2d with the same statistics (detection practice)."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            frozen = FrozenBatchNorm2d(child.num_features, eps=child.eps)
            frozen.weight.copy_(child.weight.detach())
            frozen.bias.copy_(child.bias.detach())
            frozen.running_mean.copy_(child.running_mean)
            frozen.running_var.copy_(child.running_var)
            setattr(module, name, frozen)
        else:
            _freeze_batchnorm(child)
    return module


def resnet_fpn_backbone(
    attention: str | None = None,
    depth: int = 50,
    weights: str | Path | None = None,
    trainable_stages: int = 3,
    freeze_batchnorm: bool = True,
) -> BackboneWithFPN:
    """An attnlib ResNet (with ``attention`` in every block) under a 256-channel FPN.

    Args:
        attention: module name or None.
        depth: 18/34/50/101/152.
        weights: a state dict path (e.g. an attnlib ImageNet checkpoint, modules included — Table 4's
            "pretrained" column; or a baseline checkpoint, modules left freshly initialised — "scratch").
        trainable_stages: how many of the last residual stages train (torchvision's convention);
            attention modules always train.
        freeze_batchnorm: use frozen BatchNorm in the backbone, as detection fine-tuning usually does.
    """
    body = build_model(f"resnet{depth}", attention=attention)
    if weights is not None:
        state = torch.load(weights, map_location="cpu", weights_only=False)
        state = state.get("model", state)
        result = body.load_state_dict(state, strict=False)
        unexpected = [k for k in result.unexpected_keys if not k.startswith("fc.")]
        if unexpected or [k for k in result.missing_keys if ".attention." not in k]:
            raise ValueError(
                f"backbone weights do not fit: missing {result.missing_keys[:5]}, unexpected {unexpected[:5]}"
            )
    if freeze_batchnorm:
        _freeze_batchnorm(body)
    trainable = [f"layer{i}" for i in range(4, 4 - trainable_stages, -1)]
    for name, parameter in body.named_parameters():
        parameter.requires_grad_(any(name.startswith(s) for s in trainable) or ".attention." in name)
    channels = [c * (4 if depth >= 50 else 1) for c in (64, 128, 256, 512)]
    return BackboneWithFPN(body, {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"}, channels, 256)


def faster_rcnn(attention: str | None = None, num_classes: int = 91, **backbone_options: object) -> FasterRCNN:
    """Faster R-CNN + FPN with an attnlib ResNet backbone (ResNet-50 by default), as in Table 4."""
    return FasterRCNN(resnet_fpn_backbone(attention, **backbone_options), num_classes=num_classes)
