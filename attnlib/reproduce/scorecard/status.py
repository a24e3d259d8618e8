"""The card's statuses and tolerances, and how one row of it is made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

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
