"""Fig. 2 and Table 2's complexity columns — MACs and parameters against depth (Sect. 4.3).

Counting is deterministic and hardware-independent, so every profile gives the same numbers;
``smoke`` only counts fewer depths.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from attnlib import paper
from attnlib.attention import BASELINE, display_name
from attnlib.complexity import compare_with_table2, complexity_table
from attnlib.profiles import PerProfile

__all__ = [
    "EXPERIMENT",
    "SETTINGS",
    "claim_summary",
    "compare_with_table2",
    "complexity_table",
    "overhead",
    "overhead_pivot",
    "page_warning",
    "reproduced_summary",
]

EXPERIMENT = "complexity"
ALL_DEPTHS = (18, 34, 50, 101, 152)


@dataclass(frozen=True)
class ComplexitySettings:
    """Which ResNet depths to count, at which square input resolution."""

    depths: tuple[int, ...] = ALL_DEPTHS
    resolution: int = 224


SETTINGS: PerProfile[ComplexitySettings] = PerProfile(
    smoke=ComplexitySettings((18, 50)), default=ComplexitySettings(), paper=ComplexitySettings()
)


def page_warning(profile: str, settings: ComplexitySettings, hardware: str) -> str | None:
    """A warning when fewer depths than the paper's five are counted (the ``smoke`` profile)."""
    if set(settings.depths) >= set(ALL_DEPTHS):
        return None
    names = [f"-{depth}" for depth in settings.depths]
    counted = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    return (
        f":::{{warning}}\n**{profile.capitalize()} profile**: only ResNet{counted} are counted. "
        "`make book` (default profile) counts every depth.\n:::"
    )


def overhead(table: pd.DataFrame) -> pd.DataFrame:
    """The module rows of a complexity table, with the paper's module names."""
    return table[table.module != BASELINE].assign(Module=lambda d: d.module.map(display_name))


def overhead_pivot(table: pd.DataFrame) -> pd.DataFrame:
    """MAC overhead (%) over the same-depth baseline: (convention, module) rows, depth columns."""
    pivot = overhead(table).pivot_table(
        index=["convention", "Module"], columns="depth", values="macs_overhead_pct", sort=False
    )
    return pivot.round(3).rename(columns=lambda depth: f"R{depth} MACs %")


def reproduced_summary(comparison: pd.DataFrame) -> str:
    """How many of Table 2's FLOPs and parameter entries are reproduced, and which rows differ."""
    mismatches = comparison[~(comparison.flops_agree & comparison.params_agree)]
    differing = ", ".join(f"ResNet-{r.depth} {display_name(r.module)}" for r in mismatches.itertuples()) or "none"
    return (
        f"**{int(comparison.flops_agree.sum())} of {len(comparison)}** FLOPs entries and "
        f"**{int(comparison.params_agree.sum())} of {len(comparison)}** parameter entries of Table 2 are "
        f"reproduced; the rows that differ: {differing} (see the errata below)."
    )


def claim_summary(table: pd.DataFrame, depths: tuple[int, ...]) -> str:
    """The paper's "0.2–3 % more FLOPs" claim beside the overhead range counted here."""
    claim = paper.load("text").set_index("claim").loc["flops_increase"]
    modules = overhead(table)
    paper_range = modules[modules.convention == "paper"].macs_overhead_pct
    exact_max = modules[modules.convention == "exact"].macs_overhead_pct.max()
    return (
        f"Paper's claim: FLOPs increase **{claim.low}–{claim.high} %** ({claim.source}). "
        f"Paper convention here: **{paper_range.min():.2f}–{paper_range.max():.2f} %** over depths {list(depths)}; "
        f"exact convention (convolution and matrix-product MACs only): **{exact_max:.3f} %** at most."
    )
