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

import json
import math
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from attnlib.attention import BASELINE, available, compared, display_name
from attnlib.names import counted, network_words
from attnlib.profiles import PerProfile
from attnlib.reproduce.claims import COLUMNS, DOES_NOT_HOLD, HOLDS, NOT_TESTABLE
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
    mean, low, high = (round(value, 2) + 0.0 for value in (mean, low, high))  # never "-0.00"
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
    from attnlib.files import atomic_write
    from attnlib.models import retrofit
    from attnlib.train import evaluate, train, write_training_record
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
                torch.manual_seed(config.seed)  # the inserted modules' initial weights: one per seed, repeatable
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
        path = write_training_record(
            config,
            result.history,
            committed=commit,
            kind=RECORD_KIND,
            name=f"{profile}-{slug(key)}",
            columns={"attention": run.module, "identity_init": run.identity_init, "part": run.part},
            **result.dataset,
            **extra,
        )
        if commit and keeps_weights(run, profile):
            record = json.loads(path.with_suffix(".json").read_text())
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


def network_name(model: str, block: str | None = None) -> str:
    """A campaign network as the chapter names it: ``cifar_resnet20``, ``bottleneck`` → "ResNet-20 (bottleneck)"
    (every network here is a CIFAR-shaped ResNet, so the word "CIFAR" would only mislead)."""
    return network_words(model, block, cifar=False)


