"""Beyond the paper — the study on real images: Table 1's, Fig. 4's and Table 3's questions on Fashion-MNIST.

CIFAR, ImageNet, COCO and BDD100k cannot be had on the machines that build the book; Fashion-MNIST
can (Debian's ``dataset-fashion-mnist``, :mod:`attnlib.train.fashion`). The campaign
(``attnlib reproduce fashion``) trains, per profile:

* **compare** — the baseline and the five modules × a basic and a bottleneck CIFAR ResNet × seeds
  (Table 1's question: is there a best module; do bottleneck networks gain more?);
* **deeper** — one deeper baseline of each block type (Sect. 4.3.1: does a module beat simply
  using a deeper ResNet?);
* **schedule** — the basic baseline trained twice as long: the evidence that the chosen schedule
  reaches the baseline's plateau (a short schedule would measure how fast a module converges);
* **retrofit** — Table 3's question: every module inserted into the trained basic baseline
  (seed 0 of *compare*), plain and with identity-init, fine-tuned with the paper's three schedules
  scaled to this pretraining's length, beside fine-tuning the baseline alone.

``paper`` runs the paper's CIFAR recipe (164 epochs, batch 128, lr 0.2, ×0.1 at epochs 81 and 122) on
all 60 000 images at 32² — a GPU's job. ``default`` is the CPU campaign whose records are committed;
its schedule was sized by measurement (see :data:`CPU_IMAGES_PER_S` and the chapter). ``smoke``
trains tiny networks on generated images, so the test book is the same on every machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from attnlib.attention import BASELINE, available, compared, display_name
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


# --- statistics -----------------------------------------------------------------------------------

# Two-sided 95 % quantiles of Student's t for 1–30 degrees of freedom (then the normal's 1.96).
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t_quantile(degrees_of_freedom: int) -> float:
    """Student's t at 0.975 (a 95 % two-sided interval) for ``degrees_of_freedom`` ≥ 1."""
    if degrees_of_freedom < 1:
        raise ValueError("an interval needs at least two paired values (one degree of freedom)")
    return _T975[degrees_of_freedom - 1] if degrees_of_freedom <= len(_T975) else 1.96


def mean_interval(values: pd.Series) -> tuple[float, float, float]:
    """Mean and its 95 % t-interval (nan bounds for a single value)."""
    values = values.dropna()
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = t_quantile(len(values) - 1) * float(values.std(ddof=1)) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def paired_gains(finals: pd.DataFrame, reference: str = BASELINE) -> pd.DataFrame:
    """Each module's top-1 gain over ``reference`` on the same network, paired by seed, with a 95 % interval.

    ``finals``: one row per run with ``network``, ``attention``, ``seed``, ``top1``.
    """
    rows = []
    for network, group in finals.groupby("network", sort=False):
        base = group[group.attention == reference].set_index("seed").top1
        for module, runs_of_module in group[group.attention != reference].groupby("attention", sort=False):
            paired = runs_of_module.set_index("seed").top1.sub(base).dropna()
            mean, low, high = mean_interval(paired)
            rows.append(
                {"network": network, "attention": module, "gain": mean, "low": low, "high": high, "seeds": len(paired)}
            )
    return pd.DataFrame(rows)


def interval_text(mean: float, low: float, high: float, unit: str = " points") -> str:
    """``+0.31 points (95 % interval −0.10 to +0.72)``, or the mean alone when no interval exists."""
    if math.isnan(low):
        return f"{mean:+.2f}{unit} (one seed: no interval)"
    return f"{mean:+.2f}{unit} (95 % interval {low:+.2f} to {high:+.2f})"


def module_label(module: str, identity_init: bool = False) -> str:
    """A module's name on the page (identity-init marked)."""
    return display_name(module) + (" + identity-init" if identity_init else "")


def describe_runs(profile: str) -> dict[str, Any]:
    """The campaign's size in words and numbers, for the chapter and the plan."""
    settings = SETTINGS.get(profile)
    all_runs = runs(profile)
    counts = {part: sum(run.part == part for run in all_runs) for part in PARTS}
    return {"settings": settings, "runs": len(all_runs), **counts}


# --- running ----------------------------------------------------------------------------------------


class PretrainedMissing(FileNotFoundError):
    """A retrofit run needs the pretrained baseline, which is neither trained here nor committed."""


def slug(key: str) -> str:
    """A run key as one file or folder name (``compare/cifar_resnet14-basic/se/seed0`` → ``compare__…``)."""
    return key.replace("/", "__")


def run_folder(profile: str, key: str, runs_root: Any = None) -> Any:
    """Where a run trains: ``<runs_root or data/checkpoints>/fashion-<profile>/<slug>``."""
    from pathlib import Path

    from attnlib.paper import data_root

    return Path(runs_root or data_root() / "checkpoints") / f"fashion-{profile}" / slug(key)


