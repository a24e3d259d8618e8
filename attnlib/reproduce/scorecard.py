"""The reproduction scorecard: every number of the paper the book addresses, ours beside it, and a status.

One row per table cell of ``data/paper/table*.csv`` and per claim of ``text_claims.csv`` and
``figure_claims.csv``. Our value comes from the only sources the book trusts, read afresh on every
build, so the page updates itself when a run record is committed:

* counts (parameters, MACs, modules per network) from :mod:`attnlib.complexity` and the networks;
* the protocol (epochs, learning rates, trials…) from the ``paper`` profile's settings;
* accuracies and APs from committed run records made with the ``paper`` profile on real data
  (``data/results/``); other records — synthetic, short profiles — never count;
* latency from committed latency records, through the same checks the chapters print.

Statuses (:data:`STATUSES`) keep apart what was repeated from what was only tested elsewhere:

* on the paper's setting — the same kind of measurement (a count, a protocol setting, an accuracy on the
  paper's dataset, a GPU latency claim on a GPU record): **reproduced** (within the stated tolerance,
  :data:`TOLERANCES`) or **differs** (with both numbers);
* on other hardware — a statement the paper made from its GPU, tested on a CPU record: **holds on other
  hardware** or **does not hold on other hardware**;
* **paper's erratum** (``data/paper/errata.csv``: the printed value is wrong, the corrected one is
  shown) and **not run here** (with the reason: data, a GPU, TensorRT).

The Fashion-MNIST study's verdicts (another dataset) are a section of their own
(:func:`real_data_section`) and never counted with these.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from attnlib import paper
from attnlib.attention import BASELINE, attention_or_none, display_name

STATUSES = (
    "reproduced",
    "differs",
    "holds on other hardware",
    "does not hold on other hardware",
    "paper's erratum",
    "not run here",
)
REPRODUCED, DIFFERS, HOLDS_ELSEWHERE, FAILS_ELSEWHERE, ERRATUM, NOT_RUN = STATUSES
PAPER_SETTING = (REPRODUCED, DIFFERS)
OTHER_HARDWARE = (HOLDS_ELSEWHERE, FAILS_ELSEWHERE)


@dataclass(frozen=True)
class Tolerance:
    """How close our value must be to the paper's to count as reproduced, and why that much."""

    within: float
    unit: str
    why: str


TOLERANCES: dict[str, Tolerance] = {
    "count": Tolerance(0.005, "M or G", "Table 2 prints two decimals: equal after rounding"),
    "protocol": Tolerance(0.0, "", "a setting of the protocol: must be equal"),
    "cifar": Tolerance(0.5, "points", "about twice the seed-to-seed spread of CIFAR runs"),
    "imagenet": Tolerance(0.3, "points", "about twice the run-to-run spread of ImageNet top-1"),
    "detection": Tolerance(0.5, "AP points", "about twice the spread the paper reports (0.2 AP, Sect. 4.4)"),
    "overhead": Tolerance(10.0, "points", "latency overhead on another GPU: the shape, not the digits"),
    "range": Tolerance(
        1.5,
        "×",
        "our range must lie within the paper's stated range widened by this factor either side "
        "(the text's ranges are rounded)",
    ),
}

# The chapter that decides each part, linked from the page.
CHAPTERS = {
    "Table 1": "table1_cifar",
    "Table 2": "table2_imagenet",
    "Table 3": "table3_finetune",
    "Table 4": "table4_coco",
    "Table 5": "table5_bdd100k",
    "Fig. 3": "fig3_latency_depth",
    "Fig. 4": "fig4_tradeoff",
    "Fig. 5": "fig5_resolution",
    "Fig. 6": "fig6_batch_size",
    "Text": "fig2_complexity",
    "Sect. 4.4": "table5_bdd100k",
}

