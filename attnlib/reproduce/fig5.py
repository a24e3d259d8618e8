"""Fig. 5 — latency against input resolution (Sect. 4.3.2).

ResNet-50 with each module and a baseline ResNet-101 for reference, interleaved per resolution.
"""

from __future__ import annotations

import pandas as pd

from attnlib import paper
from attnlib.attention import BASELINE
from attnlib.bench.latency import resolution_groups
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

EXPERIMENT = "fig5_resolution"

# Each latency chapter declares its LatencySettings per profile in the same shape (its own values).
SETTINGS: PerProfile[LatencySettings] = PerProfile(
    smoke=LatencySettings(("eager",), trials=2, warmup=1, depths=(18,), resolutions=(32, 64)),  # as default, smaller
    default=LatencySettings(("eager", "openvino"), trials=4, warmup=1, depths=(18,), resolutions=(64, 224)),
    paper=lambda: LatencySettings(
        paper_engines(),
        trials=1000,
        warmup=20,
        device=paper_device(),
        depths=(50, 18),
        resolutions=(32, 64, 128, 224, 320, 448, 512, 640, 768, 1024),
    ),
)


def page_warning(profile: str, settings: LatencySettings, hardware: str) -> str | None:
    """The loud warning over this machine's measurement when it is not the paper's protocol."""
    detail = f"{settings.trials} trials per network, resolutions {list(settings.resolutions)}"
    return reduced_protocol_warning(profile, hardware, detail)


def groups(settings: LatencySettings):
    """Per depth and resolution: every module and the next deeper baseline."""
    return resolution_groups(settings.resolutions, settings.depths)


def resolution_conclusions(summary: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """Fig. 5 statements checked on a resolution sweep (ResNet-50 modules + ResNet-101 reference)."""
    summary = by_setting(summary)  # a GPU record times fp32 and fp16 under one engine name
    rows = []
    modules = summary[summary.attention != BASELINE]
    for engine, part in modules.groupby("engine"):
        mean_by_resolution = part.groupby("resolution").overhead_min_pct.mean()
        low, high = mean_by_resolution.index.min(), mean_by_resolution.index.max()
        rows.append(
            {
                # PyTorch's (eager) row is the paper's claim; other engines' rows are shown, not scored
                "claim": "pytorch_overhead_drops_above_512" if engine == "eager" else "",
                "paper says": "Module overhead (PyTorch) is largest at small resolutions and drops with size",
                "engine": engine,
                "here": f"mean module overhead {mean_by_resolution[low]:.1f} % at {low}² → "
                f"{mean_by_resolution[high]:.1f} % at {high}²",
                "holds": bool(mean_by_resolution[high] < mean_by_resolution[low]),
            }
        )
    deeper = summary[(summary.attention == BASELINE) & (summary.variant != BASELINE)]
    for engine, part in deeper.groupby("engine"):
        spread = part.overhead_min_pct.max() - part.overhead_min_pct.min()
        rows.append(
            {
                "claim": "resnet101_constant",
                "paper says": claims.set_index("claim").statement.get("resnet101_constant", ""),
                "engine": engine,
                "here": f"ResNet-101 over ResNet-50: {part.overhead_min_pct.min():.0f}-"
                f"{part.overhead_min_pct.max():.0f} % (spread {spread:.0f} points)",
                "holds": bool(spread <= 15),
            }
        )
    return pd.DataFrame(rows)


def show(summary: pd.DataFrame, hardware: str, where: str) -> None:
    """Fig. 5, the overhead table and the paper's statements checked on one resolution sweep."""
    summary = summary.assign(depth=summary.group.map(depth_from_model))
    claims = paper.load("figure_claims").query("figure == 'Fig. 5'")
    row = "depth" if summary.depth.nunique() > 1 else None
    show_sweep(
        summary,
        "resolution",
        hardware,
        where,
        resolution_conclusions(summary, claims),
        row=row,
        figure_name="Fig. 5 of the paper, remeasured. ",
    )
