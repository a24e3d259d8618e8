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


def load_backbone_weights(body: nn.Module, path: str | Path, init: str) -> None:
    """Load an ImageNet checkpoint (attnlib run or plain state dict) into ``body`` for Table 4.

    ``pretrained``: every backbone weight *and* every attention weight must come from the file (the
    module network's own ImageNet run). ``scratch``: attention weights in the file are ignored, so the
    modules keep their fresh initialisation on a baseline-pretrained backbone. The classifier
    (``fc.*``) is never used. Anything else that does not fit raises one error listing the keys.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"backbone checkpoint not found at {path}: train it first (Table 2: `attnlib train --dataset imagenet "
            "--model resnet50 --attention <module> --profile paper`) or pass another --backbone-weights"
        )
    state = torch.load(path, map_location="cpu", weights_only=False)
    state = {k: v for k, v in state.get("model", state).items() if not k.startswith("fc.")}
    if init == "scratch":
        state = {k: v for k, v in state.items() if ".attention." not in k}
    result = body.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.startswith("fc.")]
    if init == "scratch":
        missing = [k for k in missing if ".attention." not in k]
    if missing or result.unexpected_keys:
        raise ValueError(
            f"backbone weights in {path} do not fit ({init}): missing {missing[:5]}, "
            f"unexpected {result.unexpected_keys[:5]}"
        )


def resnet_fpn_backbone(
    attention: str | None = None,
    depth: int = 50,
    weights: str | Path | None = None,
    init: str = "pretrained",
    trainable_stages: int = 3,
    freeze_batchnorm: bool = True,
    ibn: bool = False,
) -> BackboneWithFPN:
    """An attnlib ResNet (with ``attention`` in every block) under a 256-channel FPN.

    Args:
        attention: module name or None.
        depth: 18/34/50/101/152.
        weights: a checkpoint path (see :func:`load_backbone_weights`); None keeps random weights.
        init: ``pretrained`` (modules from the file too) or ``scratch`` (modules freshly initialised).
        trainable_stages: how many of the last residual stages train (torchvision's convention;
            MMDetection's ``frozen_stages=1`` is 3); attention modules always train.
        freeze_batchnorm: frozen BatchNorm statistics and affines in the backbone, as MMDetection's
            ``norm_eval`` fine-tuning does.
        ibn: turn the body into IBN-b first.
    """
    body = build_model(f"resnet{depth}", attention=attention)
    if weights is not None:
        load_backbone_weights(body, weights, init)
    if ibn:
        from attnlib.detection.layers import apply_ibn_b

        apply_ibn_b(body)
    if freeze_batchnorm:
        _freeze_batchnorm(body)
    trainable = [f"layer{i}" for i in range(4, 4 - trainable_stages, -1)]
    for name, parameter in body.named_parameters():
        parameter.requires_grad_(any(name.startswith(s) for s in trainable) or ".attention." in name)
    channels = [c * (4 if depth >= 50 else 1) for c in (64, 128, 256, 512)]
    return BackboneWithFPN(body, {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"}, channels, 256)


def faster_rcnn(
    attention: str | None = None,
    num_classes: int = 91,
    backbone: BackboneWithFPN | None = None,
    detector_options: dict[str, object] | None = None,
    **backbone_options: object,
) -> FasterRCNN:
    """Faster R-CNN + FPN with an attnlib ResNet backbone (ResNet-50 by default), as in Table 4.

    Unlike MMDetection's config the torchvision detector resizes inside the model (shorter side 800,
    longer ≤ 1333 by default: the same scale) and normalises with ImageNet's mean and std.

    Args:
        attention: module name or None.
        num_classes: classes including the background (91: COCO category ids as labels).
        backbone: a prebuilt backbone (else :func:`resnet_fpn_backbone` with ``backbone_options``).
        detector_options: passed to torchvision's ``FasterRCNN`` (image sizes, RPN/ROI sampling).
    """
    backbone = backbone if backbone is not None else resnet_fpn_backbone(attention, **backbone_options)
    return FasterRCNN(backbone, num_classes=num_classes, **(detector_options or {}))