NEEDS = {
    "cifar": "no committed CIFAR run at the paper profile: `attnlib reproduce table1 --profile paper` on a GPU "
    "(CIFAR downloads with --download)",
    "imagenet": "needs ImageNet (not downloadable here) and GPUs: `attnlib reproduce table2 --profile paper`",
    "finetune": "needs ImageNet and the ImageNet-pretrained networks: `attnlib reproduce table3 --profile paper`",
    "coco": "needs COCO (not downloadable here) and a GPU: `attnlib reproduce table4 --profile paper`",
    "bdd100k": "needs BDD100k (not downloadable here) and a GPU: `attnlib reproduce table5 --profile paper`",
    "gpu": "needs a GPU record (`attnlib bench --preset gpu` and `--preset gpu-compile`, `--commit`); the "
    "committed records are CPU (Fig. 3 shows them)",
    "tensorrt": "needs TensorRT on a GPU, which cannot be installed here",
}


def entry(
    part: str,
    item: str,
    paper_value: Any,
    ours: Any = None,
    status: str = NOT_RUN,
    note: str = "",
    tolerance: str | None = None,
) -> dict[str, Any]:
    """One scorecard row; ``difference`` is ours − paper when both are numbers."""
    numbers = isinstance(ours, int | float) and isinstance(paper_value, int | float)
    return {
        "part": part,
        "item": item,
        "paper": paper_value,
        "ours": ours,
        "difference": (ours - paper_value) if numbers else None,
        "status": status,
        "note": note,
        "tolerance": tolerance or "",
        "chapter": CHAPTERS.get(part, ""),
    }


def compare(part: str, item: str, paper_value: float, ours: float | None, tolerance: str, missing: str) -> dict:
    """A numeric cell: reproduced within ``TOLERANCES[tolerance]``, else differs; ``missing`` says why
    there is no value of ours."""
    if ours is None or pd.isna(ours):
        return entry(part, item, paper_value, note=missing, tolerance=tolerance)
    close = abs(float(ours) - float(paper_value)) <= TOLERANCES[tolerance].within + 1e-9
    return entry(part, item, paper_value, float(ours), REPRODUCED if close else DIFFERS, tolerance=tolerance)


# --- Tables --------------------------------------------------------------------------------------


def table1_entries() -> list[dict]:
    """Table 1: CIFAR top-1/top-5 per dataset × block × module (mean over committed paper-profile seeds)."""
    from attnlib.train import final_epochs, paper_runs

    runs = paper_runs(final_epochs("cifar"))
    rows = []
    for cell in paper.load("table1").itertuples():
        mine = runs[(runs.dataset == cell.dataset) & (runs.block == cell.block) & (runs.attention == cell.module)]
        for metric in ("top1", "top5"):
            ours = float(mine[metric].mean()) if len(mine) else None
            item = f"{cell.dataset} · {cell.block} · {display_name(cell.module)} · {metric}"
            rows.append(compare("Table 1", item, getattr(cell, metric), ours, "cifar", NEEDS["cifar"]))
    return rows