def final_row(run: FashionRun, history: list[dict[str, Any]], record: dict[str, Any] | None = None) -> dict[str, Any]:
    """One finished run as a row: what it is (part, network, module, seed, schedule) and its last epoch."""
    last = history[-1]
    config = run.config
    row = {
        "part": run.part,
        "key": run.key,
        "network": network_name(config.model, config.block),
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
            # plain tuples: DataFrame.to_dict("records") takes ~10 ms a table, a second for the campaign
            history = [
                dict(zip(table.columns, values, strict=True)) for values in table.itertuples(index=False, name=None)
            ]
            rows.append(final_row(run, history, record))
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


DEEPER_ROW = "Baseline (deeper network)"


def comparison_table(finals: pd.DataFrame) -> pd.DataFrame:
    """Table 1's layout on Fashion-MNIST: top-1 mean ± std over seeds per module (rows) and network (columns).

    A cell the study has no run for reads "—": the modules in a deeper baseline's column (those networks
    are trained as baselines only) and the deeper-baseline row in a compared network's column. A cell it
    has runs for elsewhere but not here yet reads "not run yet".
    """
    data = finals[finals.part.isin(("compare", "deeper"))]
    if data.empty:
        return pd.DataFrame()
    order = {name: index for index, name in enumerate(compared())}
    cells = {}
    for (network, module, part), group in data.groupby(["network", "attention", "part"], sort=False):
        std = group.top1.std(ddof=1) if len(group) > 1 else math.nan
        text = f"{group.top1.mean():.2f} ± {std:.2f}" if len(group) > 1 else f"{group.top1.mean():.2f}"
        row = display_name(module) if part == "compare" else DEEPER_ROW
        cells[(row, network)] = f"{text} ({counted(len(group), 'seed')})"
    table = pd.Series(cells).unstack()
    deeper_only = set(data.network[data.part == "deeper"]) - set(data.network[data.part == "compare"])
    for network in table.columns:
        outside = [row for row in table.index if (row == DEEPER_ROW) != (network in deeper_only)]
        table.loc[outside, network] = table.loc[outside, network].fillna("—")
    table = table.fillna("not run yet")
    rows = sorted(table.index, key=lambda r: order.get(next((m for m in compared() if display_name(m) == r), ""), 99))
    return table.reindex(rows)


# --- the chapter's analyses -------------------------------------------------------------------------

PLATEAU_POINTS = 0.5  # a schedule is near the plateau when twice as long adds less than this (top-1 points)


@dataclass(frozen=True)
class Statement:
    """A statement re-tested on these runs: the claim in words, our evidence, the verdict in words."""

    claim: str
    evidence: str
    verdict: str

    def as_row(self) -> dict[str, str]:
        return {"The paper says": self.claim, "Here": self.evidence, "Verdict": self.verdict, "Checked on": CHECKED_ON}


CHECKED_ON = "Fashion-MNIST (this campaign's committed records)"


def statements_table(statements: list[Statement]) -> pd.DataFrame:
    """The statements in the shared claim format (:mod:`attnlib.reproduce.claims`)."""
    return pd.DataFrame([s.as_row() for s in statements], columns=list(COLUMNS))


def learning_curves(profile: str, root: Any = None) -> pd.DataFrame:
    """Top-1 per evaluated epoch of the basic baseline (seed 0) and of its twice-as-long plateau check."""
    found = committed_records(profile, root)
    model, block = SETTINGS.get(profile).compared[0]
    rows = []
    for part in ("compare", "schedule"):
        key = f"{part}/{_network_key(model, block)}/{BASELINE}/seed{SETTINGS.get(profile).seeds[0]}"
        if key not in found:
            continue
        table, _ = found[key]
        label = "the campaign's schedule" if part == "compare" else "twice as long (plateau check)"
        for row in table.dropna(subset=["top1"]).itertuples():
            rows.append({"run": label, "epoch": int(row.epoch) + 1, "top1": float(row.top1)})
    return pd.DataFrame(rows)


def plateau_statement(finals: pd.DataFrame, profile: str) -> Statement:
    """Does the chosen schedule reach the baseline's plateau? Twice as long must add < 0.5 points."""
    settings = SETTINGS.get(profile)
    claim = (
        f"The schedule ({settings.base.epochs} epochs) is long enough: training the baseline twice as long adds "
        f"less than {PLATEAU_POINTS} top-1 points"
    )
    model, block = settings.compared[0]
    network = network_name(model, block)
    seed = settings.seeds[0]
    short = finals[(finals.part == "compare") & (finals.network == network) & (finals.attention == BASELINE)]
    short = short[short.seed == seed]
    long = finals[(finals.part == "schedule") & (finals.seed == seed)]
    if short.empty or long.empty:
        return Statement(claim, "the plateau check has not been run yet", f"{NOT_TESTABLE} (runs missing)")
    added = float(long.top1.iloc[0] - short.top1.iloc[0])
    evidence = (
        f"{network} baseline, seed {seed}: {short.top1.iloc[0]:.2f} % after {settings.base.epochs} epochs, "
        f"{long.top1.iloc[0]:.2f} % after {settings.base.epochs * settings.schedule_factor} ({added:+.2f} points)"
    )
    return Statement(claim, evidence, HOLDS if added < PLATEAU_POINTS else DOES_NOT_HOLD)


def campaign_hours(profile: str, epochs_factor: int = 1) -> float:
    """Estimated wall hours of the whole campaign at ``profile`` on the measured CPU (:func:`cpu_hours`),
    with every run's epochs multiplied by ``epochs_factor`` (what a longer schedule would cost)."""
    total = 0.0
    for run in runs(profile):
        longer = replace(run, config=replace(run.config, epochs=run.config.epochs * epochs_factor))
        total += cpu_hours(longer, run.config.train_subset or 60_000)
    return total


def plateau_decision(statement: Statement, profile: str) -> str:
    """What a failed plateau check (:func:`plateau_statement`'s ``statement``) means for the comparison,
    and why the schedule was kept (empty when the check holds or has not run)."""
    if statement.verdict != DOES_NOT_HOLD:
        return ""
    base = SETTINGS.get(profile).base
    now, doubled = campaign_hours(profile), campaign_hours(profile, 2)
    return (
        f"**The schedule stops short of the plateau, and the campaign keeps it.** A schedule that passes "
        f"this check is at least twice as long, and twice as long would cost about {doubled:.1f} CPU hours instead "
        f"of {now:.1f}, past the six hours this study was given (fewer images for more epochs would plateau at the "
        "same cost, but on a training set small enough to be memorised: a different question). What it still "
        "measures, and what it does not: every module and its baseline train on the same images with the same "
        f"seeds and the same {base.epochs}-epoch schedule, so each gain below is paired and fair at *equal "
        'training budget* — it answers "which module helps most when training stops here". It does not '
        "answer the paper's question of what each module reaches when trained to convergence: a module that "
        "learns faster early is favoured here, and the gains may shrink (or change order) with longer training. "
        "The `paper` profile (the paper's 164 epochs on all 60 000 images, for a GPU) answers that."
    )


def gains(finals: pd.DataFrame) -> pd.DataFrame:
    """Every module's gain over its network's baseline (the compare part), paired by seed."""
    data = finals[finals.part == "compare"]
    if data.empty:
        return pd.DataFrame(columns=["network", "block", "attention", "gain", "low", "high", "seeds"])
    table = paired_gains(data)
    blocks = data.drop_duplicates("network").set_index("network").block
    order = {name: index for index, name in enumerate(compared())}
    table = table.assign(block=table.network.map(blocks))
    return table.sort_values(["block", "attention"], key=lambda c: c.map(order) if c.name == "attention" else c)


def gains_display(table: pd.DataFrame) -> pd.DataFrame:
    """Gains with their intervals in words: one row per module, one column per network."""
    if table.empty:
        return table
    cells = table.assign(
        Module=table.attention.map(display_name),
        text=[interval_text(r.gain, r.low, r.high, "") for r in table.itertuples()],
    )
    table = cells.pivot_table(index="Module", columns="network", values="text", aggfunc="first", sort=False)
    return table.fillna("not run yet")


def best_module_statement(table: pd.DataFrame) -> Statement:
    """Table 1's "no single best module": is one module best on every network, clearly ahead of the rest?"""
    claim = "There is no single best module (Table 1: the best module changes with the block type and dataset)"
    complete = table.dropna(subset=["low"])
    if complete.empty or complete.network.nunique() < 2:
        return Statement(claim, "not enough runs yet (two networks with several seeds are needed)", NOT_TESTABLE)
    best = {}
    clear = {}
    for network, group in complete.groupby("network", sort=False):
        top = group.loc[group.gain.idxmax()]
        others = group[group.attention != top.attention]
        best[network] = top.attention
        clear[network] = bool((others.high < top.low).all())  # its interval above every other's
    words = "; ".join(
        f"best on {network}: {display_name(module)}{' (clearly ahead)' if clear[network] else ' (intervals overlap)'}"
        for network, module in best.items()
    )
    single = len(set(best.values())) == 1 and all(clear.values())
    return Statement(claim, words, DOES_NOT_HOLD if single else HOLDS)


def bottleneck_statement(table: pd.DataFrame, finals: pd.DataFrame) -> Statement:
    """Table 1's "gains with bottleneck blocks are larger than with basic blocks", on paired per-run gains."""
    claim = "Modules gain more in networks of bottleneck blocks than in networks of basic blocks"
    data = finals[finals.part == "compare"]
    per_run = []
    for _, group in data.groupby("network", sort=False):
        base = group[group.attention == BASELINE].set_index("seed").top1
        for row in group[group.attention != BASELINE].itertuples():
            if row.seed in base.index:
                per_run.append({"block": row.block, "attention": row.attention, "seed": row.seed,
                                "gain": row.top1 - base[row.seed]})  # fmt: skip
    frame = pd.DataFrame(per_run)
    if frame.empty or frame.block.nunique() < 2:
        return Statement(claim, "not enough runs yet (both block types are needed)", NOT_TESTABLE)
    wide = frame.pivot_table(index=["attention", "seed"], columns="block", values="gain").dropna()
    if len(wide) < 2:
        return Statement(claim, "not enough paired runs yet", NOT_TESTABLE)
    difference = wide["bottleneck"] - wide["basic"]
    mean, low, high = mean_interval(difference)
    evidence = (
        f"mean gain {wide['bottleneck'].mean():+.2f} points with bottleneck blocks, {wide['basic'].mean():+.2f} with "
        f"basic blocks; difference {interval_text(mean, low, high)} over {len(wide)} module × seed pairs"
    )
    if low > 0:
        verdict = HOLDS
    elif high < 0:
        verdict = f"{DOES_NOT_HOLD} (basic blocks gain more)"
    else:
        verdict = f"{DOES_NOT_HOLD} (not shown: the difference is within the noise of these runs)"
    return Statement(claim, evidence, verdict)


DEPTH_DOES_NOT_PAY = (
    "The deeper baseline is no more accurate than the shallower baseline itself (in this short schedule the extra "
    "depth does not pay off), so reaching it says little about replacing depth with a module"
)
"""Said wherever a module "beats the deeper baseline" only because the deeper baseline trails the shallower one."""


def _best_over_deeper(shallow: pd.DataFrame, deep: pd.DataFrame) -> str:
    """The most accurate module's top-1 over the deeper baseline, paired by seed, with its 95 % interval:
    how far "reaching it" is from the noise of these runs."""
    modules = shallow[shallow.attention != BASELINE]
    if modules.empty:
        return ""
    joined = pd.concat([modules, deep.assign(attention=DEEPER_LABEL)]).assign(network="one")
    over = paired_gains(joined, reference=DEEPER_LABEL).dropna(subset=["gain"])
    if over.empty:
        return " (no seed trained for both)"
    best = over.loc[over.gain.idxmax()]
    return (
        f"; the best, {display_name(best.attention)}, against the deeper baseline: "
        f"{interval_text(best.gain, best.low, best.high)}"
        + (f", paired over {int(best.seeds)} seeds" if best.seeds > 1 else "")
    )


def deeper_statements(finals: pd.DataFrame, profile: str) -> list[Statement]:
    """Sect. 4.3.1 on accuracy: per block type, which modules reach the deeper baseline's top-1."""
    settings = SETTINGS.get(profile)
    out = []
    for (model, block), (deep_model, deep_block) in zip(settings.compared, settings.deeper, strict=True):
        claim = (
            f"A module can replace a deeper network: {network_name(model, block)} with a module is at least as "
            f"accurate as the deeper {network_name(deep_model, deep_block)} baseline"
        )
        shallow = finals[(finals.part == "compare") & (finals.model == model) & (finals.block == block)]
        deep = finals[(finals.part == "deeper") & (finals.model == deep_model) & (finals.block == deep_block)]
        if shallow.empty or deep.empty:
            out.append(Statement(claim, "the runs are not done yet", f"{NOT_TESTABLE} (runs missing)"))
            continue
        deep_mean = deep.top1.mean()
        means = shallow.groupby("attention").top1.mean()
        reaching = [display_name(m) for m in compared() if m != BASELINE and means.get(m, -math.inf) >= deep_mean]
        shallow_base = f"shallower baseline {means[BASELINE]:.2f} %; " if BASELINE in means else ""
        evidence = (
            f"deeper baseline {deep_mean:.2f} % ({counted(len(deep), 'seed')}); {shallow_base}"
            + (f"reaching it: {', '.join(reaching)}" if reaching else "no module reaches it")
            + _best_over_deeper(shallow, deep)
        )
        verdict = HOLDS if reaching else DOES_NOT_HOLD
        if reaching and means.get(BASELINE, -math.inf) >= deep_mean:
            evidence += f". {DEPTH_DOES_NOT_PAY}"
            verdict = f"{HOLDS} (trivially: the deeper baseline is no more accurate than the shallower one here)"
        out.append(Statement(claim, evidence, verdict))
    return out


def retrofit_table(finals: pd.DataFrame, profile: str) -> pd.DataFrame:
    """Table 3's layout on real images: top-1 right after insertion and after each fine-tuning schedule
    (mean ± std over seeds), one row per variant in the book's order; a cell without runs says so."""
    data = finals[finals.part == "retrofit"] if len(finals) else finals
    if data.empty:
        return pd.DataFrame()
    settings = SETTINGS.get(profile)
    columns = {s.name: f"{s.paper_name} → {counted(s.epochs, 'epoch')}" for s in settings.finetune}
    missing = "not run yet"
    rows = {}
    for module, identity_init in retrofit_rows():
        group = data[(data.attention == module) & (data.identity_init.astype(bool) == identity_init)]
        label = "Baseline (fine-tuned alone)" if module == BASELINE else module_label(module, identity_init)
        inserted = group.initialized_top1.dropna() if "initialized_top1" in group else pd.Series(dtype=float)
        row = {"inserted, not trained": f"{inserted.mean():.2f}" if len(inserted) else missing}
        for name, text in columns.items():
            cell = group[group.schedule == name].top1
            spread = f" ± {cell.std(ddof=1):.2f}" if len(cell) > 1 else ""
            row[text] = f"{cell.mean():.2f}{spread} ({counted(len(cell), 'seed')})" if len(cell) else missing
        rows[label] = row
    return pd.DataFrame(rows).T


def retrofit_gains(finals: pd.DataFrame, profile: str) -> pd.DataFrame:
    """Per fine-tuning schedule, each retrofitted module's top-1 over the baseline fine-tuned alone on the
    same schedule, paired by seed, with its 95 % interval: the retrofit study's figure.

    Columns: schedule (in words), attention, identity_init, gain, low, high, seeds.
    """
    columns = ["schedule", "attention", "identity_init", "gain", "low", "high", "seeds"]
    data = finals[finals.part == "retrofit"] if len(finals) else finals
    rows = []
    for schedule in SETTINGS.get(profile).finetune:
        ran = data[data.schedule == schedule.name] if len(data) else data
        if ran.empty:
            continue
        plain = ran[~ran.identity_init.astype(bool)]
        base = _by_seed(plain, BASELINE)
        for module, identity_init in retrofit_rows():
            if module == BASELINE:
                continue
            inserted = ran[ran.identity_init.astype(bool) == identity_init]
            paired = _by_seed(inserted, module).sub(base).dropna()
            if paired.empty:
                continue
            mean, low, high = mean_interval(paired)
            label = f"{schedule.paper_name} → {counted(schedule.epochs, 'epoch')}"
            rows.append([label, module, identity_init, mean, low, high, len(paired)])
    return pd.DataFrame(rows, columns=columns)


def _by_seed(runs_of: pd.DataFrame, module: str) -> pd.Series:
    return runs_of[runs_of.attention == module].set_index("seed").top1


def _paired_texts(pairs: list[tuple[str, pd.Series]]) -> tuple[list[str], list[bool], list[bool], int]:
    """Per module, its top-1 differences paired by seed: in words, whether each is clearly above zero and
    clearly below (its 95 % interval; with one seed only its sign, provisionally), and how many modules
    have one seed only."""
    texts, above, below, single = [], [], [], 0
    for module, paired in pairs:
        if paired.empty:
            texts.append(f"{display_name(module)} not run yet")
            continue
        mean, low, high = mean_interval(paired)
        texts.append(f"{display_name(module)} {interval_text(mean, low, high, '')}")
        single += math.isnan(low)
        above.append(low > 0 if not math.isnan(low) else mean > 0)
        below.append(high < 0 if not math.isnan(high) else mean < 0)
    return texts, above, below, single


def _some_verdict(above: list[bool], below: list[bool], modules: int, single: int = 0) -> str:
    """A verdict over ``modules`` modules, of which ``len(above)`` have runs: all clearly better, some,
    none (and whether that is only noise); provisional while runs are missing or a module has one seed."""
    if not above:
        return f"{NOT_TESTABLE} (runs missing)"
    if all(above):
        found = HOLDS
    elif any(above):
        found = f"{HOLDS} for some modules ({sum(above)} of {len(above)})"
    elif any(below):
        found = f"{DOES_NOT_HOLD} (it is worse for {sum(below)} of {len(below)} modules)"
    else:
        found = f"{DOES_NOT_HOLD} (not shown: every difference is within the noise of these runs)"
    if single:
        found += f"; provisional: {counted(single, 'module')} with one seed, no interval yet"
    return found if len(above) == modules else f"{found}; so far {len(above)} of {modules} modules run"


def retrofit_statements(finals: pd.DataFrame, profile: str) -> list[Statement]:
    """Table 3's question on real images, paired by seed on the longest fine-tuning schedule: does
    retrofitting help (each module against the baseline fine-tuned alone)? Does identity-init help a
    sigmoid module right after insertion (top-1 before any fine-tuning), and after fine-tuning (against
    the same module inserted plainly)?"""
    data = finals[finals.part == "retrofit"] if len(finals) else finals
    settings = SETTINGS.get(profile)
    longest = settings.finetune[-1]
    claims = [
        Statement(
            "Fine-tuning a pretrained network with inserted modules beats fine-tuning it without them (Sect. 4.2; "
            "modules inserted as the paper does, without identity-init)",
            "",
            "",
        ),
        Statement("Identity-init (the paper's untested suggestion) helps a sigmoid module after insertion", "", ""),
        Statement("Identity-init still helps after fine-tuning (against the same module inserted without it)", "", ""),
    ]
    if data.empty or data[data.schedule == longest.name].empty:
        return [replace(c, evidence="the retrofit runs are not done yet", verdict=NOT_TESTABLE) for c in claims]
    last = data[data.schedule == longest.name]
    after = f"after {longest.paper_name} (scaled to {counted(longest.epochs, 'epoch')}), paired by seed: "
    plain, identity = last[~last.identity_init.astype(bool)], last[last.identity_init.astype(bool)]
    base = _by_seed(plain, BASELINE)
    texts, above, below, single = _paired_texts([(m, _by_seed(plain, m).sub(base).dropna()) for m in available()])
    verdict = _some_verdict(above, below, len(available()), single)
    first = replace(claims[0], evidence=after + "; ".join(texts), verdict=verdict)
    sigmoid = [m for m, with_identity in retrofit_rows() if with_identity]  # the modules identity-init applies to
    inits = data.dropna(subset=["initialized_top1"]).groupby(["attention", "identity_init"]).initialized_top1.mean()
    words, better = [], []
    for module in sigmoid:
        if (module, True) in inits.index and (module, False) in inits.index:
            words.append(f"{display_name(module)} {inits[(module, False)]:.1f} → {inits[(module, True)]:.1f} %")
            better.append(inits[(module, True)] > inits[(module, False)])
    second = replace(
        claims[1],
        evidence="top-1 right after insertion, plain → identity-init: " + "; ".join(words) if words else "no runs yet",
        verdict=(HOLDS if better and all(better) else DOES_NOT_HOLD) if words else f"{NOT_TESTABLE} (runs missing)",
    )
    pairs = [(m, _by_seed(identity, m).sub(_by_seed(plain, m)).dropna()) for m in sigmoid]
    texts, above, below, single = _paired_texts(pairs)
    against_base, *_ = _paired_texts([(m, _by_seed(identity, m).sub(base).dropna()) for m in sigmoid])
    third = replace(
        claims[2],
        evidence=after + "identity-init minus plain: " + "; ".join(texts) + ". Against the baseline fine-tuned "
        "alone, the modules with identity-init: " + "; ".join(against_base),
        verdict=_some_verdict(above, below, len(sigmoid), single),
    )
    return [first, second, third]


# --- the chapter's small live run -------------------------------------------------------------------

LIVE: PerProfile[TrainConfig] = PerProfile(
    smoke=TrainConfig(
        dataset="synthetic-cifar",
        model="cifar_resnet8",
        epochs=1,
        batch_size=32,
        lr=0.1,
        lr_milestones=(1,),
        synthetic_size=(96, 48),
        profile="smoke",
    ),
    default=TrainConfig(
        dataset="fashion-mnist",
        model="cifar_resnet8",
        input_size=28,
        train_subset=2_000,
        epochs=2,
        batch_size=128,
        lr=0.2,
        lr_milestones=(1,),
        eval_every=2,
        profile="default",
    ),
    paper=TrainConfig(
        dataset="fashion-mnist",
        model="cifar_resnet8",
        input_size=28,
        train_subset=2_000,
        epochs=2,
        batch_size=128,
        lr=0.2,
        lr_milestones=(1,),
        eval_every=2,
        profile="paper",
    ),
)
LIVE_MODULES = ("baseline", "eca", "se")


def page_warning(profile: str, settings: FashionSettings, hardware: str) -> str | None:
    """No page-wide warning: the headline is the committed campaign; the live run carries its own."""
    return None


def fashion_available() -> bool:
    """Whether a checked copy of Fashion-MNIST is on this machine (the live run uses it then)."""
    from attnlib.train import fashion as fashion_data

    return fashion_data.available()


def live_config(profile: str) -> TrainConfig:
    """The live run's settings: real Fashion-MNIST when present (never at ``smoke``), else generated images."""
    config = LIVE.get(profile)
    if config.dataset == "fashion-mnist" and not fashion_available():
        return replace(
            config, dataset="synthetic-cifar", input_size=None, train_subset=None, synthetic_size=(2_000, 1_000)
        )
    return config


def live_warning(config: TrainConfig, hardware: str) -> str:
    """The loud warning above the live run: too small to decide anything, and which data it used."""
    from attnlib.reproduce.common import synthetic_data_warning

    if config.dataset == "fashion-mnist":
        return (
            ":::{warning}\n**A live run too small to decide anything.** "
            f"{network_name(config.model, config.block)} trained for {config.epochs} epochs on "
            f"{config.train_subset} real Fashion-MNIST images "
            f"while this page was built on {hardware}, one seed: it shows the pipeline runs on the real images. "
            "The campaign's committed records above are the result.\n:::"
        )
    reason = (
        "the smoke profile always trains on generated images, so the test book is the same on every machine"
        if config.profile == "smoke"
        else "Fashion-MNIST is not on this machine (`make data` fetches it)"
    )
    return synthetic_data_warning(
        "a pipeline check, not a result",
        f"{reason}: {network_name(config.model, config.block)} trained on **generated** images for "
        f"{config.epochs} epoch(s) on {hardware}.",
    )


def run_live(config: TrainConfig, modules: tuple[str, ...] = LIVE_MODULES) -> pd.DataFrame:
    """Train ``config`` once per module in a temporary folder; final top-1/top-5 and images/s per module."""
    import tempfile
    from pathlib import Path

    from attnlib.train import train

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for module in modules:
            run = replace(config, attention=module, output=str(Path(scratch) / module))
            result = train(run, progress=False)
            last = result.final
            speed = pd.Series([h["images_per_s"] for h in result.history]).median()
            rows.append(
                {
                    "module": display_name(module),
                    "top-1 (%)": f"{last['top1']:.2f}",  # text: a float column shows as 8.330000
                    "top-5 (%)": f"{last['top5']:.2f}",
                    "training images/s": round(float(speed)),
                }
            )
    return pd.DataFrame(rows)


# --- the chapter's text -------------------------------------------------------------------------------


def schedule_text(profile: str) -> str:
    """How the campaign's schedule was chosen, in sentences with its numbers."""
    settings = SETTINGS.get(profile)
    base = settings.base
    every = runs(profile)
    counts = {part: sum(run.part == part for run in every) for part in PARTS}
    networks = ", ".join(network_name(m, b) for m, b in settings.compared)
    deeper = ", ".join(network_name(m, b) for m, b in settings.deeper)
    finetune = ", ".join(f"{s.paper_name} → {s.epochs} epoch{'s' if s.epochs > 1 else ''}" for s in settings.finetune)
    return (
        f"**The `{profile}` campaign**: {networks}, each with the baseline and the five modules, seeds "
        f"{list(settings.seeds)} ({counts['compare']} runs); the deeper baselines {deeper} ({counts['deeper']} runs); "
        f"the plateau check ({counts['schedule']} run); and the retrofit study ({counts['retrofit']} fine-tunings). "
        f"Every run trains on a fixed, class-balanced **{base.train_subset or 60_000} of the 60 000** training images "
        f"at **{base.input_size}²** (the photos unpadded: 23 % cheaper than padding them to CIFAR's 32²) for "
        f"**{base.epochs} epochs** with the paper's CIFAR recipe — SGD, momentum {base.momentum}, weight decay "
        f"{base.weight_decay}, batch {base.batch_size}, lr {base.lr}, ×0.1 at epochs "
        f"{', '.join(str(m) for m in base.lr_milestones)} (the paper's 81 and 122 of 164, scaled) — and is evaluated "
        f"on all 10 000 test images every {base.eval_every} epochs and after the last. The fine-tuning schedules are "
        f"the paper's, scaled by this pretraining's length against ImageNet's 90 epochs: {finetune}. Fewer images and "
        "epochs was the trade: at the measured throughput below, the whole campaign fits in about six hours of this "
        "CPU running two runs at a time, one thread each."
    )


def throughput_table() -> pd.DataFrame:
    """The measured training throughput the schedule was sized with."""
    return pd.DataFrame(
        [
            {"network": network_name(model, block), "training images/s (one thread)": rate}
            for (model, block), rate in CPU_IMAGES_PER_S.items()
        ]
    )


def run_hours(profile: str, root: Any = None) -> float:
    """Hours the committed runs of ``profile`` took, one run at a time: the sum of their records' epoch
    times (training and evaluation, as measured while the run ran, beside whatever else ran then)."""
    return sum(float(table.seconds.sum()) for table, _ in committed_records(profile, root).values()) / 3600


def progress_text(plan: pd.DataFrame, hours_taken: float | None = None) -> str:
    """Where the committed campaign stands: runs done and the estimated CPU hours left; once all are
    done, how long they took (``hours_taken``: :func:`run_hours`)."""
    done = int((plan.state == "done").sum())
    left = plan[plan.state != "done"]
    hours = left["CPU-hours (est.)"].sum() if "CPU-hours (est.)" in left else math.nan
    if done == len(plan):
        taken = ""
        if hours_taken:
            planned = plan["CPU-hours (est.)"].sum() if "CPU-hours (est.)" in plan else math.nan
            taken = (
                f" Their records' epoch times add up to {hours_taken:.1f} hours of one-thread runs: "
                f"{hours_taken / CPU_PROCESSES:.1f} hours of the 2-core CPU at two runs at a time"
            )
            if not math.isnan(planned) and hours_taken / CPU_PROCESSES > 1.1 * planned:
                taken += (
                    f", against the plan's {planned:.1f} — many runs shared the CPU with other work, which slowed "
                    "them (each record keeps its images per second)"
                )
            taken += "."
        return f"**All {len(plan)} runs of the campaign are done** and their records committed.{taken}"
    return (
        f"**{done} of {len(plan)} runs are done** (records committed, or finished on the machine that built this "
        "page); "
        f"about {hours:.1f} CPU hours are left. The verdicts below use what is done and say when runs are missing. "
        "Continue with `attnlib reproduce fashion --commit` (it skips every run whose record is committed)."
    )


def all_committed_finals(profiles: Any = ("default", "paper"), root: Any = None) -> pd.DataFrame:
    """The committed finals of every campaign profile, with a ``campaign`` column naming the profile."""
    frames = [committed_finals(p, root).assign(campaign=p) for p in profiles]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["campaign", "part"])


