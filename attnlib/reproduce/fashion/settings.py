"""The Fashion-MNIST campaigns: their settings per profile, the runs they make, and what they cost.

Pure description: nothing here trains, reads a record or writes one (:mod:`.execution` does).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from attnlib.attention import BASELINE, available, compared, display_name
from attnlib.names import TrainingSetting, network_words
from attnlib.profiles import PerProfile
from attnlib.reproduce.training import SMOKE_RUN, on_gpu
from attnlib.train.config import TrainConfig

CONVERGED = "converged"
SHORT = "short"
CAMPAIGNS = (CONVERGED, SHORT)
"""The two campaigns of the chapter. ``converged``: all 60 000 training images, a schedule long enough
that twice as long adds less than half a point (checked), the campaign ``attnlib reproduce fashion``
runs. ``short``: the first campaign, 7 000 images and 15 epochs, kept and shown as what it is — few
images and a short schedule — beside the converged one (its records are committed, its runs done)."""

EXPERIMENT = "fashion"
"""The ``short`` campaign's experiment name in its records (the first campaign's, kept)."""

RECORD_KIND = "fashion"

PARTS = ("compare", "schedule", "precision", "deeper", "retrofit")


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
    """One campaign at one profile.

    ``base`` holds every training setting shared by the runs (dataset, schedule, input size, training
    subset, precision); ``compared`` the (model, block) pairs of the module comparison and ``deeper``
    their deeper baselines, in the same order; ``schedule_factor`` the length of the plateau check in
    multiples of the network's epochs (0: none), trained for the baselines of ``schedule_networks`` of the
    compared networks with ``schedule_seeds``; ``precision_seeds`` the seeds of the paired precision
    check (the first compared network's baseline trained in fp32 beside the campaign's precision;
    empty: none); ``retrofit_from`` the compared network whose seed-0 baseline is the pretrained
    network of the retrofit study. ``experiment`` names the campaign in its records, run folders and
    weights. ``block_epochs`` gives the epochs of the networks of a block type where they differ from
    ``base.epochs``: each block type's schedule is the one its own plateau check chose, and a deeper
    baseline trains as long as the compared network of its block type. ``deeper_seeds`` the deeper
    baselines' seeds where they are fewer than ``seeds`` (empty: the same).
    """

    base: TrainConfig
    compared: tuple[tuple[str, str], ...]
    deeper: tuple[tuple[str, str], ...]
    seeds: tuple[int, ...]
    schedule_factor: int
    finetune: tuple[FinetuneSchedule, ...]
    retrofit_seeds: tuple[int, ...]
    retrofit_from: tuple[str, str]
    experiment: str = EXPERIMENT
    schedule_networks: int = 1
    schedule_seeds: tuple[int, ...] = (0,)
    precision_seeds: tuple[int, ...] = ()
    block_epochs: tuple[tuple[str, int], ...] = ()
    deeper_seeds: tuple[int, ...] = ()

    @property
    def deeper_seed_list(self) -> tuple[int, ...]:
        """The seeds of the deeper baselines: ``deeper_seeds``, else the compared networks' ``seeds``."""
        return self.deeper_seeds or self.seeds

    def epochs_of(self, block: str) -> int:
        """How many epochs the networks of ``block`` train in this campaign."""
        return dict(self.block_epochs).get(block, self.base.epochs)

    def config_of(self, model: str, block: str, epochs_factor: int = 1, **changes: Any) -> TrainConfig:
        """``base`` for one network, trained ``epochs_factor`` times its block type's epochs: the lr drops
        at the same fractions of the schedule (``base``'s milestones stretched by whole multiples)."""
        epochs = self.epochs_of(block) * epochs_factor
        return replace(
            self.base,
            model=model,
            block=block,
            epochs=epochs,
            lr_milestones=stretched_milestones(self.base, epochs),
            **changes,
        )


def scaled_milestones(epochs: int, paper_epochs: int = 164, paper_milestones: tuple[int, ...] = (81, 122)) -> tuple:
    """The paper's CIFAR learning-rate drops at the same fractions of a shorter schedule."""
    return tuple(max(1, round(m * epochs / paper_epochs)) for m in paper_milestones)