def table2_entries(errata: pd.DataFrame) -> list[dict]:
    """Table 2: accuracy (records), parameters and paper-convention GMACs (counted), and the timing
    columns as overhead over the baseline (GPU records)."""
    from attnlib.complexity import count_model
    from attnlib.reproduce.latency import best_engine
    from attnlib.train import final_epochs, paper_runs

    runs = paper_runs(final_epochs("imagenet"))
    gpu = _gpu_depth_record()
    table2 = paper.load("table2")
    rows = []
    for cell in table2.itertuples():
        name = f"ResNet-{cell.depth} {display_name(cell.module)}"
        mine = runs[(runs.model == f"resnet{cell.depth}") & (runs.attention == cell.module)]
        for metric in ("top1", "top5"):
            ours = float(mine[metric].mean()) if len(mine) else None
            rows.append(
                compare("Table 2", f"{name} · {metric}", getattr(cell, metric), ours, "imagenet", NEEDS["imagenet"])
            )
        counts = count_model(f"resnet{cell.depth}", attention_or_none(cell.module))
        for column, value in (("params_m", counts.params / 1e6), ("flops_g", counts.macs / 1e9)):
            row = compare("Table 2", f"{name} · {column}", getattr(cell, column), round(value, 4), "count", "")
            erratum = errata[(errata.table == "Table 2") & (errata.row == name) & (errata.column == column)]
            if len(erratum):
                row.update(
                    status=ERRATUM,
                    note=f"printed {erratum.printed.iloc[0]}, should read "
                    f"{erratum.corrected.iloc[0]}: {erratum.evidence.iloc[0]}",
                )
            rows.append(row)
    baseline = table2[table2.module == BASELINE].set_index("depth")
    for cell in table2[table2.module != BASELINE].itertuples():
        name = f"ResNet-{cell.depth} {display_name(cell.module)}"
        for column, engine in (("pytorch_ms", "eager"), ("tensorrt_ms", "tensorrt")):
            paper_pct = 100 * (getattr(cell, column) / baseline.loc[cell.depth, column] - 1)
            item = f"{name} · {column.split('_')[0]} overhead (%)"
            ours = None
            if gpu is not None:
                ours = _gpu_overhead(gpu, engine, cell.depth, cell.module)
            reason = NEEDS["tensorrt"] if engine == "tensorrt" and gpu is not None else NEEDS["gpu"]
            stand_in = best_engine(gpu) if gpu is not None and engine == "tensorrt" else None
            value = _gpu_overhead(gpu, stand_in, cell.depth, cell.module) if stand_in else None
            if value is not None:
                reason += f"; its stand-in here, {stand_in} on {gpu.hardware.iloc[0]}: {value:.1f} % (not scored)"
            rows.append(compare("Table 2", item, round(paper_pct, 1), ours, "overhead", reason))
    return rows


def _gpu_overhead(gpu: pd.DataFrame, engine: str, depth: int, module: str) -> float | None:
    """A module's overhead (%, min) on ``engine`` at ``depth`` in a GPU record, or None."""
    match = gpu[(gpu.engine == engine) & (gpu.depth == depth) & (gpu.attention == module)]
    return float(match.overhead_min_pct.iloc[0]) if len(match) else None


def _gpu_depth_record() -> pd.DataFrame | None:
    """The newest committed Fig. 3 record measured on a GPU (batch 1, 224², fp32), or None."""
    from attnlib.reproduce.latency import committed_records

    for _hardware, _label, record in reversed(committed_records("fig3_depth")):
        if "device" in record and (record.device == "cuda").any():
            return record[(record.device == "cuda") & (record.precision == "fp32") & (record.batch_size == 1)]
    return None


def table3_entries() -> list[dict]:
    """Table 3: fine-tuning top-1 — no committed fine-tuning record exists yet."""
    return [
        compare("Table 3", f"{display_name(c.module)} · {c.schedule}", c.top1, None, "imagenet", NEEDS["finetune"])
        for c in paper.load("table3").itertuples()
    ]


def _detection_runs(dataset: str) -> pd.DataFrame:
    """Final epochs of committed paper-profile detection records of ``dataset``, with their config."""
    from attnlib.results import read_records

    rows = []
    for table, record in read_records("detection"):
        config = record.get("config") or {}
        if config.get("dataset") != dataset or record.get("profile") != "paper":
            continue
        last = table.iloc[-1]
        module, method = config.get("attention") or BASELINE, config.get("method")
        name = (f"{module}+{method}" if module != BASELINE else method) if method else module
        rows.append(
            {
                "module": module,
                "init": config.get("init"),
                "split": config.get("split"),
                "method": name,
                "ap": last.get("AP"),
                "ap50": last.get("AP50"),
            }
        )
    return pd.DataFrame(rows, columns=["module", "init", "split", "method", "ap", "ap50"])


def table4_entries() -> list[dict]:
    """Table 4: COCO AP50/AP per module × initialisation (committed paper-profile detection records)."""
    runs = _detection_runs("coco")
    rows = []
    for cell in paper.load("table4").itertuples():
        mine = runs[(runs.module == cell.module) & (runs.init == cell.initialization)]
        for metric in ("ap50", "ap"):
            ours = float(mine[metric].mean()) if len(mine) else None
            item = f"{display_name(cell.module)} · {cell.initialization} · {metric}"
            rows.append(compare("Table 4", item, getattr(cell, metric), ours, "detection", NEEDS["coco"]))
    return rows


