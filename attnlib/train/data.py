"""Datasets for the accuracy experiments: CIFAR-10/100, ImageNet, and learnable synthetic stand-ins.

Real data: CIFAR through ``torchvision.datasets`` (downloaded into ``data/datasets/`` when the
network allows), ImageNet through an ``ImageFolder`` root holding ``train/`` and ``val/``. When data
is missing, :class:`DatasetNotFound` names the path looked at and how to get the data.

Offline (``smoke`` and ``default`` profiles): :class:`SyntheticImages`, a deterministic dataset
generated on the fly — each class is a fixed random low-frequency colour pattern, each sample that
pattern at a random shift plus noise — so a network can learn it in a few epochs, and nothing is
written to disk. It proves the pipeline; it says nothing about the paper's accuracies.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch.nn import functional as F
from torch.utils.data import Dataset

from attnlib import names
from attnlib.paper import data_root

if TYPE_CHECKING:  # torchvision is imported where a torchvision dataset is built: ~2 s a process otherwise
    from torchvision import transforms

CIFAR_MEAN = {"cifar10": (0.4914, 0.4822, 0.4465), "cifar100": (0.5071, 0.4865, 0.4409)}
CIFAR_STD = {"cifar10": (0.2470, 0.2435, 0.2616), "cifar100": (0.2673, 0.2564, 0.2762)}
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
DATASETS = names.TRAIN_DATASETS


class DatasetNotFound(FileNotFoundError):
    """A dataset is not where it was looked for; the message says where and how to get it."""


@dataclass(frozen=True)
class DatasetSplits:
    """Train and validation datasets with their class count.

    ``in_channels`` sizes the network's stem; ``augment_batch`` (padding, fill per channel), when
    set, asks the training loop to crop and flip each training batch (:func:`crop_and_flip`),
    for in-memory datasets whose loader returns plain tensors; ``details`` is what a run record
    says of the data (source, version, licence, checksums).
    """

    train: Dataset
    val: Dataset
    num_classes: int
    description: str
    in_channels: int = 3
    augment_batch: tuple[int, torch.Tensor] | None = None
    details: dict[str, object] | None = None


def cifar_transforms(name: str, train: bool, augment: bool = True) -> transforms.Compose:
    """CIFAR: random crop 32 with 4-px padding and horizontal flip for training; per-channel normalisation.

    ``augment=False`` leaves the crop and flip to :func:`crop_and_flip` on the training device.
    """
    from torchvision import transforms

    normalise = transforms.Normalize(CIFAR_MEAN[name], CIFAR_STD[name])
    if train and augment:
        return transforms.Compose(
            [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalise]
        )
    return transforms.Compose([transforms.ToTensor(), normalise])


def crop_and_flip(images: torch.Tensor, padding: int, fill: torch.Tensor) -> torch.Tensor:
    """CIFAR's training augmentation on a whole normalised batch, on whatever device it is on.

    Each image is padded by ``padding`` pixels of ``fill`` (per channel: the normalised value of a
    black pixel, as torchvision's ``RandomCrop(32, padding=4)`` pads before normalising), cropped
    back to its size at a uniformly random offset, and flipped horizontally with probability ½ —
    the same distribution as :func:`cifar_transforms`, drawn from the batch device's RNG. On a GPU
    this keeps the augmentation off the data-loading CPU cores.
    """
    batch, channels, height, width = images.shape
    device = images.device
    padded = fill.to(images.dtype).view(1, -1, 1, 1).repeat(batch, 1, height + 2 * padding, width + 2 * padding)
    padded[:, :, padding : padding + height, padding : padding + width] = images
    top = torch.randint(0, 2 * padding + 1, (batch,), device=device)
    left = torch.randint(0, 2 * padding + 1, (batch,), device=device)
    flip = torch.rand(batch, device=device) < 0.5
    rows = (top.view(-1, 1) + torch.arange(height, device=device)).view(batch, 1, height, 1)
    columns = left.view(-1, 1) + torch.arange(width, device=device)
    columns = torch.where(flip.view(-1, 1), columns.flip(1), columns).view(batch, 1, 1, width)
    rows = rows.expand(batch, channels, height, padded.shape[3])
    cropped = padded.gather(2, rows)
    return cropped.gather(3, columns.expand(batch, channels, height, width))


def cifar_fill(name: str) -> torch.Tensor:
    """The normalised value of a black pixel per channel: what CIFAR's crop pads with."""
    return -torch.tensor(CIFAR_MEAN[name]) / torch.tensor(CIFAR_STD[name])


def imagenet_transforms(train: bool) -> transforms.Compose:
    """ImageNet: RandomResizedCrop 224 + flip for training; Resize 256 + CenterCrop 224 for evaluation."""
    from torchvision import transforms

    normalise = transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)
    if train:
        return transforms.Compose(
            [transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalise]
        )
    return transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), normalise])