def stretched_milestones(base: TrainConfig, epochs: int) -> tuple[int, ...]:
    """``base``'s lr milestones for a schedule of ``epochs``: multiplied when ``epochs`` is a whole
    multiple of ``base.epochs`` (so a plateau check of a 30-epoch schedule and a 60-epoch schedule
    share one config), else the paper's scaled afresh."""
    if epochs == base.epochs:
        return base.lr_milestones
    if epochs % base.epochs == 0:
        return tuple(m * (epochs // base.epochs) for m in base.lr_milestones)
    return scaled_milestones(epochs)


def scaled_finetune(pretraining_epochs: int) -> tuple[FinetuneSchedule, ...]:
    """The paper's three fine-tuning schedules (2, 30 and 20+20 epochs after a 90-epoch ImageNet
    pretraining), scaled by ``pretraining_epochs`` / 90 (at least one epoch each)."""
    scale = pretraining_epochs / 90

    def epochs(paper: int) -> int:
        return max(1, round(paper * scale))

    return (
        FinetuneSchedule("2ep_lr0.001", "2 epochs lr=0.001", epochs(2), 0.001),
        FinetuneSchedule("30ep_lr0.001", "30 epochs lr=0.001", epochs(30), 0.001),
        FinetuneSchedule("20ep_lr0.01+20ep_lr0.001", "20+20 epochs lr=0.01→0.001", 2 * epochs(20), 0.01, (epochs(20),)),
    )


DEFAULT_EPOCHS = 15
DEFAULT_SUBSET = 7_000
CONVERGED_EPOCHS = 30
BASIC_EPOCHS = 60
"""The converged campaign's basic networks train twice :data:`CONVERGED_EPOCHS`: on ResNet-8 (basic) 30
epochs stopped short of the plateau (trained 60, the baseline of seed 0 gained +0.86 points, 93.05 →
93.91 %, committed 2026-12-05), so the basic networks' plateau check is 60 against 120 epochs."""
RETROFIT_SEEDS = (0,)
"""One seed of each retrofit, as in the paper's Table 3 (their fine-tuning scaled to the 60-epoch
pretraining); its comparisons are decided by the test set's paired interval (each run records which test
images it gets right). Resized on 2026-12-06 with 30 of 108 runs done: the campaign was sized at 23.9 hours
from the baselines' measured throughput, but the modules train up to 1.8× slower an epoch than their
baseline (the runs' own epoch times), which forecast 27.5 hours; a second retrofit seed cost 2.7 of them."""
DEEPER_SEEDS = (0, 1)
"""Two seeds of each deeper baseline, enough for an interval paired by seed; the third seed (1.0 hour)
went with the resizing of :data:`RETROFIT_SEEDS`, which brought the forecast to 23.8 hours."""

SMOKE_BASE = SMOKE_RUN
"""The smoke profile's run (:data:`attnlib.reproduce.training.SMOKE_RUN`): both campaigns and the live run."""


# Every campaign's FashionSettings is declared in the same shape (FashionSettings' fields in order), on
# purpose: each profile's campaign is written out whole, to be checked against the chapter's text.
def paper_settings() -> FashionSettings:
    """The paper's recipe on all 60 000 images at 32², for a GPU (built when asked: it looks for CUDA)."""
    return FashionSettings(
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
        experiment="fashion_converged",
        schedule_networks=2,
        schedule_seeds=(0, 1),
    )


SMOKE_SETTINGS = FashionSettings(
    SMOKE_BASE,
    (("cifar_resnet8", "basic"), ("cifar_resnet11", "bottleneck")),
    (("cifar_resnet14", "basic"), ("cifar_resnet20", "bottleneck")),
    (0, 1),
    2,
    (FinetuneSchedule("2ep_lr0.001", "2 epochs lr=0.001", 1, 0.001),),
    (0,),
    ("cifar_resnet8", "basic"),
)
"""Both campaigns at the smoke profile: seconds on generated images, every part of the campaign once."""

SETTINGS: PerProfile[FashionSettings] = PerProfile(
    paper=paper_settings,
    # All 60 000 images, one block per stage (ResNet-8 basic, ResNet-11 bottleneck: the paper's question
    # at the depth a 2-core CPU can train to convergence in a day), the paper's CIFAR recipe for 60 epochs
    # (basic) and 30 (bottleneck), each block type's plateau check deciding its length, in bf16 autocast
    # with channels_last and torch.compile (measured: `attnlib bench train --settings campaign`). Sized in
    # the chapter from the measured throughput.
    default=FashionSettings(
        TrainConfig(
            dataset="fashion-mnist",
            model="cifar_resnet8",
            input_size=28,
            epochs=CONVERGED_EPOCHS,
            batch_size=128,
            lr=0.2,
            lr_milestones=scaled_milestones(CONVERGED_EPOCHS),
            eval_every=3,
            precision="bf16",
            channels_last=True,
            compile=True,
            profile="default",
        ),
        (("cifar_resnet8", "basic"), ("cifar_resnet11", "bottleneck")),
        (("cifar_resnet14", "basic"), ("cifar_resnet20", "bottleneck")),
        (0, 1, 2),
        2,
        scaled_finetune(BASIC_EPOCHS),
        RETROFIT_SEEDS,
        ("cifar_resnet8", "basic"),
        experiment="fashion_converged",
        schedule_networks=2,
        schedule_seeds=(0, 1),
        precision_seeds=(0, 1),
        block_epochs=(("basic", BASIC_EPOCHS),),
        deeper_seeds=DEEPER_SEEDS,
    ),
    # the short campaign's smoke settings, with the converged campaign's precision and checks
    smoke=replace(
        SMOKE_SETTINGS,
        base=replace(SMOKE_BASE, precision="bf16", channels_last=True),
        experiment="fashion_converged",
        schedule_networks=2,
        schedule_seeds=(0, 1),
        precision_seeds=(0, 1),
    ),
)
"""The converged campaign, per profile."""

SHORT_SETTINGS: PerProfile[FashionSettings] = PerProfile(
    paper=paper_settings,
    # The converged campaign's recipe as it ran first: ResNet-14, 7 000 images, 15 epochs, in fp32.
    default=FashionSettings(
        replace(
            SETTINGS.default.base,
            model="cifar_resnet14",
            train_subset=DEFAULT_SUBSET,
            epochs=DEFAULT_EPOCHS,
            lr_milestones=scaled_milestones(DEFAULT_EPOCHS),
            precision="fp32",
            channels_last=False,
            compile=False,
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
    smoke=SMOKE_SETTINGS,
)
"""The short campaign (7 000 images, 15 epochs), per profile: the first campaign, its records kept."""


def machine_setting(setting: TrainingSetting, features: list[str]) -> TrainingSetting:
    """How a CPU with ``features`` (:func:`attnlib.provenance.cpu_features`) trains ``setting``: as it is,
    except that a bf16 setting on a CPU without native bf16 computes its convolutions by fp32 kernels on
    the same bf16 operands (``fp32_conv``, eager: measured 6–10× faster there than its own bf16 kernels,
    the same arithmetic — :mod:`attnlib.arithmetic`). The precision, and so the campaign, stays one."""
    from attnlib.provenance import has_native_bf16

    if setting.precision != "bf16" or setting.fp32_conv or has_native_bf16(features):
        return setting
    return TrainingSetting("bf16", setting.channels_last, compile=False, fp32_conv=True)


def machine_config(config: TrainConfig, features: list[str]) -> TrainConfig:
    """``config`` as a CPU with ``features`` trains it (:func:`machine_setting`; a GPU's as it is)."""
    if config.device != "cpu":
        return config
    setting = TrainingSetting.of_config(config.as_dict())
    return replace(config, **machine_setting(setting, features).train_config())


def settings_of(profile: str, campaign: str = CONVERGED) -> FashionSettings:
    """The settings of ``campaign`` at ``profile`` (an unknown campaign names the valid ones)."""
    if campaign == CONVERGED:
        return SETTINGS.get(profile)
    if campaign == SHORT:
        return SHORT_SETTINGS.get(profile)
    raise ValueError(f"unknown Fashion-MNIST campaign {campaign!r}; valid campaigns are {', '.join(CAMPAIGNS)}")


def file_prefix(profile: str, campaign: str = CONVERGED) -> str:
    """How a campaign's record and weight files begin: ``default-`` for the short campaign (its names
    as committed), ``converged-default-`` for the converged one."""
    return f"{profile}-" if campaign == SHORT else f"{campaign}-{profile}-"


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


def runs(profile: str, campaign: str = CONVERGED) -> list[FashionRun]:
    """Every run of the campaign at ``profile``, in the order the launcher takes them.

    Seed by seed, every compared network with each module (seed 0 first: its weights are committed,
    and the retrofit study starts from its baseline), each seed's plateau checks and fp32 precision
    check after it; then the deeper baselines; then the retrofits.
    """
    settings = settings_of(profile, campaign)
    base = settings.base
    done: list[FashionRun] = []

    def trained(part: str, model: str, block: str, module: str, seed: int, epochs_factor: int = 1) -> FashionRun:
        config = settings.config_of(model, block, epochs_factor, attention=module, seed=seed)
        key = f"{part}/{_network_key(model, block)}/{module}/seed{seed}"
        return FashionRun(part, key, config, module)

    for seed in settings.seeds:
        for model, block in settings.compared:
            for module in compared():
                done.append(trained("compare", model, block, module, seed))
        if seed in settings.schedule_seeds and settings.schedule_factor > 1:
            for model, block in settings.compared[: settings.schedule_networks]:
                done.append(trained("schedule", model, block, BASELINE, seed, settings.schedule_factor))
        if seed in settings.precision_seeds:
            model, block = settings.compared[0]
            check = trained("precision", model, block, BASELINE, seed)
            done.append(replace(check, config=replace(check.config, precision="fp32")))
    for seed in settings.deeper_seed_list:
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


def schedule_words(settings: FashionSettings) -> str:
    """The campaign's schedule in words: ``**30 epochs**, lr ×0.1 at epochs 15 and 22``, or one such
    clause per block type where the block types train for different lengths."""
    by_epochs: dict[int, list[str]] = {}
    for _, block in settings.compared:
        blocks = by_epochs.setdefault(settings.epochs_of(block), [])
        if block not in blocks:
            blocks.append(block)

    def clause(epochs: int) -> str:
        drops = stretched_milestones(settings.base, epochs)
        at = " and ".join(
            [", ".join(str(m) for m in drops[:-1]), str(drops[-1])] if len(drops) > 1 else [str(drops[0])]
        )
        return f"**{epochs} epochs**, lr ×0.1 at epochs {at}"

    if len(by_epochs) == 1:
        return clause(next(iter(by_epochs)))
    return "; ".join(
        f"{clause(epochs)} for the {' and '.join(blocks)} networks" for epochs, blocks in by_epochs.items()
    )


def retrofit_rows() -> list[tuple[str, bool]]:
    """(module, identity_init): the baseline fine-tuned alone, each module, each sigmoid module with identity-init."""
    return [(BASELINE, False)] + [(m, False) for m in available()] + [(m, True) for m in available() if m != "ab"]


def pretrained_key(profile: str, campaign: str = CONVERGED) -> str:
    """The compare run whose final weights the retrofit study starts from."""
    settings = settings_of(profile, campaign)
    model, block = settings.retrofit_from
    return f"compare/{_network_key(model, block)}/{BASELINE}/seed{settings.seeds[0]}"


def keeps_weights(run: FashionRun, profile: str, campaign: str = CONVERGED) -> bool:
    """Whether a finished run's final weights are committed: seed 0 of every trained network."""
    return run.part in ("compare", "deeper") and run.config.seed == settings_of(profile, campaign).seeds[0]


def describe_runs(profile: str, campaign: str = CONVERGED) -> dict[str, Any]:
    """The campaign's size in words and numbers, for the chapter and the plan."""
    settings = settings_of(profile, campaign)
    all_runs = runs(profile, campaign=campaign)
    counts = {part: sum(run.part == part for run in all_runs) for part in PARTS}
    return {"settings": settings, "runs": len(all_runs), **counts}


def find_run(profile: str, key: str, campaign: str = CONVERGED) -> FashionRun:
    """The run of ``key``, or a ValueError naming how keys look."""
    every = runs(profile, campaign=campaign)
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
