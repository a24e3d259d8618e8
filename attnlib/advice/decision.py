"""``attnlib advise``'s decision: overheads and accuracy gains in, verdicts in words out (:func:`decide`).

Plain code over tables — no torch, no timing — so that every rule (free within noise, Pareto-optimal,
beats the deeper baseline, cannot tell when intervals overlap) is tested on hand-made measurements.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from attnlib.advice.request import DEEPER
from attnlib.names import BASELINE, MODULES


def separated(a: Any, b: Any) -> bool:
    """Whether two overheads' 95 % intervals do not overlap."""
    return a.ci_high_pct < b.ci_low_pct or b.ci_high_pct < a.ci_low_pct


def decide(summary: pd.DataFrame, accuracy: pd.DataFrame) -> pd.DataFrame:
    """The verdict table: per engine and module, the overhead (%, median ratio, with its interval), the
    gain and its source on the primary dataset (the first non-extra one; extra columns beside), the gain
    per percent of time, Pareto-optimal or not, and beats the deeper baseline or not — all in words.

    ``summary``: engine, variant, median_ms, overhead_median_pct, ci_low_pct, ci_high_pct (the baseline
    and ``deeper baseline`` among the variants). ``accuracy``: :func:`accuracy_sources`.
    """
    extra = accuracy.extra.astype(bool)
    primary = accuracy[~extra].dataset.iloc[0] if (~extra).any() else None
    gains = accuracy[accuracy.dataset == primary].set_index("variant") if primary else accuracy.iloc[:0]
    extras = accuracy[extra]
    rows = []
    for engine, part in summary.groupby("engine", sort=False):
        part = part.set_index("variant")
        deeper = part.loc[DEEPER] if DEEPER in part.index else None
        deeper_gain = gains.gain.get(DEEPER) if DEEPER in gains.index else None
        points = {BASELINE: (0.0, 0.0)}
        for name in [*MODULES, DEEPER]:
            if name in part.index and name in gains.index:
                points[name] = (float(part.loc[name].overhead_median_pct), float(gains.loc[name].gain))
        for module in MODULES:
            if module not in part.index:
                continue
            row = part.loc[module]
            free = row.ci_low_pct <= 0
            gain = float(gains.loc[module].gain) if module in gains.index else None
            entry = {
                "engine": engine,
                "module": module,
                "median ms": round(float(row.median_ms), 3),
                "overhead %": round(float(row.overhead_median_pct), 1),
                "95 % interval": f"{row.ci_low_pct:.1f} to {row.ci_high_pct:.1f}",
                "gain": "no published gain" if gain is None else f"{gain:+.2f}",
                "gain source": "" if gain is None else f"{gains.loc[module].source} ({primary})",
                "gain per % time": _per_time(gain, free, float(row.overhead_median_pct)),
                "Pareto-optimal": _pareto(module, points),
                "beats the deeper baseline": _beats(row, gain, deeper, deeper_gain),
            }
            for dataset, extra in extras.groupby("dataset"):
                match = extra[extra.variant == module]
                entry[f"gain on {dataset} (extra)"] = f"{match.gain.iloc[0]:+.2f}" if len(match) else "not measured"
            rows.append(entry)
    return pd.DataFrame(rows)


def _per_time(gain: float | None, free: bool, overhead: float) -> str:
    if free:
        return "free (time within noise of zero)"
    if gain is None:
        return "no accuracy source: ranked by time alone"
    return f"{gain / overhead:+.3f} points per %"


def _pareto(module: str, points: dict[str, tuple[float, float]]) -> str:
    """Pareto-optimal in (time, gain) among the baseline, the modules and the deeper baseline."""
    if module not in points:
        return "unknown (no accuracy source)"
    time_, gain = points[module]
    dominated = any(
        t <= time_ and g >= gain and (t < time_ or g > gain) for name, (t, g) in points.items() if name != module
    )
    return "no" if dominated else "yes"


def _beats(row: Any, gain: float | None, deeper: Any, deeper_gain: float | None) -> str:
    """The paper's criterion: faster than the deeper baseline and at least as accurate."""
    if deeper is None:
        return "no deeper ResNet to compare with"
    if deeper_gain is None or gain is None:
        return "unknown (no accuracy for both)"
    # A deeper baseline timed in a group of its own (a Fig. 3 record) has a time but no interval paired
    # with the module's: the module's interval is compared with that point, and the verdict says so.
    unpaired = not bool(getattr(deeper, "paired", True))
    caveat = " (the deeper ResNet was timed in its own group: no paired interval)" if unpaired else ""
    if not separated(row, deeper):
        return "cannot tell (their times' intervals overlap)" + caveat
    if row.overhead_median_pct > deeper.overhead_median_pct:
        return "no: slower than the deeper baseline" + caveat
    if gain < deeper_gain:
        return f"no: less accurate than the deeper baseline ({deeper_gain:+.2f})" + caveat
    return "yes" + caveat