def chapter_statements(finals: pd.DataFrame, profile: str) -> list[Statement]:
    """Every statement the chapter re-tests, in its order."""
    if finals.empty:
        finals = pd.DataFrame(columns=["part", "network", "model", "block", "attention", "seed", "top1"])
    table = gains(finals)
    return [
        best_module_statement(table),
        bottleneck_statement(table, finals),
        *deeper_statements(finals, profile),
        *retrofit_statements(finals, profile),
    ]


# --- Fig. 4 for real: what each trained network costs on this machine -----------------------------

LATENCY_EXPERIMENT = "fashion_latency"
TRAIN_STEP_EXPERIMENT = "fashion_train_step"
COST_ENGINES = ("eager", "openvino")  # eager PyTorch and the fastest CPU engine of the committed Fig. 3 records
COST_BATCHES = (1, 16)
DEEPER_LABEL = "deeper baseline"


def cost_variants(profile: str) -> list[list[Any]]:
    """One timing group per compared network: its baseline, the five modules and its deeper baseline,
    all grayscale at the campaign's input size, so every cost is measured interleaved with its baseline."""
    from attnlib.bench.latency import Variant

    settings = SETTINGS.get(profile)
    channels = _in_channels(settings.base)
    groups = []
    for (model, block), (deep_model, deep_block) in zip(settings.compared, settings.deeper, strict=True):
        variants = [Variant(model, module, block=block, in_channels=channels) for module in compared()]
        variants.append(Variant(deep_model, BASELINE, DEEPER_LABEL, block=deep_block, in_channels=channels))
        groups.append(variants)
    return groups


