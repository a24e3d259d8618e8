"""``attnlib advise``'s figure: gain against overhead per engine."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt

from attnlib.advice.answer import Advice
from attnlib.advice.request import DEEPER
from attnlib.attention import display_name
from attnlib.names import BASELINE, label_words, network_words
from attnlib.plots import module_palette


def plot(advice: Advice) -> Any:
    """Gain against overhead (with the timing's 95 % interval) per engine, the modules and the deeper
    baseline named in a legend. Modules without an accuracy source sit at gain 0, hollow."""
    summary = advice.measurement.summary
    primary = advice.accuracy[~advice.accuracy.extra.astype(bool)]
    gains = primary[primary.dataset == primary.dataset.iloc[0]].set_index("variant").gain if len(primary) else {}
    engines = list(dict.fromkeys(summary.engine))
    figure, axes = plt.subplots(1, len(engines), figsize=(5.2 * len(engines), 4), squeeze=False)
    palette = module_palette()
    deeper = network_words(advice.request.deeper) if advice.request.deeper else ""
    for axis, engine in zip(axes.flat, engines, strict=True):
        for row in summary[(summary.engine == engine) & (summary.variant != BASELINE)].itertuples():
            known = row.variant in gains
            gain = float(gains[row.variant]) if known else 0.0
            name = display_name(row.variant)
            colour = "black" if row.variant == DEEPER else palette.get(name, "grey")
            if row.variant == DEEPER:
                name = f"deeper baseline ({deeper})"
            axis.errorbar(
                row.overhead_median_pct,
                gain,
                xerr=[[row.overhead_median_pct - row.ci_low_pct], [row.ci_high_pct - row.overhead_median_pct]],
                fmt="*" if row.variant == DEEPER else "o",
                color=colour,
                markerfacecolor=colour if known else "white",
                capsize=2,
                label=name,
            )
        axis.axhline(0, color="grey", linewidth=0.6)
        axis.axvline(0, color="grey", linewidth=0.6)
        axis.set_xlabel("time over the baseline (%, median, 95 % interval)")
        axis.set_ylabel("top-1 gain (points)")
        axis.set_title(f"{label_words(engine)} — {advice.measurement.hardware}", fontsize=9)
        # a legend, not labels beside the points: the modules' points and intervals crowd together
        axis.legend(loc="best", fontsize=8, frameon=False)
    figure.tight_layout()
    return figure
