"""Detection and domain generalisation (Sect. 4.4, Tables 4 and 5).

* :mod:`~attnlib.detection.faster_rcnn` — Table 4's Faster R-CNN + FPN on an attnlib ResNet-50,
  with "pretrained" / "scratch" backbone initialisation.
* :mod:`~attnlib.detection.ssd` — Table 5's SSD512 on a ScratchDet Root-ResNet-34.
* :mod:`~attnlib.detection.coco`, :mod:`~attnlib.detection.bdd`, :mod:`~attnlib.detection.data` —
  COCO and BDD100k loaders (with synthetic generators in the real layouts), transforms, COCOeval AP.
* :mod:`~attnlib.detection.layers` — gradient reversal, the style-adversarial head and detector, IBN-b.
* :mod:`~attnlib.detection.task` — :class:`DetectionConfig` / :class:`DetectionTask`, which run
  detectors through the shared training loop (``attnlib.train.train``).
* :mod:`~attnlib.detection.records` — run records of detection runs.

Tables 4 and 5 themselves (settings per profile, rows, layouts) are chapters of
:mod:`attnlib.reproduce` (``table4``, ``table5``).
"""

from attnlib.detection.bdd import BddBoxes, write_synthetic_bdd
from attnlib.detection.coco import CocoBoxes, coco_average_precision, write_synthetic_coco
from attnlib.detection.data import detection_transforms, load_detection_dataset
from attnlib.detection.faster_rcnn import faster_rcnn, resnet_fpn_backbone
from attnlib.detection.layers import (
    GradientReversal,
    StyleAdversarialDetector,
    StyleAdversarialHead,
    apply_ibn_b,
    gradient_reversal,
    style_statistics,
)
from attnlib.detection.ssd import ssd512
from attnlib.detection.task import DetectionConfig, DetectionTask, build_detector, evaluate_detection

__all__ = [
    "BddBoxes",
    "CocoBoxes",
    "DetectionConfig",
    "DetectionTask",
    "GradientReversal",
    "StyleAdversarialDetector",
    "StyleAdversarialHead",
    "apply_ibn_b",
    "build_detector",
    "coco_average_precision",
    "detection_transforms",
    "evaluate_detection",
    "faster_rcnn",
    "gradient_reversal",
    "load_detection_dataset",
    "resnet_fpn_backbone",
    "ssd512",
    "style_statistics",
    "write_synthetic_bdd",
    "write_synthetic_coco",
]
