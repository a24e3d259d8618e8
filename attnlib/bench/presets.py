"""Named sweeps: what ``attnlib bench --preset NAME`` and the latency notebooks run.

Each preset is a list of experiments; each experiment is groups of networks × engines × options,
and becomes one run record in ``data/results/latency/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from attnlib.bench.engines import EngineOptions
from attnlib.bench.latency import (
    LatencyResult,
    Variant,
    batch_groups,
    depth_groups,
    options_record,
    resolution_groups,
    run_groups,
)
from attnlib.results import provenance, write_record

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


def gpu_preset() -> list[Experiment]:
    """Figs. 3, 5, 6 on one CUDA GPU in a few minutes: eager fp32/fp16 and CUDA graphs (+TensorRT if present)."""
    fp32 = EngineOptions(device="cuda")
    fp16 = EngineOptions(device="cuda", precision="fp16")
    graphs = EngineOptions(device="cuda", cuda_graphs=True)
    depths = depth_groups((18, 34, 50, 101, 152))
    resolutions = resolution_groups((64, 128, 224, 320, 512, 768, 1024), depths=(50, 18))
    batches = batch_groups((1, 2, 4, 8, 16, 32, 64))
    return [
        Experiment("fig3_depth", depths, ("eager", "tensorrt", "onnxruntime"), fp32, trials=200),
        Experiment("fig3_depth", depths, ("eager",), fp16, trials=200),
        Experiment("fig3_depth", depths, ("eager",), graphs, trials=200),
        Experiment("fig5_resolution", resolutions, ("eager",), fp32, trials=50),
        Experiment("fig5_resolution", resolutions, ("eager",), graphs, trials=50),
        Experiment("fig6_batch", batches, ("eager",), fp32, trials=30),
        Experiment("fig6_batch", batches, ("eager",), graphs, trials=30),
    ]


def cpu_preset(threads: int | None = None) -> list[Experiment]:
    """The CPU runs behind the committed records: eager and the optimising engines, Figs. 3, 5, 6."""
    options = EngineOptions(threads=threads)
    return [
        Experiment(
            "fig3_depth",
            depth_groups((18, 34, 50, 101, 152)),
            ("eager", "onnxruntime", "openvino"),
            options,
            trials=30,
            warmup=3,
        ),
        Experiment(
            "fig5_resolution",
            resolution_groups((64, 128, 224, 320, 448)),
            ("eager", "openvino"),
            options,
            trials=15,
            warmup=2,
        ),
        Experiment(
            "fig6_batch", batch_groups((1, 4, 16), depths=(18, 50)), ("eager", "openvino"), options, trials=10, warmup=2
        ),
    ]


PRESETS: dict[str, Callable[[], list[Experiment]]] = {"gpu": gpu_preset, "cpu": cpu_preset}


def run_experiment(
    experiment: Experiment,
    profile: str,
    save: bool = True,
    root: Path | None = None,
    progress: bool = False,
    committed: bool = False,
    protocol: str = "ad hoc",
) -> tuple[LatencyResult, Path | None]:
    """Run one experiment; write its summary as a run record (unless ``save`` is false).

    The record goes to ``data/runs/latency`` or, with ``committed``, to ``data/results/latency`` (what
    the book shows); ``protocol`` (a preset's name, a notebook, or "ad hoc") is recorded with it.
    """
    result = run_groups(
        experiment.groups,
        experiment.engines,
        experiment.options,
        experiment.trials,
        experiment.warmup,
        progress=progress,
    )
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
        hardware = record.get("gpu") or record.get("cpu")
        frames.append(
            table.assign(
                hardware=hardware,
                threads=record.get("torch_threads"),
                date=record.get("date"),
                record_profile=record.get("profile"),
                commit=str(record.get("git_commit"))[:10],
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
