"""Fashion-MNIST: the one real image benchmark every machine here can have offline.

Zalando Research's 70 000 grayscale 28×28 photos of clothing in 10 classes (60 000 train, 10 000
test; Xiao, Rasul and Vollgraf 2017, MIT licence), as the four original idx files. Debian ships
them in ``dataset-fashion-mnist``; torchvision downloads the same images where there is internet.

The folder is looked for in this order (the first that holds all four ``.gz`` files wins):
``--data-root`` when given, ``$ATTNLIB_FASHION_MNIST``, Debian's ``/usr/share/datasets/fashion-mnist/``,
then ``data/datasets/fashion-mnist/`` (where ``make data`` puts it). Each file is checked: its SHA-256
as Debian ships it, or — for the byte-different gzip of another source — the SHA-256 of its
decompressed content; a damaged or truncated file is named with the fix. There is never a fall-back
to generated data.

The whole dataset lives in memory as normalised float tensors (≈ 190 MB at 28²). Training
augmentation is CIFAR's (pad 4, random crop, horizontal flip), applied to each batch on the
training device by :func:`attnlib.train.data.crop_and_flip`: per-sample PIL transforms would cost
more than a small ResNet's training step on two CPU cores.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from attnlib.paper import data_root

ENVIRONMENT_VARIABLE = "ATTNLIB_FASHION_MNIST"
DEBIAN_FOLDER = Path("/usr/share/datasets/fashion-mnist")
DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_VERSION = "0.0~git20200523.55506a9-1"
SOURCE = "https://github.com/zalandoresearch/fashion-mnist"
LICENCE = "MIT (Expat), Copyright 2017 Zalando SE"
CITATION = "Xiao, Rasul and Vollgraf (2017), Fashion-MNIST, arXiv:1708.07747"
CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# file -> (SHA-256 of the .gz as Debian ships it, SHA-256 of its decompressed idx content)
FILES: dict[str, tuple[str, str]] = {
    "train-images-idx3-ubyte.gz": (
        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    "train-labels-idx1-ubyte.gz": (
        "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    "t10k-images-idx3-ubyte.gz": (
        "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
}
NATIVE_SIDE = 28
SIZES = (28, 32)  # 28: the photos as they are; 32: zero-padded by 2 to CIFAR's size
SUBSET_SEED = 20_170_825  # fixes which training images a reduced training set holds, for every run

HOW_TO_GET = (
    f"get it in one of three ways: `make data` (fetches Debian's {DEBIAN_PACKAGE} with apt-get download + "
    f"dpkg -x, or torchvision's download, into data/datasets/fashion-mnist/); `apt-get install {DEBIAN_PACKAGE}` "
    f"(puts it at {DEBIAN_FOLDER}/); or copy the four .gz files ({', '.join(FILES)}) from {SOURCE} into a folder "
    f"and set {ENVIRONMENT_VARIABLE}=FOLDER (or pass --data-root FOLDER)"
)


class FashionMNISTNotFound(FileNotFoundError):
    """No folder holds the four Fashion-MNIST files; the message names where it looked and the fixes."""


class FashionMNISTDamaged(OSError):
    """A Fashion-MNIST file is truncated, corrupt or not the published one; the message names it."""


def default_folder() -> Path:
    """Where ``make data`` puts the dataset: ``data/datasets/fashion-mnist``."""
    return data_root() / "datasets" / "fashion-mnist"


def candidate_folders(root: str | os.PathLike | None = None) -> list[Path]:
    """The folders looked in, in order: ``root`` alone when given, else the environment variable,
    Debian's folder and ``data/datasets/fashion-mnist``."""
    if root is not None:
        return [Path(root)]
    folders = [Path(os.environ[ENVIRONMENT_VARIABLE])] if os.environ.get(ENVIRONMENT_VARIABLE) else []
    return [*folders, DEBIAN_FOLDER, default_folder()]


def find_folder(root: str | os.PathLike | None = None) -> Path:
    """The first candidate folder holding all four files, or :class:`FashionMNISTNotFound`."""
    looked = []
    for folder in candidate_folders(root):
        missing = [name for name in FILES if not (folder / name).is_file()]
        if not missing:
            return folder
        looked.append(f"{folder} ({'missing' if not folder.is_dir() else 'lacks ' + ', '.join(missing)})")
    raise FashionMNISTNotFound(f"Fashion-MNIST not found — looked in {'; '.join(looked)}. To {HOW_TO_GET}.")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_checked(path: Path) -> bytes:
    """The decompressed idx content of ``path``, after checking it is the published file.

    Accepted: the ``.gz`` exactly as Debian ships it, or any gzip whose content is the published
    idx file (torchvision's download). Anything else raises :class:`FashionMNISTDamaged`.
    """
    shipped, content = FILES[path.name]
    raw = path.read_bytes()
    fix = f"delete it and run `make data` again (or {HOW_TO_GET})"
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise FashionMNISTDamaged(
            f"{path} is damaged or truncated ({len(raw)} bytes; gzip says: {error}): {fix}"
        ) from None
    if _sha256(raw) != shipped and _sha256(data) != content:
        raise FashionMNISTDamaged(
            f"{path} is not the published Fashion-MNIST file (SHA-256 {_sha256(raw)}, expected {shipped} as "
            f"Debian ships it, or decompressed content {content}): {fix}"
        )
    return data


