"""The Fashion-MNIST campaigns: their settings per profile, the runs they make, and what they cost.

Pure description: nothing here trains, reads a record or writes one (:mod:`.execution` does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from attnlib.attention import BASELINE, available, compared, display_name
from attnlib.names import network_words
from attnlib.profiles import PerProfile
from attnlib.reproduce.training import on_gpu
from attnlib.train.config import TrainConfig

EXPERIMENT = "fashion"


RECORD_KIND = "fashion"


PARTS = ("compare", "schedule", "deeper", "retrofit")


@dataclass(frozen=True)
class FinetuneSchedule:
    """One fine-tuning column of Table 3, scaled: epochs, initial lr, the epochs where lr drops ×0.1."""

    name: str
    paper_name: str
    epochs: int
    lr: float
    milestones: tuple[int, ...] = ()


@dataclass(frozen=True)
class FashionSettings:
    """One profile's campaign.

    ``base`` holds every training setting shared by the runs (dataset, schedule, input size, training
    subset); ``compared`` the (model, block) pairs of the module comparison and ``deeper`` their
    deeper baselines, in the same order; ``schedule_factor`` the length of the plateau check in
    multiples of ``base.epochs`` (0: none); ``retrofit_from`` the compared network whose seed-0
    baseline is the pretrained network of the retrofit study.
    """

    base: TrainConfig
    compared: tuple[tuple[str, str], ...]
    deeper: tuple[tuple[str, str], ...]
    seeds: tuple[int, ...]
    schedule_factor: int
    finetune: tuple[FinetuneSchedule, ...]
    retrofit_seeds: tuple[int, ...]
    retrofit_from: tuple[str, str]


def scaled_milestones(epochs: int, paper_epochs: int = 164, paper_milestones: tuple[int, ...] = (81, 122)) -> tuple:
    """The paper's CIFAR learning-rate drops at the same fractions of a shorter schedule."""
    return tuple(max(1, round(m * epochs / paper_epochs)) for m in paper_milestones)


DEFAULT_EPOCHS = 15


DEFAULT_SUBSET = 7_000


SETTINGS: PerProfile[FashionSettings] = PerProfile(
    paper=lambda: FashionSettings(
        TrainConfig(
            dataset="fashion-mnist",
            model="cifar_resnet56",
            input_size=32,
            epochs=164,
            batch_size=128,
            lr=0.2,
            lr_milestones=(81, 122),
            profile="paper",
            **on_gpu(),
        ),
        (("cifar_resnet56", "basic"), ("cifar_resnet56", "bottleneck")),
        (("cifar_resnet110", "basic"), ("cifar_resnet110", "bottleneck")),
        (0, 1, 2),
        2,
        (
            FinetuneSchedule("2ep_lr0.001", "2 epochs lr=0.001", 4, 0.001),
            FinetuneSchedule("30ep_lr0.001", "30 epochs lr=0.001", 55, 0.001),
            FinetuneSchedule("20ep_lr0.01+20ep_lr0.001", "20+20 epochs lr=0.01→0.001", 73, 0.01, (37,)),
        ),
        (0, 1, 2),
        ("cifar_resnet56", "basic"),
    ),
    default=FashionSettings(
        TrainConfig(
            dataset="fashion-mnist",
            model="cifar_resnet14",
            input_size=28,
            train_subset=DEFAULT_SUBSET,
            epochs=DEFAULT_EPOCHS,
            batch_size=128,
            lr=0.2,
            lr_milestones=scaled_milestones(DEFAULT_EPOCHS),
            eval_every=3,
            profile="default",
        ),
        (("cifar_resnet14", "basic"), ("cifar_resnet20", "bottleneck")),
        (("cifar_resnet20", "basic"), ("cifar_resnet29", "bottleneck")),
        (0, 1, 2),
        2,
        # The paper fine-tunes for 2, 30 and 20+20 epochs after a 90-epoch pretraining: scaled to 15.
        (
            FinetuneSchedule("2ep_lr0.001", "2 epochs lr=0.001", 1, 0.001),
            FinetuneSchedule("30ep_lr0.001", "30 epochs lr=0.001", 5, 0.001),
            FinetuneSchedule("20ep_lr0.01+20ep_lr0.001", "20+20 epochs lr=0.01→0.001", 6, 0.01, (3,)),
        ),
        (0, 1, 2),
        ("cifar_resnet14", "basic"),
    ),
    smoke=FashionSettings(
        TrainConfig(
            dataset="synthetic-cifar",
            model="cifar_resnet8",
            epochs=1,
            batch_size=32,
            lr=0.1,
            lr_milestones=(1,),
            synthetic_size=(96, 48),
            profile="smoke",
        ),
        (("cifar_resnet8", "basic"), ("cifar_resnet11", "bottleneck")),
        (("cifar_resnet14", "basic"), ("cifar_resnet20", "bottleneck")),
        (0, 1),
        2,
        (FinetuneSchedule("2ep_lr0.001", "2 epochs lr=0.001", 1, 0.001),),
        (0,),
        ("cifar_resnet8", "basic"),
    ),
)


# Training images per second on one thread, measured 2026-12-02 on the 2-core AMD EPYC that made the
# committed records (batch 128, 28², Fashion-MNIST, a whole training step with augmentation; median
# of 8 steps, baseline and SE averaged). Two campaign processes run at once, one thread each.
CPU_IMAGES_PER_S = {
    ("cifar_resnet14", "basic"): 310,
    ("cifar_resnet20", "basic"): 228,
    ("cifar_resnet20", "bottleneck"): 119,
    ("cifar_resnet29", "bottleneck"): 86,
}


CPU_PROCESSES = 2