def table5_entries() -> list[dict]:
    """Table 5: BDD100k AP@0.5 per method × split (committed paper-profile detection records)."""
    runs = _detection_runs("bdd100k")
    rows = []
    for cell in paper.load("table5").itertuples():
        mine = runs[(runs.method == cell.method) & (runs.split == cell.split)]
        ours = float(mine.ap50.mean()) if len(mine) else None
        rows.append(compare("Table 5", f"{cell.method} · {cell.split}", cell.ap50, ours, "detection", NEEDS["bdd100k"]))
    return rows


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
            ours = f"{low:.1f}–{high:.1f} {claim.unit} ({where})"
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
                checks.setdefault(row.claim, []).append((bool(row.holds), f"{row.here} ({hardware})", _on_gpu(record)))
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


# --- The card -------------------------------------------------------------------------------------


def errata_entries(errata: pd.DataFrame, card: pd.DataFrame) -> list[dict]:
    """Errata that are no table cell of the card (a header, a FLOPs rule) get a row of their own."""
    rows = []
    for item in errata.itertuples():
        name = f"{item.row} · {item.column}"
        if card.item.eq(name).any():
            continue
        rows.append(entry(item.table, name, item.printed, item.corrected, ERRATUM, item.evidence))
    return rows


def scorecard() -> pd.DataFrame:
    """Every row of the card (see the module docstring), in the paper's order."""
    errata = paper.load("errata")
    rows = table1_entries() + table2_entries(errata) + table3_entries() + table4_entries() + table5_entries()
    rows += figure_claim_entries() + text_claim_entries()
    card = pd.DataFrame(rows)
    return pd.concat([card, pd.DataFrame(errata_entries(errata, card))], ignore_index=True)


def counts(card: pd.DataFrame) -> dict[str, int]:
    """How many rows have each status, in :data:`STATUSES` order."""
    return {status: int((card.status == status).sum()) for status in STATUSES}


def headline(card: pd.DataFrame) -> str:
    """The counts as one sentence, the paper's setting counted apart from other hardware."""
    n = counts(card)
    return (
        f"**{len(card)} numbers and claims of the paper. On the paper's setting: {n[REPRODUCED]} reproduced, "
        f"{n[DIFFERS]} differ. Tested on other hardware only (a GPU statement checked on a CPU record): "
        f"{n[HOLDS_ELSEWHERE]} hold there, {n[FAILS_ELSEWHERE]} do not. {n[ERRATUM]} paper's errata; "
        f"{n[NOT_RUN]} not run here** (they need data, a GPU or TensorRT)."
    )


def by_part(card: pd.DataFrame) -> pd.DataFrame:
    """Status counts per part of the paper (rows in the paper's order)."""
    table = pd.crosstab(pd.Categorical(card.part, categories=list(dict.fromkeys(card.part))), card.status)
    return table.reindex(columns=list(STATUSES), fill_value=0).rename_axis(index="part", columns=None)


def tolerance_table() -> pd.DataFrame:
    """The tolerances, as the page states them."""
    return pd.DataFrame(
        [{"kind": name, "within": f"{t.within:g} {t.unit}".strip(), "why": t.why} for name, t in TOLERANCES.items()]
    )


STATUS_COLOURS = {
    REPRODUCED: "#9fd89f",
    DIFFERS: "#f4a582",
    HOLDS_ELSEWHERE: "#d9f0d3",
    FAILS_ELSEWHERE: "#fddbc7",
    ERRATUM: "#c2a5cf",
    NOT_RUN: "#e0e0e0",
}


