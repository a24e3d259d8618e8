"""What every figure of the book shares: the modules' order and colours, and the words for an engine setting."""

from __future__ import annotations

import pandas as pd
from matplotlib.colors import to_rgb

from attnlib.attention import compared, display_name
from attnlib.models import depth_from_model

MODULE_ORDER = list(compared())


def module_palette() -> dict[str, tuple[float, float, float]]:
    """One fixed colour per module (paper spelling), identical across all figures."""
    colours = [to_rgb(COLORBLIND[i % len(COLORBLIND)]) for i in range(len(MODULE_ORDER))]
    return {display_name(m): colours[i] for i, m in enumerate(MODULE_ORDER)}


COLORBLIND = (
    "#0173B2",
    "#DE8F05",
    "#029E73",
    "#D55E00",
    "#CC78BC",
    "#CA9161",
    "#FBAFE4",
    "#949494",
    "#ECE133",
    "#56B4E9",
)
"""seaborn's "colorblind" palette (``sns.color_palette("colorblind")``), kept here so that a figure's
colours need no seaborn import; tests/test_reader.py checks it against seaborn's."""


def with_module_labels(summary: pd.DataFrame) -> pd.DataFrame:
    """``summary`` with a reader's Module name, the ResNet depth and an engine setting ("OpenVINO fp32") per row."""
    if "depth" in summary.columns:
        depth = summary.depth
    else:
        depth = (summary["group"] if "group" in summary.columns else summary.model).map(depth_from_model)
    return summary.assign(
        Module=summary.variant.map(lambda v: display_name(v) if v in MODULE_ORDER else v),
        depth=depth,
        setting=summary.engine.map(engine_words) + " " + summary.precision,
    )


def engine_words(label: str) -> str:
    """An engine label for a figure: "OpenVINO", "torch.compile (CUDA graphs)" (:func:`label_words`)."""
    from attnlib.names import label_words

    return label_words(label)
