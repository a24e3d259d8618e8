"""The card's rows for the paper's claims, in its text and about its figures, tested on our records."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pandas as pd

from attnlib import paper
from attnlib.attention import BASELINE
from attnlib.names import setting_words
from attnlib.reproduce.scorecard.status import (
    CHAPTERS,
    DIFFERS,
    FAILS_ELSEWHERE,
    HOLDS_ELSEWHERE,
    NEEDS,
    REPRODUCED,
    TOLERANCES,
    entry,
)

# --- Claims in the text ---------------------------------------------------------------------------


def _modules_in(model: str, block: str | None = None) -> int:
    import torch

    from attnlib.models import build_model

    with torch.device("meta"):  # the structure only: no weights to allocate or initialise
        network = build_model(model, attention="se", block=block)
    return sum(1 for module in network.modules() if type(module).__name__ == "SqueezeExcitation")


def _protocol_values() -> dict[str, Callable[[], Any]]:
    """Our value of each protocol claim of ``text_claims.csv``: what the ``paper`` profile runs."""
    from attnlib.attention import create
    from attnlib.reproduce import fig3, table3, table5
    from attnlib.reproduce.training import PAPER_CIFAR

    finetune = {s.name: s for s in table3.SETTINGS.get("paper").schedules}
    values: dict[str, Callable[[], Any]] = {
        "timing_trials": lambda: fig3.SETTINGS.get("paper").trials,
        "modules_cifar_resnet56_basic": lambda: _modules_in("cifar_resnet56", "basic"),
        "se_reduction": lambda: create("se", 64).reduction,
        "eca_kernel": lambda: create("eca", 64).kernel_size,
        "multise_branches": lambda: create("multise", 64).branches,
        "cifar_epochs": lambda: PAPER_CIFAR["epochs"],
        "cifar_batch": lambda: PAPER_CIFAR["batch_size"],
        "cifar_lr": lambda: PAPER_CIFAR["lr"],
        "cifar_lr_steps": lambda: PAPER_CIFAR["lr_milestones"],
        "finetune_lr": lambda: finetune["30ep_lr0.001"].lr,
        "finetune_epochs_long": lambda: finetune["30ep_lr0.001"].epochs,
        "finetune_epochs_two_stage": lambda: finetune["20ep_lr0.01+20ep_lr0.001"].epochs,
        "bdd_epochs": lambda: table5.SETTINGS.get("paper").detection.epochs,
    }
    for depth in (18, 34, 50, 101, 152):
        values[f"modules_resnet{depth}"] = lambda depth=depth: _modules_in(f"resnet{depth}")
    return values


DATA_CLAIMS = {
    "cifar100_basic_gain": "cifar",
    "cifar100_bottleneck_gain": "cifar",
    "bdd_ab_std": "bdd100k",
    "bdd_train_images": "bdd100k",
    "coco_minival_images": "coco",
    "tensorrt_speedup": "tensorrt",
}


def _stated(claim: Any) -> str:
    unit = "" if claim.unit in ("count", "ratio", "lr", "epoch") else f" {claim.unit}"
    return f"{claim.low:g}{unit}" if claim.low == claim.high else f"{claim.low:g}–{claim.high:g}{unit}"


def measured_span(low: float, high: float) -> str:
    """A measured range in words: ``1.9–11.0``, and ``-8.4 to 15.7`` when it begins below zero (a dash
    after a minus sign reads as a second minus)."""
    return f"{low:.1f} to {high:.1f}" if low < 0 else f"{low:.1f}–{high:.1f}"


def _range_status(low: float, high: float, ours: tuple[float, float], paper_setting: bool = True) -> str:
    """Within the widened range or not; said as reproduced/differs on the paper's setting, as holds /
    does not hold on other hardware otherwise."""
    factor = TOLERANCES["range"].within
    inside = ours[0] >= low / factor and ours[1] <= high * factor
    if paper_setting:
        return REPRODUCED if inside else DIFFERS
    return HOLDS_ELSEWHERE if inside else FAILS_ELSEWHERE


# The chapter that decides a claim of the text, by the claim's prefix (default: Fig. 2's complexity).
TEXT_CHAPTERS = (
    ("cifar", "table1_cifar"),
    ("finetune", "table3_finetune"),
    ("bdd", "table5_bdd100k"),
    ("coco", "table4_coco"),
    ("inference_time", "fig3_latency_depth"),
    ("timing", "fig3_latency_depth"),
    ("tensorrt", "fig3_latency_depth"),
    ("reimplementation", "fig3_latency_depth"),
    ("se_", "fig1_modules"),
    ("eca_", "fig1_modules"),
    ("multise_", "fig1_modules"),
)


def text_chapter(claim: str) -> str:
    """The chapter that shows a claim of the text."""
    return next((chapter for prefix, chapter in TEXT_CHAPTERS if claim.startswith(prefix)), CHAPTERS["Text"])


def text_claim_entries() -> list[dict]:
    """The numbers stated in the text: ranges checked on counts and committed records, protocol
    settings read from the paper profile."""
    protocol = _protocol_values()
    measured = _measured_ranges()
    rows = []
    for claim in paper.load("text").itertuples():
        item = f"{claim.quantity[0].upper()}{claim.quantity[1:]} ({claim.source})"
        stated = _stated(claim)
        if claim.claim in measured and measured[claim.claim][0] is not None:
            (low, high), where, paper_setting = measured[claim.claim]
            ours = f"{measured_span(low, high)} {claim.unit} ({where})"
            status = _range_status(claim.low, claim.high, (low, high), paper_setting)
            row = entry("Text", item, stated, ours, status, tolerance="range")
        elif claim.claim in measured:
            row = entry("Text", item, stated, note=measured[claim.claim][1])
        elif claim.claim in protocol:
            value = protocol[claim.claim]()
            expected = (claim.low, claim.high) if claim.low != claim.high else (claim.low,)
            got = tuple(float(v) for v in (value if isinstance(value, tuple) else (value,)))
            status = REPRODUCED if got == tuple(float(v) for v in expected) else DIFFERS
            shown = ", ".join(f"{v:g}" for v in got)
            row = entry("Text", item, stated, shown, status, "our paper profile / network", "protocol")
        else:
            row = entry("Text", item, stated, note=NEEDS[DATA_CLAIMS.get(claim.claim, "gpu")])
        rows.append({**row, "chapter": text_chapter(claim.claim)})
    return rows


@functools.cache
def _macs(depth: int, module: str | None) -> int:
    """Paper-convention MACs of ResNet-``depth`` with ``module`` (counted once per process)."""
    from attnlib.complexity import count_model

    return count_model(f"resnet{depth}", module).macs


def _on_gpu(record: pd.DataFrame) -> bool:
    """Whether a latency record was measured on a GPU — the paper's kind of measurement."""
    return "device" in record and bool((record.device == "cuda").all())


