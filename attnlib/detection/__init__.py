"""Detection and domain generalisation (Tables 4 and 5): building blocks, work in progress.

Present: Faster R-CNN + FPN on attnlib ResNets, COCO-format loading with a synthetic generator and
COCOeval AP, gradient reversal, the style-adversarial head and IBN-b. Not yet: SSD512, the BDD100k
loader, the detection training loop and the Table 4/5 notebooks.
"""

from attnlib.detection.coco import CocoBoxes, coco_average_precision, write_synthetic_coco
from attnlib.detection.faster_rcnn import faster_rcnn, resnet_fpn_backbone
from attnlib.detection.layers import (
    GradientReversal,
    StyleAdversarialHead,
    apply_ibn_b,
    gradient_reversal,
    style_statistics,
)

__all__ = [
    "CocoBoxes",
    "GradientReversal",
    "StyleAdversarialHead",
    "apply_ibn_b",
    "coco_average_precision",
    "faster_rcnn",
    "gradient_reversal",
    "resnet_fpn_backbone",
    "style_statistics",
    "write_synthetic_coco",
]