class SyntheticImages(Dataset):
    """A learnable, deterministic image classification dataset generated on the fly.

    Class ``k`` owns a random smooth colour pattern (seeded by ``seed`` and ``k``); sample ``i`` is
    its class pattern, randomly shifted and flipped, plus Gaussian noise, all derived from
    ``(seed, split, i)`` so every access returns the same tensor. Training samples additionally get
    the tensor versions of the paper's augmentations (random shift ≈ crop with padding, flip).

    Args:
        num_samples: dataset length.
        num_classes: number of classes.
        image_size: square side in pixels (32 for CIFAR-shaped, 64+ for ImageNet-shaped).
        seed: makes the class patterns; share it between the train and val splits.
        split: ``"train"`` or ``"val"`` (different samples of the same classes).
        noise: standard deviation of the per-sample noise (the task's difficulty).
    """

    def __init__(
        self,
        num_samples: int,
        num_classes: int,
        image_size: int = 32,
        seed: int = 0,
        split: str = "train",
        noise: float = 0.6,
    ) -> None:
        if split not in ("train", "val"):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        self.num_samples, self.num_classes, self.image_size = num_samples, num_classes, image_size
        self.seed, self.split, self.noise = seed, split, noise
        generator = torch.Generator().manual_seed(seed)
        coarse = torch.randn(num_classes, 3, 4, 4, generator=generator)
        self.patterns = F.interpolate(coarse, size=(image_size, image_size), mode="bicubic", align_corners=False)
        self.patterns = self.patterns / self.patterns.flatten(1).std(dim=1).view(-1, 1, 1, 1)

    def __len__(self) -> int:
        return self.num_samples

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        if not 0 <= index < self.num_samples:
            raise IndexError(index)
        offset = 0 if self.split == "train" else 1_000_003
        generator = torch.Generator().manual_seed(self.seed * 7_919 + offset + index)
        label = int(torch.randint(self.num_classes, (1,), generator=generator))
        image = self.patterns[label]
        shift = torch.randint(-4, 5, (2,), generator=generator).tolist()
        image = torch.roll(image, shifts=shift, dims=(1, 2))
        if torch.rand(1, generator=generator) < 0.5:
            image = image.flip(2)
        image = image + self.noise * torch.randn(image.shape, generator=generator)
        return image, label


def load_fashion_mnist(
    root: str | os.PathLike | None, input_size: int, train_subset: int | None, test_subset: int | None = None
) -> DatasetSplits:
    """Fashion-MNIST's 60 000 training (or a fixed balanced subset) and 10 000 test images, normalised
    with the training set's mean and std; training batches get CIFAR's pad-4 crop and flip."""
    from attnlib.train import fashion

    files = fashion.load_files(root)
    mean, std = fashion.training_statistics(files)
    indices = None if train_subset is None else fashion.balanced_subset(files.train_labels, train_subset)
    train_images = files.train_images if indices is None else files.train_images[indices]
    train_labels = files.train_labels if indices is None else files.train_labels[indices]
    train = fashion.InMemoryImages(fashion.normalise(train_images, input_size, mean, std), train_labels)
    tested = None if test_subset is None else fashion.balanced_subset(files.test_labels, test_subset)
    test_images = files.test_images if tested is None else files.test_images[tested]
    test_labels = files.test_labels if tested is None else files.test_labels[tested]
    val = fashion.InMemoryImages(fashion.normalise(test_images, input_size, mean, std), test_labels)
    details = {
        **files.details(),
        "train_images": len(train),
        "test_images": len(val),
        "input_size": input_size,
        "normalisation": {"mean": round(mean, 6), "std": round(std, 6)},
        "augmentation": "pad 4, random crop, horizontal flip (per batch)",
    }
    subset = "all 60000" if indices is None else f"{len(train)} of the 60000 (class-balanced, fixed)"
    return DatasetSplits(
        train,
        val,
        10,
        f"Fashion-MNIST ({fashion.DEBIAN_PACKAGE} {fashion.DEBIAN_VERSION}) from {files.folder}: {subset} training "
        f"images, {'the 10000' if tested is None else f'{len(val)} of the 10000'} test images, {input_size}²",
        in_channels=1,
        augment_batch=(4, torch.tensor([-mean / std])),
        details=details,
    )


def _imagenet_root(root: str | os.PathLike | None) -> Path:
    chosen = root or os.environ.get("ATTNLIB_IMAGENET") or data_root() / "datasets" / "imagenet"
    return Path(chosen)


