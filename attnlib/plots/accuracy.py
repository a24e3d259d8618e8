"""The real-image study's figures: gains with intervals, the retrofit study, learning curves, Fig. 4 for real."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from attnlib.attention import BASELINE, display_name
from attnlib.names import counted
from attnlib.plots.style import MODULE_ORDER, module_palette


def plot_gains(table: pd.DataFrame) -> Figure:
    """Each module's top-1 gain over its network's baseline with its 95 % interval, one panel per network.

    ``table``: :func:`attnlib.reproduce.fashion.gains` (network, attention, gain, low, high, seeds).
    Modules are rows (labels on the y axis, never on the points), zero is drawn, so a gain whose
    interval crosses the line is not distinguishable from no gain.
    """
    networks = list(dict.fromkeys(table.network))
    figure, axes = plt.subplots(1, len(networks), figsize=(4.2 * len(networks), 3.2), sharey=True, squeeze=False)
    palette = module_palette()
    modules = [m for m in MODULE_ORDER if m != BASELINE and m in set(table.attention)]
    for axis, network in zip(axes.flat, networks, strict=True):
        part = table[table.network == network].set_index("attention")
        for position, module in enumerate(modules):
            if module not in part.index:
                continue
            row = part.loc[module]
            colour = palette[display_name(module)]
            if not math.isnan(row.low):
                axis.plot([row.low, row.high], [position, position], color=colour, linewidth=2.2)
            axis.scatter([row.gain], [position], color=colour, edgecolor="black", linewidth=0.5, zorder=3, s=36)
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set_yticks(range(len(modules)), [display_name(m) for m in modules])
        axis.set_ylim(len(modules) - 0.5, -0.5)  # the book's order from the top (invert_yaxis on shared axes toggles)
        axis.set_xlabel("top-1 gain over the baseline (points)")
        seeds = int(part.seeds.max()) if len(part) else 0
        axis.set_title(f"{network}, {counted(seeds, 'seed')}", fontsize=9)
    figure.tight_layout()
    return figure


def plot_retrofit_gains(table: pd.DataFrame) -> Figure:
    """The retrofit study: each module's top-1 over the baseline fine-tuned alone, inserted plainly (filled)
    and with identity-init (open), with 95 % intervals (paired by seed, or over the
    test images where one seed ran); one panel per fine-tuning schedule.

    ``table``: :func:`attnlib.reproduce.fashion.retrofit_gains`. Modules are rows (labels on the y axis),
    the two insertions sit just above and below a module's row, and zero is drawn.
    """
    schedules = list(dict.fromkeys(table.schedule))
    figure, axes = plt.subplots(1, len(schedules), figsize=(3.6 * len(schedules), 3.4), sharey=True, squeeze=False)
    palette = module_palette()
    modules = [m for m in MODULE_ORDER if m != BASELINE and m in set(table.attention)]
    for axis, schedule in zip(axes.flat, schedules, strict=True):
        part = table[table.schedule == schedule]
        for row in part.itertuples():
            position = modules.index(row.attention) + (0.18 if row.identity_init else -0.18)
            colour = palette[display_name(row.attention)]
            if not math.isnan(row.low):
                axis.plot([row.low, row.high], [position, position], color=colour, linewidth=2)
            axis.scatter(
                [row.gain],
                [position],
                color="white" if row.identity_init else colour,
                edgecolor=colour if row.identity_init else "black",
                linewidth=1.4 if row.identity_init else 0.5,
                zorder=3,
                s=34,
            )
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set_yticks(range(len(modules)), [display_name(m) for m in modules])
        axis.set_ylim(len(modules) - 0.5, -0.5)
        axis.set_xlabel("top-1 over fine-tuning alone (points)")
        axis.set_title(schedule, fontsize=9)
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", color="grey", markeredgecolor="black", label="inserted plainly"),
        plt.Line2D([], [], marker="o", linestyle="", color="white", markeredgecolor="grey", label="with identity-init"),
    ]
    figure.legend(handles=handles, loc="lower center", ncol=2, fontsize=9, frameon=False)
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    return figure


def plot_learning_curves(curves: pd.DataFrame) -> Figure:
    """Top-1 against epoch for the campaign's schedule and the twice-as-long plateau check."""
    keys = [key for key in ("network", "seed", "run") if key in curves]
    lines = curves.dropna(subset=["top1"]).groupby(keys, sort=False).ngroups if keys else 1
    # the legend goes below the axes, two columns: inside, it covered the early epochs' curves
    figure, axis = plt.subplots(figsize=(7.8, 3.4 + 0.2 * math.ceil(lines / 2)))
    for index, (key, part) in enumerate(curves.dropna(subset=["top1"]).groupby(keys, sort=False)):
        label = ", ".join(
            f"seed {value}" if name == "seed" else str(value) for name, value in zip(keys, key, strict=True)
        )
        axis.plot(part.epoch, part.top1, marker="os^vD<>"[index % 7], markersize=4, label=label)
    axis.set_xlabel("epoch")
    axis.set_ylabel("test top-1 (%)")
    axis.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def plot_fashion_tradeoff(points: pd.DataFrame, setting: str) -> Figure:
    """Fig. 4 on real data: top-1 against inference time over the network's baseline, one panel per network.

    Modules are coloured as everywhere in the book; the deeper baseline is a black star. Horizontal
    bars are the timing's 95 % interval, vertical bars one standard deviation over seeds. Names are in
    the legend, never on the points, so nothing overlaps.
    """
    networks = list(dict.fromkeys(points.network))
    figure, axes = plt.subplots(1, len(networks), figsize=(4.6 * len(networks), 3.8), squeeze=False)
    palette = module_palette()
    for axis, network in zip(axes.flat, networks, strict=True):
        for row in points[points.network == network].itertuples():
            deeper = row.variant.startswith("deeper")
            colour = "black" if deeper else palette.get(row.variant, "grey")
            axis.errorbar(
                row.overhead_pct,
                row.top1,
                xerr=[[row.overhead_pct - row.ci_low_pct], [row.ci_high_pct - row.overhead_pct]],
                yerr=row.top1_std,
                fmt="*" if deeper else "o",
                markersize=11 if deeper else 7,
                color=colour,
                markeredgecolor="black",
                markeredgewidth=0.5,
                elinewidth=1,
                capsize=2,
                label=row.variant,
            )
        axis.set_title(network, fontsize=9)
        axis.set_xlabel(f"inference time over the baseline (%, {setting})")
        axis.set_ylabel("Fashion-MNIST test top-1 (%)")
        axis.grid(alpha=0.3)
        # below the panel, never over a point or an error bar
        axis.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, frameon=False)
    figure.tight_layout()
    return figure
