"""Reproduce a table at scale: plan, estimate, launch and aggregate every run it needs.

``attnlib reproduce table1 --profile paper`` lists the table's runs (72 CIFAR trainings for
Table 1), says which are done (their run folder's ``record.json`` holds every epoch), in progress (a
checkpoint exists) or missing, estimates their GPU-hours, launches the ones not done, and — once all
are — prints the table from their records, in the chapter's layout.

* **Idempotent.** A finished run is never rerun; an interrupted one resumes from its checkpoint
  (every run trains with ``resume=True``); two launches of one campaign never train one run folder at
  once (the training loop's per-folder lock refuses the second).
* **Launchers** share one job function, :func:`execute_run`: ``local`` (in this process, one run
  after another), ``torchrun`` (one multi-GPU run at a time on this node, ``attnlib reproduce …
  --run KEY`` under ``torchrun``), ``slurm`` (a ``submitit`` job array, one task per run, requeued on
  preemption or timeout; ``--slurm-cluster local`` runs the same path on this machine).
* **Estimates** are MACs, not measurements: forward MACs per image (:func:`attnlib.complexity.count_model`,
  exact convention) × 3 (forward and backward) × images × epochs, divided by a throughput that is
  *stated* (``--tmacs``, tera-MACs per second per GPU, default :data:`ASSUMED_TMACS`), never measured
  here. Detection runs count the backbone only (a lower bound: FPN, RPN and heads add more).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import math
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from attnlib import names
from attnlib.attention import BASELINE, attention_or_none
from attnlib.complexity import count_model
from attnlib.paper import data_root
from attnlib.profiles import require_profile
from attnlib.train import TrainConfig, aggregate_seeds, train, write_training_record
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


def completed_epochs(run: CampaignRun) -> int:
    """Epochs the run's folder holds (from its ``record.json``, written after every epoch)."""
    record = run.run_dir / "record.json"
    if not record.is_file():
        return 0
    try:
        return len(json.loads(record.read_text()).get("history", []))
    except (OSError, ValueError):
        return 0


def committed_keys(runs: Sequence[CampaignRun]) -> set[str]:
    """The keys of the runs whose record is committed in ``data/results/`` (made here or on another
    machine): a campaign split over sittings and machines counts them as done. Fashion-MNIST runs only.

    The committed records are read once per profile, not once per run (a plan asks about every run).
    """
    from attnlib.reproduce import fashion

    keys: set[str] = set()
    read: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for run in runs:
        if run.table != "fashion":
            continue
        profile = run.config.profile
        if profile not in read:
            read[profile] = (fashion.committed_records(profile), {r.key: r for r in fashion.runs(profile)})
        found, planned = read[profile]
        if run.key in found and run.key in planned and fashion.matches_record(planned[run.key], found[run.key][1]):
            keys.add(run.key)
    return keys


def run_state(run: CampaignRun, epochs_recorded: int | None = None, committed: set[str] | None = None) -> str:
    """``done`` (every epoch recorded here, or its record committed), ``in progress`` (a checkpoint
    exists) or ``missing``.

    ``epochs_recorded``: :func:`completed_epochs`, and ``committed``: :func:`committed_keys` of a list
    holding the run, when the caller has read them already.
    """
    recorded = completed_epochs(run) if epochs_recorded is None else epochs_recorded
    if recorded >= run.config.epochs or run.key in (committed_keys([run]) if committed is None else committed):
        return "done"
    if (run.run_dir / "checkpoint.pt").is_file() or (run.run_dir / "checkpoint.prev.pt").is_file():
        return "in progress"
    return "missing"


def run_states(runs: Sequence[CampaignRun]) -> list[str]:
    """:func:`run_state` of every run, the committed records read once."""
    committed = committed_keys(runs)
    return [run_state(run, committed=committed) for run in runs]


def gpu_hours(run: CampaignRun, tmacs: float = ASSUMED_TMACS) -> float:
    """Estimated GPU-hours of the whole run: 3 × MACs × images × epochs at ``tmacs`` tera-MACs/s."""
    return 3 * run.macs_per_image * run.train_images * run.config.epochs / (tmacs * 1e12) / 3600