def load_dataset(
    name: str,
    root: str | os.PathLike | None = None,
    *,
    download: bool = False,
    synthetic_size: tuple[int, int] = (2048, 512),
    seed: int = 0,
    synthetic_noise: float = 0.6,
    augment: bool = True,
    input_size: int | None = None,
    train_subset: int | None = None,
    test_subset: int | None = None,
) -> DatasetSplits:
    """Train and validation splits of ``name`` (one of :data:`DATASETS`).

    Args:
        name: ``cifar10``, ``cifar100``, ``imagenet``, ``synthetic-cifar`` (10 classes, 32²) or
            ``synthetic-imagenet`` (100 classes, 64²).
        root: dataset folder; CIFAR defaults to ``data/datasets/``, ImageNet to
            ``$ATTNLIB_IMAGENET`` or ``data/datasets/imagenet`` (with ``train/`` and ``val/``).
        download: let torchvision download CIFAR when it is missing.
        synthetic_size: (train, val) sample counts of the synthetic datasets.
        seed: seed of the synthetic datasets.
        synthetic_noise: per-pixel noise of the synthetic datasets (their difficulty).
        augment: CIFAR only — ``False`` leaves the training crop and flip to the training device
            (:func:`crop_and_flip`).
        input_size: Fashion-MNIST only — 28 (the photos as they are, the default) or 32 (padded).
        train_subset: Fashion-MNIST only — train on this many of the 60 000 images (class-balanced,
            the same images for every run); ``None`` for all of them.
        test_subset: Fashion-MNIST only — evaluate on this many of the 10 000 test images (likewise).
    """
    if name != "fashion-mnist" and any(v is not None for v in (input_size, train_subset, test_subset)):
        raise ValueError(f"input_size, train_subset and test_subset are Fashion-MNIST settings; {name} has its own")
    if name == "fashion-mnist":
        return load_fashion_mnist(root, input_size or 28, train_subset, test_subset)
    if name in ("cifar10", "cifar100"):
        from torchvision import datasets

        folder = Path(root or data_root() / "datasets")
        factory = datasets.CIFAR10 if name == "cifar10" else datasets.CIFAR100
        try:
            transform = cifar_transforms(name, True, augment)
            train = factory(str(folder), train=True, transform=transform, download=download)
            val = factory(str(folder), train=False, transform=cifar_transforms(name, False), download=download)
        except (RuntimeError, OSError) as error:  # missing files, or a download that failed (offline)
            raise DatasetNotFound(
                f"{name} not found in {folder}: pass download=True (CLI: --download) on a machine with "
                f"internet access, or copy the extracted 'cifar-10-batches-py'/'cifar-100-python' folder there "
                f"(https://www.cs.toronto.edu/~kriz/cifar.html). ({error})"
            ) from error
        return DatasetSplits(train, val, 10 if name == "cifar10" else 100, f"{name} from {folder}")
    if name == "imagenet":
        folder = _imagenet_root(root)
        missing = [split for split in ("train", "val") if not (folder / split).is_dir()]
        if missing:
            raise DatasetNotFound(
                f"ImageNet not found: {', '.join(str(folder / m) for m in missing)} missing. Download ILSVRC2012 from "
                "https://www.image-net.org/ and arrange it as ImageFolder class folders under train/ and val/, "
                "then pass --data-root PATH or set ATTNLIB_IMAGENET=PATH."
            )
        from torchvision import datasets

        train = datasets.ImageFolder(str(folder / "train"), transform=imagenet_transforms(True))
        val = datasets.ImageFolder(str(folder / "val"), transform=imagenet_transforms(False))
        return DatasetSplits(train, val, len(train.classes), f"ImageNet ImageFolder at {folder}")
    if name in ("synthetic-cifar", "synthetic-imagenet"):
        if root is not None:
            raise ValueError(
                f"--data-root is for real datasets; {name} is generated "
                f"(name cifar10, cifar100 or imagenet to read {root})"
            )
        classes, size = (10, 32) if name == "synthetic-cifar" else (100, 64)
        train = SyntheticImages(synthetic_size[0], classes, size, seed, "train", synthetic_noise)
        val = SyntheticImages(synthetic_size[1], classes, size, seed, "val", synthetic_noise)
        return DatasetSplits(
            train,
            val,
            classes,
            f"SYNTHETIC {name}: {synthetic_size[0]}/{synthetic_size[1]} generated images, "
            f"{classes} classes, {size}² (a pipeline check, not a benchmark)",
        )
    raise ValueError(f"unknown dataset {name!r}; valid names are {', '.join(DATASETS)}")