def latency_experiment(
    profile: str, engines: tuple[str, ...] = COST_ENGINES, trials: int = 200, threads: int | None = None
) -> Any:
    """The inference timing of :func:`cost_variants` at batch 1 and 16 on ``engines`` (CPU)."""
    from attnlib.bench.engines import EngineOptions
    from attnlib.bench.experiment import Experiment

    side = SETTINGS.get(profile).base.input_size or 32
    groups = [(variants, side, batch) for variants in cost_variants(profile) for batch in COST_BATCHES]
    options = EngineOptions(threads=threads)
    return Experiment(LATENCY_EXPERIMENT, groups, engines, options, trials, warmup=10, keep_going=True)


def measure_training_costs(profile: str, options: Any, trials: int = 20, warmup: int = 3) -> pd.DataFrame:
    """A training step (the campaign's batch) of every network of :func:`cost_variants`, interleaved."""
    from attnlib.bench.training import measure_train_steps

    settings = SETTINGS.get(profile)
    side = settings.base.input_size or 32
    frames = [
        measure_train_steps(
            variants,
            settings.base.batch_size,
            side,
            options,
            trials=trials,
            warmup=warmup,
            in_channels=variants[0].in_channels,
        )
        for variants in cost_variants(profile)
    ]
    return pd.concat(frames, ignore_index=True)


