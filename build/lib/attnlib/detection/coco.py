"""COCO-format data for the detection tables: loading, a synthetic generator, and AP via pycocotools.

Real COCO: ``torchvision.datasets.CocoDetection`` over an image folder and an annotation JSON;
a missing path raises one error naming it and the download page. Offline, :func:`write_synthetic_coco`
writes a tiny COCO-format dataset of coloured rectangles (boxes known exactly) for the tests and the
``smoke``/``default`` profiles. :func:`coco_average_precision` runs pycocotools' COCOeval.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch.utils.data import Dataset
from torchvision import tv_tensors
from torchvision.datasets import CocoDetection
from torchvision.transforms.functional import to_tensor

CATEGORIES = ({"id": 1, "name": "red box"}, {"id": 2, "name": "green box"}, {"id": 3, "name": "blue box"})
COLOURS = {1: (220, 40, 40), 2: (40, 200, 60), 3: (50, 70, 230)}


def write_synthetic_coco(
    root: Path,
    images: int = 8,
    size: int = 128,
    seed: int = 0,
    extra_image_fields: dict[str, list] | None = None,
    image_folder: str = "images",
    annotation_file: str = "annotations.json",
) -> Path:
    """Write ``images`` PNGs with 1–3 coloured rectangles each and their COCO-format annotations.

    Images go to ``root/image_folder``, annotations to ``root/annotation_file``.
    ``extra_image_fields`` adds per-image attributes to the image records, one list entry per
    image. Returns the annotation file's path.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    (root / image_folder).mkdir(parents=True, exist_ok=True)
    image_records, annotations = [], []
    for index in range(images):
        canvas = Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(0, 60, 3)))
        draw = ImageDraw.Draw(canvas)
        for _ in range(int(rng.integers(1, 4))):
            width, height = (int(v) for v in rng.integers(size // 6, size // 2, 2))
            x, y = int(rng.integers(0, size - width)), int(rng.integers(0, size - height))
            category = int(rng.integers(1, len(CATEGORIES) + 1))
            draw.rectangle([x, y, x + width - 1, y + height - 1], fill=COLOURS[category])
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": index + 1,
                    "category_id": category,
                    "bbox": [x, y, width, height],
                    "area": width * height,
                    "iscrowd": 0,
                }
            )
        name = f"{index:05d}.png"
        canvas.save(root / image_folder / name)
        record = {"id": index + 1, "file_name": name, "width": size, "height": size}
        for field, values in (extra_image_fields or {}).items():
            record[field] = values[index]
        image_records.append(record)
    path = root / annotation_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"images": image_records, "annotations": annotations, "categories": list(CATEGORIES)}))
    return path


class CocoBoxes(Dataset):
    """COCO detection samples as (image tensor, {"boxes": xyxy float, "labels": int64, "image_id": int}).

    Labels are COCO category ids (torchvision's convention: ``num_classes = 91`` for COCO).

    Args:
        images: the image folder (e.g. ``train2017``).
        annotations: the instances JSON.
        train: drop crowd and degenerate boxes and images left without any box, as detection
            training does; evaluation keeps every image (COCOeval needs them all).
        transforms: a ``torchvision.transforms.v2`` transform of (image, target), e.g. from
            :func:`attnlib.detection.data.detection_transforms`; default converts to a float tensor.
    """

    def __init__(
        self, images: str | Path, annotations: str | Path, train: bool = False, transforms: Callable | None = None
    ) -> None:
        images, annotations = Path(images), Path(annotations)
        for path in (images, annotations):
            if not path.exists():
                raise FileNotFoundError(
                    f"COCO data not found at {path}: download the 2017 images and annotations from "
                    "https://cocodataset.org/#download and pass the image folder and annotation JSON"
                )
        with contextlib.redirect_stdout(io.StringIO()):
            self.dataset = CocoDetection(str(images), str(annotations))
        self.train, self.transforms = train, transforms
        self.ids = list(self.dataset.ids)
        if train:
            self.ids = [i for i in self.ids if self._boxes(self.coco.imgToAnns.get(i, []))[0].numel()]

    @property
    def coco(self):
        """The pycocotools ``COCO`` index of the annotations (ground truth for COCOeval)."""
        return self.dataset.coco

    def __len__(self) -> int:
        return len(self.ids)

    def _boxes(self, annotations: list[dict]) -> tuple[torch.Tensor, torch.Tensor]:
        kept = [a for a in annotations if not (self.train and a.get("iscrowd", 0))]
        boxes = torch.tensor(
            [[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]] for a in kept],
            dtype=torch.float32,
        ).reshape(-1, 4)
        labels = torch.tensor([a["category_id"] for a in kept], dtype=torch.int64)
        if self.train:
            valid = (boxes[:, 2] > boxes[:, 0] + 1e-3) & (boxes[:, 3] > boxes[:, 1] + 1e-3)
            boxes, labels = boxes[valid], labels[valid]
        return boxes, labels

    def __getitem__(self, index: int) -> tuple[torch.Tensor, dict[str, Any]]:
        image_id = self.ids[index]
        image = self.dataset._load_image(image_id)
        boxes, labels = self._boxes(self.coco.imgToAnns.get(image_id, []))
        return apply_transforms(self.transforms, image, {"boxes": boxes, "labels": labels, "image_id": image_id})


def apply_transforms(transforms: Callable | None, image: Image.Image, target: dict[str, Any]) -> tuple[Any, Any]:
    """Run a v2 detection transform on (PIL image, target) with the boxes typed as XYXY boxes."""
    if transforms is None:
        return to_tensor(image), target
    target = {**target, "boxes": tv_tensors.BoundingBoxes(target["boxes"], format="XYXY", canvas_size=image.size[::-1])}
    image, target = transforms(image, target)
    return image, {**target, "boxes": target["boxes"].as_subclass(torch.Tensor)}


def coco_average_precision(coco_gt, detections: list[dict]) -> dict[str, float]:
    """AP (IoU 0.5:0.95) and AP@0.5 of ``detections`` (COCO result dicts, bbox xywh) via COCOeval.

    Fractions in [0, 1], as COCOeval reports them; -1 entries (no ground truth at all) become 0.
    """
    from pycocotools.cocoeval import COCOeval

    if not detections:
        return {"AP": 0.0, "AP50": 0.0}
    with contextlib.redirect_stdout(io.StringIO()):
        results = coco_gt.loadRes(detections)
        evaluator = COCOeval(coco_gt, results, "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return {"AP": max(float(evaluator.stats[0]), 0.0), "AP50": max(float(evaluator.stats[1]), 0.0)}