def parse_idx(data: bytes, name: str = "idx") -> torch.Tensor:
    """An idx file (LeCun's MNIST format: magic ``0x0000 08 D``, D big-endian sizes, unsigned bytes)."""
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] != 0x08:
        raise FashionMNISTDamaged(f"{name} is not an unsigned-byte idx file (magic {data[:4].hex()})")
    dims = data[3]
    header = 4 + 4 * dims
    shape = struct.unpack(f">{dims}I", data[4:header])
    expected = header + int(torch.tensor(shape).prod())
    if len(data) != expected:
        raise FashionMNISTDamaged(f"{name} holds {len(data)} bytes; its header {shape} needs {expected}")
    return torch.frombuffer(bytearray(data[header:]), dtype=torch.uint8).reshape(shape)


@dataclass(frozen=True)
class FashionMNISTFiles:
    """The four arrays, as uint8 images (N, 28, 28) and int64 labels, and where they came from."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    folder: Path

    def details(self) -> dict[str, object]:
        """What a record says of the data: source, version, licence, folder and checksums."""
        return {
            "name": "Fashion-MNIST",
            "source": SOURCE,
            "debian_package": f"{DEBIAN_PACKAGE} {DEBIAN_VERSION}",
            "licence": LICENCE,
            "citation": CITATION,
            "folder": str(self.folder),
            "sha256": {name: shipped for name, (shipped, _) in FILES.items()},
            "content_sha256": {name: content for name, (_, content) in FILES.items()},
        }


_LOADED: dict[Path, FashionMNISTFiles] = {}


def load_files(root: str | os.PathLike | None = None) -> FashionMNISTFiles:
    """Find, check and parse the four files (once per process and folder)."""
    folder = find_folder(root).resolve()
    if folder not in _LOADED:
        arrays = {name: parse_idx(read_checked(folder / name), str(folder / name)) for name in FILES}
        files = FashionMNISTFiles(
            arrays["train-images-idx3-ubyte.gz"],
            arrays["train-labels-idx1-ubyte.gz"].long(),
            arrays["t10k-images-idx3-ubyte.gz"],
            arrays["t10k-labels-idx1-ubyte.gz"].long(),
            folder,
        )
        for split, images, labels in (
            ("train", files.train_images, files.train_labels),
            ("test", files.test_images, files.test_labels),
        ):
            if images.shape[0] != labels.shape[0] or images.shape[1:] != (NATIVE_SIDE, NATIVE_SIDE):
                raise FashionMNISTDamaged(
                    f"{folder}: the {split} images {tuple(images.shape)} do not match "
                    f"their labels {tuple(labels.shape)}"
                )
        _LOADED[folder] = files
    return _LOADED[folder]


def balanced_subset(labels: torch.Tensor, size: int, seed: int = SUBSET_SEED) -> torch.Tensor:
    """Indices of ``size`` training images, as equal a share per class as ``size`` allows.

    Drawn from a fixed seed (not the run's), so every run of a study trains on the same images.
    """
    if not 0 < size <= len(labels):
        raise ValueError(f"a training subset needs 1..{len(labels)} images, got {size}")
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    classes = int(labels.max()) + 1
    chosen: list[torch.Tensor] = []
    for k in range(classes):
        of_class = order[labels[order] == k]
        chosen.append(of_class[: size // classes + (1 if k < size % classes else 0)])
    return torch.cat(chosen).sort().values


class InMemoryImages(Dataset):
    """Normalised images (N, 1, S, S) and labels held as tensors; item ``i`` is ``(image, label)``."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index], int(self.labels[index])


def normalise(images: torch.Tensor, side: int, mean: float, std: float) -> torch.Tensor:
    """uint8 (N, 28, 28) → float (N, 1, side, side), black-padded to ``side``, then (x/255 − mean)/std."""
    if side not in SIZES:
        raise ValueError(f"Fashion-MNIST input size must be one of {SIZES}, got {side}")
    pixels = images.float().div_(255).unsqueeze(1)
    pad = (side - NATIVE_SIDE) // 2
    if pad:
        pixels = torch.nn.functional.pad(pixels, (pad, pad, pad, pad))
    return pixels.sub_(mean).div_(std)


def training_statistics(files: FashionMNISTFiles) -> tuple[float, float]:
    """Mean and std of all 60 000 training pixels in [0, 1] (≈ 0.2860 and 0.3530)."""
    pixels = files.train_images.double().div(255)
    return float(pixels.mean()), float(pixels.std())


# --- fetching (make data) ---------------------------------------------------------------------------


def check_folder(folder: Path) -> None:
    """Check all four files of ``folder`` (:func:`read_checked`), naming the first bad one."""
    for name in FILES:
        path = folder / name
        if not path.is_file():
            raise FashionMNISTNotFound(f"{path} is missing: {HOW_TO_GET}")
        read_checked(path)


def _copy_files(source: Path, destination: Path) -> None:
    """Copy the four files from ``source`` into ``destination``, each through a temporary name."""
    import shutil

    check_folder(source)
    destination.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        partial = destination / f".{name}.partial"
        shutil.copyfile(source / name, partial)
        os.replace(partial, destination / name)
    check_folder(destination)


def _unpack_deb(package: Path, scratch: Path) -> Path:
    """``dpkg -x`` a ``dataset-fashion-mnist`` package into ``scratch``; the folder with the four files."""
    import subprocess

    result = subprocess.run(["dpkg", "-x", str(package), str(scratch)], capture_output=True, text=True)
    if result.returncode != 0:
        raise FashionMNISTDamaged(f"dpkg -x {package} failed: {result.stderr.strip() or result.returncode}")
    folder = scratch / "usr" / "share" / "datasets" / "fashion-mnist"
    if not folder.is_dir():
        raise FashionMNISTNotFound(f"{package} holds no usr/share/datasets/fashion-mnist/ folder")
    return folder


def fetch(source: str | os.PathLike | None = None, destination: Path | None = None, log: Any = print) -> Path:
    """Put the four checked files into ``destination`` (``data/datasets/fashion-mnist``) and return it.

    ``source``: a ``.deb`` of ``dataset-fashion-mnist`` or a folder holding the four files. Without
    one: nothing to do when a checked copy is found already (:func:`find_folder`); else Debian's
    package through ``apt-get download`` + ``dpkg -x`` when apt is there, else torchvision's download.
    """
    import shutil
    import subprocess
    import tempfile

    destination = Path(destination or default_folder())
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        if source is not None:
            source = Path(source)
            if source.is_file() and source.suffix == ".deb":
                folder = _unpack_deb(source, scratch)
            elif source.is_dir():
                folder = source
            else:
                raise FashionMNISTNotFound(f"{source} is neither a .deb of {DEBIAN_PACKAGE} nor a folder")
            _copy_files(folder, destination)
            log(f"attnlib: Fashion-MNIST checked and copied from {source} to {destination}")
            return destination
        try:
            found = find_folder()
            check_folder(found)
            log(f"attnlib: Fashion-MNIST is at {found} (checked); nothing to fetch")
            return found
        except FashionMNISTNotFound:
            pass
        if shutil.which("apt-get") and shutil.which("dpkg"):
            log(f"attnlib: apt-get download {DEBIAN_PACKAGE} …")
            result = subprocess.run(
                ["apt-get", "download", DEBIAN_PACKAGE], cwd=scratch, capture_output=True, text=True
            )
            packages = sorted(scratch.glob(f"{DEBIAN_PACKAGE}_*.deb"))
            if result.returncode == 0 and packages:
                _copy_files(_unpack_deb(packages[0], scratch / "unpacked"), destination)
                log(f"attnlib: Fashion-MNIST from {packages[0].name} checked and copied to {destination}")
                return destination
            log(f"attnlib: apt-get download failed ({result.stderr.strip()[-200:]}); trying torchvision's download")
        try:
            from torchvision import datasets

            datasets.FashionMNIST(str(scratch), train=True, download=True)
        except Exception as error:  # offline: URLError, RuntimeError, OSError
            raise FashionMNISTNotFound(
                f"could not fetch Fashion-MNIST (apt-get: {'not found' if not shutil.which('apt-get') else 'failed'};"
                f" torchvision's download: {type(error).__name__}: {error}). To {HOW_TO_GET}"
            ) from None
        _copy_files(scratch / "FashionMNIST" / "raw", destination)
        log(f"attnlib: Fashion-MNIST downloaded by torchvision, checked and copied to {destination}")
        return destination


def checksum_table() -> Any:
    """The four files with their SHA-256 as Debian ships them and of their decompressed content."""
    import pandas as pd

    return pd.DataFrame(
        [
            {"file": name, "SHA-256 (.gz as shipped)": shipped, "SHA-256 (content)": content}
            for name, (shipped, content) in FILES.items()
        ]
    )


def available(root: str | os.PathLike | None = None) -> bool:
    """Whether a checked copy of Fashion-MNIST is on this machine (the book's live runs use it then)."""
    try:
        load_files(root)
    except (FashionMNISTNotFound, FashionMNISTDamaged):
        return False
    return True