def cost_records() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The newest committed inference (``bench fashion``) and training-step records of the campaign's networks."""
    from attnlib.bench.experiment import load_latency_records

    latency = load_latency_records(LATENCY_EXPERIMENT)
    training = load_latency_records(TRAIN_STEP_EXPERIMENT)
    newest = []
    for frame in (latency, training):
        if not frame.empty:
            frame = frame[frame.session == frame.session.iloc[-1]]
        newest.append(frame)
    return newest[0], newest[1]


def _variant_name(row: Any) -> str:
    return "deeper baseline" if row.variant == DEEPER_LABEL else display_name(row.attention)


def cost_table(latency: pd.DataFrame, training: pd.DataFrame, profile: str = "default") -> pd.DataFrame:
    """Per network and variant: time over the network's baseline (median, %) for inference on each engine and
    batch, and for a training step — the x axis of the trade-off, all measured interleaved."""
    columns = {}
    for (engine, batch), part in latency.groupby(["engine", "batch_size"], sort=False):
        for row in part.itertuples():
            key = (network_name(row.group, _block_of(row, profile)), _variant_name(row))
            columns.setdefault(f"inference, {engine}, batch {batch} (%)", {})[key] = round(row.overhead_median_pct, 1)
    for row in training.itertuples():
        key = (network_name(row.group, _block_of(row, profile)), _variant_name(row))
        columns.setdefault("training step (%)", {})[key] = round(row.overhead_median_pct, 1)
    table = pd.DataFrame(columns)
    table.index.names = ["network", "variant"]
    return table


