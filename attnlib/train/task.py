"""What the training loop trains: the :class:`Task` protocol and image classification.

A task builds the data and the network, computes a batch's loss and evaluates.
:class:`ClassificationTask` (cross-entropy, top-1/top-5) is what a :class:`TrainConfig` trains;
``attnlib.detection.DetectionTask`` plugs detectors into the very same loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Dataset

from attnlib import build_model
from attnlib.train.data import DatasetSplits, cifar_fill, crop_and_flip, load_dataset
from attnlib.train.distributed import DistributedContext, shard_batches

if TYPE_CHECKING:  # annotations only: this module needs no config at import time
    from attnlib.train.config import TrainConfig


def topk_correct(logits: torch.Tensor, targets: torch.Tensor, ks: tuple[int, ...] = (1, 5)) -> list[int]:
    """Number of samples whose target is among the top-k logits, for each k (k capped at #classes)."""
    largest = min(max(ks), logits.shape[1])
    top = logits.topk(largest, dim=1).indices
    hits = top.eq(targets.view(-1, 1))
    return [int(hits[:, : min(k, largest)].any(dim=1).sum()) for k in ks]


def evaluate(model: nn.Module, dataset: Dataset, config: TrainConfig, context: DistributedContext) -> dict[str, float]:
    """Loss, top-1 and top-5 (%) on ``dataset``; each process evaluates an interleaved shard."""
    loader = DataLoader(
        dataset, batch_sampler=shard_batches(len(dataset), config.batch_size, context), num_workers=config.workers
    )
    totals = torch.zeros(4, dtype=torch.float64)
    model.eval()
    with torch.inference_mode():
        for images, targets in loader:
            images, targets = images.to(config.device), targets.to(config.device)
            logits = model(images).float()
            top1, top5 = topk_correct(logits, targets)
            loss = nn.functional.cross_entropy(logits, targets, reduction="sum")
            totals += torch.tensor([float(loss), top1, top5, len(targets)], dtype=torch.float64)
    if context.enabled:
        dist.all_reduce(totals)
    loss, top1, top5, count = totals.tolist()
    return {"val_loss": loss / count, "top1": 100 * top1 / count, "top5": 100 * top5 / count}


def correct_mask(model: nn.Module, dataset: Dataset, config: TrainConfig) -> torch.Tensor:
    """Whether ``model``'s top-1 is right, image by image in ``dataset``'s order (one process, bool).

    Two runs evaluated on the same images can then be compared image by image: the paired interval of a
    difference in top-1 that the test set alone allows (:func:`attnlib.stats.paired_correct_interval`)."""
    loader = DataLoader(dataset, batch_size=config.batch_size, shuffle=False, num_workers=config.workers)
    found = []
    model.eval()
    with torch.inference_mode():
        for images, targets in loader:
            logits = model(images.to(config.device)).float()
            # the first of topk, as topk_correct counts it (argmax may break an exact tie otherwise)
            found.append(logits.topk(1, dim=1).indices[:, 0].eq(targets.to(config.device)).cpu())
    return torch.cat(found) if found else torch.zeros(0, dtype=torch.bool)


def build_training_model(config: TrainConfig, num_classes: int, in_channels: int = 3) -> nn.Module:
    """The network of ``config`` with its seed applied before initialisation."""
    torch.manual_seed(config.seed)
    block = config.block if config.model.startswith("cifar") else None
    return build_model(
        config.model, attention=config.attention, num_classes=num_classes, block=block, in_channels=in_channels
    )


class Task(Protocol):
    """What the loop needs from an experiment: data, a network, a batch loss and an evaluation."""

    collate: Any

    def splits(self) -> DatasetSplits:
        """Train and validation datasets (``num_classes`` sizes the network's output)."""

    def build_model(self, splits: DatasetSplits) -> nn.Module:
        """A freshly initialised network for these data."""

    def loss(self, network: nn.Module, batch: Any) -> tuple[torch.Tensor, int]:
        """Mean loss of one (micro-)batch and its number of samples; moves the batch to the device."""

    def lr_factor(self, iteration: int) -> float:
        """Multiplier of the scheduled learning rate at a global iteration (warmup); 1 otherwise."""

    def evaluate(self, model: nn.Module, dataset: Dataset, context: DistributedContext) -> dict[str, float]:
        """Validation metrics, identical on every process."""


class ClassificationTask:
    """Image classification: cross-entropy on logits, top-1/top-5 on the validation set."""

    collate = None

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.augment_batch: tuple[int, torch.Tensor] | None = None

    def splits(self) -> DatasetSplits:
        config = self.config
        # The config's data fields passed on by keyword, as the detection task does for its loader.
        splits = load_dataset(
            config.dataset,
            config.data_root,
            download=config.download,
            synthetic_size=config.synthetic_size,
            seed=config.seed,
            synthetic_noise=config.synthetic_noise,
            augment=not config.batch_augmentation,
            input_size=config.input_size,
            train_subset=config.train_subset,
            test_subset=config.test_subset,
        )
        self.augment_batch = splits.augment_batch
        return splits

    def build_model(self, splits: DatasetSplits) -> nn.Module:
        return build_training_model(self.config, splits.num_classes, splits.in_channels)

    def loss(self, network: nn.Module, batch: Any) -> tuple[torch.Tensor, int]:
        images, targets = batch
        images, targets = images.to(self.config.device), targets.to(self.config.device)
        if self.config.batch_augmentation:
            images = crop_and_flip(images, 4, cifar_fill(self.config.dataset).to(images.device))
        elif self.augment_batch is not None:
            padding, fill = self.augment_batch
            images = crop_and_flip(images, padding, fill.to(images.device))
        if self.config.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        return nn.functional.cross_entropy(network(images), targets), len(targets)

    def lr_factor(self, iteration: int) -> float:
        return 1.0

    def evaluate(self, model: nn.Module, dataset: Dataset, context: DistributedContext) -> dict[str, float]:
        return evaluate(model, dataset, self.config, context)


def task_of(config: TrainConfig) -> Task:
    """The task that trains ``config``.

    A config that trains something other than image classification names its task with a ``task()``
    method (:class:`attnlib.detection.task.DetectionConfig` does); every other config is classified.
    The config does not build its own default task, so that the config module never imports this one
    (which needs torch and the datasets).
    """
    own = getattr(config, "task", None)
    return own() if callable(own) else ClassificationTask(config)
