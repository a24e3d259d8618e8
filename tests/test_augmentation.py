"""CIFAR's crop and flip on the training device (``batch_augmentation``), and the CIFAR loader on
a small generated CIFAR-10 folder in torchvision's format."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision import datasets

from attnlib.train import TrainConfig, load_dataset, train
from attnlib.train.data import cifar_fill, crop_and_flip


def reference_crops(image: torch.Tensor, padding: int, fill: torch.Tensor) -> list[torch.Tensor]:
    """Every crop (and its mirror) a padded-then-cropped augmentation can produce, written plainly."""
    _, height, width = image.shape
    padded = fill.view(-1, 1, 1).repeat(1, height + 2 * padding, width + 2 * padding)
    padded[:, padding : padding + height, padding : padding + width] = image
    crops = []
    for top in range(2 * padding + 1):
        for left in range(2 * padding + 1):
            crop = padded[:, top : top + height, left : left + width]
            crops += [crop, crop.flip(2)]
    return crops


def test_every_augmented_image_is_a_padded_crop_of_its_source_possibly_mirrored() -> None:
    torch.manual_seed(0)
    images = torch.randn(16, 3, 8, 8)
    fill = torch.tensor([-1.5, -2.0, -0.5])
    augmented = crop_and_flip(images, 4, fill)
    assert augmented.shape == images.shape and augmented.dtype == images.dtype
    for source, result in zip(images, augmented, strict=True):
        assert any(torch.equal(result, crop) for crop in reference_crops(source, 4, fill))


def test_offsets_and_flips_are_uniform() -> None:
    torch.manual_seed(1)
    size, padding = 6, 2
    # Each pixel holds its own coordinates, so the crop's offset and flip can be read back.
    rows = torch.arange(size).view(1, size, 1).expand(1, size, size).float()
    columns = torch.arange(size).view(1, 1, size).expand(1, size, size).float()
    images = torch.cat([rows, columns]).unsqueeze(0).repeat(4000, 1, 1, 1)
    augmented = crop_and_flip(images, padding, torch.tensor([-100.0, -100.0]))
    centre_row = augmented[:, 0, size // 2, size // 2]
    centre_column = augmented[:, 1, size // 2, :]
    flipped = centre_column[:, 0] > centre_column[:, -1]
    top = centre_row - size // 2 + padding  # offset of the crop, 0 … 2·padding
    assert set(top.long().tolist()) == set(range(2 * padding + 1))
    counts = torch.bincount(top.long(), minlength=2 * padding + 1).float() / len(top)
    assert torch.allclose(counts, torch.full_like(counts, 1 / (2 * padding + 1)), atol=0.03)
    assert abs(flipped.float().mean().item() - 0.5) < 0.03


def test_the_fill_is_the_normalised_black_pixel() -> None:
    from attnlib.train.data import CIFAR_MEAN, CIFAR_STD

    fill = cifar_fill("cifar10")
    black = (torch.zeros(3) - torch.tensor(CIFAR_MEAN["cifar10"])) / torch.tensor(CIFAR_STD["cifar10"])
    assert torch.allclose(fill, black)


def write_cifar10(folder: Path, per_batch: int = 8) -> None:
    """A CIFAR-10 folder in torchvision's pickle format, with random pixels (the real one cannot be
    downloaded here)."""
    root = folder / "cifar-10-batches-py"
    root.mkdir(parents=True)
    generator = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        data = generator.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = generator.integers(0, 10, per_batch).tolist()
        with open(root / name, "wb") as stream:
            pickle.dump({"data": data, "labels": labels}, stream)
    with open(root / "batches.meta", "wb") as stream:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)]}, stream)


@pytest.fixture
def cifar10(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_cifar10(tmp_path)
    # torchvision checks each file's published md5; generated files cannot match it.
    monkeypatch.setattr(datasets.CIFAR10, "_check_integrity", lambda self: True)
    monkeypatch.setattr(datasets.cifar, "check_integrity", lambda *args, **kwargs: True)
    return tmp_path


def test_the_cifar_loader_reads_the_folder_and_leaves_augmentation_to_the_device_when_asked(cifar10: Path) -> None:
    augmented = load_dataset("cifar10", cifar10)
    plain = load_dataset("cifar10", cifar10, augment=False)
    assert len(augmented.train) == 40 and len(augmented.val) == 8 and augmented.num_classes == 10
    assert torch.equal(plain.train[3][0], plain.train[3][0])  # no random transform left in the loader
    torch.manual_seed(0)
    draws = {tuple(augmented.train[3][0].flatten()[:64].tolist()) for _ in range(8)}
    assert len(draws) > 1  # the loader's own crop and flip


def test_a_cifar_run_trains_with_batch_augmentation(cifar10: Path, tmp_path: Path) -> None:
    config = TrainConfig(
        dataset="cifar10",
        data_root=str(cifar10),
        model="cifar_resnet8",
        epochs=1,
        batch_size=8,
        lr_milestones=(),
        batch_augmentation=True,
        output=str(tmp_path / "run"),
    )
    result = train(config, progress=False)
    assert len(result.history) == 1 and result.final["images_per_s"] > 0


def test_batch_augmentation_is_refused_for_datasets_that_augment_in_their_loader() -> None:
    with pytest.raises(ValueError, match="batch_augmentation is CIFAR's crop and flip"):
        TrainConfig(dataset="synthetic-cifar", batch_augmentation=True)
