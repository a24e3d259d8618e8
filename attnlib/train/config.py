"""Training settings from the paper (Sect. 4.1), as frozen dataclasses per profile.

CIFAR (Sect. 4.1.1): SGD, momentum 0.9, weight decay 1e-4, 164 epochs, batch 128, lr 0.2, ×0.1
at epochs 81 and 122. ImageNet (the paper's code): 90 epochs, batch 256, lr 0.1, ×0.1 at the
0-indexed epochs 31 and 61 — the common recipe steps at 30 and 60; ``lr_milestones`` selects.
Milestones are 0-indexed epochs at whose start the learning rate is multiplied by ``lr_gamma``
(``torch.optim.lr_scheduler.MultiStepLR`` semantics).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from attnlib.train.loop import Task

PROFILES = ("smoke", "default", "paper")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines one training run (one seed)."""

    dataset: str = "synthetic-cifar"
    model: str = "cifar_resnet20"
    block: str | None = "basic"
    attention: str | None = None
    seed: int = 0
    epochs: int = 3
    batch_size: int = 64
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    lr_milestones: tuple[int, ...] = (2,)
    lr_gamma: float = 0.1
    srm_no_weight_decay: bool = False
    amp: bool = False
    channels_last: bool = False
    device: str = "cpu"
    workers: int = 0
    data_root: str | None = None
    download: bool = False
    synthetic_size: tuple[int, int] = (2048, 512)
    synthetic_noise: float = 0.6
    profile: str = "default"
    output: str | None = None

    def __post_init__(self) -> None:
        from attnlib.checks import require_non_negative, require_positive

        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; valid profiles are {', '.join(PROFILES)}")
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"unknown device {self.device!r}; valid devices are cpu, cuda")
        for name in ("epochs", "batch_size", "lr", "lr_gamma"):
            require_positive(name, getattr(self, name))
        for name in ("momentum", "weight_decay", "workers"):
            require_non_negative(name, getattr(self, name))
        for milestone in self.lr_milestones:
            require_non_negative("lr_milestones", milestone)
        for size in self.synthetic_size:
            require_positive("synthetic_size", size)

    @property
    def run_name(self) -> str:
        """Stable name of the run's folder and record: dataset, model, block, module and seed."""
        block = f"-{self.block}" if self.model.startswith("cifar") and self.block else ""
        return f"{self.dataset}-{self.model}{block}-{self.attention or 'baseline'}-seed{self.seed}-{self.profile}"

    def run_dir(self) -> Path:
        """Where checkpoints go (``data/checkpoints/<run_name>`` unless ``output`` is set)."""
        from attnlib.paper import data_root

        return Path(self.output) if self.output else data_root() / "checkpoints" / self.run_name

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def task(self) -> Task:
        """The training task of this config: image classification."""
        from attnlib.train.loop import ClassificationTask

        return ClassificationTask(self)


def paper_config(dataset: str, model: str, attention: str | None, seed: int = 0, **overrides: object) -> TrainConfig:
    """The paper's protocol for ``dataset`` (``cifar10``, ``cifar100`` or ``imagenet``)."""
    if dataset in ("cifar10", "cifar100"):
        base = TrainConfig(
            dataset=dataset,
            model=model,
            attention=attention,
            seed=seed,
            epochs=164,
            batch_size=128,
            lr=0.2,
            lr_milestones=(81, 122),
            profile="paper",
        )
    elif dataset == "imagenet":
        base = TrainConfig(
            dataset=dataset,
            model=model,
            block=None,
            attention=attention,
            seed=seed,
            epochs=90,
            batch_size=256,
            lr=0.1,
            lr_milestones=(31, 61),
            srm_no_weight_decay=True,
            workers=8,
            profile="paper",
        )
    else:
        raise ValueError(f"the paper profile needs a real dataset (cifar10, cifar100, imagenet), got {dataset!r}")
    return replace(base, **overrides)


def profile_config(
    profile: str, dataset: str, model: str, attention: str | None, seed: int = 0, **overrides: object
) -> TrainConfig:
    """Settings for ``profile``: ``paper`` as published; ``default``/``smoke`` a short schedule.

    The dataset is always the one named: a real dataset (``cifar10``, ``cifar100``, ``imagenet``)
    is read from disk at every profile (or refused with the missing-data error), and generated
    data is used only when asked for by name (``synthetic-cifar``, ``synthetic-imagenet``).
    """
    from attnlib.train.data import DATASETS

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles are {', '.join(PROFILES)}")
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; valid names are {', '.join(DATASETS)}")
    if profile == "paper":
        return paper_config(dataset, model, attention, seed, **overrides)
    real = {"block": None, "workers": 8} if dataset == "imagenet" else {}
    if profile == "default":
        base = TrainConfig(
            dataset=dataset,
            model=model,
            attention=attention,
            seed=seed,
            epochs=4,
            batch_size=64,
            lr=0.1,
            lr_milestones=(3,),
            synthetic_size=(1536, 512),
            profile="default",
            **real,
        )
    else:
        base = TrainConfig(
            dataset=dataset,
            model=model,
            attention=attention,
            seed=seed,
            epochs=2,
            batch_size=32,
            lr=0.1,
            lr_milestones=(1,),
            synthetic_size=(128, 64),
            profile="smoke",
            **real,
        )
    return replace(base, **overrides)
