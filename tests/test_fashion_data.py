"""Fashion-MNIST's data (``attnlib.train.fashion``): finding, checking and reading the idx files, the
networks' grayscale stem, ``attnlib data``, ``make data`` and ``attnlib train --dataset fashion-mnist``.

The tests never need apt, the network or the real dataset: they write small idx files of their own
and declare those files' checksums as the published ones.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import struct
from pathlib import Path

import pytest
import torch

from attnlib import build_model
from attnlib.cli import main
from attnlib.train import fashion as fashion_data
from attnlib.train.data import load_dataset

TRAIN, TEST = 120, 40


def _idx(array: torch.Tensor) -> bytes:
    header = struct.pack(f">BBBB{array.dim()}I", 0, 0, 8, array.dim(), *array.shape)
    return header + bytes(array.to(torch.uint8).flatten().tolist())


def _images(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Class k: a bright horizontal band at rows 2k..2k+3 on a noisy background (learnable)."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(count) % 10
    images = torch.randint(0, 60, (count, 28, 28), generator=generator)
    for index, label in enumerate(labels.tolist()):
        images[index, 2 * label + 2 : 2 * label + 6, 4:24] = 230
    return images, labels


@pytest.fixture
def fake_fashion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with four small idx.gz files, declared the published ones; no other copy is visible."""
    folder = tmp_path / "fashion"
    folder.mkdir()
    train_images, train_labels = _images(TRAIN, 0)
    test_images, test_labels = _images(TEST, 1)
    contents = {
        "train-images-idx3-ubyte.gz": _idx(train_images),
        "train-labels-idx1-ubyte.gz": _idx(train_labels),
        "t10k-images-idx3-ubyte.gz": _idx(test_images),
        "t10k-labels-idx1-ubyte.gz": _idx(test_labels),
    }
    checksums = {}
    for name, data in contents.items():
        packed = gzip.compress(data, mtime=0)
        (folder / name).write_bytes(packed)
        checksums[name] = (hashlib.sha256(packed).hexdigest(), hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(fashion_data, "FILES", checksums)
    monkeypatch.setattr(fashion_data, "_LOADED", {})
    monkeypatch.setattr(fashion_data, "DEBIAN_FOLDER", tmp_path / "no-debian-copy")
    monkeypatch.setenv("ATTNLIB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv(fashion_data.ENVIRONMENT_VARIABLE, str(folder))
    return folder


def test_the_folder_is_found_in_the_documented_order(fake_fashion: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fashion_data.ENVIRONMENT_VARIABLE)
    monkeypatch.setattr(fashion_data, "DEBIAN_FOLDER", fake_fashion)
    assert fashion_data.find_folder() == fake_fashion  # Debian's folder
    default = fashion_data.default_folder()
    shutil.copytree(fake_fashion, default)
    monkeypatch.setattr(fashion_data, "DEBIAN_FOLDER", fake_fashion.parent / "gone")
    assert fashion_data.find_folder() == default  # then data/datasets/fashion-mnist
    elsewhere = shutil.copytree(fake_fashion, fake_fashion.parent / "elsewhere")
    monkeypatch.setenv(fashion_data.ENVIRONMENT_VARIABLE, str(elsewhere))
    assert fashion_data.find_folder() == elsewhere  # the environment variable comes first
    assert fashion_data.find_folder(fake_fashion) == fake_fashion  # and --data-root before everything


def test_missing_everywhere_is_one_error_naming_the_places_and_the_three_fixes(fake_fashion: Path) -> None:
    shutil.rmtree(fake_fashion)
    with pytest.raises(fashion_data.FashionMNISTNotFound) as caught:
        load_dataset("fashion-mnist")
    message = str(caught.value)
    for expected in ("no-debian-copy", "datasets/fashion-mnist", "make data", "apt-get install"):
        assert expected in message
    assert "ATTNLIB_FASHION_MNIST" in message


def test_a_truncated_or_altered_file_is_named_with_the_fix(fake_fashion: Path) -> None:
    labels = fake_fashion / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-9])
    with pytest.raises(fashion_data.FashionMNISTDamaged, match=r"t10k-labels-idx1-ubyte\.gz is damaged or truncated"):
        load_dataset("fashion-mnist")
    images = fake_fashion / "train-images-idx3-ubyte.gz"
    content = bytearray(gzip.decompress(images.read_bytes()))
    content[-1] ^= 0xFF
    images.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(fashion_data.FashionMNISTDamaged, match=r"train-images-idx3-ubyte\.gz is not the published"):
        fashion_data.read_checked(images)


def test_another_sources_gzip_of_the_same_content_is_accepted(fake_fashion: Path) -> None:
    path = fake_fashion / "train-labels-idx1-ubyte.gz"
    content = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(content, compresslevel=1, mtime=12345))  # other bytes, same idx content
    assert fashion_data.read_checked(path) == content


def test_idx_parsing_refuses_a_wrong_magic_or_size() -> None:
    good = _idx(torch.zeros(2, 3, 4))
    assert fashion_data.parse_idx(good).shape == (2, 3, 4)
    with pytest.raises(fashion_data.FashionMNISTDamaged, match="not an unsigned-byte idx"):
        fashion_data.parse_idx(b"\x00\x00\x0d\x01" + good[4:])
    with pytest.raises(fashion_data.FashionMNISTDamaged, match="needs"):
        fashion_data.parse_idx(good[:-1])


