"""Fig. 1: the five modules drawn as their pooling → processing → integration stages."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from attnlib.attention import display_name

STAGE_COLOURS = {
    "input": "#e0e0e0",
    "pooling": "#9fd89f",
    "processing": "#9cc3e6",
    "gate": "#d9c2e9",
    "integration": "#f6c08c",
}

# Fig. 1 of the paper, as data: the pooling → processing → integration stages of each module.
MODULE_STAGES: dict[str, list[tuple[str, str]]] = {
    "ab": [
        ("pooling", "global avg pool\nZ (C)"),
        ("processing", "CFC: Z ∘ W\n(W ∈ ℝ^C, init 0)"),
        ("integration", "add  X + Z′"),
    ],
    "eca": [
        ("pooling", "global avg pool\nZ (C)"),
        ("processing", "Conv1D k=3\nover channels"),
        ("gate", "sigmoid"),
        ("integration", "scale  X · g"),
    ],
    "srm": [
        ("pooling", "style pool\n[mean, std] (C×2)"),
        ("processing", "CFC (C×2)\n→ BatchNorm"),
        ("gate", "sigmoid"),
        ("integration", "scale  X · g"),
    ],
    "se": [
        ("pooling", "global avg pool\nZ (C)"),
        ("processing", "FC C→C/16 → ReLU\n→ FC C/16→C"),
        ("gate", "sigmoid"),
        ("integration", "scale  X · g"),
    ],
    "multise": [
        ("pooling", "global avg pool\nZ (C)"),
        ("processing", "3 × SE FC branches\nFC C→3 → softmax\n→ weighted sum"),
        ("gate", "sigmoid"),
        ("integration", "scale  X · g"),
    ],
}


def draw_attention_modules() -> Figure:
    """A Fig. 1 style diagram of the five modules: pooling (green), processing (blue), gate, integration (orange)."""
    order = ["ab", "eca", "srm", "se", "multise"]
    figure, axis = plt.subplots(figsize=(12, 5.2))
    axis.set_xlim(0, len(order))
    axis.set_ylim(0, 6)
    axis.axis("off")
    for column, name in enumerate(order):
        stages = [("input", "input X\n(C × H × W)")] + MODULE_STAGES[name]
        centre = column + 0.5
        axis.text(centre, 5.75, display_name(name), ha="center", va="center", fontsize=13, weight="bold")
        tops = []
        for row, (stage, text) in enumerate(stages):
            y = 4.9 - row * 1.0
            box = FancyBboxPatch(
                (centre - 0.42, y - 0.38),
                0.84,
                0.76,
                boxstyle="round,pad=0.02",
                facecolor=STAGE_COLOURS[stage],
                edgecolor="black",
                linewidth=0.8,
            )
            axis.add_patch(box)
            axis.text(centre, y, text, ha="center", va="center", fontsize=8.5)
            tops.append(y)
        for upper, lower in itertools.pairwise(tops):
            axis.add_patch(
                FancyArrowPatch((centre, upper - 0.4), (centre, lower + 0.4), arrowstyle="-|>", mutation_scale=10)
            )
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="black") for c in STAGE_COLOURS.values()]
    axis.legend(handles, list(STAGE_COLOURS), loc="lower center", ncol=5, frameon=False, bbox_to_anchor=(0.5, -0.04))
    figure.tight_layout()
    return figure