def plot_status(card: pd.DataFrame) -> Any:
    """Horizontal stacked bars: per part of the paper, how many rows have each status."""
    import matplotlib.pyplot as plt

    table = by_part(card).iloc[::-1]
    figure, axis = plt.subplots(figsize=(10, 0.45 * len(table) + 1.6))
    left = pd.Series(0, index=table.index)
    for status in STATUSES:
        axis.barh(table.index, table[status], left=left, color=STATUS_COLOURS[status], edgecolor="grey", label=status)
        left = left + table[status]
    axis.set_xlabel("numbers and claims of the paper")
    axis.legend(ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    figure.tight_layout()
    return figure


SHARED_NOTE = 3  # a note on this many rows of a part or more is stated once above its table


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def _verdict_cell(row: Any, shared: set[str]) -> str:
    """The status in words, the difference when both values are numbers, a note folded under it
    (unless the part states it once above its table)."""
    text = row.status
    if not _is_missing(row.difference):
        text += f" ({row.difference:+.2f})"
    if row.note and row.note not in shared:
        text += f"<details><summary>why</summary>{row.note}</details>"
    return text


def shared_notes(card: pd.DataFrame, part: str) -> list[str]:
    """The notes repeated on many rows of ``part``, stated once above its table."""
    notes = card[card.part == part].note.value_counts()
    return [note for note, count in notes.items() if note and count >= SHARED_NOTE]


def part_intro(card: pd.DataFrame, part: str) -> str:
    """What the compact table of ``part`` leaves out, in sentences: the chapters that decide its rows
    and the notes its rows share."""
    rows = card[card.part == part]
    chapters = [name for name in dict.fromkeys(rows.chapter) if name]
    from attnlib.reproduce.common import chapter_title

    links = ", ".join(f"{{doc}}`{chapter_title(name)} <{name}>`" for name in chapters)
    text = f"Decided by the chapter{'s' if len(chapters) > 1 else ''} {links}." if chapters else ""
    for note in shared_notes(card, part):
        statuses = ", ".join(dict.fromkeys(rows[rows.note == note].status))
        text += f"\n\n*{statuses[0].upper()}{statuses[1:]}:* {note}"
    return text


def part_table(card: pd.DataFrame, part: str) -> Any:
    """One part's rows as a compact table — item, paper, ours, verdict — the verdict coloured by status,
    a row's own note folded under its verdict (shared notes are stated by :func:`part_intro`)."""
    rows = card[card.part == part]
    shared = set(shared_notes(card, part))
    shown = pd.DataFrame(
        {
            "item": rows["item"],
            "paper": rows.paper.map(lambda v: "" if _is_missing(v) else f"{v:g}" if isinstance(v, float) else str(v)),
            "ours": rows.ours.map(lambda v: "" if _is_missing(v) else f"{v:g}" if isinstance(v, float) else str(v)),
            "verdict": [_verdict_cell(row, shared) for row in rows.itertuples()],
        }
    )
    colours = [f"background-color: {STATUS_COLOURS.get(status, '')}" for status in rows.status]
    return (
        shown.style.apply(lambda _: colours, subset=["verdict"])
        .hide(axis="index")
        .set_properties(**{"text-align": "left", "vertical-align": "top"})
    )


def real_data_section() -> pd.DataFrame:
    """The Fashion-MNIST study's verdicts: the paper's accuracy statements re-tested on real images.

    Kept apart from the paper's own cells (same question, another dataset), never counted in the
    headline; computed from the committed campaign records like every other row.
    """
    from attnlib.reproduce import fashion

    chosen = fashion.headline_campaign("default")  # the converged campaign once its comparison is complete
    finals = fashion.committed_finals("default", campaign=chosen)
    statements = fashion.plateau_statements(finals, "default", campaign=chosen) if not finals.empty else []
    statements += fashion.chapter_statements(finals, "default", campaign=chosen)
    latency, _ = fashion.cost_records(chosen)
    if not latency.empty and not finals.empty:
        points = fashion.tradeoff_points(finals, latency, "openvino", 1, campaign=chosen)
        statements += fashion.deeper_tradeoff_statements(points, "OpenVINO", 1) if not points.empty else []
    return fashion.statements_table([s for s in statements if s is not None], chosen)