@pytest.mark.parametrize("side", [28, 32])
def test_splits_are_grayscale_normalised_and_augmented_per_batch(fake_fashion: Path, side: int) -> None:
    splits = load_dataset("fashion-mnist", input_size=side)
    assert (len(splits.train), len(splits.val), splits.num_classes, splits.in_channels) == (TRAIN, TEST, 10, 1)
    image, label = splits.train[3]
    assert image.shape == (1, side, side) and label == 3
    train = torch.stack([splits.train[i][0] for i in range(TRAIN)])
    if side == 28:  # normalised with the training set's own statistics
        assert float(train.mean()) == pytest.approx(0.0, abs=1e-4)
        assert float(train.std()) == pytest.approx(1.0, abs=1e-2)
    else:  # the 2-pixel border is black: the normalised value the crop pads with too
        padding, fill = splits.augment_batch
        assert padding == 4 and torch.allclose(train[:, :, 0, :], fill.view(1, 1, 1))
    details = splits.details
    assert details["name"] == "Fashion-MNIST" and "Zalando" in details["licence"]
    assert set(details["sha256"]) == set(fashion_data.FILES)


def test_a_training_subset_is_class_balanced_and_the_same_for_every_run(fake_fashion: Path) -> None:
    labels = fashion_data.load_files().train_labels
    subset = fashion_data.balanced_subset(labels, 55)
    counts = torch.bincount(labels[subset], minlength=10)
    assert int(counts.sum()) == 55 and int(counts.max() - counts.min()) <= 1
    assert torch.equal(subset, fashion_data.balanced_subset(labels, 55))
    assert len(load_dataset("fashion-mnist", train_subset=30).train) == 30
    with pytest.raises(ValueError, match="Fashion-MNIST settings"):
        load_dataset("synthetic-cifar", train_subset=30)


@pytest.mark.parametrize("name", ["cifar_resnet8", "resnet18"])
def test_a_grayscale_stem_keeps_the_state_dict_keys(name: str) -> None:
    colour, gray = build_model(name), build_model(name, in_channels=1)
    assert list(colour.state_dict()) == list(gray.state_dict())
    assert gray.conv1.weight.shape[1] == 1
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        gray(torch.zeros(1, 3, 32, 32))


def test_attnlib_train_on_fashion_mnist_writes_a_record_naming_the_data(
    fake_fashion: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    arguments = ["train", "--dataset", "fashion-mnist", "--model", "cifar_resnet8", "--attention", "eca"]
    arguments += ["--epochs", "1", "--batch-size", "20", "--output", str(tmp_path / "run")]
    assert main(arguments) == 0
    assert "top-1" in capsys.readouterr().out
    records = list((tmp_path / "data" / "runs" / "fashion").glob("*.json"))
    record = json.loads(records[0].read_text())
    assert record["dataset_details"]["name"] == "Fashion-MNIST" and record["train_size"] == TRAIN


def test_a_data_root_that_holds_nothing_is_one_clear_cli_error(
    fake_fashion: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    arguments = ["train", "--dataset", "fashion-mnist", "--model", "cifar_resnet8", "--epochs", "1"]
    assert main([*arguments, "--data-root", str(tmp_path / "nothing")]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("attnlib: error: Fashion-MNIST not found") and "nothing (missing)" in error


def test_attnlib_data_copies_a_folder_or_a_debian_package_and_checks_it(fake_fashion: Path, tmp_path: Path) -> None:
    destination = tmp_path / "copy"
    assert main(["data", "fashion-mnist", "--from", str(fake_fashion), "--destination", str(destination)]) == 0
    fashion_data.check_folder(destination)
    if shutil.which("dpkg-deb"):
        package = tmp_path / "package"
        (package / "DEBIAN").mkdir(parents=True)
        (package / "DEBIAN" / "control").write_text(
            "Package: dataset-fashion-mnist\nVersion: 0.0~test\nArchitecture: all\nMaintainer: t <t@t>\n"
            "Description: test\n"
        )
        shutil.copytree(fake_fashion, package / "usr" / "share" / "datasets" / "fashion-mnist")
        import subprocess

        deb = tmp_path / "dataset-fashion-mnist_test_all.deb"
        subprocess.run(["dpkg-deb", "--build", str(package), str(deb)], check=True, capture_output=True)
        from_deb = tmp_path / "from-deb"
        assert main(["data", "fashion-mnist", "--from", str(deb), "--destination", str(from_deb)]) == 0
        fashion_data.check_folder(from_deb)
    (fake_fashion / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    assert main(["data", "fashion-mnist", "--from", str(fake_fashion), "--destination", str(tmp_path / "bad")]) == 2


def test_make_data_copies_and_checks_a_local_folder(tmp_path: Path) -> None:
    """The documented `make data`, from a local folder (the real files where this machine has them)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    candidates = [fashion_data.DEBIAN_FOLDER, root / "data" / "datasets" / "fashion-mnist"]
    real = next((f for f in candidates if all((f / name).is_file() for name in fashion_data.FILES)), None)
    if real is None:
        pytest.skip("the real Fashion-MNIST files are not on this machine (`make data` or apt-get install them)")
    environment = {**__import__("os").environ, "ATTNLIB_DATA": str(tmp_path)}
    completed = subprocess.run(
        # -o: the venv is taken as set up (the suite runs in it); make would otherwise reinstall it when
        # pyproject.toml is newer than its stamp
        ["make", "-C", str(root), "-o", ".venv/.attnlib-installed", "data", f"FASHION_MNIST_FROM={real}"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    fashion_data.check_folder(tmp_path / "datasets" / "fashion-mnist")
