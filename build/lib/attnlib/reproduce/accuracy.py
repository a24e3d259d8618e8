"""The accuracy experiments behind Tables 1 and 2: one training per (dataset, network, module, seed).

Each chapter declares its :class:`AccuracySettings` per profile (the complete schedule, resolved
once); :func:`run_accuracy` trains every configuration through :func:`attnlib.train.train` and
returns the final-epoch metrics as a tidy frame.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from attnlib.attention import BASELINE, compared
from attnlib.train import TrainConfig, train, write_training_record


@dataclass(frozen=True)
class AccuracySettings:
    """Which runs a table needs at one profile, and the one schedule they all train with.

    ``schedule`` holds :class:`TrainConfig` fields (epochs, batch size, lr, milestones, the size
    of generated data…) as ``(name, value)`` pairs, so the settings stay hashable and printable.
    """

    datasets: tuple[str, ...]
    models: tuple[tuple[str, str | None], ...]  # (model, block)
    seeds: tuple[int, ...]
    schedule: tuple[tuple[str, Any], ...]


def schedule(**fields: Any) -> tuple[tuple[str, Any], ...]:
    """``TrainConfig`` fields as :attr:`AccuracySettings.schedule` pairs."""
    return tuple(fields.items())


def accuracy_configs(
    settings: AccuracySettings, profile: str, modules: Sequence[str] | None = None
) -> Iterator[TrainConfig]:
    """Every run of ``settings`` (dataset × network × module × seed), in table order."""
    for dataset in settings.datasets:
        for model, block in settings.models:
            for module in modules or compared():
                for seed in settings.seeds:
                    fields = {**dict(settings.schedule), "block": block}
                    yield TrainConfig(
                        dataset=dataset, model=model, attention=module, seed=seed, profile=profile, **fields
                    )


def run_accuracy(
    settings: AccuracySettings,
    profile: str,
    modules: Sequence[str] | None = None,
    save_records: bool = False,
    output: Path | None = None,
) -> pd.DataFrame:
    """Train every configuration of ``settings``; one row per run with its final top-1/top-5.

    Checkpoints go to ``output`` (a temporary folder if not given, so a book build leaves nothing
    behind); with ``save_records`` each run is also written as a run record under ``data/runs``.
    """
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        base_dir = Path(output or scratch)
        for config in accuracy_configs(settings, profile, modules):
            config = replace(config, output=str(base_dir / config.run_name))
            result = train(config, progress=False)
            if save_records:
                write_training_record(config, result.history, **result.dataset)
            rows.append(final_row(config, result.history))
    return pd.DataFrame(rows)


def final_row(config: TrainConfig, history: list[dict]) -> dict[str, object]:
    """The table row of a finished run: its identity and its last epoch's top-1/top-5."""
    last = history[-1]
    return {
        "dataset": config.dataset,
        "model": config.model,
        "block": config.block or "",
        "attention": config.attention or BASELINE,
        "seed": config.seed,
        "epochs": last["epoch"] + 1,
        "top1": last["top1"],
        "top5": last["top5"],
        "train_loss": last["train_loss"],
    }
