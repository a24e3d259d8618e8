"""The paper's training protocols (Sect. 4.1) and the short offline schedules, per profile.

CIFAR (Sect. 4.1.1): SGD, momentum 0.9, weight decay 1e-4, 164 epochs, batch 128, lr 0.2, ×0.1
at epochs 81 and 122. ImageNet (the paper's code): 90 epochs, batch 256, lr 0.1, ×0.1 at the
0-indexed epochs 31 and 61 — the common recipe steps at 30 and 60; ``lr_milestones`` selects — and
no weight decay on SRM's own parameters.

:func:`profile_config` is what ``attnlib train --profile`` runs; the chapters declare their own
complete schedules (:mod:`attnlib.reproduce.table1` …) from the same paper protocols.
"""

from __future__ import annotations

from typing import Any

import torch

from attnlib.profiles import PerProfile, require_profile
from attnlib.train.config import TrainConfig
from attnlib.train.data import DATASETS

PAPER_CIFAR: dict[str, Any] = {"epochs": 164, "batch_size": 128, "lr": 0.2, "lr_milestones": (81, 122)}
# On a GPU, CIFAR's crop and flip run on the GPU (same distribution), with a few loader workers.
PAPER_CIFAR_ON_GPU: dict[str, Any] = {"batch_augmentation": True, "workers": 4}
PAPER_IMAGENET: dict[str, Any] = {
    "block": None,
    "epochs": 90,
    "batch_size": 256,
    "lr": 0.1,
    "lr_milestones": (31, 61),
    "srm_no_weight_decay": True,
    "workers": 8,
}
# ``attnlib train`` at the offline profiles: a short schedule on whatever dataset is named.
SHORT_SCHEDULES: PerProfile[dict[str, Any] | None] = PerProfile(
    smoke={"epochs": 2, "batch_size": 32, "lr": 0.1, "lr_milestones": (1,), "synthetic_size": (128, 64)},
    default={"epochs": 4, "batch_size": 64, "lr": 0.1, "lr_milestones": (3,), "synthetic_size": (1536, 512)},
    paper=None,
)


# Same shape as every chapter's TrainConfig declaration, on purpose: each protocol is written out
# field by field (values, not shared logic), so a reader checks it against its stated recipe.
SMOKE_RUN = TrainConfig(
    dataset="synthetic-cifar",
    model="cifar_resnet8",
    epochs=1,
    batch_size=32,
    lr=0.1,
    lr_milestones=(1,),
    synthetic_size=(96, 48),
    profile="smoke",
)
"""The smoke profile's classification run: seconds on generated CIFAR-sized images (the Fashion-MNIST
campaigns, its live run and Table 3's smoke fine-tuning start from it)."""


def on_gpu() -> dict[str, Any]:
    """What the paper profile adds when a GPU is visible: train there, with AMP and channels_last.

    The paper trained on GPUs; without this a paper-profile run would silently train ImageNet on the
    CPU. AMP and channels_last change the arithmetic's precision and memory layout, not the protocol
    (schedule, batch, augmentation); every run's record states them.
    """
    return {"device": "cuda", "amp": True, "channels_last": True} if torch.cuda.is_available() else {}


def paper_config(dataset: str, model: str, attention: str | None, seed: int = 0, **overrides: object) -> TrainConfig:
    """The paper's protocol for ``dataset`` (``cifar10``, ``cifar100`` or ``imagenet``)."""
    if dataset in ("cifar10", "cifar100"):
        protocol = {**PAPER_CIFAR, **(PAPER_CIFAR_ON_GPU if on_gpu() else {})}
    elif dataset == "fashion-mnist":  # CIFAR's recipe on the whole set; the augmentation runs per batch
        protocol = PAPER_CIFAR
    elif dataset == "imagenet":
        protocol = PAPER_IMAGENET
    else:
        raise ValueError(
            f"the paper profile needs a real dataset (cifar10, cifar100, fashion-mnist, imagenet), got {dataset!r}"
        )
    settings = {**protocol, **on_gpu(), **overrides}
    return TrainConfig(dataset=dataset, model=model, attention=attention, seed=seed, profile="paper", **settings)


def profile_config(
    profile: str, dataset: str, model: str, attention: str | None, seed: int = 0, **overrides: object
) -> TrainConfig:
    """Settings for ``profile``: ``paper`` as published; ``default``/``smoke`` a short schedule.

    The dataset is always the one named: a real dataset (``cifar10``, ``cifar100``, ``imagenet``)
    is read from disk at every profile (or refused with the missing-data error), and generated
    data is used only when asked for by name (``synthetic-cifar``, ``synthetic-imagenet``).
    """
    require_profile(profile)
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; valid names are {', '.join(DATASETS)}")
    if profile == "paper":
        return paper_config(dataset, model, attention, seed, **overrides)
    real = {"block": None, "workers": 8} if dataset == "imagenet" else {}
    settings = {**SHORT_SCHEDULES.get(profile), **real, **overrides}
    return TrainConfig(dataset=dataset, model=model, attention=attention, seed=seed, profile=profile, **settings)
