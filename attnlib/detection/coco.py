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
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch.utils.data import Dataset
from torchvision.datasets import CocoDetection
from torchvision.transforms.functional import to_tensor

CATEGORIES = ({"id": 1, "name": "red box"}, {"id": 2, "name": "green box"}, {"id": 3, "name": "blue box"})
COLOURS = {1: (220, 40, 40), 2: (40, 200, 60), 3: (50, 70, 230)}


def write_synthetic_coco(
    root: Path, images: int = 8, size: int = 128, seed: int = 0, extra_image_fields: dict[str, list] | None = None
) -> Path:
    """Write ``images`` PNGs with 1–3 coloured rectangles each and ``annotations.json`` (COCO format).

    ``extra_image_fields`` adds per-image attributes (e.g. BDD100k's ``timeofday``) to the image
    records, one list entry per image. Returns the annotation file's path.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    (root / "images").mkdir(parents=True, exist_ok=True)
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
        canvas.save(root / "images" / name)
        record = {"id": index + 1, "file_name": name, "width": size, "height": size}
        for field, values in (extra_image_fields or {}).items():
            record[field] = values[index]
        image_records.append(record)
    path = root / "annotations.json"
    path.write_text(json.dumps({"images": image_records, "annotations": annotations, "categories": list(CATEGORIES)}))
    return path


class CocoBoxes(Dataset):
    """COCO detection samples as (image tensor, {"boxes": xyxy float, "labels": int64, "image_id"})."""

    def __init__(self, images: str | Path, annotations: str | Path) -> None:
        images, annotations = Path(images), Path(annotations)
        for path in (images, annotations):
            if not path.exists():
                raise FileNotFoundError(
                    f"COCO data not found at {path}: download the 2017 images and annotations from "
                    "https://cocodataset.org/#download and pass the image folder and annotation JSON"
                )
        with contextlib.redirect_stdout(io.StringIO()):
            self.dataset = CocoDetection(str(images), str(annotations))

    @property
    def coco(self):
        return self.dataset.coco

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        image, annotations = self.dataset[index]
        boxes = torch.tensor(
            [
                [a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]]
                for a in annotations
            ],
            dtype=torch.float32,
        ).reshape(-1, 4)
        labels = torch.tensor([a["category_id"] for a in annotations], dtype=torch.int64)
        return to_tensor(image), {"boxes": boxes, "labels": labels, "image_id": self.dataset.ids[index]}


def coco_average_precision(coco_gt, detections: list[dict]) -> dict[str, float]:
    """AP (IoU 0.5:0.95) and AP@0.5 of ``detections`` (COCO result dicts, bbox xywh) via COCOeval."""
    from pycocotools.cocoeval import COCOeval

    if not detections:
        return {"AP": 0.0, "AP50": 0.0}
    with contextlib.redirect_stdout(io.StringIO()):
        results = coco_gt.loadRes(detections)
        evaluator = COCOeval(coco_gt, results, "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return {"AP": float(evaluator.stats[0]), "AP50": float(evaluator.stats[1])}
