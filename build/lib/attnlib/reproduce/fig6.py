"""Fig. 6 — latency against batch size (Sect. 4.3.2).

ResNet-18/50/152 with each module at 224², batch 1 to 64, interleaved per depth and batch size.
"""

from __future__ import annotations

import pandas as pd

from attnlib import paper
from attnlib.attention import BASELINE
from attnlib.bench.latency import batch_groups
from attnlib.models import depth_from_model
from attnlib.profiles import PerProfile
from attnlib.reproduce.common import reduced_protocol_warning
from attnlib.reproduce.latency import (
    LatencySettings,
    by_setting,
    paper_device,
    paper_engines,
    show_sweep,
)

EXPERIMENT = "fig6_batch"

SETTINGS: PerProfile[LatencySettings] = PerProfile(
    smoke=LatencySettings(("eager",), trials=2, warmup=1, depths=(18,), batch_sizes=(1, 2), resolutions=(64,)),
    default=LatencySettings(("eager", "openvino"), trials=3, warmup=1, depths=(18,), batch_sizes=(1, 8)),
    paper=lambda: LatencySettings(
        paper_engines(),
        trials=200,
        warmup=10,
        device=paper_device(),
        depths=(18, 50, 152),
        batch_sizes=(1, 2, 4, 8, 16, 32, 64),
    ),
)


def page_warning(profile: str, settings: LatencySettings, hardware: str) -> str | None:
    """The loud warning over this machine's measurement when it is not the paper's protocol."""
    detail = f"{settings.trials} trials, batch sizes {list(settings.batch_sizes)}, ResNet-{list(settings.depths)}"
    return reduced_protocol_warning(profile, hardware, detail)


def groups(settings: LatencySettings):
    """Per depth and batch size: the baseline and every module, at the settings' resolution."""
    return batch_groups(settings.batch_sizes, settings.depths, resolution=settings.resolutions[0])


def batch_conclusions(summary: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """Fig. 6 statements checked on a batch sweep."""
    summary = by_setting(summary)  # a GPU record times fp32 and fp16 under one engine name
    rows = []
    modules = summary[summary.attention != BASELINE]
    for (engine, depth), part in modules.groupby(["engine", "depth"]):
        mean_by_batch = part.groupby("batch_size").overhead_min_pct.mean()
        multise = part[part.attention == "multise"].set_index("batch_size").overhead_min_pct
        small, large = mean_by_batch.index.min(), mean_by_batch.index.max()
        rows.append(
            {
                "claim": "batch_favours_complex",
                "paper says": "Larger batches make modules (especially Multi-SE) relatively cheaper",
                "engine": engine,
                "ResNet": depth,
                "here": f"mean overhead {mean_by_batch[small]:.1f} % (batch {small}) → "
                f"{mean_by_batch[large]:.1f} % (batch {large}); Multi-SE {multise.get(small, float('nan')):.1f}"
                f" → {multise.get(large, float('nan')):.1f} %",
                "holds": bool(multise.get(large, 0) < multise.get(small, 0)),
            }
        )
    return pd.DataFrame(rows)


def show(summary: pd.DataFrame, hardware: str, where: str) -> None:
    """Fig. 6, the overhead table and the paper's statements checked on one batch-size sweep."""
    summary = summary.assign(depth=summary.model.map(depth_from_model))
    claims = paper.load("figure_claims").query("figure == 'Fig. 6'")
    show_sweep(
        summary,
        "batch_size",
        hardware,
        where,
        batch_conclusions(summary, claims),
        row="depth",
        figure_name="Fig. 6 of the paper, remeasured. ",
    )
