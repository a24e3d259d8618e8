"""The words a page shows for the keys the code and the records use.

Records and tables are keyed the way code is (``day_night``, ``20ep_lr0.01+20ep_lr0.001``, ``cifar10``,
``top1``, ``openvino``, ``train_loss``): stable names that scripts and tests can rely on. A reader should
see words instead — "day → night", "20 epochs at lr 0.01, then 20 at lr 0.001", "CIFAR-10". The
chapters keep computing on the keys and call :func:`reader_labels` only where they display a table.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from attnlib.names import label_words

if TYPE_CHECKING:
    import pandas as pd

KEY_WORDS = {
    "day_night": "day → night",
    "cifar10": "CIFAR-10",
    "cifar100": "CIFAR-100",
    "fashion-mnist": "Fashion-MNIST",
    "imagenet": "ImageNet",
    "synthetic-cifar": "generated CIFAR-like images",
    "synthetic-imagenet": "generated ImageNet-like images",
    "top1": "top-1",
    "top5": "top-5",
    "AP50": "AP@0.5",
    "initialized": "right after insertion",
    "ibn": "IBN-b",
    "style_adversarial": "style-adversarial head",
    "train_images": "training images",
    "val_images": "validation images",
    "train_loss": "final training loss",
}
"""Keys with words of their own; schedules (``2ep_lr0.001``) are read by :func:`schedule_words`, engine
labels (``openvino``, ``compile+graphs``) by :func:`~attnlib.names.label_words`."""

_SCHEDULE_PART = re.compile(r"^(\d+)ep_lr([0-9.eE-]+)$")


def schedule_words(key: str) -> str | None:
    """A fine-tuning schedule's key in words: ``2ep_lr0.001`` → "2 epochs at lr 0.001",
    ``20ep_lr0.01+20ep_lr0.001`` → "20 epochs at lr 0.01, then 20 at lr 0.001"; None when ``key`` is no
    schedule."""
    parts = [_SCHEDULE_PART.match(part) for part in key.split("+")]
    if not parts or not all(parts):
        return None
    first, *later = parts
    words = f"{first.group(1)} epoch{'' if first.group(1) == '1' else 's'} at lr {first.group(2)}"
    return words + "".join(f", then {part.group(1)} at lr {part.group(2)}" for part in later)


def key_words(key: object) -> object:
    """The words for one key (:data:`KEY_WORDS`, a schedule, an engine label), or the key itself when it
    has none."""
    if not isinstance(key, str):
        return key
    return KEY_WORDS.get(key) or schedule_words(key) or label_words(key)


def reader_labels(frame: pd.DataFrame, values: tuple[str, ...] = ()) -> pd.DataFrame:
    """``frame`` with its row and column labels (every level, the levels' names too) in words, and the
    cells of the ``values`` columns: module keys by their paper spelling, other keys by :func:`key_words`."""
    from attnlib.attention import display_name
    from attnlib.names import COMPARED

    def cell(value: object) -> object:
        if isinstance(value, str) and value in COMPARED:
            return display_name(value)
        return key_words(value)

    shown = frame.copy()
    for column in values:
        if column in shown.columns:
            shown[column] = shown[column].map(cell)
    shown = shown.rename(index=key_words, columns=key_words)
    shown.index = shown.index.set_names([key_words(name) for name in shown.index.names])
    shown.columns = shown.columns.set_names([key_words(name) for name in shown.columns.names])
    return shown
