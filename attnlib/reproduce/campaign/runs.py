"""Every run a table needs: its key, config, folder and MACs, per table and profile (what the
plan lists, the launchers train and the aggregation reads)."""

from __future__ import annotations

import fnmatch
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from attnlib import names
from attnlib.attention import BASELINE, attention_or_none
from attnlib.complexity import count_model
from attnlib.paper import data_root
from attnlib.profiles import require_profile
from attnlib.train import TrainConfig
from attnlib.train.loop import cached_run_dir

TABLES = names.TABLES
LAUNCHERS = names.LAUNCHERS
STATES = ("done", "in progress", "missing")

ASSUMED_TMACS = names.ASSUMED_TMACS

# Training images per epoch of the real datasets (their train splits).
TRAIN_IMAGES = {
    "cifar10": 50_000,
    "cifar100": 50_000,
    "fashion-mnist": 60_000,
    "imagenet": 1_281_167,
    "coco": 118_287,
    "bdd100k": 69_863,
}
# Square input side the networks are counted at, per dataset (synthetic stand-ins at their own size).
INPUT_SIDE = {
    "cifar10": 32,
    "cifar100": 32,
    "fashion-mnist": 28,
    "synthetic-cifar": 32,
    "imagenet": 224,
    "synthetic-imagenet": 64,
}


@dataclass(frozen=True)
class CampaignRun:
    """One run a table needs: its key (what ``--only`` and ``--run`` match), its config and folder."""

    table: str
    key: str
    config: TrainConfig
    run_dir: Path
    macs_per_image: int
    train_images: int
    note: str = ""
    cpu_hours: float | None = None  # an estimate from measured CPU throughput (the Fashion-MNIST campaign)
    cpu_rates_source: str = ""  # where that throughput was measured, in words

    @property
    def run_hours(self) -> float | None:
        """The run's own wall hours beside the campaign's other launchers (an estimate): its CPU hours,
        which share the cores among :data:`~attnlib.names.CPU_PROCESSES` runs at a time, times that count."""
        return None if self.cpu_hours is None else self.cpu_hours * names.CPU_PROCESSES


def campaign_runs(
    table: str,
    profile: str,
    runs_root: Path | None = None,
    only: Sequence[str] = (),
    seeds: Sequence[int] | None = None,
) -> list[CampaignRun]:
    """Every run of ``table`` at ``profile``, in the chapter's order, filtered by ``only`` and ``seeds``.

    Run folders are ``<runs_root>/<run name>`` when ``runs_root`` is given, else where ``attnlib
    train``/``attnlib detect`` put the same run (``data/checkpoints/<run name>``), so runs made one by
    one are found and reused. Table 3's grid lives in ``<runs_root or data/checkpoints>/table3-<profile>``.
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; valid tables are {', '.join(TABLES)}")
    require_profile(profile)
    builder = {"table1": _accuracy_runs, "table2": _accuracy_runs, "table3": _table3_runs}
    builder.update(table4=_table4_runs, table5=_table5_runs, fashion=_fashion_runs)
    runs = builder[table](table, profile, Path(runs_root) if runs_root else None, seeds)
    selected = [run for run in runs if all(_matches(pattern, run.key) for pattern in only)]
    if only and not selected:
        raise ValueError(
            f"--only {' '.join(only)} matches none of the {len(runs)} runs of {table}; keys look like {runs[0].key!r}"
        )
    return selected


def _matches(pattern: str, key: str) -> bool:
    """``cifar100/se`` matches ``cifar100/cifar_resnet56-basic/se/seed0``: every part of the pattern
    matches some part of the key (shell wildcards allowed)."""
    parts = key.split("/")
    return all(any(fnmatch.fnmatchcase(part, wanted) for part in parts) for wanted in pattern.split("/"))


def _placed(config: TrainConfig, runs_root: Path | None) -> TrainConfig:
    return config if runs_root is None else replace(config, output=str(runs_root / config.run_name))


@functools.cache
def _macs(model: str, attention: str | None, side: int, block: str | None, channels: int = 3) -> int:
    options = {"block": block} if block and model.startswith("cifar") else {}
    size = (1, channels, side, side)
    return count_model(model, attention, input_size=size, convention="exact", in_channels=channels, **options).macs


def _images(config: TrainConfig) -> int:
    if config.dataset.startswith("synthetic"):
        return int(config.synthetic_size[0])
    if config.dataset == "fashion-mnist" and config.train_subset:
        return int(config.train_subset)
    return TRAIN_IMAGES[config.dataset]


def _fashion_runs(table: str, profile: str, runs_root: Path | None, seeds: Sequence[int] | None) -> list[CampaignRun]:
    from attnlib.reproduce import fashion

    runs = []
    for run in fashion.runs(profile):
        if seeds is not None and run.config.seed not in seeds:
            continue
        config = run.config
        side = config.input_size or INPUT_SIDE[config.dataset]
        channels = 1 if config.dataset == "fashion-mnist" else 3
        macs = _macs(config.model, attention_or_none(run.module), side, config.block, channels)
        folder = fashion.run_folder(profile, run.key, runs_root)
        note = "starts from " + fashion.pretrained_key(profile) if run.part == "retrofit" else ""
        hours = fashion.cpu_hours(run, _images(config)) if config.device == "cpu" else math.nan
        hours = None if math.isnan(hours) else hours  # only the networks whose throughput was measured
        source = fashion.estimate_source(profile=profile) if hours is not None else ""
        placed = replace(config, output=str(folder))
        runs.append(CampaignRun(table, run.key, placed, folder, macs, _images(config), note, hours, source))
    return runs


def _accuracy_runs(table: str, profile: str, runs_root: Path | None, seeds: Sequence[int] | None) -> list[CampaignRun]:
    from attnlib.reproduce import table1, table2
    from attnlib.reproduce.accuracy import accuracy_configs

    settings = (table1 if table == "table1" else table2).SETTINGS.get(profile)
    if seeds is not None:
        settings = replace(settings, seeds=tuple(seeds))
    runs = []
    for config in accuracy_configs(settings, profile):
        config = _placed(config, runs_root)
        block = f"-{config.block}" if config.model.startswith("cifar") and config.block else ""
        key = f"{config.dataset}/{config.model}{block}/{config.attention or BASELINE}/seed{config.seed}"
        channels = 1 if config.dataset == "fashion-mnist" else 3
        side = config.input_size or INPUT_SIDE[config.dataset]
        macs = _macs(config.model, config.attention, side, config.block, channels)
        runs.append(CampaignRun(table, key, config, config.run_dir(), macs, _images(config)))
    return runs


def table3_root(profile: str, runs_root: Path | None) -> Path:
    """Where Table 3's cached pretraining and its fine-tuning grid live."""
    return Path(runs_root or data_root() / "checkpoints") / f"table3-{profile}"


