"""Run records of training runs and their aggregation over seeds (Table 1 reports 3 seeds)."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pandas as pd

from attnlib.attention import BASELINE
from attnlib.provenance import provenance
from attnlib.results import read_records, record_labels, write_record
from attnlib.train.config import TrainConfig


def record_kind(config: TrainConfig) -> str:
    """``cifar``, ``fashion`` or ``imagenet`` for real data, ``synthetic`` for the offline stand-ins."""
    if config.dataset.startswith("synthetic"):
        return "synthetic"
    return {"imagenet": "imagenet", "fashion-mnist": "fashion"}.get(config.dataset, "cifar")


def write_training_record(
    config: TrainConfig,
    history: list[dict],
    root: Path | None = None,
    committed: bool = False,
    *,
    kind: str | None = None,
    name: str | None = None,
    columns: dict[str, object] | None = None,
    **extra: object,
) -> Path:
    """One row per epoch, with the config and the machine's provenance in the JSON sidecar.

    Written to ``data/runs/`` unless ``committed`` (``data/results/``, what the book shows). ``kind`` and
    ``name`` default to :func:`record_kind` and the config's run name; ``columns`` adds (or overrides)
    per-row columns, as a campaign does to say which part and variant a run is.
    """
    described = {
        "dataset": config.dataset,
        "model": config.model,
        "block": config.block,
        "attention": config.attention or BASELINE,
        "seed": config.seed,
    }
    table = pd.DataFrame(history).assign(**{**described, **(columns or {})})
    return write_record(
        kind or record_kind(config),
        name or config.run_name,
        table,
        provenance(config.profile, config=config.as_dict(), **extra),
        root,
        committed,
    )


def pack_mask(mask: object) -> dict[str, object]:
    """A per-image bool mask (a tensor or array) as it is kept in a record: its length and its bits,
    packed and base64-encoded (10 000 test images: 1 668 characters)."""
    bits = np.asarray(mask, dtype=bool).ravel()
    return {"size": int(bits.size), "bits": base64.b64encode(np.packbits(bits).tobytes()).decode("ascii")}


def unpack_mask(packed: dict[str, object]) -> np.ndarray:
    """The bool mask :func:`pack_mask` kept (a ValueError when the record's entry is malformed)."""
    try:
        size = int(packed["size"])  # type: ignore[call-overload]
        raw = np.frombuffer(base64.b64decode(str(packed["bits"])), dtype=np.uint8)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"a packed mask needs 'size' and base64 'bits', got {packed!r:.80}") from error
    bits = np.unpackbits(raw)
    if bits.size < size:
        raise ValueError(f"a packed mask of {size} values holds only {bits.size} bits")
    return bits[:size].astype(bool)


def final_epochs(kind: str, root: Path | None = None) -> pd.DataFrame:
    """The last epoch of every record of ``kind``, with its profile and hardware."""
    rows = []
    for table, record in read_records(kind, root):
        last = table.iloc[-1].to_dict()
        labels = record_labels(record)
        labels.pop("threads")
        rows.append({**last, **labels})
    return pd.DataFrame(rows)


RUN_COLUMNS = ("dataset", "model", "block", "attention", "top1", "top5")


def paper_runs(finals: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`final_epochs` made with the paper's protocol (profile ``paper``).

    Only these count as a reproduction of the paper's accuracy: a smaller profile measures the
    pipeline, not the paper's number. No such row: an empty frame with the run columns, so callers can
    filter it like any other.
    """
    if finals.empty or "profile" not in finals:
        return pd.DataFrame(columns=list(RUN_COLUMNS))
    return finals[finals.profile == "paper"]


def aggregate_seeds(
    finals: pd.DataFrame, keys: tuple[str, ...] = ("dataset", "model", "block", "attention")
) -> pd.DataFrame:
    """Mean, sample standard deviation and count of top-1/top-5 over seeds, per configuration."""
    grouped = finals.groupby(list(keys), dropna=False)
    summary = grouped.agg(
        top1_mean=("top1", "mean"),
        top1_std=("top1", "std"),
        top5_mean=("top5", "mean"),
        top5_std=("top5", "std"),
        seeds=("seed", "nunique"),
    )
    return summary.reset_index()
