"""The accuracy experiments of Tables 1 and 2 as functions the notebooks call.

Each runs one training per (dataset, block or depth, module, seed) through :func:`train` and
returns the final-epoch metrics as a tidy frame. At the ``smoke``/``default`` profiles the data is
synthetic and the networks small, which checks the pipeline and nothing else; ``paper`` runs the
paper's protocol on the real datasets.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from attnlib.attention import available, display_name
from attnlib.train.config import TrainConfig, profile_config
from attnlib.train.loop import train
from attnlib.train.records import write_training_record

MODULES = ("baseline", *available())


@dataclass(frozen=True)
class AccuracySettings:
    """Which runs a table needs at one profile."""

    datasets: tuple[str, ...]
    models: tuple[tuple[str, str | None], ...]  # (model, block)
    seeds: tuple[int, ...]
    overrides: tuple[tuple[str, object], ...] = ()


def synthetic_data_warning(title: str, body: str) -> str:
    """The red MyST admonition every accuracy page shows when it trained on generated data."""
    return f":::{{admonition}} Synthetic data — {title}\n:class: danger\n{body}\n:::"


def table1_settings(profile: str) -> AccuracySettings:
    """Table 1: ResNet-56 with basic and bottleneck blocks on CIFAR-10/100, 3 seeds (paper)."""
    if profile == "paper":
        return AccuracySettings(
            ("cifar10", "cifar100"), (("cifar_resnet56", "basic"), ("cifar_resnet56", "bottleneck")), (0, 1, 2)
        )
    if profile == "default":
        return AccuracySettings(
            ("synthetic-cifar",),
            (("cifar_resnet20", "basic"), ("cifar_resnet29", "bottleneck")),
            (0, 1),
            (("epochs", 3), ("synthetic_size", (768, 256)), ("lr_milestones", (2,))),
        )
    return AccuracySettings(
        ("synthetic-cifar",),
        (("cifar_resnet8", "basic"), ("cifar_resnet11", "bottleneck")),
        (0,),
        (("epochs", 1), ("synthetic_size", (96, 48))),
    )


def table2_settings(profile: str) -> AccuracySettings:
    """Table 2: ResNet-18 and -50 on ImageNet (one run each in the paper)."""
    if profile == "paper":
        return AccuracySettings(("imagenet",), (("resnet18", None), ("resnet50", None)), (0,))
    if profile == "default":
        return AccuracySettings(
            ("synthetic-imagenet",),
            (("resnet18", None), ("resnet50", None)),
            (0,),
            (("epochs", 2), ("batch_size", 32), ("synthetic_size", (256, 128)), ("lr_milestones", (1,))),
        )
    return AccuracySettings(
        ("synthetic-imagenet",),
        (("resnet18", None),),
        (0,),
        (("epochs", 1), ("batch_size", 16), ("synthetic_size", (32, 32))),
    )


def run_accuracy(
    settings: AccuracySettings,
    profile: str,
    modules: Sequence[str] = MODULES,
    save_records: bool = False,
    output: Path | None = None,
) -> pd.DataFrame:
    """Train every configuration of ``settings``; one row per run with its final top-1/top-5.

    Checkpoints go to ``output`` (a temporary folder if not given, so a book build leaves nothing
    behind); with ``save_records`` each run is also written as a run record under ``data/results``.
    """
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        base_dir = Path(output or scratch)
        for dataset in settings.datasets:
            for model, block in settings.models:
                for module in modules:
                    for seed in settings.seeds:
                        config = profile_config(
                            profile, dataset, model, None if module == "baseline" else module, seed, block=block
                        )
                        config = replace(config, **dict(settings.overrides))
                        config = replace(config, output=str(base_dir / config.run_name))
                        result = train(config, progress=False)
                        if save_records:
                            write_training_record(config, result.history, **result.dataset)
                        rows.append(_final_row(config, result.history))
    return pd.DataFrame(rows)


def _final_row(config: TrainConfig, history: list[dict]) -> dict[str, object]:
    last = history[-1]
    return {
        "dataset": config.dataset,
        "model": config.model,
        "block": config.block or "",
        "attention": config.attention or "baseline",
        "seed": config.seed,
        "epochs": last["epoch"] + 1,
        "top1": last["top1"],
        "top5": last["top5"],
        "train_loss": last["train_loss"],
    }


def table1_layout(summary: pd.DataFrame) -> pd.DataFrame:
    """Table 1's layout from seed-aggregated results: rows dataset × module, columns block × metric.

    Cells are ``mean ± std`` strings; :func:`table1_style` marks best and within-one-std-of-best.
    """
    order = {name: index for index, name in enumerate(MODULES)}
    data = summary.sort_values("attention", key=lambda c: c.map(order)).assign(
        Module=lambda d: d.attention.map(display_name)
    )
    data["cell"] = data.apply(lambda r: f"{r.top1_mean:.2f} ± {0 if pd.isna(r.top1_std) else r.top1_std:.2f}", axis=1)
    data["cell5"] = data.apply(lambda r: f"{r.top5_mean:.2f} ± {0 if pd.isna(r.top5_std) else r.top5_std:.2f}", axis=1)
    top1 = data.pivot_table(index=["dataset", "Module"], columns="block", values="cell", aggfunc="first", sort=False)
    top5 = data.pivot_table(index=["dataset", "Module"], columns="block", values="cell5", aggfunc="first", sort=False)
    return pd.concat({"top-1": top1, "top-5": top5}, axis=1).swaplevel(0, 1, axis=1).sort_index(axis=1, level=0)


def best_marks(summary: pd.DataFrame, metric: str = "top1") -> pd.DataFrame:
    """Per (dataset, block): which modules are best (bold) or within one std of the best (underlined)."""
    rows = []
    for (dataset, block), group in summary.groupby(["dataset", "block"], dropna=False):
        best = group.loc[group[f"{metric}_mean"].idxmax()]
        spread = 0.0 if pd.isna(best[f"{metric}_std"]) else best[f"{metric}_std"]
        for item in group.itertuples():
            mean = getattr(item, f"{metric}_mean")
            mark = (
                "best"
                if item.attention == best.attention
                else ("within 1 std" if mean >= best[f"{metric}_mean"] - spread else "")
            )
            rows.append({"dataset": dataset, "block": block, "attention": item.attention, "mark": mark})
    return pd.DataFrame(rows)


def paper_table1(table1: pd.DataFrame) -> pd.DataFrame:
    """The paper's Table 1 in the same layout, with its best per column marked ``*``."""
    data = table1.assign(Module=table1.module.map(display_name))
    for metric in ("top1", "top5"):
        best = data.groupby(["dataset", "block"])[metric].transform("max")
        data[metric] = data[metric].map("{:.2f}".format) + (data[metric] == best).map({True: " *", False: ""})
    wide = data.pivot_table(
        index=["dataset", "Module"], columns="block", values=["top1", "top5"], aggfunc="first", sort=False
    )
    return wide.swaplevel(0, 1, axis=1).sort_index(axis=1, level=0)