def _table3_runs(table: str, profile: str, runs_root: Path | None, seeds: Sequence[int] | None) -> list[CampaignRun]:
    from attnlib.reproduce.table3 import SETTINGS, finetune_folder, table3_rows

    settings = SETTINGS.get(profile)
    root = table3_root(profile, runs_root)
    pretrain = settings.pretrain
    side = INPUT_SIDE[pretrain.dataset]
    runs = []
    if pretrain.dataset != "imagenet":  # the paper starts from torchvision's ImageNet weights instead
        macs = _macs(pretrain.model, None, side, pretrain.block)
        runs.append(CampaignRun(table, "pretrain", pretrain, cached_run_dir(pretrain, root), macs, _images(pretrain)))
    for module, identity_init in table3_rows():
        for schedule in settings.schedules[1:]:  # the first column only evaluates the untrained insertion
            config = replace(
                pretrain, epochs=schedule.epochs, lr=schedule.lr, lr_milestones=schedule.milestones, attention=module
            )
            key = f"{module}{'+identity' if identity_init else ''}/{schedule.name}"
            folder = finetune_folder(root, module, identity_init, schedule)
            macs = _macs(pretrain.model, attention_or_none(module), side, pretrain.block)
            runs.append(CampaignRun(table, key, config, folder, macs, _images(pretrain)))
    return runs


def _detection_macs(config: TrainConfig) -> int:
    depth = int(config.model.rsplit("resnet", 1)[1])
    return _macs(f"resnet{depth}", config.attention, config.image_size, None)


_DETECTION_NOTE = "backbone MACs only (lower bound)"


def _table4_runs(table: str, profile: str, runs_root: Path | None, seeds: Sequence[int] | None) -> list[CampaignRun]:
    from attnlib.reproduce.table4 import SETTINGS

    settings = SETTINGS.get(profile)
    runs = []
    for module, init in settings.rows:
        if module == BASELINE and init == "scratch":
            continue  # one network: the paper repeats the baseline's row under both initialisations
        config = _placed(
            replace(settings.detection, attention=module, init=init, backbone_weights="resolved when launched"),
            runs_root,
        )
        macs = _detection_macs(config)
        runs.append(
            CampaignRun(table, f"{module}/{init}", config, config.run_dir(), macs, _images(config), _DETECTION_NOTE)
        )
    return runs


def _table5_runs(table: str, profile: str, runs_root: Path | None, seeds: Sequence[int] | None) -> list[CampaignRun]:
    from attnlib.reproduce.table5 import SETTINGS, table5_config

    settings = SETTINGS.get(profile)
    runs = []
    for split, module, method in settings.rows:
        config = _placed(table5_config(settings, split, module, method), runs_root)
        key = f"{split}/{module}{'+' + method if method else ''}"
        macs = _detection_macs(config)
        runs.append(CampaignRun(table, key, config, config.run_dir(), macs, _images(config), _DETECTION_NOTE))
    return runs