def weights_path(profile: str, key: str) -> Any:
    """Where a run's committed final weights go: ``data/models/fashion/<profile>-<slug>.pt`` (≈ 1 MB)."""
    from attnlib.paper import data_root

    return data_root() / "models" / "fashion" / f"{profile}-{slug(key)}.pt"


def find_run(profile: str, key: str) -> FashionRun:
    """The run of ``key``, or a ValueError naming how keys look."""
    every = runs(profile)
    for run in every:
        if run.key == key:
            return run
    raise ValueError(f"the fashion campaign at profile {profile} has no run {key!r}; keys look like {every[0].key!r}")


def committed_records(profile: str, root: Any = None) -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    """The newest committed record of every campaign run at ``profile``, by key."""
    from attnlib.results import read_records

    found: dict[str, tuple[pd.DataFrame, dict[str, Any]]] = {}
    for table, record in read_records(RECORD_KIND, root):
        campaign = record.get("campaign") or {}
        if campaign.get("experiment") == EXPERIMENT and record.get("profile") == profile:
            found[campaign["key"]] = (table, record)
    return found


def matches_record(run: FashionRun, record: dict[str, Any]) -> bool:
    """Whether a committed record is of this run with every setting that changes the result equal."""
    from attnlib.train.loop import config_defaults, config_differences

    saved = dict(record.get("config") or {})
    complete = len(record.get("history", [])) >= run.config.epochs or record.get("epochs_trained") == run.config.epochs
    return complete and not config_differences(saved, run.config.as_dict(), config_defaults(run.config))


def pretrained_state(profile: str, runs_root: Any = None) -> dict[str, Any]:
    """The retrofit study's pretrained weights: from the pretraining's run folder when it finished
    here, else from the committed weights (so a clean clone can run the retrofit study)."""
    import torch

    key = pretrained_key(profile)
    run = find_run(profile, key)
    checkpoint = run_folder(profile, key, runs_root) / "checkpoint.pt"
    if checkpoint.is_file():
        state = torch.load(checkpoint, map_location="cpu", weights_only=False)
        if state.get("epoch", -1) + 1 >= run.config.epochs:
            return state["model"]
    committed = weights_path(profile, key)
    if committed.is_file():
        return torch.load(committed, map_location="cpu", weights_only=False)["state_dict"]
    raise PretrainedMissing(
        f"the retrofit runs start from {key}, which has not finished here ({checkpoint}) and has no committed "
        f"weights ({committed}); run it first: attnlib reproduce fashion --profile {profile} --only {key}"
    )


def execute(profile: str, key: str, runs_root: Any = None, commit: bool = False) -> dict[str, Any]:
    """Train one run of the campaign to its end (resuming its folder), write its record, keep its weights.

    The run folder's ``.campaign.lock`` is held throughout, so two launchers never train or record one
    run twice; a run already done (here, or committed) is not trained again.
    """
    import copy

    import torch

    from attnlib import build_model
    from attnlib.models import retrofit
    from attnlib.results import atomic_write, provenance, write_record
    from attnlib.train import evaluate, train
    from attnlib.train.distributed import DistributedContext
    from attnlib.train.loop import run_folder_lock

    run = find_run(profile, key)
    folder = run_folder(profile, key, runs_root)
    config = replace(run.config, output=str(folder))
    with run_folder_lock(folder, name=".campaign.lock"):
        existing = committed_records(profile).get(key)
        if existing is not None and matches_record(run, existing[1]):
            return existing[0].iloc[-1].to_dict()
        network, initialized = None, None
        if run.part == "retrofit":
            network = build_model(config.model, block=config.block, in_channels=_in_channels(config))
            network.load_state_dict(pretrained_state(profile, runs_root))
            if run.module != BASELINE:
                retrofit(network, run.module, identity_init=run.identity_init)
            if not (folder / "checkpoint.pt").is_file():
                initialized = evaluate(copy.deepcopy(network), config.task().splits().val, config, DistributedContext())
                (folder / "initialized.json").write_text(pd.Series(initialized).to_json())
            else:
                initialized_file = folder / "initialized.json"
                initialized = (
                    pd.read_json(initialized_file, typ="series").to_dict() if initialized_file.is_file() else None
                )
        result = train(config, resume=True, progress=False, model=network)
        extra = {
            "campaign": {
                "experiment": EXPERIMENT,
                "key": key,
                "part": run.part,
                "module": run.module,
                "identity_init": run.identity_init,
                "schedule": run.schedule.name if run.schedule else None,
                "pretrained": pretrained_key(profile) if run.part == "retrofit" else None,
            },
            "initialized": initialized,
            "epochs_trained": len(result.history),
        }
        table = pd.DataFrame(result.history).assign(
            dataset=config.dataset,
            model=config.model,
            block=config.block,
            attention=run.module,
            identity_init=run.identity_init,
            seed=config.seed,
            part=run.part,
        )
        record = provenance(config.profile, config=config.as_dict(), **result.dataset, **extra)
        write_record(RECORD_KIND, f"{profile}-{slug(key)}", table, record, committed=commit)
        if commit and keeps_weights(run, profile):
            payload = {
                "state_dict": {name: tensor.detach().clone() for name, tensor in result.model.state_dict().items()},
                "key": key,
                "config": config.as_dict(),
                "in_channels": _in_channels(config),
                "top1": result.final.get("top1"),
                "record_provenance": {k: record[k] for k in ("date", "git_commit", "cpu", "torch") if k in record},
            }
            path = weights_path(profile, key)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, lambda stream: torch.save(payload, stream))
        return result.final


