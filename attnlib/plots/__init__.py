"""Plot helpers shared by the notebooks (seaborn/matplotlib), so notebook cells stay one-liners.

One concern a module: :mod:`.style` (the modules' order and colours, engine words), :mod:`.labels`
(labels that never pile up), :mod:`.page` (numbered figures and folded tables as the book shows them),
:mod:`.modules` (Fig. 1), :mod:`.complexity` (Fig. 2, Table 2's counts), :mod:`.latency` (Figs. 3–6,
the zoo) and :mod:`.accuracy` (the real-image study). Everything is re-exported here, so
``from attnlib.plots import show_figure`` reads as before.

seaborn (and the scipy it pulls in, ~1.5 s) is imported by the figures that draw with it, not here: most
pages draw with matplotlib alone and start faster without it.
"""

from __future__ import annotations

from attnlib.plots.accuracy import plot_fashion_tradeoff, plot_gains, plot_learning_curves, plot_retrofit_gains
from attnlib.plots.complexity import plot_complexity_vs_depth, plot_overhead_bars, styled_comparison, yes_no
from attnlib.plots.labels import LabelOverlapWarning, label_overlaps, place_labels
from attnlib.plots.latency import (
    OVERHEAD_FLOOR_PCT,
    plot_latency_vs_depth,
    plot_overhead_vs,
    plot_tradeoff,
    plot_zoo,
)
from attnlib.plots.modules import MODULE_STAGES, STAGE_COLOURS, draw_attention_modules
from attnlib.plots.page import collapsed_table, figure_markdown, show_figure
from attnlib.plots.style import COLORBLIND, MODULE_ORDER, engine_words, module_palette, with_module_labels

__all__ = [
    "COLORBLIND",
    "MODULE_ORDER",
    "MODULE_STAGES",
    "OVERHEAD_FLOOR_PCT",
    "STAGE_COLOURS",
    "LabelOverlapWarning",
    "collapsed_table",
    "draw_attention_modules",
    "engine_words",
    "figure_markdown",
    "label_overlaps",
    "module_palette",
    "place_labels",
    "plot_complexity_vs_depth",
    "plot_fashion_tradeoff",
    "plot_gains",
    "plot_latency_vs_depth",
    "plot_learning_curves",
    "plot_overhead_bars",
    "plot_overhead_vs",
    "plot_retrofit_gains",
    "plot_tradeoff",
    "plot_zoo",
    "show_figure",
    "styled_comparison",
    "with_module_labels",
    "yes_no",
]
