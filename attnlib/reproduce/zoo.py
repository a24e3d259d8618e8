"""Beyond the paper — does "latency ≫ FLOPs" hold for every channel-attention design?

The paper's five modules and timm's channel-attention layers (:mod:`attnlib.bench.zoo`) in
attnlib's ResNet-18 and ResNet-50, timed interleaved per depth and batch size on each engine, with
each module's MACs, elementwise work and passes over the feature map, and a cost model that predicts
the overhead from MACs alone or from MACs and passes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from attnlib.bench.engines import EngineOptions
from attnlib.bench.experiment import Experiment
from attnlib.bench.zoo import (
    MODELS,
    cost_model_table,
    fit_cost_model,
    overhead_data,
    ranked,
    zoo,
    zoo_groups,
    zoo_modules,
    zoo_structure,
)
from attnlib.models import depth_from_model
from attnlib.names import label_words
from attnlib.profiles import PerProfile
from attnlib.reproduce.common import reduced_protocol_warning
from attnlib.reproduce.latency import LatencySettings, paper_device

__all__ = [
    "EXPERIMENT",
    "SETTINGS",
    "cheapest",
    "cost_model_table",
    "experiment",
    "fit_summary",
    "overhead_data",
    "page_warning",
    "ranked",
    "zoo",
    "zoo_structure",
]

EXPERIMENT = "zoo"


def zoo_engines() -> tuple[str, ...]:
    """eager, torch.compile and OpenVINO on a CPU; eager and torch.compile on CUDA."""
    return ("eager", "compile") if paper_device() == "cuda" else ("eager", "compile", "openvino")


# Every profile declares its complete settings (the latency chapters' shape, other values).
SETTINGS: PerProfile[LatencySettings] = PerProfile(
    smoke=LatencySettings(("eager",), trials=2, warmup=1, depths=(18,), resolutions=(64,)),
    # default: ResNet-18 in eager PyTorch only (the book's time budget: converting every layer for OpenVINO
    # took two minutes); OpenVINO, torch.compile, ResNet-50 and batch 16 are in the committed record
    default=LatencySettings(("eager",), trials=5, warmup=1, depths=(18,), resolutions=(224,)),
    paper=lambda: LatencySettings(
        zoo_engines(), trials=12, warmup=2, depths=(18, 50), batch_sizes=(1, 16), device=paper_device()
    ),
)


def page_warning(profile: str, settings: LatencySettings, hardware: str) -> str | None:
    """The loud warning over this machine's measurement when it is not this chapter's full protocol."""
    detail = f"{settings.trials} trials, ResNet-{list(settings.depths)}, batch {list(settings.batch_sizes)}"
    return reduced_protocol_warning(profile, hardware, detail)


def groups(settings: LatencySettings) -> list:
    """Timing groups: per resolution, depth and batch size, the baseline then every module."""
    return [
        group
        for resolution in settings.resolutions
        for group in zoo_groups(settings.depths, settings.batch_sizes, resolution=resolution)
    ]


def experiment(settings: LatencySettings, threads: int | None = None) -> Experiment:
    """The chapter's measurement as one latency experiment (one run record)."""
    options = EngineOptions(device=settings.device, threads=threads)
    # keep_going: a timm layer an engine cannot compile is left out (and named), not the whole sweep
    return Experiment(
        EXPERIMENT, groups(settings), settings.engines, options, settings.trials, settings.warmup, keep_going=True
    )


def fit_summary(data: pd.DataFrame, engine: str, depth: int, batch: int) -> dict[str, Any]:
    """Both cost models on one engine, depth and batch size: R², LOO error and coefficients."""
    part = data[(data.engine == engine) & (data.depth == depth) & (data.batch_size == batch)]
    return {label: fit_cost_model(part, features) for label, features in MODELS.items()}