def plan(runs: Sequence[CampaignRun], tmacs: float = ASSUMED_TMACS) -> pd.DataFrame:
    """One row per run: key, state, epochs recorded, device, GMACs per image, images, GPU-hour estimate."""
    rows = []
    committed = committed_keys(runs)
    for run in runs:
        recorded = completed_epochs(run)  # one read of the run's record for both columns
        rows.append(
            {
                "run": run.key,
                "model": run.config.model,
                "state": run_state(run, recorded, committed),
                "epochs": f"{min(recorded, run.config.epochs)}/{run.config.epochs}",
                "device": run.config.device,
                "GMACs/image": round(run.macs_per_image / 1e9, 3),
                "train images": run.train_images,
                "GPU-hours (est.)": gpu_hours(run, tmacs),
                **({} if run.cpu_hours is None else {"CPU-hours (est.)": run.cpu_hours}),
                "folder": str(run.run_dir),
                "note": run.note,
            }
        )
    frame = pd.DataFrame(rows)
    sources = sorted({run.cpu_rates_source for run in runs if run.cpu_rates_source})
    frame.attrs["cpu_rates_source"] = "; ".join(sources)  # what plan_summary cites for the CPU hours
    return frame


def plan_summary(table: str, profile: str, frame: pd.DataFrame, tmacs: float = ASSUMED_TMACS) -> str:
    """Counts per state and the estimated GPU-hours still to spend, in one paragraph."""
    counts = frame.state.value_counts()
    remaining = frame[frame.state != "done"]["GPU-hours (est.)"].sum()
    total = frame["GPU-hours (est.)"].sum()
    states = ", ".join(f"{int(counts.get(state, 0))} {state}" for state in STATES)
    if "CPU-hours (est.)" in frame.columns:
        left = frame[frame.state != "done"]["CPU-hours (est.)"].sum()
        source = frame.attrs.get("cpu_rates_source") or "measured CPU throughput"
        return (
            f"{table} at profile {profile}: {len(frame)} runs — {states}. Estimated CPU wall hours: "
            f"{frame['CPU-hours (est.)'].sum():.1f} in all, {left:.1f} still to run, on a 2-core CPU running two runs "
            f"at a time with one thread each (from {source}; evaluation counted at three times the training rate)."
        )
    return (
        f"{table} at profile {profile}: {len(frame)} runs — {states}. Estimated GPU-hours: {total:.2f} in all, "
        f"{remaining:.2f} still to run (3 × forward MACs × images × epochs at an assumed {tmacs:g} TMAC/s per "
        "GPU — stated, not measured, and a lower bound: small networks such as CIFAR's run far below a GPU's "
        "MAC rate, and data loading adds time. Time one epoch and pass --tmacs with your throughput)."
        + measured_rates_text(frame)
    )


def measured_rates_text(frame: pd.DataFrame) -> str:
    """Training rates measured by ``attnlib bench train`` in committed records, for the networks this
    plan trains (empty when none): an upper bound for ``--tmacs``, as no data loading is timed."""
    from attnlib.bench.experiment import load_latency_records
    from attnlib.bench.training import EXPERIMENT, measured_rates

    rates = measured_rates(load_latency_records(EXPERIMENT))
    if "model" in frame.columns:
        rates = rates[rates.model.isin(set(frame.model))]
    if rates.empty:
        return ""
    lines = [
        f"{r.model}, batch {r.batch_size}, {r.precision} on {r.hardware}: {r.tmacs:.2f} TMAC/s "
        f"({r.images_per_s:.0f} images/s)"
        for r in rates.itertuples()
    ]
    return (
        " Measured training steps in committed records (`attnlib bench train`; data loading not timed, so an "
        "upper bound for --tmacs): " + "; ".join(lines) + "."
    )


# --- running ---------------------------------------------------------------------------------------


def execute_run(
    table: str, profile: str, key: str, runs_root: Path | None = None, commit: bool = False
) -> dict[str, Any]:
    """Train one run of the campaign to its end (resuming what its folder holds); the job of every
    launcher. Returns the run's final metrics. Table 3's key ``all`` runs its whole grid (one job:
    every cell starts from the same cached pretraining)."""
    if table == "table3":
        from attnlib.reproduce.table3 import run_table3

        root = table3_root(profile, runs_root)
        return {"cells": len(run_table3(profile, cache=root, output=root))}
    if table == "fashion":
        from attnlib.reproduce import fashion

        return fashion.execute(profile, key, runs_root, commit)
    matching = [run for run in campaign_runs(table, profile, runs_root) if run.key == key]
    if not matching:
        raise ValueError(f"{table} at profile {profile} has no run {key!r}; see attnlib reproduce {table} --plan")
    run = matching[0]
    config = run.config
    if table == "table4":
        from attnlib.reproduce.table4 import SETTINGS, table4_config

        module, init = key.split("/")
        cache = Path(runs_root or data_root() / "checkpoints") / f"table4-{profile}"
        config = replace(table4_config(SETTINGS.get(profile), module, init, cache), output=config.output)
    result = train(config, resume=True, progress=False)
    if table in ("table1", "table2") and result.history and _is_main_process():
        write_training_record(config, result.history, committed=commit, **result.dataset)
    if table in ("table4", "table5") and result.history and _is_main_process():
        from attnlib.detection.records import write_detection_record

        write_detection_record(config, result, committed=commit)
    return result.final


