"""Detection runs in the shared training loop: their config, their networks, their loss and their AP.

A :class:`DetectionConfig` is a :class:`~attnlib.train.TrainConfig` with the detection settings
added; ``train(config)`` then runs :class:`DetectionTask` through the same loop as classification —
same SGD/MultiStepLR, per-epoch atomic checkpoints and exact resume, DDP through ``torchrun``, AMP,
and the same ``record.json`` — with a linear warmup (MMDetection's and ScratchDet's) on top.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Dataset

from attnlib.attention import BASELINE
from attnlib.detection.bdd import TIMES_OF_DAY, WEATHERS
from attnlib.detection.coco import coco_average_precision
from attnlib.detection.data import collate_detection, load_detection_dataset
from attnlib.train.config import TrainConfig
from attnlib.train.data import DatasetSplits
from attnlib.train.distributed import DistributedContext, shard_batches

DETECTORS = ("faster_rcnn", "ssd512")
METHODS = (None, "ibn", "style_adversarial")
INITS = ("none", "pretrained", "scratch")
_MODEL = re.compile(r"^(faster_rcnn|ssd512)_resnet(18|34|50|101|152)$")


@dataclass(frozen=True)
class DetectionConfig(TrainConfig):
    """One detection run. Inherits the optimiser, schedule, device and output settings of TrainConfig.

    Attributes:
        model: ``faster_rcnn_resnet50`` (Table 4) or ``ssd512_resnet34`` (Table 5), any ResNet depth.
        split: BDD100k split, ``all`` or ``day_night``.
        coco_layout: ``2017`` or ``2014-minival`` (both the paper's minival protocol).
        method: domain generalisation: None, ``ibn`` (IBN-b backbone) or ``style_adversarial``.
        init: Faster R-CNN backbone initialisation: ``pretrained`` (modules and backbone from one
            ImageNet checkpoint of the module network), ``scratch`` (a baseline checkpoint; modules
            freshly initialised) or ``none`` (random; SSD is always trained from scratch).
        backbone_weights: checkpoint path for ``pretrained``/``scratch``.
        image_size: SSD's square input; Faster R-CNN's shorter side (longer side ≤ 1333/800 of it).
        augmentation: ``none``, ``flip`` or ``ssd`` (see :func:`~attnlib.detection.data.detection_transforms`).
        detector_options: extra keyword arguments of torchvision's ``FasterRCNN`` / ``SSD``.
        warmup_iterations / warmup_ratio: linear warmup from ``lr·ratio`` to ``lr``.
        adversarial_scale: gradient reversal λ of the style-adversarial head.
        trainable_stages / freeze_batchnorm: Faster R-CNN's fine-tuning of the backbone.
    """

    dataset: str = "synthetic-coco"
    model: str = "faster_rcnn_resnet50"
    block: str | None = None
    split: str = "all"
    coco_layout: str = "2017"
    method: str | None = None
    init: str = "none"
    backbone_weights: str | None = None
    image_size: int = 128
    augmentation: str = "flip"
    detector_options: tuple[tuple[str, Any], ...] = ()
    warmup_iterations: int = 0
    warmup_ratio: float = 0.001
    adversarial_scale: float = 1.0
    trainable_stages: int = 3
    freeze_batchnorm: bool = True
    synthetic_size: tuple[int, int] = (32, 16)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not _MODEL.match(self.model):
            raise ValueError(f"unknown detector {self.model!r}; valid: faster_rcnn_resnet<depth>, ssd512_resnet<depth>")
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; valid methods are ibn, style_adversarial (or none)")
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}; valid ones are {', '.join(INITS)}")
        if self.init != "none" and self.backbone_weights is None:
            raise ValueError(f"init {self.init!r} needs backbone_weights (an ImageNet checkpoint path)")
        if self.method == "style_adversarial" and "bdd100k" not in self.dataset:
            raise ValueError("style_adversarial needs domain labels (time of day, weather): use a bdd100k dataset")

    @property
    def detector(self) -> str:
        return _MODEL.match(self.model).group(1)

    @property
    def depth(self) -> int:
        return int(_MODEL.match(self.model).group(2))

    @property
    def run_name(self) -> str:
        split = f"-{self.split}" if "bdd100k" in self.dataset else ""
        method = f"+{self.method}" if self.method else ""
        init = f"-{self.init}" if self.init != "none" else ""
        module = self.attention or BASELINE
        return f"{self.dataset}{split}-{self.model}-{module}{method}{init}-seed{self.seed}-{self.profile}"

    def task(self) -> DetectionTask:
        return DetectionTask(self)


def build_detector(config: DetectionConfig, num_classes: int) -> nn.Module:
    """The detector of ``config`` (with the style-adversarial head when asked)."""
    options = dict(config.detector_options)
    ibn = config.method == "ibn"
    if config.detector == "ssd512":
        from attnlib.detection.ssd import ssd512

        detector = ssd512(config.attention, num_classes, config.depth, config.image_size, ibn=ibn, **options)
        body = detector.backbone.body
    else:
        from attnlib.detection.faster_rcnn import faster_rcnn

        options = {"min_size": config.image_size, "max_size": round(config.image_size * 1333 / 800), **options}
        detector = faster_rcnn(
            config.attention,
            num_classes,
            depth=config.depth,
            weights=config.backbone_weights,
            init=config.init,
            trainable_stages=config.trainable_stages,
            freeze_batchnorm=config.freeze_batchnorm,
            ibn=ibn,
            detector_options=options,
        )
        body = detector.backbone.body
    if config.method == "style_adversarial":
        from attnlib.detection.layers import StyleAdversarialDetector

        channels = 128 * type(body.layer2[-1]).expansion
        domains = {"timeofday": len(TIMES_OF_DAY), "weather": len(WEATHERS)}
        detector = StyleAdversarialDetector(detector, body.layer2, channels, domains, config.adversarial_scale)
    return detector


def _to_device(target: dict[str, Any], device: str) -> dict[str, Any]:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in target.items()}


def evaluate_detection(
    model: nn.Module, dataset: Dataset, config: TrainConfig, context: DistributedContext
) -> dict[str, float]:
    """AP and AP@0.5 (%) of ``model`` on ``dataset`` with pycocotools; processes share the images."""
    batches = shard_batches(len(dataset), config.batch_size, context)
    loader = DataLoader(dataset, batch_sampler=batches, num_workers=config.workers, collate_fn=collate_detection)
    detections: list[dict[str, Any]] = []
    model.eval()
    with torch.inference_mode():
        for images, targets in loader:
            outputs = model([image.to(config.device) for image in images])
            for target, output in zip(targets, outputs, strict=True):
                for box, score, label in zip(
                    output["boxes"].tolist(), output["scores"].tolist(), output["labels"].tolist(), strict=True
                ):
                    detections.append(
                        {
                            "image_id": int(target["image_id"]),
                            "category_id": int(label),
                            "bbox": [box[0], box[1], box[2] - box[0], box[3] - box[1]],
                            "score": float(score),
                        }
                    )
    if context.enabled:
        gathered: list[list[dict[str, Any]]] = [[] for _ in range(context.world_size)]
        dist.all_gather_object(gathered, detections)
        detections = [d for part in gathered for d in part]
    scores = coco_average_precision(dataset.coco, detections)
    return {"AP": 100 * scores["AP"], "AP50": 100 * scores["AP50"], "detections": len(detections)}


class DetectionTask:
    """Detection in the shared loop: list batches, the detector's summed losses, warmup, COCO AP."""

    # Shaped like attnlib.train.task.ClassificationTask on purpose: both implement the Task protocol.

    collate = staticmethod(collate_detection)

    def __init__(self, config: DetectionConfig) -> None:
        self.config = config

    def splits(self) -> DatasetSplits:
        config = self.config
        return load_detection_dataset(
            config.dataset,
            config.data_root,
            split=config.split,
            coco_layout=config.coco_layout,
            augmentation=config.augmentation,
            synthetic_size=config.synthetic_size,
            image_size=config.image_size,
            seed=config.seed,
        )

    def build_model(self, splits: DatasetSplits) -> nn.Module:
        torch.manual_seed(self.config.seed)
        return build_detector(self.config, splits.num_classes)

    def loss(self, network: nn.Module, batch: Any) -> tuple[torch.Tensor, int]:
        images, targets = batch
        device = self.config.device
        losses = network([image.to(device) for image in images], [_to_device(t, device) for t in targets])
        return sum(losses.values()), len(images)

    def lr_factor(self, iteration: int) -> float:
        warmup = self.config.warmup_iterations
        if iteration >= warmup:
            return 1.0
        ratio = self.config.warmup_ratio
        return ratio + (1 - ratio) * iteration / warmup

    def evaluate(self, model: nn.Module, dataset: Dataset, context: DistributedContext) -> dict[str, float]:
        return evaluate_detection(model, dataset, self.config, context)