def cheapest(data: pd.DataFrame) -> pd.DataFrame:
    """Per engine, depth and batch size: the cheapest module, and AB's rank among all modules."""
    rows = []
    for (engine, depth, batch), part in data.groupby(["engine", "depth", "batch_size"]):
        order = part.sort_values("overhead_min_pct").reset_index(drop=True)
        ab = order.index[order.variant == "paper/ab"]
        rows.append(
            {
                "engine": label_words(engine),
                "ResNet": depth,
                "batch": batch,
                "cheapest": order.display.iloc[0],
                "its overhead % (min)": order.overhead_min_pct.iloc[0],
                "AB's rank": int(ab[0]) + 1 if len(ab) else None,
                "modules": len(order),
                "beats AB": ", ".join(order.display.iloc[: int(ab[0])]) if len(ab) and ab[0] > 0 else "none",
            }
        )
    return pd.DataFrame(rows)


def show(summary: pd.DataFrame, hardware: str, where: str) -> None:
    """One measurement of the study: per batch size the log–log figure, the ranked table of ResNet-50
    per engine, the cheapest module per setting, and both cost models' fit."""
    from IPython.display import Markdown, display

    from attnlib.plots import collapsed_table, plot_zoo, show_figure
    from attnlib.reproduce.latency import measurement_problems

    problems = measurement_problems(summary)
    if problems:
        shown = "\n".join(f"* {item}" for item in problems[:6]) + ("\n* …" if len(problems) > 6 else "")
        display(
            Markdown(
                f":::{{note}} Noisy measurement: {where}\nIt failed the noise check of the latency chapters; its "
                f"rankings and fits are shown but should not be trusted:\n\n{shown}\n:::"
            )
        )
    data = overhead_data(summary, zoo_structure(tuple(sorted(summary.group.map(depth_from_model).unique()))))
    expected = {m.name for m in zoo_modules()}
    for (engine, depth, batch), part in data.groupby(["engine", "depth", "batch_size"]):
        missing = sorted(expected - set(part.variant))
        if missing:
            display(
                Markdown(
                    f"*Not measured on {label_words(engine)}, ResNet-{depth}, batch {batch} "
                    "(the engine failed on them; "
                    f"the run record names the error): {', '.join(missing)}.*"
                )
            )
    for batch in sorted(data.batch_size.unique()):
        show_figure(
            plot_zoo(data, hardware, batch),
            f"Latency overhead against MAC overhead of every module, batch {batch}, log–log: the paper's five "
            f"(red) and timm's layers (blue) — {where}. The higher a point sits over its MAC share, the dearer the "
            "module is in time than in arithmetic; AB and SRM have no matrix MACs and are drawn at 10⁻⁴ %.",
        )
    display(Markdown("Cheapest module per engine, depth and batch size, and whether any beats AB:"))
    display(cheapest(data).style.format(precision=1).hide(axis="index"))
    display(Markdown("How well each cost model predicts the overhead (ms), per engine, depth and batch size:"))
    display(cost_model_table(data).style.format(precision=3).hide(axis="index"))
    for (engine, depth, batch), _part in data.groupby(["engine", "depth", "batch_size"]):
        table = ranked(data, engine, depth, batch)
        display(
            collapsed_table(
                table.style.format(precision=1).hide(axis="index"),
                f"Ranked: {label_words(engine)}, ResNet-{depth}, batch {batch}",
                len(table),
            )
        )


def timm_version() -> str:
    """``timm X.Y.Z``: the version whose layers this run built."""
    from attnlib.bench.zoo import import_timm

    return f"timm {import_timm().__version__}"


def structure_table(depth: int = 50) -> Any:
    """The included modules' structure at ResNet-``depth``, 224² (collapsed: one row per module)."""
    from attnlib.plots import collapsed_table

    table = zoo_structure((depth,))
    shown = table[["display", "source", "params", "params_pct", "macs", "macs_pct", "elementwise", "passes"]].rename(
        columns={
            "display": "module",
            "params": "params added",
            "params_pct": "params %",
            "macs": "MACs added",
            "macs_pct": "MACs %",
            "elementwise": "elementwise ops",
            "passes": "passes per block",
        }
    )
    styled = shown.style.format({"params %": "{:.2f}", "MACs %": "{:.3f}"}).hide(axis="index")
    return collapsed_table(styled, f"Structure of every module in ResNet-{depth}, 224²", len(shown))
