"""The latency figures: Fig. 3 (time against depth), Figs. 5 and 6 (overheads), Fig. 4 (top-1 against time), the zoo."""

from __future__ import annotations

import itertools
import math

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from attnlib.attention import BASELINE
from attnlib.plots.labels import place_labels
from attnlib.plots.style import engine_words, module_palette, with_module_labels


def plot_latency_vs_depth(summary: pd.DataFrame, hardware: str) -> Figure:
    """Fig. 3: minimum single-image time vs ResNet depth, one panel per engine and precision."""
    import seaborn as sns

    # The seaborn calls of the figures share keyword shapes (data, x, y, hue, col, palette), not logic.
    data = with_module_labels(summary)
    grid = sns.relplot(
        data=data,
        x="depth",
        y="min_ms",
        hue="Module",
        style="Module",
        col="setting",
        col_wrap=min(3, data.setting.nunique()),  # a GPU record has up to a dozen engine settings
        kind="line",
        markers=True,
        dashes=False,
        palette=module_palette(),
        height=3.8,
        aspect=1.1,
        facet_kws={"sharey": False},
    )
    grid.set_axis_labels("ResNet depth", "time (ms, min)")
    grid.set_titles("{col_name}")
    for axis in grid.axes.flat:
        axis.set_xticks(sorted(data.depth.unique()))
    grid.figure.suptitle(f"Measured on {hardware}", y=1.03, fontsize=10)
    return grid.figure


def plot_overhead_vs(summary: pd.DataFrame, x: str, hardware: str, row: str | None = None) -> Figure:
    """Figs. 5 and 6: overhead over the baseline (%, min-based) vs ``x`` (resolution or batch_size)."""
    import seaborn as sns

    data = with_module_labels(summary[summary.variant != BASELINE])
    palette = {**module_palette(), **{v: (0.2, 0.2, 0.2) for v in data.Module.unique() if v not in module_palette()}}
    grid = sns.relplot(
        data=data,
        x=x,
        y="overhead_min_pct",
        hue="Module",
        style="Module",
        col="setting",
        row=row,
        kind="line",
        markers=True,
        dashes=False,
        palette=palette,
        height=3.6,
        aspect=1.15,
        facet_kws={"sharey": False},
    )
    for axis in grid.axes.flat:
        axis.axhline(0, color="grey", linewidth=0.6)
        axis.set_xscale("log", base=2)
        axis.set_xticks(sorted(data[x].unique()))
        axis.set_xticklabels([str(v) for v in sorted(data[x].unique())])
    grid.set_axis_labels(x.replace("_", " "), "overhead over baseline (%, min)")
    grid.figure.suptitle(f"Measured on {hardware}", y=1.03, fontsize=10)
    return grid.figure


def plot_tradeoff(points: pd.DataFrame, hardware: str) -> Figure:
    """Fig. 4: top-1 vs relative inference time; modules on ResNet-18/50 and baselines of every depth.

    One panel per engine, two panels a row, so that each stays readable at the book's text width.
    """
    engines = list(points.engine.unique())
    columns = min(2, len(engines))
    rows = math.ceil(len(engines) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(6.5 * columns, 5.2 * rows), squeeze=False)
    for axis in axes.flat[len(engines) :]:
        axis.set_visible(False)
    palette = module_palette()
    labels: dict[plt.Axes, list[tuple[float, float, str]]] = {}
    for axis, engine in zip(axes.flat, engines, strict=False):
        part = points[points.engine == engine]
        baselines = part[part.module == "Baseline"].sort_values("ResNet")
        axis.plot(baselines["relative time"], baselines["top-1"], color="black", linewidth=1, zorder=1)
        labels[axis] = [(item[4], item[5], f"R{item.ResNet}") for item in baselines.itertuples()]
        for depth, marker in ((18, "o"), (50, "s")):
            rows = part[part.ResNet == depth]
            for item in rows.itertuples():
                axis.scatter(
                    item[4],
                    item[5],
                    color=palette.get(item.module, "grey"),
                    marker=marker,
                    zorder=3,
                    label=f"{item.module}" if depth == 50 else None,
                    edgecolor="black",
                    linewidth=0.4,
                )
        axis.set_xlabel("inference time relative to baseline ResNet-50 (min)")
        axis.set_ylabel("ImageNet top-1 (%)")
        axis.set_title(f"{engine_words(engine)} — {hardware}", fontsize=9)
    axes[0][0].legend(fontsize=9, title="module (○ R18, □ R50)", title_fontsize=9)
    figure.tight_layout()
    for axis, baseline_labels in labels.items():
        place_labels(axis, baseline_labels, fontsize=8)
    return figure


OVERHEAD_FLOOR_PCT = 0.1
"""Overheads below this (noise, or a module that costs nothing measurable) are drawn at it, hollow."""


def plot_zoo(data: pd.DataFrame, hardware: str, batch: int) -> Figure:
    """Beyond the paper: latency overhead (%, min) against MAC overhead (% of the network), log–log,
    one point per module, one panel per engine (columns) and depth (rows), at one batch size."""
    part = data[data.batch_size == batch]
    engines = list(dict.fromkeys(part.engine))
    depths = sorted(part.depth.unique())
    figure, axes = plt.subplots(
        len(depths), len(engines), figsize=(5.2 * len(engines), 4.6 * len(depths)), squeeze=False
    )
    colours = {"attnlib": "#d62728", "timm": "#1f77b4"}
    labels: dict[tuple[int, int], list[tuple[float, float, str]]] = {}
    for (row, depth), (column, engine) in itertools.product(enumerate(depths), enumerate(engines)):
        axis = axes[row][column]
        cell = part[(part.engine == engine) & (part.depth == depth)]
        for item in cell.itertuples():
            clipped = item.overhead_min_pct < OVERHEAD_FLOOR_PCT
            y = max(item.overhead_min_pct, OVERHEAD_FLOOR_PCT)
            x = max(item.macs_pct, 1e-4)  # AB and SRM: no matrix MACs (their products are elementwise)
            colour = colours.get(item.source, "grey")
            axis.scatter(x, y, color="white" if clipped else colour, edgecolor=colour, zorder=3, s=36)
            labels.setdefault((row, column), []).append((x, y, item.display))
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("module MACs (% of the network, exact)")
        axis.set_ylabel("latency overhead (%, min)")
        axis.set_title(f"{engine_words(engine)} — ResNet-{depth}, batch {batch}", fontsize=9)
        axis.grid(True, which="major", linewidth=0.4, alpha=0.5)
    handles = [
        plt.Line2D(
            [], [], marker="o", linestyle="", color=c, label="the paper's (attnlib)" if s == "attnlib" else "timm"
        )
        for s, c in colours.items()
    ]
    axes[0][0].legend(handles=handles, fontsize=8, loc="upper left")
    figure.suptitle(f"Measured on {hardware} (hollow: overhead ≤ {OVERHEAD_FLOOR_PCT} %)", fontsize=10)
    figure.tight_layout()
    for (row, column), points in labels.items():
        place_labels(axes[row][column], points)
    return figure