def _block_of(row: Any, profile: str) -> str:
    for model, block in SETTINGS.get(profile).compared:
        if row.group == model:
            return block
    return ""


def tradeoff_points(
    finals: pd.DataFrame, latency: pd.DataFrame, engine: str, batch: int, profile: str = "default"
) -> pd.DataFrame:
    """Fig. 4's points on real data: per network, each module's and the deeper baseline's top-1 (mean, std
    over seeds) against their inference time over the network's baseline on ``engine`` at ``batch``."""
    if finals.empty or latency.empty:
        return pd.DataFrame()
    timing = latency[(latency.engine == engine) & (latency.batch_size == batch)]
    settings = SETTINGS.get(profile)
    rows = []
    for (model, block), (deep_model, deep_block) in zip(settings.compared, settings.deeper, strict=True):
        network = network_name(model, block)
        times = timing[timing.group == model].set_index("variant")
        for module in compared():
            runs_of = finals[(finals.part == "compare") & (finals.network == network) & (finals.attention == module)]
            if runs_of.empty or module not in times.index:
                continue
            rows.append(_point(network, display_name(module), runs_of.top1, times.loc[module]))
        deep = finals[(finals.part == "deeper") & (finals.model == deep_model) & (finals.block == deep_block)]
        if not deep.empty and DEEPER_LABEL in times.index:
            rows.append(_point(network, f"deeper {network_name(deep_model)}", deep.top1, times.loc[DEEPER_LABEL]))
    return pd.DataFrame(rows)