def _measured_ranges() -> dict[str, tuple[tuple[float, float] | None, str, bool]]:
    """Ranges of ours for the range claims: (low, high), where they were measured (or None and why), and
    whether that is the paper's kind of measurement (counted, or timed on a GPU as the paper did)."""
    from attnlib.reproduce.latency import committed_records

    ranges: dict[str, tuple[tuple[float, float] | None, str, bool]] = {}
    overheads = [
        100 * (_macs(depth, module) / _macs(depth, None) - 1)
        for depth in (18, 34, 50, 101, 152)
        for module in ("ab", "eca", "se", "srm", "multise")
    ]
    ranges["flops_increase"] = ((min(overheads), max(overheads)), "counted, paper convention, ResNet-18…152", True)
    records = committed_records("fig3_depth")
    if records:
        hardware, _label, record = _prefer_gpu(records)
        eager = record[(record.engine == "eager") & (record.attention != BASELINE) & (record.batch_size == 1)]
        ranges["inference_time_increase"] = (
            (float(eager.overhead_min_pct.min()), float(eager.overhead_min_pct.max())),
            f"eager, batch 1, 224², {hardware}",
            _on_gpu(record),
        )
    else:
        ranges["inference_time_increase"] = (None, NEEDS["gpu"], False)
    modules = committed_records("modules")
    if modules:
        hardware, _label, record = _prefer_gpu(modules)
        eager = record[record.engine == "eager"].assign(impl=lambda r: r.variant.str.split("/").str[0])
        mins = eager.pivot_table(index="attention", columns="impl", values="min_ms", aggfunc="first")
        saved = (100 * (mins["plain"] - mins["attnlib"]) / mins["plain"]).dropna()
        ranges["reimplementation_speedup"] = (
            (float(saved.min()), float(saved.max())),
            f"attnlib vs plain reference, whole ResNet-50, eager, {hardware}",
            _on_gpu(record),
        )
    else:
        ranges["reimplementation_speedup"] = (None, "needs a committed `attnlib bench modules` record", False)
    return ranges


