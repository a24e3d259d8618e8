"""Fig. 4 — the accuracy–latency trade-off: a module, or a deeper network? (Sect. 4.3.1)."""

from __future__ import annotations

import pandas as pd

from attnlib.attention import BASELINE, display_name
from attnlib.models import depth_from_model, torchvision_top1
from attnlib.reproduce.latency import by_setting, committed_records
from attnlib.train import final_epochs

__all__ = ["committed_records", "final_epochs", "tradeoff_points"]


def tradeoff_points(latency: pd.DataFrame, table2: pd.DataFrame, accuracy: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fig. 4's points: top-1 vs inference time relative to the baseline ResNet-50, per engine.

    Accuracy comes from ``accuracy`` (our records on real ImageNet) where present, else from the
    paper's Table 2 (ResNet-18/50) or torchvision's published ImageNet accuracy of its V1 weights
    for the baseline ResNet-34/101/152 that Table 2 lacks; the ``accuracy source`` column says which.
    """

    rows = []
    data = by_setting(latency).assign(depth=latency.model.map(depth_from_model))
    paper_top1 = table2.set_index(["depth", "module"]).top1
    for engine, part in data.groupby("engine"):
        reference = part[(part.depth == 50) & (part.variant == BASELINE)].min_ms
        if reference.empty:
            continue
        for item in part.itertuples():
            if item.variant != BASELINE and item.depth not in (18, 50):
                continue
            source, top1 = None, float("nan")
            if accuracy is not None and not accuracy.empty:
                match = accuracy[(accuracy.model == f"resnet{item.depth}") & (accuracy.attention == item.variant)]
                if len(match):
                    source, top1 = "ours (ImageNet record)", float(match.top1.mean())
            if source is None and (item.depth, item.variant) in paper_top1.index:
                source, top1 = "paper, Table 2", float(paper_top1[(item.depth, item.variant)])
            if source is None and item.variant == BASELINE:
                source, top1 = "torchvision V1 weights", torchvision_top1(item.depth)
            rows.append(
                {
                    "engine": engine,
                    "ResNet": item.depth,
                    "module": display_name(item.variant),
                    "relative time": item.min_ms / float(reference.iloc[0]),
                    "top-1": top1,
                    "accuracy source": source,
                }
            )
    return pd.DataFrame(rows)