def _is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def pending(runs: Sequence[CampaignRun]) -> list[CampaignRun]:
    """The runs that are not done (missing first would reorder the table; the chapter's order is kept)."""
    return [run for run, state in zip(runs, run_states(runs), strict=True) if state != "done"]


def job_keys(table: str, runs: Sequence[CampaignRun]) -> list[str]:
    """What the launchers launch: one key per pending run (Table 3: its one grid job, ``all``)."""
    todo = pending(runs)
    if table == "table3":
        return ["all"] if todo else []
    return [run.key for run in todo]


def launch_local(
    table: str,
    profile: str,
    keys: Sequence[str],
    runs_root: Path | None = None,
    commit: bool = False,
    announce: Callable[[str], None] = print,
) -> None:
    """Run ``keys`` one after another in this process.

    A run another launcher is training (its folder is locked), or one waiting for a run that is
    not done yet, is passed over and named: several launchers can share one campaign.
    """
    from attnlib.train.loop import RunFolderInUse

    for index, key in enumerate(keys):
        announce(f"attnlib: [{index + 1}/{len(keys)}] {table} {key}")
        try:
            execute_run(table, profile, key, runs_root, commit)
        except RunFolderInUse:
            announce(f"attnlib: passed over {key}: another launcher is training it")
        except FileNotFoundError as error:
            if type(error).__name__ != "PretrainedMissing":
                raise
            announce(f"attnlib: passed over {key}: {error}")


def torchrun_command(
    table: str, profile: str, key: str, gpus: int, runs_root: Path | None = None, commit: bool = False
) -> list[str]:
    """The ``torchrun`` command that trains one run on ``gpus`` processes of this node."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={gpus}"]
    command += ["-m", "attnlib.cli", "reproduce", table]
    command += ["--profile", profile, "--run", key]
    if runs_root is not None:
        command += ["--runs", str(runs_root)]
    if commit:
        command.append("--commit")
    return command


# The launchers take the same leading parameters (table, profile, keys, …): one shape, three launchers.
def launch_torchrun(
    table: str,
    profile: str,
    keys: Sequence[str],
    gpus: int,
    runs_root: Path | None = None,
    commit: bool = False,
    dry_run: bool = False,
    announce: Callable[[str], None] = print,
) -> None:
    """One multi-GPU run at a time on this node; a failed run stops the campaign (rerun to resume)."""
    if table == "table3":
        raise ValueError("table3's grid runs as one single-process job: use --launcher local or slurm")
    for index, key in enumerate(keys):
        command = torchrun_command(table, profile, key, gpus, runs_root, commit)
        announce(f"attnlib: [{index + 1}/{len(keys)}] {shlex.join(command)}")
        if not dry_run and subprocess.run(command).returncode != 0:
            raise OSError(
                f"run {key} failed under torchrun (its error is above); rerun this command to continue — "
                "finished runs are kept and this one resumes from its last checkpoint"
            )


@dataclass(frozen=True)
class SlurmOptions:
    """What each array task asks SLURM for."""

    partition: str | None = None
    gpus: int = 1
    cpus_per_gpu: int = 8
    time_minutes: int = 24 * 60
    logs: Path | None = None
    cluster: str | None = None  # None: SLURM when sbatch is found; "local": submitit's local executor


class CampaignJob:
    """The function each SLURM array task calls: one run, resumed where a preempted task left it.

    ``checkpoint`` makes the task requeue itself on preemption or timeout (submitit calls it); the
    requeued task resumes from the run's last checkpoint.
    """

    def __init__(self, table: str, profile: str, runs_root: Path | None, commit: bool) -> None:
        self.table, self.profile, self.runs_root, self.commit = table, profile, runs_root, commit

    def __call__(self, key: str) -> dict[str, Any]:
        _distributed_environment_from_slurm()
        return execute_run(self.table, self.profile, key, self.runs_root, self.commit)

    def checkpoint(self, key: str) -> Any:
        import submitit

        return submitit.helpers.DelayedSubmission(
            CampaignJob(self.table, self.profile, self.runs_root, self.commit), key
        )


def _distributed_environment_from_slurm() -> None:
    """Set torchrun's variables from submitit's job environment when a run spans several tasks."""
    import submitit

    try:
        environment = submitit.JobEnvironment()
    except RuntimeError:  # not inside a submitit job
        return
    if environment.num_tasks > 1:
        os.environ.update(
            RANK=str(environment.global_rank),
            LOCAL_RANK=str(environment.local_rank),
            WORLD_SIZE=str(environment.num_tasks),
            MASTER_ADDR=environment.hostnames[0],
            MASTER_PORT=os.environ.get("MASTER_PORT", "29500"),
        )


def slurm_parameters(table: str, options: SlurmOptions) -> dict[str, Any]:
    """submitit's parameters for one array task (one run on ``options.gpus`` GPUs of one node)."""
    parameters: dict[str, Any] = {
        "name": f"attnlib-{table}",
        "timeout_min": options.time_minutes,
        "nodes": 1,
        "tasks_per_node": options.gpus if options.cluster != "local" else 1,
        "cpus_per_task": options.cpus_per_gpu,
    }
    if options.cluster != "local":
        parameters["gpus_per_node"] = options.gpus
        if options.partition:
            parameters["slurm_partition"] = options.partition
    return parameters