def _prefer_gpu(records: list[tuple[str, str, pd.DataFrame]]) -> tuple[str, str, pd.DataFrame]:
    """The newest GPU record when there is one (the paper's kind of measurement), else the newest."""
    gpu = [found for found in records if _on_gpu(found[2])]
    return (gpu or records)[-1]


# --- Claims about the figures ---------------------------------------------------------------------


def _measured_where(row: object, hardware: str) -> str:
    """Where one check of a figure's claim was measured, in words: its engine (and precision) and network
    where the chapter checks the claim per engine or depth (Fig. 5, Fig. 6), and the machine — so that a
    claim's checks, joined in one cell, can be told apart."""
    parts = []
    engine = getattr(row, "engine", None)
    if isinstance(engine, str) and engine:
        parts.append(setting_words(engine))  # by_setting's ``eager fp16``
    depth = getattr(row, "ResNet", None)
    if depth is not None and not pd.isna(depth):
        parts.append(f"ResNet-{int(depth)}")
    return ", ".join([*parts, hardware])


def figure_claim_entries() -> list[dict]:
    """The figures' statements, checked by their chapters on every committed record: reproduced when
    every check of the claim holds, differs when one does not (the chapter shows which)."""
    from attnlib.models import depth_from_model
    from attnlib.reproduce import fig3, fig5, fig6
    from attnlib.reproduce.latency import best_engine, committed_records, measurement_problems

    checks: dict[str, list[tuple[bool, str, bool]]] = {}
    noisy: list[str] = []
    sources = (
        ("fig3_depth", lambda s, claims: fig3.depth_conclusions(s, best_engine(s))),
        ("fig5_resolution", fig5.resolution_conclusions),
        ("fig6_batch", fig6.batch_conclusions),
    )
    figure_claims = paper.load("figure_claims")
    for experiment, conclude in sources:
        for hardware, _label, record in committed_records(experiment):
            if experiment == "fig5_resolution":
                record = record.assign(depth=record.group.map(depth_from_model))  # as fig5.show does
            if measurement_problems(record):
                noisy.append(f"{experiment} on {hardware}")
                continue
            for row in conclude(record, figure_claims).itertuples():
                measured = f"{row.here} ({_measured_where(row, hardware)})"
                checks.setdefault(row.claim, []).append((bool(row.holds), measured, _on_gpu(record)))
    rows = []
    for claim in figure_claims.itertuples():
        found = checks.get(claim.claim)
        if not found:
            why = NEEDS["tensorrt"] if "TensorRT" in claim.statement or "16-bit" in claim.statement else NEEDS["gpu"]
            if noisy:
                why += f"; committed records withheld by the noise check: {', '.join(noisy)}"
            rows.append(entry(claim.figure, claim.statement, "holds on an RTX 2080 Ti", note=why))
            continue
        gpu = [check for check in found if check[2]]
        deciding = gpu or found  # a GPU record repeats the paper's measurement; CPU records test it elsewhere
        holds = all(check[0] for check in deciding)
        if gpu:
            status = REPRODUCED if holds else DIFFERS
        else:
            status = HOLDS_ELSEWHERE if holds else FAILS_ELSEWHERE
        ours = "; ".join(text for _, text, _ in found)
        rows.append(entry(claim.figure, claim.statement, "holds on an RTX 2080 Ti", ours, status))
    return rows
