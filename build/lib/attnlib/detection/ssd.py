"""Table 5's detector: SSD512 on a ScratchDet-style Root-ResNet-34 with attention, trainable from scratch.

ScratchDet (Zhu et al. 2019) makes SSD trainable without ImageNet pretraining by (1) BatchNorm
after every convolution of the backbone and the detection subnetwork, and (2) a "root" stem that
keeps resolution: three 3×3 convolutions at stride 1 instead of the 7×7/2 convolution and the max
pool. We follow both on an attnlib ResNet-34 (attention in each of its 16 blocks, none elsewhere):

* sources (for a 512² input): stage 4 (64², 512 ch), an extra residual stage of two basic blocks
  (32², 512 ch), and five extra layers (1×1 → 3×3/2, BatchNorm, 256 ch) down to 1² — SSD512's seven
  maps 64, 32, 16, 8, 4, 2, 1;
* SSD512's default boxes (aspect ratios {2}, {2, 3}×4, {2}, {2}; scales 0.07…1.05);
* torchvision's ``SSD`` for the head, matching, hard-negative-mining loss and post-processing.

The network is fully convolutional, so the ``smoke``/``default`` profiles run it on small inputs.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn
from torchvision.models.detection.anchor_utils import DefaultBoxGenerator
from torchvision.models.detection.ssd import SSD, SSDHead

from attnlib.models import build_model
from attnlib.models.resnet import BasicBlock, ResNet, conv1x1, conv3x3

ASPECT_RATIOS = ([2], [2, 3], [2, 3], [2, 3], [2, 3], [2], [2])
SCALES = (0.07, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 1.05)
SOURCE_CHANNELS = (512, 512, 256, 256, 256, 256, 256)


def _conv_bn_relu(conv: nn.Conv2d) -> list[nn.Module]:
    return [conv, nn.BatchNorm2d(conv.out_channels), nn.ReLU(inplace=True)]


def root_resnet(depth: int = 34, attention: str | None = None) -> ResNet:
    """An attnlib ResNet whose stem is ScratchDet's root block: 3×(3×3 conv, BN, ReLU) at stride 1, no pool.

    The last root convolution stays ``conv1`` with its BatchNorm ``bn1``, so IBN-b (which turns the
    stem's BatchNorm into InstanceNorm) applies unchanged.
    """
    body = build_model(f"resnet{depth}", attention=attention)
    body.conv1 = nn.Sequential(*_conv_bn_relu(conv3x3(3, 64)), *_conv_bn_relu(conv3x3(64, 64)), conv3x3(64, 64))
    body.maxpool = nn.Identity()
    body.fc = nn.Identity()
    _init_like_resnet(body.conv1)
    return body


def _init_like_resnet(*modules: nn.Module) -> None:
    """He-normal (fan-out) convolutions and unit BatchNorms, as the ResNet body is initialised."""
    for module in modules:
        for layer in module.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(layer, nn.BatchNorm2d):
                nn.init.ones_(layer.weight)
                nn.init.zeros_(layer.bias)


class RootResNetSSDBackbone(nn.Module):
    """Root-ResNet body plus SSD's extra stages; returns the seven source maps as an ordered dict."""

    def __init__(self, body: ResNet) -> None:
        super().__init__()
        self.body = body
        width = 512 * type(body.layer4[-1]).expansion
        downsample = nn.Sequential(conv1x1(width, 512, 2), nn.BatchNorm2d(512))
        self.stage5 = nn.Sequential(BasicBlock(width, 512, 2, downsample), BasicBlock(512, 512))
        extras, channels = [], 512
        for _ in range(5):
            extras.append(
                nn.Sequential(*_conv_bn_relu(conv1x1(channels, 128)), *_conv_bn_relu(conv3x3(128, 256, stride=2)))
            )
            channels = 256
        self.extras = nn.ModuleList(extras)
        self.out_channels = [width, *SOURCE_CHANNELS[1:]]
        _init_like_resnet(self.stage5, self.extras)

    def forward(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        x = self.body.forward_features(x)
        sources = [x, self.stage5(x)]
        for extra in self.extras:
            sources.append(extra(sources[-1]))
        return OrderedDict((str(i), source) for i, source in enumerate(sources))


def ssd512(
    attention: str | None = None,
    num_classes: int = 11,
    depth: int = 34,
    image_size: int = 512,
    ibn: bool = False,
    **ssd_options: object,
) -> SSD:
    """SSD with a Root-ResNet backbone (ResNet-34, 512² by default) and ``attention`` in every block.

    Args:
        attention: module name or None.
        num_classes: classes including the background (11 for BDD100k's 10 classes).
        depth: backbone depth (34 in the paper).
        image_size: square input side; 512 in the paper, smaller for offline profiles.
        ibn: apply IBN-b to the backbone (Table 5's IBN rows).
        ssd_options: passed to torchvision's ``SSD`` (e.g. ``detections_per_img``).
    """
    from attnlib.detection.layers import apply_ibn_b

    body = root_resnet(depth, attention)
    if ibn:
        apply_ibn_b(body)
    backbone = RootResNetSSDBackbone(body)
    anchors = DefaultBoxGenerator([list(r) for r in ASPECT_RATIOS], scales=list(SCALES))
    head = SSDHead(backbone.out_channels, anchors.num_anchors_per_location(), num_classes)
    return SSD(
        backbone,
        anchors,
        (image_size, image_size),
        num_classes,
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
        head=head,
        **ssd_options,
    )