@dataclass(frozen=True)
class FashionRun:
    """One run of the campaign: its part, key, config and — for a retrofit — what is inserted how."""

    part: str
    key: str
    config: TrainConfig
    module: str = BASELINE
    identity_init: bool = False
    schedule: FinetuneSchedule | None = None


def _network_key(model: str, block: str) -> str:
    return f"{model}-{block}"


def runs(profile: str) -> list[FashionRun]:
    """Every run of the campaign at ``profile``, in the order the launcher takes them.

    Seed 0 of every compared network first (its weights are committed, and the retrofit study starts
    from its baseline), then the plateau check, the other seeds, the deeper baselines, the retrofits.
    """
    settings = SETTINGS.get(profile)
    base = settings.base
    done: list[FashionRun] = []

    def trained(part: str, model: str, block: str, module: str, seed: int, epochs_factor: int = 1) -> FashionRun:
        epochs = base.epochs * epochs_factor
        milestones = base.lr_milestones if epochs_factor == 1 else tuple(m * epochs_factor for m in base.lr_milestones)
        config = replace(
            base, model=model, block=block, attention=module, seed=seed, epochs=epochs, lr_milestones=milestones
        )
        key = f"{part}/{_network_key(model, block)}/{module}/seed{seed}"
        return FashionRun(part, key, config, module)

    for seed in settings.seeds:
        for model, block in settings.compared:
            for module in compared():
                done.append(trained("compare", model, block, module, seed))
        if seed == settings.seeds[0] and settings.schedule_factor > 1:
            model, block = settings.compared[0]
            done.append(trained("schedule", model, block, BASELINE, seed, settings.schedule_factor))
    for seed in settings.seeds:
        for model, block in settings.deeper:
            done.append(trained("deeper", model, block, BASELINE, seed))
    model, block = settings.retrofit_from
    for seed in settings.retrofit_seeds:
        for module, identity_init in retrofit_rows():
            for schedule in settings.finetune:
                config = replace(
                    base,
                    model=model,
                    block=block,
                    attention=module,
                    seed=seed,
                    epochs=schedule.epochs,
                    lr=schedule.lr,
                    lr_milestones=schedule.milestones or (schedule.epochs,),
                )
                row = module + ("+identity" if identity_init else "")
                key = f"retrofit/{row}/{schedule.name}/seed{seed}"
                done.append(FashionRun("retrofit", key, config, module, identity_init, schedule))
    return done


def retrofit_rows() -> list[tuple[str, bool]]:
    """(module, identity_init): the baseline fine-tuned alone, each module, each sigmoid module with identity-init."""
    return [(BASELINE, False)] + [(m, False) for m in available()] + [(m, True) for m in available() if m != "ab"]


def pretrained_key(profile: str) -> str:
    """The compare run whose final weights the retrofit study starts from."""
    settings = SETTINGS.get(profile)
    model, block = settings.retrofit_from
    return f"compare/{_network_key(model, block)}/{BASELINE}/seed{settings.seeds[0]}"


def keeps_weights(run: FashionRun, profile: str) -> bool:
    """Whether a finished run's final weights are committed: seed 0 of every trained network."""
    return run.part in ("compare", "deeper") and run.config.seed == SETTINGS.get(profile).seeds[0]


def cpu_hours(run: FashionRun, train_images: int, eval_images: int = 10_000) -> float:
    """Estimated wall hours of a run on the measured 2-core CPU (two runs at a time, one thread each).

    Training at the measured :data:`CPU_IMAGES_PER_S`; evaluation counted at three times that rate.
    """
    rate = CPU_IMAGES_PER_S.get((run.config.model, run.config.block))
    if rate is None:
        return math.nan
    evaluations = math.ceil(run.config.epochs / run.config.eval_every)
    seconds = run.config.epochs * train_images / rate + evaluations * eval_images / (3 * rate)
    return seconds / 3600 / CPU_PROCESSES


def campaign_hours(profile: str, epochs_factor: int = 1) -> float:
    """Estimated wall hours of the whole campaign at ``profile`` on the measured CPU (:func:`cpu_hours`),
    with every run's epochs multiplied by ``epochs_factor`` (what a longer schedule would cost)."""
    total = 0.0
    for run in runs(profile):
        longer = replace(run, config=replace(run.config, epochs=run.config.epochs * epochs_factor))
        total += cpu_hours(longer, run.config.train_subset or 60_000)
    return total


def describe_runs(profile: str) -> dict[str, Any]:
    """The campaign's size in words and numbers, for the chapter and the plan."""
    settings = SETTINGS.get(profile)
    all_runs = runs(profile)
    counts = {part: sum(run.part == part for run in all_runs) for part in PARTS}
    return {"settings": settings, "runs": len(all_runs), **counts}


def find_run(profile: str, key: str) -> FashionRun:
    """The run of ``key``, or a ValueError naming how keys look."""
    every = runs(profile)
    for run in every:
        if run.key == key:
            return run
    raise ValueError(f"the fashion campaign at profile {profile} has no run {key!r}; keys look like {every[0].key!r}")


def network_name(model: str, block: str | None = None) -> str:
    """A campaign network as the chapter names it: ``cifar_resnet20``, ``bottleneck`` → "ResNet-20 (bottleneck)"
    (every network here is a CIFAR-shaped ResNet, so the word "CIFAR" would only mislead)."""
    return network_words(model, block, cifar=False)


def module_label(module: str, identity_init: bool = False) -> str:
    """A module's name on the page (identity-init marked)."""
    return display_name(module) + (" + identity-init" if identity_init else "")


def _in_channels(config: TrainConfig) -> int:
    return 1 if config.dataset == "fashion-mnist" else 3


DEEPER_LABEL = "deeper baseline"
