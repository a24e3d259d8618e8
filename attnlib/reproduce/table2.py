"""Table 2 — ImageNet accuracy of ResNet-18/50 with complexity and latency (Sect. 4.1.2).

The accuracy columns come from this run (or committed ImageNet records), the complexity columns
from :mod:`attnlib.complexity`, the timing columns from the newest committed Fig. 3 record.
"""

from __future__ import annotations

import pandas as pd

from attnlib.attention import attention_or_none, display_name
from attnlib.complexity import count_model
from attnlib.models import depth_from_model
from attnlib.names import label_words
from attnlib.profiles import PerProfile
from attnlib.reproduce.accuracy import AccuracySettings, run_accuracy, schedule
from attnlib.reproduce.common import synthetic_data_warning
from attnlib.reproduce.latency import best_engine, committed_records
from attnlib.reproduce.training import PAPER_IMAGENET, on_gpu
from attnlib.train import final_epochs

__all__ = ["SETTINGS", "accuracy", "page_warning", "run_accuracy", "table2_full", "timing_record"]

EXPERIMENT = "table2"

# Every profile declares its complete schedule (same shape as the other tables', other values), so a
# run's settings are resolved once, here.
SETTINGS: PerProfile[AccuracySettings] = PerProfile(
    paper=lambda: AccuracySettings(
        ("imagenet",), (("resnet18", None), ("resnet50", None)), (0,), schedule(**PAPER_IMAGENET, **on_gpu())
    ),
    default=AccuracySettings(
        ("synthetic-imagenet",),
        (("resnet18", None), ("resnet50", None)),
        (0,),
        schedule(epochs=1, batch_size=32, lr=0.1, lr_milestones=(1,), synthetic_size=(128, 64)),
    ),
    smoke=AccuracySettings(
        ("synthetic-imagenet",),
        (("resnet18", None),),
        (0,),
        schedule(epochs=1, batch_size=16, lr=0.1, lr_milestones=(1,), synthetic_size=(32, 32)),
    ),
)


def page_warning(profile: str, settings: AccuracySettings, hardware: str) -> str | None:
    """The page's red warning when it trains on generated data (every profile but ``paper``)."""
    if profile == "paper":
        return None
    return synthetic_data_warning(
        'the "ours top-1/top-5" columns say nothing about the paper\'s claims',
        f"Profile `{profile}`: ResNet-{'/'.join(m[0][6:] for m in settings.models)} "
        "trained for a few epochs on a "
        f"**generated** 100-class, 64² dataset on {hardware}, to check the ImageNet pipeline end to end. "
        "Run `-p profile paper` with ImageNet (`ATTNLIB_IMAGENET`) on GPUs for the real protocol.",
    )


def accuracy(this_run: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The accuracy the table shows: committed real-ImageNet records when there are any (with a note
    saying so), else this run's."""
    records = final_epochs("imagenet")
    if records.empty:
        return this_run, None
    return records, "Accuracy columns use the committed **ImageNet run records** (real data)."


def timing_record() -> tuple[pd.DataFrame, str]:
    """The newest committed Fig. 3 latency record and its label (empty frame when none)."""
    records = committed_records("fig3_depth")
    if not records:
        return pd.DataFrame(), "no committed latency record"
    return records[-1][2], records[-1][1]


def table2_full(accuracy: pd.DataFrame, latency: pd.DataFrame, table2: pd.DataFrame) -> pd.DataFrame:
    """Table 2 rebuilt: paper columns beside ours (accuracy, exact/paper GMACs, parameters, latency).

    Args:
        accuracy: final top-1/top-5 per (model, attention) — from this run or from records.
        latency: a fig3 latency summary (any engine); eager and the fastest other engine are used.
        table2: the paper's Table 2.
    """
    engine = best_engine(latency) if not latency.empty else None
    rows = []
    for item in table2.itertuples():
        attention = attention_or_none(item.module)
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
            timed = latency[latency.precision == "fp32"].assign(depth=lambda t: t.model.map(depth_from_model))
            for label, name in (("eager", "eager"), (engine or "optimised", engine)):
                cell = timed[(timed.engine == name) & (timed.depth == item.depth) & (timed.variant == item.module)]
                row[f"ours {label_words(label)} ms"] = float(cell.min_ms.iloc[0]) if len(cell) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)
