"""``attnlib advise``'s accuracy side: each module's top-1 gain over the baseline with its source — our
committed records first, else the paper's tables; torchvision's published weights for the deeper
baseline; the Fashion-MNIST study's gains as a labelled extra column (:func:`accuracy_sources`)."""

from __future__ import annotations

import pandas as pd

from attnlib import paper
from attnlib.advice.request import DEEPER, deeper_model
from attnlib.models import depth_from_model, torchvision_top1
from attnlib.names import BASELINE, MODULES, counted
from attnlib.reproduce import fashion
from attnlib.train import final_epochs, paper_runs

ACCURACY_COLUMNS = ["dataset", "variant", "gain", "source", "extra"]


def _ours(kind: str, dataset: str, model: str, block: str | None) -> pd.Series:
    """Mean top-1 per module of our committed paper-profile records of ``model`` on ``dataset``."""
    mine = paper_runs(final_epochs(kind))
    mine = mine[(mine.dataset == dataset) & (mine.model == model)]
    if block is not None and "block" in mine:
        mine = mine[mine.block == block]
    return mine.groupby("attention").top1.mean()


def _gains(top1: pd.Series) -> dict[str, float]:
    """Each module's top-1 minus the baseline's (modules without a value are left out)."""
    if BASELINE not in top1.index:
        return {}
    return {m: float(top1[m] - top1[BASELINE]) for m in MODULES if m in top1.index}


def accuracy_sources(model: str, block: str | None = None) -> pd.DataFrame:
    """Each module's (and the deeper baseline's) top-1 gain over the baseline, with its source.

    ImageNet ResNets: our committed paper-profile ImageNet records, else the paper's Table 2 (ResNet-18
    and -50 only); the deeper baseline's gain from torchvision's published V1 weights (both networks
    from that one source). CIFAR ResNet-56: our records, else Table 1, CIFAR-10 and CIFAR-100 apart.
    The Fashion-MNIST campaign's gains (``extra``) where its networks match. Absent: no row.
    """
    rows = []
    depth = depth_from_model(model)
    deeper = deeper_model(model, block)
    if model.startswith("resnet"):
        ours = _gains(_ours("imagenet", "imagenet", model, None))
        table2 = paper.load("table2")
        printed = _gains(table2[table2.depth == depth].set_index("module").top1)
        for module in MODULES:
            if module in ours:
                rows.append(("ImageNet", module, ours[module], "ours (ImageNet, paper profile)", False))
            elif module in printed:
                rows.append(("ImageNet", module, printed[module], "paper, Table 2", False))
        if deeper is not None:
            gain = torchvision_top1(depth_from_model(deeper)) - torchvision_top1(depth)
            rows.append(("ImageNet", DEEPER, gain, "torchvision's published V1 weights", False))
    elif depth == 56:
        table1 = paper.load("table1")
        for dataset, label in (("cifar10", "CIFAR-10"), ("cifar100", "CIFAR-100")):
            ours = _gains(_ours("cifar", dataset, model, block))
            cells = table1[(table1.dataset == dataset) & (table1.block == block)].set_index("module").top1
            printed = _gains(cells)
            for module in MODULES:
                if module in ours:
                    rows.append((label, module, ours[module], f"ours ({label}, paper profile)", False))
                elif module in printed:
                    rows.append((label, module, printed[module], "paper, Table 1", False))
    rows += _fashion_rows(model, block)
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)


def _fashion_rows(model: str, block: str | None) -> list[tuple[str, str, float, str, bool]]:
    """The Fashion-MNIST campaign's gains for its own networks (an extra, labelled column).

    A module's gain is the study's own: its top-1 minus the baseline's, paired by seed
    (:func:`attnlib.reproduce.fashion.gains`); the deeper baseline, trained with the same seeds, is paired
    the same way over the seeds both have.
    """
    finals = fashion.committed_finals("default", campaign=fashion.headline_campaign("default"))
    if finals.empty:
        return []
    mine = finals[(finals.model == model) & (finals.block == block)]
    compare = mine[mine.part == "compare"]
    if compare.empty:
        return []
    rows = []
    for gain in fashion.gains(compare).itertuples():
        source = f"this book's Fashion-MNIST study ({counted(gain.seeds, 'seed')}, paired)"
        rows.append(("Fashion-MNIST", gain.attention, float(gain.gain), source, True))
    deeper = finals[(finals.part == "deeper") & (finals.model == deeper_model(model, block)) & (finals.block == block)]
    baseline = compare[compare.attention == BASELINE].set_index("seed").top1
    paired = deeper.set_index("seed").top1.sub(baseline).dropna()
    if len(paired):
        source = f"this book's Fashion-MNIST study ({counted(len(paired), 'seed')}, paired)"
        rows.append(("Fashion-MNIST", DEEPER, float(paired.mean()), source, True))
    return rows
