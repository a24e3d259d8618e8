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
  here. Detection runs count the backbone only (a lower bound: FPN, RPN and heads add mor

The package holds one step per module: :mod:`.runs` (what each table needs), :mod:`.plan` (where each
run stands, estimates), :mod:`.launch` (the launchers) and :mod:`.aggregate` (the table from the runs).
"""

from __future__ import annotations

from attnlib.reproduce.campaign.aggregate import aggregate
from attnlib.reproduce.campaign.launch import (
    CampaignJob,
    SlurmOptions,
    TimeBudget,
    execute_run,
    job_keys,
    launch_local,
    launch_slurm,
    launch_torchrun,
    pending,
    sitting_plan,
    slurm_parameters,
    torchrun_command,
)
from attnlib.reproduce.campaign.plan import (
    committed_keys,
    completed_epochs,
    gpu_hours,
    measured_rates_text,
    plan,
    plan_summary,
    run_state,
    run_states,
)
from attnlib.reproduce.campaign.runs import (
    ASSUMED_TMACS,
    INPUT_SIDE,
    LAUNCHERS,
    STATES,
    TABLES,
    TRAIN_IMAGES,
    CampaignRun,
    campaign_runs,
    table3_root,
)

__all__ = [
    "ASSUMED_TMACS",
    "INPUT_SIDE",
    "LAUNCHERS",
    "STATES",
    "TABLES",
    "TRAIN_IMAGES",
    "CampaignJob",
    "CampaignRun",
    "SlurmOptions",
    "TimeBudget",
    "aggregate",
    "campaign_runs",
    "committed_keys",
    "completed_epochs",
    "execute_run",
    "gpu_hours",
    "job_keys",
    "launch_local",
    "launch_slurm",
    "launch_torchrun",
    "measured_rates_text",
    "pending",
    "plan",
    "plan_summary",
    "run_state",
    "run_states",
    "sitting_plan",
    "slurm_parameters",
    "table3_root",
    "torchrun_command",
]