def launch_slurm(
    table: str,
    profile: str,
    keys: Sequence[str],
    options: SlurmOptions,
    runs_root: Path | None = None,
    commit: bool = False,
    dry_run: bool = False,
    announce: Callable[[str], None] = print,
) -> list[Any]:
    """Submit one job array, one task per key; return submitit's jobs (none with ``dry_run``)."""
    logs = Path(options.logs or data_root() / "runs" / "slurm" / table)
    parameters = slurm_parameters(table, options)
    announce(f"attnlib: {table} job array of {len(keys)} task(s), {parameters}, logs in {logs}")
    for index, key in enumerate(keys):
        announce(f"  task {index}: {key}")
    if dry_run or not keys:
        return []
    try:
        import submitit
    except ImportError as error:
        raise OSError(f"--launcher slurm needs submitit (pip install submitit): {error}") from None
    executor = submitit.AutoExecutor(folder=logs, cluster=options.cluster)
    executor.update_parameters(**parameters)
    jobs = executor.map_array(CampaignJob(table, profile, runs_root, commit), list(keys))
    for job, key in zip(jobs, keys, strict=True):
        announce(f"  submitted {job.job_id}: {key} (log {job.paths.stdout})")
    return jobs


# --- the table, from the runs -------------------------------------------------------------------------


def aggregate(table: str, profile: str, runs: Sequence[CampaignRun], runs_root: Path | None = None) -> pd.DataFrame:
    """The table in the chapter's layout, from the runs' folders (every run must be done)."""
    from attnlib import paper

    if table == "fashion":
        from attnlib.reproduce import fashion

        finals = pd.concat([fashion.committed_finals(profile), fashion.folder_finals(profile, runs_root)])
        return fashion.comparison_table(finals.drop_duplicates("key", keep="last") if len(finals) else finals)
    missing = [run.key for run, state in zip(runs, run_states(runs), strict=True) if state != "done"]
    if missing:
        raise ValueError(f"{len(missing)} run(s) of {table} are not done yet (first: {missing[0]}); launch them first")
    if table == "table3":
        from attnlib.reproduce.table3 import run_table3, table3_layout

        root = table3_root(profile, runs_root)
        return table3_layout(run_table3(profile, cache=root, output=root), paper.load("table3"))
    finals = [(run, json.loads((run.run_dir / "record.json").read_text())["history"][-1]) for run in runs]
    if table in ("table1", "table2"):
        from attnlib.reproduce.accuracy import final_row

        accuracy = pd.DataFrame([final_row(run.config, [last]) for run, last in finals])
        if table == "table1":
            from attnlib.reproduce.table1 import table1_layout

            return table1_layout(aggregate_seeds(accuracy))
        from attnlib.reproduce.table2 import table2_full, timing_record

        return table2_full(accuracy, timing_record()[0], paper.load("table2"))
    if table == "table4":
        from attnlib.reproduce.table4 import table4_layout

        rows = [
            {"module": run.config.attention or BASELINE, "initialization": run.config.init, **last}
            for run, last in finals
        ]
        rows += [{**row, "initialization": "scratch"} for row in rows if row["module"] == BASELINE]
        return table4_layout(pd.DataFrame(rows), paper.load("table4"))
    from attnlib.reproduce.table5 import table5_layout

    rows = [
        {
            "split": run.config.split,
            "module": run.config.attention or BASELINE,
            "method": run.config.method or "",
            **last,
        }
        for run, last in finals
    ]
    return table5_layout(pd.DataFrame(rows), paper.load("table5"))