def _in_channels(config: TrainConfig) -> int:
    return 1 if config.dataset == "fashion-mnist" else 3


def load_trained(profile: str, key: str) -> Any:
    """A committed trained network of the campaign (seed 0 of each network), ready for evaluation."""
    import torch

    from attnlib import build_model

    path = weights_path(profile, key)
    if not path.is_file():
        raise FileNotFoundError(f"no committed weights for {key} at {path}; run attnlib reproduce fashion --commit")
    payload = torch.load(path, map_location="cpu", weights_only=False)
    config = payload["config"]
    attention = config["attention"]
    network = build_model(
        config["model"], attention=attention, block=config["block"], in_channels=payload["in_channels"]
    )
    network.load_state_dict(payload["state_dict"])
    return network.eval()


# --- results ----------------------------------------------------------------------------------------


def final_row(run: FashionRun, history: list[dict[str, Any]], record: dict[str, Any] | None = None) -> dict[str, Any]:
    """One finished run as a row: what it is (part, network, module, seed, schedule) and its last epoch."""
    last = history[-1]
    config = run.config
    row = {
        "part": run.part,
        "key": run.key,
        "network": f"{config.model} ({config.block})",
        "model": config.model,
        "block": config.block,
        "attention": run.module,
        "identity_init": run.identity_init,
        "schedule": run.schedule.name if run.schedule else "",
        "seed": config.seed,
        "epochs": len(history),
        "top1": last["top1"],
        "top5": last["top5"],
        "train_loss": last["train_loss"],
    }
    if record is not None:
        row.update(
            hardware=record.get("gpu") or record.get("cpu"),
            date=record.get("date"),
            commit=str(record.get("git_commit"))[:10],
            initialized_top1=(record.get("initialized") or {}).get("top1"),
        )
    return row


def committed_finals(profile: str, root: Any = None) -> pd.DataFrame:
    """The last epoch of every committed campaign record at ``profile`` that matches today's settings."""
    found = committed_records(profile, root)
    rows = []
    for run in runs(profile):
        if run.key in found and matches_record(run, found[run.key][1]):
            table, record = found[run.key]
            rows.append(final_row(run, table.to_dict("records"), record))
    return pd.DataFrame(rows)


def folder_finals(profile: str, runs_root: Any = None) -> pd.DataFrame:
    """The last epoch of every finished run in this machine's run folders (``attnlib reproduce fashion``)."""
    import json

    rows = []
    for run in runs(profile):
        path = run_folder(profile, run.key, runs_root) / "record.json"
        if not path.is_file():
            continue
        record = json.loads(path.read_text())
        history = record.get("history", [])
        if len(history) >= run.config.epochs:
            rows.append(final_row(run, history, record))
    return pd.DataFrame(rows)


def comparison_table(finals: pd.DataFrame) -> pd.DataFrame:
    """Table 1's layout on Fashion-MNIST: top-1 mean ± std over seeds per module (rows) and network (columns)."""
    data = finals[finals.part.isin(("compare", "deeper"))]
    if data.empty:
        return pd.DataFrame()
    order = {name: index for index, name in enumerate(compared())}
    cells = {}
    for (network, module, part), group in data.groupby(["network", "attention", "part"], sort=False):
        std = group.top1.std(ddof=1) if len(group) > 1 else math.nan
        text = f"{group.top1.mean():.2f} ± {std:.2f}" if len(group) > 1 else f"{group.top1.mean():.2f}"
        row = display_name(module) if part == "compare" else "Baseline (deeper network)"
        cells[(row, network)] = f"{text} ({len(group)} seed{'s' if len(group) > 1 else ''})"
    table = pd.Series(cells).unstack()
    rows = sorted(table.index, key=lambda r: order.get(next((m for m in compared() if display_name(m) == r), ""), 99))
    return table.reindex(rows)