def table2_full(accuracy: pd.DataFrame, latency: pd.DataFrame, table2: pd.DataFrame) -> pd.DataFrame:
    """Table 2 rebuilt: paper columns beside ours (accuracy, exact/paper GMACs, parameters, latency).

    Args:
        accuracy: final top-1/top-5 per (model, attention) — from this run or from records.
        latency: a fig3 latency summary (any engine); eager and the fastest other engine are used.
        table2: the paper's Table 2.
    """
    from attnlib.bench.report import best_engine
    from attnlib.complexity import count_model
    from attnlib.models import depth_from_model

    engine = best_engine(latency) if not latency.empty else None
    rows = []
    for item in table2.itertuples():
        attention = None if item.module == "baseline" else item.module
        paper_counts = count_model(f"resnet{item.depth}", attention)
        row = {
            "ResNet": item.depth,
            "module": display_name(item.module),
            "paper top-1": item.top1,
            "paper top-5": item.top5,
            "paper FLOPs (G)": item.flops_g,
            "ours GMACs (paper conv.)": round(paper_counts.macs / 1e9, 2),
            "paper params (M)": item.params_m,
            "ours params (M)": round(paper_counts.params / 1e6, 2),
            "paper PyTorch ms": item.pytorch_ms,
            "paper TensorRT ms": item.tensorrt_ms,
        }
        match = accuracy[(accuracy.model == f"resnet{item.depth}") & (accuracy.attention == item.module)]
        row["ours top-1"] = float(match.top1.mean()) if len(match) else float("nan")
        row["ours top-5"] = float(match.top5.mean()) if len(match) else float("nan")
        if not latency.empty:
            timed = latency.assign(depth=latency.model.map(depth_from_model))
            for label, name in (("eager", "eager"), (engine or "optimised", engine)):
                cell = timed[(timed.engine == name) & (timed.depth == item.depth) & (timed.variant == item.module)]
                row[f"ours {label} ms"] = float(cell.min_ms.iloc[0]) if len(cell) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def table1_style(summary: pd.DataFrame):
    """:func:`table1_layout` styled like the paper: best **bold**, within one std of it underlined."""
    layout = table1_layout(summary)
    marks = {
        metric: best_marks(summary, metric)
        .assign(Module=lambda d: d.attention.map(display_name))
        .set_index(["dataset", "Module", "block"])
        .mark
        for metric in ("top1", "top5")
    }

    def css(frame: pd.DataFrame) -> pd.DataFrame:
        styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for block, metric_label in frame.columns:
            metric = "top1" if metric_label == "top-1" else "top5"
            for dataset, module in frame.index:
                mark = marks[metric].get((dataset, module, block), "")
                styles.loc[(dataset, module), (block, metric_label)] = {
                    "best": "font-weight: bold",
                    "within 1 std": "text-decoration: underline",
                }.get(mark, "")
        return styles

    return layout.style.apply(css, axis=None)
