"""The statistics every chapter that compares seeds or timings uses: Student-t intervals of a mean,
gains paired by seed, paired test-image intervals of two runs, a paired bootstrap of a ratio of
medians, and the verdict an interval allows.

One place, so that "holds", "does not hold" and "cannot tell" mean the same on every page: a verdict
is decided by a 95 % interval, never by a mean alone (CONVENTIONS: a verdict follows its interval).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from attnlib.attention import BASELINE

# Two-sided 95 % quantiles of Student's t for 1–30 degrees of freedom (then the normal's 1.96).
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t_quantile(degrees_of_freedom: int) -> float:
    """Student's t at 0.975 (a 95 % two-sided interval) for ``degrees_of_freedom`` ≥ 1."""
    if degrees_of_freedom < 1:
        raise ValueError("an interval needs at least two paired values (one degree of freedom)")
    return _T975[degrees_of_freedom - 1] if degrees_of_freedom <= len(_T975) else 1.96


def mean_interval(values: pd.Series) -> tuple[float, float, float]:
    """Mean and its 95 % t-interval (nan bounds for a single value)."""
    values = values.dropna()
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = t_quantile(len(values) - 1) * float(values.std(ddof=1)) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def paired_gains(finals: pd.DataFrame, reference: str = BASELINE) -> pd.DataFrame:
    """Each module's top-1 gain over ``reference`` on the same network, paired by seed, with a 95 % interval.

    ``finals``: one row per run with ``network``, ``attention``, ``seed``, ``top1``.
    """
    rows = []
    for network, group in finals.groupby("network", sort=False):
        base = group[group.attention == reference].set_index("seed").top1
        for module, runs_of_module in group[group.attention != reference].groupby("attention", sort=False):
            paired = runs_of_module.set_index("seed").top1.sub(base).dropna()
            mean, low, high = mean_interval(paired)
            rows.append(
                {"network": network, "attention": module, "gain": mean, "low": low, "high": high, "seeds": len(paired)}
            )
    return pd.DataFrame(rows)


def paired_correct_interval(reference: np.ndarray, other: np.ndarray) -> tuple[float, float, float]:
    """``other``'s top-1 minus ``reference``'s, in points, and its 95 % interval over the test images.

    Both masks say image by image whether a network's top-1 was right on the same test set; the
    difference per image is -1, 0 or +1 and the interval is the normal one of its mean (the paired, Wald
    counterpart of McNemar's test). It holds the test set's sampling noise only: two runs of one seed
    leave out the seed-to-seed variation, which an interval over seeds holds.
    """
    reference, other = np.asarray(reference, dtype=bool), np.asarray(other, dtype=bool)
    if reference.shape != other.shape or reference.ndim != 1 or reference.size < 2:
        raise ValueError(
            f"two masks of one value per test image, of the same length, are needed; got shapes "
            f"{reference.shape} and {other.shape}"
        )
    differences = other.astype(np.float64) - reference.astype(np.float64)
    mean = 100 * float(differences.mean())
    half = 1.96 * 100 * float(differences.std(ddof=1)) / math.sqrt(differences.size)
    return mean, mean - half, mean + half


def interval_text(mean: float, low: float, high: float, unit: str = " points") -> str:
    """``+0.31 points (95 % interval −0.10 to +0.72)``, or the mean alone when no interval exists."""
    mean, low, high = (round(value, 2) + 0.0 for value in (mean, low, high))  # never "-0.00"
    if math.isnan(low):
        return f"{mean:+.2f}{unit} (one seed: no interval)"
    return f"{mean:+.2f}{unit} (95 % interval {low:+.2f} to {high:+.2f})"


def bootstrap_ratio_interval(
    values: np.ndarray, reference: np.ndarray, resamples: np.ndarray, level: float = 95.0
) -> tuple[float, float]:
    """A paired bootstrap interval of ``median(values) / median(reference)``.

    ``values`` and ``reference`` are paired trial by trial (trial t of both ran in the same round);
    ``resamples`` holds one row of trial indices per bootstrap draw, drawn once and shared by every
    variant of a run, so that all their intervals rest on the same draws.
    """
    ratios = np.median(values[resamples], axis=1) / np.median(reference[resamples], axis=1)
    tail = (100 - level) / 2
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return float(low), float(high)


def interval_side(low: float, high: float, threshold: float = 0.0) -> int | None:
    """Where a 95 % interval lies against ``threshold``: +1 wholly above, -1 wholly below, 0 across it,
    None when there is no interval (one value). A verdict of "holds" or "does not hold" needs ±1."""
    if math.isnan(low) or math.isnan(high):
        return None
    if low > threshold:
        return 1
    if high < threshold:
        return -1
    return 0


def bound_text(low: float, high: float, unit: str = " points") -> str:
    """What an interval that crosses zero still rules out, in words: "a gain above +0.80 points and a
    loss beyond −0.40 points are ruled out" (the bounds of the 95 % interval)."""
    high, low = round(high, 2) + 0.0, round(low, 2) + 0.0
    return f"a gain above {high:+.2f}{unit} and a loss beyond {low:+.2f}{unit} are ruled out"