def _point(network: str, label: str, top1: pd.Series, timing: Any) -> dict[str, Any]:
    return {
        "network": network,
        "variant": label,
        "top1": float(top1.mean()),
        "top1_std": float(top1.std(ddof=1)) if len(top1) > 1 else 0.0,
        "seeds": len(top1),
        "overhead_pct": float(timing.overhead_median_pct),
        "ci_low_pct": float(timing.ci_low_pct),
        "ci_high_pct": float(timing.ci_high_pct),
    }


def deeper_tradeoff_statements(points: pd.DataFrame, engine: str, batch: int) -> list[Statement]:
    """Sect. 4.3.1 with both axes: a module that is at least as accurate as the deeper baseline *and* faster."""
    out = []
    for network, part in points.groupby("network", sort=False):
        claim = (
            f"On {network}, a module beats simply using a deeper ResNet (more accurate and faster; paper: yes for "
            "bottleneck networks, no for basic ones)"
        )
        deep = part[part.variant.str.startswith("deeper")]
        modules = part[~part.variant.str.startswith("deeper") & (part.variant != display_name(BASELINE))]
        if deep.empty or modules.empty:
            out.append(Statement(claim, "runs or timings missing", f"{NOT_TESTABLE} (runs missing)"))
            continue
        target = deep.iloc[0]
        winners = modules[(modules.top1 >= target.top1) & (modules.overhead_pct < target.overhead_pct)]
        evidence = (
            f"the {target.variant} baseline: {target.top1:.2f} % for {target.overhead_pct:+.1f} % time "
            f"({engine}, batch {batch}); "
            + (
                "better on both: "
                + ", ".join(f"{w.variant} ({w.top1:.2f} %, {w.overhead_pct:+.1f} %)" for w in winners.itertuples())
                if len(winners)
                else "no module is both as accurate and faster"
            )
        )
        verdict = HOLDS if len(winners) else DOES_NOT_HOLD
        base = part[part.variant == display_name(BASELINE)]
        if len(winners) and len(base) and base.top1.iloc[0] >= target.top1:
            evidence += f". {DEPTH_DOES_NOT_PAY}"
            verdict = f"{HOLDS} (trivially: the deeper baseline is no more accurate than the shallower one here)"
        out.append(Statement(claim, evidence, verdict))
    return out


def data_text() -> str:
    """The dataset's source, Debian version and licence, and whether this machine has a checked copy."""
    from attnlib.train import fashion as fashion_data

    here = (
        "A checked copy is on the machine that built this page."
        if fashion_available()
        else "**The dataset is not on the machine that built this page** (`make data` fetches it); the committed "
        "records below were made where it was."
    )
    return (
        f"**Source**: {fashion_data.SOURCE} ({fashion_data.CITATION}); **package**: Debian "
        f"`{fashion_data.DEBIAN_PACKAGE}` {fashion_data.DEBIAN_VERSION}; **licence**: {fashion_data.LICENCE}. {here}"
    )


def checksum_table() -> pd.DataFrame:
    """The four files with their SHA-256 as shipped and of their content (checked before every use)."""
    from attnlib.train import fashion as fashion_data

    return fashion_data.checksum_table()


def checksum_display() -> Any:
    """:func:`checksum_table` for the page: no index, the 64-digit checksums in small monospace that may
    break anywhere, so the table stays within the text width instead of widening the whole page."""
    wrap = "word-break: break-all; font-family: monospace; font-size: 0.8em"
    return checksum_table().style.hide(axis="index").set_table_styles([{"selector": "td", "props": wrap}])
