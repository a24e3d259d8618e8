"""Launch a campaign's pending runs: one job function (:func:`execute_run`) shared by the ``local``,
``torchrun`` and ``slurm`` launchers."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from attnlib.paper import data_root
from attnlib.reproduce.campaign.plan import completed_epochs, run_states
from attnlib.reproduce.campaign.runs import CampaignRun, campaign_runs, table3_root
from attnlib.train import train, write_training_record

# --- running ---------------------------------------------------------------------------------------


HOURS_UP = "the --hours are up"
"""Why a launcher starts nothing more: less than a minute of its ``--hours`` is left."""


@dataclass(frozen=True)
class TimeBudget:
    """The time a launcher may still start runs in: a deadline on the monotonic clock and the runs,
    whose estimates (:attr:`CampaignRun.run_hours`, less the epochs their folders already hold) decide
    what fits. A run without an estimate does not fit.

    The estimates are the campaign's, made on the machine it was sized on; ``slowdowns`` holds, per run
    key, how many times longer this machine takes (from its own measurement), with why in words — a
    slower CPU (one without native bf16 trains the campaign's bf16 runs 1.6–2.8× slower, with fp32
    convolution kernels) should not start a run a sitting cannot finish."""

    deadline: float
    runs: dict[str, CampaignRun]
    clock: Callable[[], float] = time.monotonic
    slowdowns: dict[str, tuple[float, str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        runs: Sequence[CampaignRun],
        hours: float,
        clock: Callable[[], float] = time.monotonic,
        slowdowns: dict[str, tuple[float, str]] | None = None,
    ) -> TimeBudget:
        """``hours`` from now, for ``runs`` (``slowdowns``: this machine against the campaign's estimates)."""
        return cls(clock() + hours * 3600, {run.key: run for run in runs}, clock, dict(slowdowns or {}))

    def over(self) -> bool:
        """Whether less than a minute is left: nothing starts any more."""
        return self.deadline - self.clock() < 60

    def minutes(self, key: str) -> float | None:
        """How long ``key`` should still take on this machine, in minutes (None without an estimate): its
        estimate, less the epochs its folder already holds, times this machine's slowdown."""
        run = self.runs.get(key)
        if run is None or run.run_hours is None:
            return None
        epochs = max(run.config.epochs, 1)
        factor, _ = self.slowdowns.get(key, (1.0, ""))
        return factor * run.run_hours * 60 * (1 - min(completed_epochs(run), epochs) / epochs)

    def decision(self, key: str) -> str:
        """Why ``key`` should not start now: :data:`HOURS_UP` once less than a minute is left, else its
        :meth:`refusal` ("" when it starts). The one order of checks a launcher and its dry run share."""
        return HOURS_UP if self.over() else self.refusal(key)

    def refusal(self, key: str) -> str:
        """Why ``key`` should not start now ("" when it fits)."""
        left = (self.deadline - self.clock()) / 60
        estimate = self.minutes(key)
        if estimate is None:
            return "no time estimate for it, and this launcher may only start runs that fit in its --hours"
        _, why = self.slowdowns.get(key, (1.0, ""))
        if estimate > left:
            here = f" on this machine, {why}" if why else ""
            return (
                f"would not finish in the time left (estimated {estimate:.0f} min{here}, {max(left, 0):.0f} min left)"
            )
        return ""


def sitting_plan(
    runs: Sequence[CampaignRun],
    keys: Sequence[str],
    hours: float,
    slowdowns: dict[str, tuple[float, str]] | None = None,
) -> list[tuple[str, float | None, str]]:
    """What one launcher given ``hours`` would do with ``keys`` if every run took its estimate: per key,
    its minutes on this machine and why it would be passed over ("" when it would run). ``--dry-run
    --hours`` prints it, so a sitting's plan can be read before it starts."""
    elapsed = [0.0]
    budget = TimeBudget.of(runs, hours, clock=lambda: elapsed[0], slowdowns=slowdowns)
    planned = []
    for key in keys:
        minutes = budget.minutes(key)
        refusal = budget.decision(key)
        planned.append((key, minutes, refusal))
        if not refusal and minutes is not None:
            elapsed[0] += minutes * 60
    return planned


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
    within: TimeBudget | None = None,
) -> None:
    """Run ``keys`` one after another in this process.

    A run another launcher is training (its folder is locked), or one waiting for a run that is
    not done yet, is passed over and named: several launchers can share one campaign. With ``within``,
    a run whose estimate does not fit in the time left is passed over too, so that a sitting of known
    length ends on finished runs (a half-trained run's checkpoint stays on the machine that trained it)
    and a shorter run later in the order fills the rest.
    """
    from attnlib.train.checkpoints import RunFolderInUse

    for index, key in enumerate(keys):
        if within is not None and (refusal := within.decision(key)):
            if refusal == HOURS_UP:
                announce(f"attnlib: {HOURS_UP}; {len(keys) - index} run(s) left for the next sitting")
                break
            announce(f"attnlib: passed over {key}: {refusal}")
            continue
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
