"""Latency experiments as run records: groups of networks × engines × options, timed and written.

An :class:`Experiment` becomes one run record under ``data/runs/latency/`` (ad hoc) or, when
committed, ``data/results/latency/``. The book's named sweeps (``attnlib bench --preset``) are
declared in :mod:`attnlib.reproduce.presets`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from torch import nn

from attnlib.bench.engines import EngineOptions
from attnlib.bench.latency import LatencyResult, Variant, options_record, run_groups
from attnlib.machine_load import watching_load, with_load
from attnlib.provenance import provenance
from attnlib.results import record_labels, write_record

Groups = list[tuple[list[Variant], int, int]]


@dataclass(frozen=True)
class Experiment:
    """One record's worth of latency measurements."""

    name: str
    groups: Groups
    engines: tuple[str, ...]
    options: EngineOptions = field(default_factory=EngineOptions)
    trials: int = 100
    warmup: int = 10
    keep_going: bool = False  # leave out (and record) a variant an engine fails on, instead of stopping


def run_experiment(
    experiment: Experiment,
    profile: str,
    save: bool = True,
    root: Path | None = None,
    progress: bool = False,
    committed: bool = False,
    protocol: str = "ad hoc",
    models: Callable[[Variant], nn.Module] | None = None,
    deadline: float | None = None,
    session: str | None = None,
) -> tuple[LatencyResult, Path | None]:
    """Run one experiment; write its summary as a run record (unless ``save`` is false).

    The record goes to ``data/runs/latency`` or, with ``committed``, to ``data/results/latency`` (what
    the book shows); ``protocol`` (a preset's name, a notebook, or "ad hoc") is recorded with it, and
    ``session`` (one invocation's id) ties together the records of one sweep, which the chapters show
    as one measurement. ``models`` and ``deadline`` go to :func:`~attnlib.bench.latency.run_groups`.
    """
    with watching_load() as load:
        result = run_groups(
            experiment.groups,
            experiment.engines,
            experiment.options,
            experiment.trials,
            experiment.warmup,
            progress=progress,
            keep_going=experiment.keep_going,
            models=models,
            deadline=deadline,
        )
    result.summary = with_load(result.summary, load)
    path = None
    options = experiment.options.with_fixed_threads()
    if save and not result.summary.empty:
        record = provenance(
            profile,
            experiment=experiment.name,
            protocol=protocol,
            trials=experiment.trials,
            warmup=experiment.warmup,
            skipped_engines=result.skipped,
            machine_load=load,
            **({"session": session} if session else {}),
            **options_record(options, experiment.engines),
        )
        table = result.summary.assign(experiment=experiment.name)
        path = write_record(
            "latency", f"{experiment.name}-{experiment.options.device}", table, record, root, committed=committed
        )
    return result, path


def load_latency_records(experiment: str, root: Path | None = None) -> pd.DataFrame:
    """All committed latency records of ``experiment``, with hardware and date columns for labels."""
    from attnlib.results import read_records

    frames = []
    for table, record in read_records("latency", root):
        if record.get("experiment") != experiment:
            continue
        labels = record_labels(record)
        frames.append(
            table.assign(
                hardware=labels["hardware"],
                threads=labels["threads"],
                date=labels["date"],
                record_profile=labels["profile"],
                commit=labels["commit"],
                # one sweep's records (one `bench --preset` call) are shown together; others one by one
                session=record.get("session") or labels["date"],
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
