"""Which detection data a run reads: real COCO / BDD100k roots or generated stand-ins, plus transforms.

Datasets (``DetectionConfig.dataset``):

* ``coco`` — root ``--data-root``, ``$ATTNLIB_COCO`` or ``data/datasets/coco``. Layout ``2017``
  (``train2017/``, ``val2017/``, ``annotations/instances_{train,val}2017.json``) *is* the paper's
  minival protocol: val2017 is the 5k-image minival and train2017 is train2014 plus the other 35k
  val2014 images. Layout ``2014-minival`` reads the same split from the 2014 files
  (``train2014/``, ``val2014/``, ``annotations/instances_{train,minival,valminusminival}2014.json``).
* ``bdd100k`` — root ``--data-root``, ``$ATTNLIB_BDD100K`` or ``data/datasets/bdd100k``; see
  :mod:`attnlib.detection.bdd`.
* ``synthetic-coco`` / ``synthetic-bdd100k`` — generated once into
  ``data/datasets/synthetic/`` in the real layouts and read by the very same loaders.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import ConcatDataset
from torchvision.transforms import v2

from attnlib import names
from attnlib.detection.bdd import BddBoxes, write_synthetic_bdd
from attnlib.detection.coco import CATEGORIES as SYNTHETIC_COCO_CATEGORIES
from attnlib.detection.coco import CocoBoxes, write_synthetic_coco
from attnlib.train.data import DatasetSplits

DATASETS = names.DETECTION_DATASETS
COCO_LAYOUTS = names.COCO_LAYOUTS
AUGMENTATIONS = names.AUGMENTATIONS


def detection_transforms(augmentation: str) -> v2.Compose:
    """Training transforms: ``none``, ``flip`` (Faster R-CNN, MMDetection's default) or ``ssd``.

    ``ssd`` is SSD's augmentation (photometric distortion, zoom-out, IoU crop, flip), as ScratchDet
    trains. The detectors resize and normalise themselves, so every transform ends in a float image.
    """
    if augmentation not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {augmentation!r}; valid ones are {', '.join(AUGMENTATIONS)}")
    steps: list[Any] = [v2.ToImage()]
    if augmentation == "ssd":
        steps += [v2.RandomPhotometricDistort(p=0.5), v2.RandomZoomOut(fill=[124, 116, 104]), v2.RandomIoUCrop()]
    if augmentation in ("flip", "ssd"):
        steps.append(v2.RandomHorizontalFlip(0.5))
    steps.append(v2.ToDtype(torch.float32, scale=True))
    if augmentation == "ssd":
        steps.append(v2.SanitizeBoundingBoxes())
    return v2.Compose(steps)


def collate_detection(batch: list[tuple[Any, Any]]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Detection batches stay lists: images differ in size and each has its own number of boxes."""
    return tuple(zip(*batch, strict=True))


def _root(root: str | os.PathLike | None, variable: str, folder: str) -> Path:
    from attnlib.paper import data_root

    return Path(root or os.environ.get(variable) or data_root() / "datasets" / folder)


def synthetic_root(dataset: str, size: tuple[int, int], image_size: int, seed: int, cache: Path | None = None) -> Path:
    """Generate (once, atomically) a synthetic dataset in the real layout and return its root."""
    from attnlib.paper import data_root

    cache = Path(cache or data_root() / "datasets" / "synthetic")
    root = cache / f"{dataset}-{size[0]}-{size[1]}-{image_size}px-seed{seed}"
    if root.is_dir():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache, prefix=".staging-"))
    try:
        if dataset == "synthetic-coco":
            for part, count, offset in (("train", size[0], 0), ("val", size[1], 10_000)):
                write_synthetic_coco(
                    staging,
                    count,
                    image_size,
                    seed + offset,
                    image_folder=f"{part}2017",
                    annotation_file=f"annotations/instances_{part}2017.json",
                )
        else:
            write_synthetic_bdd(staging, size[0], size[1], image_size, seed)
        try:
            os.replace(staging, root)
        except OSError:
            if not root.is_dir():  # not "another process (a DDP rank) finished first"
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root


def coco_splits(root: Path, layout: str = "2017", augmentation: str = "flip") -> tuple[Any, CocoBoxes]:
    """(train, val) COCO datasets of ``layout`` under ``root``; one clear error if files are missing."""
    if layout not in COCO_LAYOUTS:
        raise ValueError(f"unknown COCO layout {layout!r}; valid layouts are {', '.join(COCO_LAYOUTS)}")
    transforms = detection_transforms(augmentation)
    notes = root / "annotations"
    if layout == "2017":
        train = CocoBoxes(root / "train2017", notes / "instances_train2017.json", True, transforms)
        return train, CocoBoxes(root / "val2017", notes / "instances_val2017.json")
    train = ConcatDataset(
        [
            CocoBoxes(root / "train2014", notes / "instances_train2014.json", True, transforms),
            CocoBoxes(root / "val2014", notes / "instances_valminusminival2014.json", True, transforms),
        ]
    )
    return train, CocoBoxes(root / "val2014", notes / "instances_minival2014.json")


def load_detection_dataset(
    name: str,
    root: str | os.PathLike | None = None,
    *,
    split: str = "all",
    coco_layout: str = "2017",
    augmentation: str = "flip",
    synthetic_size: tuple[int, int] = (32, 16),
    image_size: int = 128,
    seed: int = 0,
) -> DatasetSplits:
    """Train/val detection datasets; ``num_classes`` counts the background (torchvision convention)."""
    if name not in DATASETS:
        raise ValueError(f"unknown detection dataset {name!r}; valid ones are {', '.join(DATASETS)}")
    synthetic = name.startswith("synthetic-")
    if synthetic and root is not None:
        raise ValueError(f"--data-root is for real datasets; {name} is generated (name coco or bdd100k to read {root})")
    if synthetic:
        folder = synthetic_root(name, synthetic_size, image_size, seed)
    elif name == "coco":
        folder = _root(root, "ATTNLIB_COCO", "coco")
    else:
        folder = _root(root, "ATTNLIB_BDD100K", "bdd100k")
    if name.endswith("coco"):
        train, val = coco_splits(folder, coco_layout, augmentation)
        classes = len(SYNTHETIC_COCO_CATEGORIES) + 1 if synthetic else 91
        what = f"{name} ({coco_layout} layout)"
    else:
        transforms = detection_transforms(augmentation)
        train = BddBoxes(folder, "train", split, train=True, transforms=transforms)
        val = BddBoxes(folder, "val", split)
        classes, what = 11, f"{name} split {split}"
    description = f"{what} from {folder}: {len(train)} train / {len(val)} val images"
    if synthetic:
        description = f"SYNTHETIC {description} (generated {image_size}² frames; a pipeline check, not a benchmark)"
    return DatasetSplits(train, val, classes, description)
