"""BDD100k detection data for Table 5: its JSON labels, domain attributes, the two splits, and AP.

BDD100k (Yu et al. 2020) labels every frame with ``attributes.timeofday`` (daytime, night, dawn/dusk,
undefined) and ``attributes.weather``; boxes are ``labels[i].box2d`` = {x1, y1, x2, y2} with a
``category``. Both label releases are read: the 2018 ``bdd100k_labels_images_{train,val}.json``
(categories person, bike, motor, …) and the 2020 ``det_20/det_{train,val}.json`` (pedestrian,
bicycle, motorcycle, …, mapped onto the same 10 classes). Expected layout under the root::

    images/100k/train/*.jpg   images/100k/val/*.jpg
    labels/bdd100k_labels_images_train.json   (or labels/det_20/det_train.json)
    labels/bdd100k_labels_images_val.json     (or labels/det_20/det_val.json)

Splits (Sect. 4.4): ``all`` trains on train and evaluates on val; ``day_night`` trains on the
daytime and dawn/dusk frames of train and evaluates on the night frames of val.

:func:`write_synthetic_bdd` writes a small dataset in exactly this layout and format, with night
frames darker and bluer than day frames, so the day→night split has a real (if tiny) domain gap.
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

from attnlib import names
from attnlib.detection.coco import apply_transforms

CATEGORIES = (
    "person",
    "rider",
    "car",
    "bus",
    "truck",
    "bike",
    "motor",
    "traffic light",
    "traffic sign",
    "train",
)
ALIASES = {"pedestrian": "person", "bicycle": "bike", "motorcycle": "motor"}
TIMES_OF_DAY = ("daytime", "night", "dawn/dusk")
WEATHERS = ("clear", "overcast", "partly cloudy", "rainy", "snowy", "foggy")
SPLITS = names.BDD_SPLITS
IGNORE = -100  # label of an ``undefined`` domain attribute: ignored by the adversarial loss
DOWNLOAD = "https://bdd-data.berkeley.edu/ (BDD100K '100K Images' and 'Detection' labels)"


def label_file(root: Path, part: str) -> Path:
    """The label JSON of ``part`` (train/val) under ``root``: the 2018 release, else the 2020 one."""
    candidates = (
        root / "labels" / f"bdd100k_labels_images_{part}.json",
        root / "labels" / "det_20" / f"det_{part}.json",
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"BDD100k {part} labels not found: looked for {candidates[0]} and {candidates[1]}. Download them from "
        f"{DOWNLOAD} and unpack under {root} (or set $ATTNLIB_BDD100K / --data-root)"
    )


def split_filter(split: str, part: str) -> set[str] | None:
    """Times of day kept for ``part`` of ``split`` (None keeps every frame)."""
    if split not in SPLITS:
        raise ValueError(f"unknown BDD100k split {split!r}; valid splits are {', '.join(SPLITS)}")
    if split == "all":
        return None
    return {"daytime", "dawn/dusk"} if part == "train" else {"night"}


class BddBoxes(Dataset):
    """BDD100k frames as (image, {"boxes", "labels", "image_id", "timeofday", "weather"}).

    Labels are 1…10 in :data:`CATEGORIES` order (0 is the detectors' background); ``timeofday`` and
    ``weather`` are indices into :data:`TIMES_OF_DAY` / :data:`WEATHERS`, or :data:`IGNORE`.

    Args:
        root: dataset root (layout in the module docstring).
        part: ``train`` or ``val``.
        split: ``all`` or ``day_night``.
        train: drop frames without boxes (training); evaluation keeps them all.
        transforms: a v2 detection transform of (image, target).
    """

    def __init__(
        self, root: str | Path, part: str, split: str = "all", train: bool = False, transforms: Callable | None = None
    ) -> None:
        root = Path(root)
        self.images = root / "images" / "100k" / part
        if not self.images.is_dir():
            raise FileNotFoundError(
                f"BDD100k {part} images not found at {self.images}. Download them from {DOWNLOAD} and unpack under "
                f"{root} (or set $ATTNLIB_BDD100K / --data-root)"
            )
        keep = split_filter(split, part)
        frames = json.loads(label_file(root, part).read_text())
        self.frames = []
        for frame in frames:
            attributes = frame.get("attributes") or {}
            if keep is not None and attributes.get("timeofday") not in keep:
                continue
            boxes = [
                (CATEGORIES.index(ALIASES.get(label["category"], label["category"])) + 1, label["box2d"])
                for label in frame.get("labels") or []
                if "box2d" in label and ALIASES.get(label["category"], label["category"]) in CATEGORIES
            ]
            if train and not boxes:
                continue
            self.frames.append((frame["name"], attributes, boxes))
        self.transforms, self.part, self.split = transforms, part, split
        self._coco = None

    def __len__(self) -> int:
        return len(self.frames)

    @staticmethod
    def _index(values: tuple[str, ...], value: str | None) -> int:
        return values.index(value) if value in values else IGNORE

    def __getitem__(self, index: int) -> tuple[Any, dict[str, Any]]:
        name, attributes, boxes = self.frames[index]
        image = Image.open(self.images / name).convert("RGB")
        corners = [[b["x1"], b["y1"], b["x2"], b["y2"]] for _, b in boxes]
        target = {
            "boxes": torch.tensor(corners, dtype=torch.float32).reshape(-1, 4),
            "labels": torch.tensor([c for c, _ in boxes], dtype=torch.int64),
            "image_id": index + 1,
            "timeofday": self._index(TIMES_OF_DAY, attributes.get("timeofday")),
            "weather": self._index(WEATHERS, attributes.get("weather")),
        }
        return apply_transforms(self.transforms, image, target)

    @property
    def coco(self):
        """The frames' boxes as a pycocotools ``COCO`` ground truth (image ids 1…N, xywh boxes)."""
        if self._coco is None:
            from pycocotools.coco import COCO

            annotations = []
            for index, (_, _, boxes) in enumerate(self.frames):
                for category, box in boxes:
                    width, height = box["x2"] - box["x1"], box["y2"] - box["y1"]
                    annotations.append(
                        {
                            "id": len(annotations) + 1,
                            "image_id": index + 1,
                            "category_id": category,
                            "bbox": [box["x1"], box["y1"], width, height],
                            "area": width * height,
                            "iscrowd": 0,
                        }
                    )
            coco = COCO()
            coco.dataset = {
                "images": [{"id": i + 1, "file_name": name} for i, (name, _, _) in enumerate(self.frames)],
                "annotations": annotations,
                "categories": [{"id": i + 1, "name": name} for i, name in enumerate(CATEGORIES)],
            }
            with contextlib.redirect_stdout(io.StringIO()):
                coco.createIndex()
            self._coco = coco
        return self._coco


# Synthetic stand-in: three BDD classes drawn as coloured shapes on a road-like background.
_SYNTHETIC_CLASSES = {"car": (200, 40, 40), "person": (40, 190, 70), "traffic sign": (230, 200, 40)}
_BRIGHTNESS = {"daytime": 1.0, "dawn/dusk": 0.65, "night": 0.3}


def write_synthetic_bdd(root: Path, train: int = 32, val: int = 16, size: int = 128, seed: int = 0) -> Path:
    """Write a tiny BDD100k-format dataset (2018 label format) under ``root`` and return ``root``.

    Each frame has 1–3 boxes of three BDD classes, a ``timeofday`` (half daytime, a third night, the
    rest dawn/dusk) that sets its brightness and tint, a ``weather`` that sets its noise, and a
    non-box ``drivable area`` label that the loader must skip, as in the real files.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    for part, count in (("train", train), ("val", val)):
        folder = root / "images" / "100k" / part
        folder.mkdir(parents=True, exist_ok=True)
        frames = []
        for index in range(count):
            timeofday = TIMES_OF_DAY[int(rng.choice(3, p=[0.5, 0.33, 0.17]))]
            weather = ("clear", "overcast", "rainy")[int(rng.integers(3))]
            brightness = _BRIGHTNESS[timeofday]
            tint = np.array([1.0, 1.0, 1.0]) if timeofday != "night" else np.array([0.7, 0.8, 1.3])
            background = np.clip(np.array([90, 90, 95]) * brightness * tint, 0, 255)
            canvas = Image.new("RGB", (size, size), tuple(int(v) for v in background))
            draw = ImageDraw.Draw(canvas)
            labels = []
            for _ in range(int(rng.integers(1, 4))):
                category = list(_SYNTHETIC_CLASSES)[int(rng.integers(3))]
                width, height = (int(v) for v in rng.integers(size // 6, size // 2, 2))
                x, y = int(rng.integers(0, size - width)), int(rng.integers(0, size - height))
                colour = np.clip(np.array(_SYNTHETIC_CLASSES[category]) * brightness * tint, 0, 255)
                draw.rectangle([x, y, x + width - 1, y + height - 1], fill=tuple(int(v) for v in colour))
                labels.append(
                    {
                        "category": category,
                        "attributes": {"occluded": False, "truncated": False},
                        "box2d": {"x1": float(x), "y1": float(y), "x2": float(x + width), "y2": float(y + height)},
                        "id": len(labels),
                    }
                )
            labels.append({"category": "drivable area", "poly2d": [{"vertices": [[0, size], [size, size]]}]})
            pixels = np.asarray(canvas, dtype=np.float32)
            if weather == "rainy":
                pixels = pixels + rng.normal(0, 12, pixels.shape)
            name = f"{part}-{index:05d}.jpg"
            Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(folder / name, quality=95)
            frames.append(
                {
                    "name": name,
                    "attributes": {"weather": weather, "scene": "city street", "timeofday": timeofday},
                    "timestamp": 10000,
                    "labels": labels,
                }
            )
        labels_dir = root / "labels"
        labels_dir.mkdir(parents=True, exist_ok=True)
        (labels_dir / f"bdd100k_labels_images_{part}.json").write_text(json.dumps(frames))
    return root
