"""Fig. 2 and Table 2's counts: MACs and parameters against depth, overheads, the comparison with the paper."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from attnlib.attention import BASELINE, display_name
from attnlib.plots.style import module_palette


def plot_complexity_vs_depth(table: pd.DataFrame, convention: str, paper: pd.DataFrame | None = None) -> Figure:
    """Fig. 2: (a) MACs and (b) parameters vs ResNet depth, one line per module.

    Args:
        table: :func:`attnlib.complexity.complexity_table` output.
        convention: which convention's MACs to plot.
        paper: optional Table 2 rows (depth, module, flops_g, params_m) drawn as black crosses.
    """
    import seaborn as sns

    data = table[table.convention == convention].assign(
        gmacs=lambda d: d.macs / 1e9, mparams=lambda d: d.params / 1e6, Module=lambda d: d.module.map(display_name)
    )
    palette = module_palette()
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for axis, column, label in ((axes[0], "gmacs", 'GMACs ("FLOPs")'), (axes[1], "mparams", "parameters (M)")):
        sns.lineplot(
            data=data,
            x="depth",
            y=column,
            hue="Module",
            style="Module",
            markers=True,
            dashes=False,
            palette=palette,
            ax=axis,
        )
        axis.set_xticks(sorted(data.depth.unique()))
        axis.set_xlabel("ResNet depth")
        axis.set_ylabel(label)
    if paper is not None:
        axes[0].scatter(paper.depth, paper.flops_g, marker="x", color="black", zorder=5, label="paper, Table 2")
        axes[1].scatter(paper.depth, paper.params_m, marker="x", color="black", zorder=5, label="paper, Table 2")
        for axis in axes:
            axis.legend(fontsize=8)
    axes[0].set_title(f"(a) MACs at 224², {convention} convention")
    axes[1].set_title("(b) parameters")
    figure.tight_layout()
    return figure


def plot_overhead_bars(table: pd.DataFrame) -> Figure:
    """MAC overhead (%) of each module over the same-depth baseline, one panel per convention."""
    import seaborn as sns

    data = table[table.module != BASELINE].assign(
        Module=lambda d: d.module.map(display_name), depth=lambda d: "ResNet-" + d.depth.astype(str)
    )
    grid = sns.catplot(
        data=data,
        x="depth",
        y="macs_overhead_pct",
        hue="Module",
        col="convention",
        kind="bar",
        palette=module_palette(),
        height=3.6,
        aspect=1.5,
        sharey=False,
    )
    grid.set_axis_labels("", "MACs over baseline (%)")
    grid.set_titles("{col_name} convention")
    return grid.figure


def yes_no(value: object) -> str:
    """A boolean as a reader reads it."""
    return "yes" if bool(value) else "no"


def styled_comparison(comparison: pd.DataFrame) -> pd.io.formats.style.Styler:
    """Table 2 comparison (:func:`attnlib.complexity.compare_with_table2`) with disagreeing rows shaded."""
    shown = comparison.assign(module=comparison.module.map(display_name)).rename(
        columns={
            "depth": "ResNet",
            "flops_g_paper": "FLOPs (paper, G)",
            "gmacs_paper_convention": "GMACs, paper conv.",
            "gmacs_exact": "GMACs, exact",
            "attention_elementwise_m": "attention elementwise (M)",
            "params_m_paper": "params (paper, M)",
            "params_m_attnlib": "params (attnlib, M)",
            "flops_agree": "FLOPs agree",
            "params_agree": "params agree",
        }
    )

    def shade(row: pd.Series) -> list[str]:
        agree = row["FLOPs agree"] and row["params agree"]
        return ["" if agree else "background-color: #fde2c5"] * len(row)

    formats = {c: "{:.2f}" for c in shown.columns if shown[c].dtype.kind == "f"}
    formats["GMACs, exact"] = "{:.3f}"
    formats.update({"FLOPs agree": yes_no, "params agree": yes_no})
    return shown.style.apply(shade, axis=1).format(formats).hide(axis="index")
