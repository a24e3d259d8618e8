"""Timing that survives a noisy shared machine: interleaved trials, robust statistics.

Compared variants are timed **round-robin**: trial t runs every variant once, in an order that is
reshuffled each trial, so slow drift (thermal, other tenants, frequency scaling) hits all
variants alike instead of whichever ran last. Each call is timed on its own with
``time.perf_counter_ns`` after device synchronisation (CUDA events on GPU), so we keep every
sample and can report the minimum (the paper's statistic: least disturbed run), median, IQR and a
paired bootstrap confidence interval of each overhead ratio.

``torch.utils.benchmark.Timer`` is not used for the loop because it times one statement in
blocks of repeated calls: it cannot interleave several models call by call, and it reports block
means rather than per-call samples.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from attnlib.stats import bootstrap_ratio_interval


def _cuda_timer(call: Callable[[], object]) -> float:
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    call()
    end.record()
    end.synchronize()
    return float(start.elapsed_time(end))


def _cpu_timer(call: Callable[[], object]) -> float:
    begin = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - begin) / 1e6


def time_interleaved(
    calls: Mapping[str, Callable[[], object]],
    trials: int,
    warmup: int = 5,
    device: str = "cpu",
    seed: int = 0,
    progress: bool = False,
    description: str = "trials",
) -> pd.DataFrame:
    """Time each zero-argument call ``trials`` times, interleaved round-robin in shuffled order.

    Returns a tidy frame with columns ``variant``, ``trial`` and ``ms`` (one row per call).
    """
    if trials < 1:
        raise ValueError(f"trials must be >= 1, got {trials}")
    timer = _cuda_timer if device == "cuda" else _cpu_timer
    if device == "cuda":
        torch.cuda.synchronize()
    names = list(calls)
    for _ in range(warmup):
        for name in names:
            calls[name]()
    order = random.Random(seed)
    rows = []
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0, got {warmup}")
    for trial in tqdm(range(trials), desc=description, disable=not progress, leave=False):
        order.shuffle(names)
        for name in names:
            rows.append((name, trial, timer(calls[name])))
    frame = pd.DataFrame(rows, columns=["variant", "trial", "ms"])
    # Rows in the caller's variant order (the baseline first), trials ascending.
    rank = {name: index for index, name in enumerate(calls)}
    return frame.sort_values(
        ["trial", "variant"], key=lambda c: c.map(rank) if c.name == "variant" else c, ignore_index=True
    )


def summarize(samples: pd.DataFrame, baseline: str | None = None, bootstrap: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Per variant: min, median, IQR (ms), and overhead over ``baseline`` with a 95 % bootstrap CI.

    ``overhead_min_pct`` compares minima (the paper's statistic); ``overhead_median_pct`` compares
    medians, and ``ci_low_pct``/``ci_high_pct`` bound it by resampling trials (paired: trial t of
    every variant ran in the same round).
    """
    wide = samples.pivot(index="trial", columns="variant", values="ms")
    wide = wide[list(dict.fromkeys(samples.variant))]
    rows = []
    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, len(wide), size=(bootstrap, len(wide)))
    for variant in wide.columns:
        values = wide[variant].to_numpy()
        row = {
            "variant": variant,
            "trials": int(np.isfinite(values).sum()),
            "min_ms": float(np.min(values)),
            "median_ms": float(np.median(values)),
            "iqr_ms": float(np.subtract(*np.percentile(values, [75, 25]))),
        }
        if baseline is not None and baseline in wide.columns:
            base = wide[baseline].to_numpy()
            row["overhead_min_pct"] = 100 * (row["min_ms"] / float(np.min(base)) - 1)
            row["overhead_median_pct"] = 100 * (row["median_ms"] / float(np.median(base)) - 1)
            low, high = bootstrap_ratio_interval(values, base, resamples)
            row["ci_low_pct"], row["ci_high_pct"] = 100 * (low - 1), 100 * (high - 1)
        rows.append(row)
    return pd.DataFrame(rows)
