"""``attnlib reproduce``: a table's or study's campaign of runs — plan, launch, resume, aggregate."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from attnlib.checks import non_negative_int, positive_float, positive_int
from attnlib.cli.options import FORMAT


def run(args: argparse.Namespace) -> int:
    import logging

    from attnlib.checks import require_device
    from attnlib.reproduce import campaign

    runs_root = Path(args.runs) if args.runs else None
    if args.run:  # one run of the campaign: what torchrun and SLURM tasks execute
        logging.basicConfig(level=logging.INFO, format="attnlib: %(message)s")
        final = campaign.execute_run(args.table, args.profile, args.run, runs_root, args.commit)
        print(f"{args.table} {args.run}: {json.dumps(final, default=str)}")
        return 0
    runs = campaign.campaign_runs(args.table, args.profile, runs_root, args.only, args.seeds)
    frame = campaign.plan(runs, args.tmacs)
    shown = frame.drop(columns=["folder", "model"]).assign(**{"GPU-hours (est.)": frame["GPU-hours (est.)"].round(3)})
    print(shown.to_string(index=False))
    print(campaign.plan_summary(args.table, args.profile, frame, args.tmacs))
    if args.plan:
        return 0
    if args.aggregate:
        print(campaign.aggregate(args.table, args.profile, runs, runs_root).to_string())
        return 0
    keys = campaign.job_keys(args.table, runs)
    if args.max_runs is not None:
        keys = keys[: args.max_runs]
    if keys and runs[0].config.device == "cuda" and args.launcher != "slurm" and not args.dry_run:
        require_device("cuda")  # this node trains; a SLURM array trains on the cluster's GPUs
    print(f"attnlib: {len(keys)} job(s) to launch with {args.launcher} on {runs[0].config.device}", file=sys.stderr)
    if args.launcher == "local":
        slowdowns: dict[str, tuple[float, str]] = {}
        if args.hours is not None and args.table == "fashion":  # this machine against the one it was sized on
            from attnlib.reproduce import fashion

            slowdowns = fashion.machine_slowdowns({run.key: run.config for run in runs}, args.profile)
        if args.dry_run:
            print_dry_run(args.table, runs, keys, args.hours, slowdowns)
            return 0
        logging.basicConfig(level=logging.WARNING, format="attnlib: %(message)s")
        within = None if args.hours is None else campaign.TimeBudget.of(runs, args.hours, slowdowns=slowdowns)
        campaign.launch_local(args.table, args.profile, keys, runs_root, args.commit, within=within)
    elif args.launcher == "torchrun":
        campaign.launch_torchrun(args.table, args.profile, keys, args.gpus, runs_root, args.commit, args.dry_run)
    else:
        options = campaign.SlurmOptions(
            partition=args.partition,
            gpus=args.gpus,
            cpus_per_gpu=args.cpus_per_gpu,
            time_minutes=args.time,
            logs=Path(args.logs) if args.logs else None,
            cluster=args.slurm_cluster,
        )
        jobs = campaign.launch_slurm(args.table, args.profile, keys, options, runs_root, args.commit, args.dry_run)
        if jobs and args.wait:
            for job in jobs:
                job.result()
    if args.dry_run:
        return 0
    runs = campaign.campaign_runs(args.table, args.profile, runs_root, args.only, args.seeds)
    states = campaign.run_states(runs)
    if all(state == "done" for state in states):
        print(campaign.aggregate(args.table, args.profile, runs, runs_root).to_string())
    else:
        left = sum(state != "done" for state in states)
        print(f"attnlib: {left} run(s) not done yet; rerun this command to continue (finished runs are kept)")
    return 0


def print_dry_run(
    table: str, runs: Any, keys: list[str], hours: float | None, slowdowns: dict[str, tuple[float, str]]
) -> None:
    """What the local launcher would do: every run in order, or, with ``--hours``, the sitting it would
    make if each run took its estimate on this machine — which runs start and which are passed over, why."""
    from attnlib.reproduce import campaign

    if hours is None:
        for key in keys:
            print(f"would run {table} {key} in this process")
        return
    planned = campaign.sitting_plan(runs, keys, hours, slowdowns)
    for key, minutes, refusal in planned:
        if refusal:
            print(f"would pass over {key}: {refusal}")
        else:
            print(f"would run {table} {key} in this process (about {minutes:.0f} min)")
    started = [minutes or 0.0 for _, minutes, refusal in planned if not refusal]
    print(
        f"attnlib: this launcher would start {len(started)} of {len(planned)} run(s) in its {hours:g} hours "
        f"(about {sum(started) / 60:.1f} hours by the estimates)"
    )


def add(commands: Any) -> None:
    from attnlib.names import ASSUMED_TMACS, LAUNCHERS, TABLES
    from attnlib.profiles import PROFILES

    parser = commands.add_parser(
        "reproduce",
        help="plan, estimate, launch (local, torchrun, SLURM), resume and aggregate every run of one table",
        **FORMAT,
    )
    parser.add_argument("table", choices=TABLES)
    parser.add_argument("--profile", default="default", choices=PROFILES)
    parser.add_argument("--plan", action="store_true", help="only list the runs, their state and the estimate")
    parser.add_argument("--aggregate", action="store_true", help="only print the table from the finished runs")
    parser.add_argument(
        "--only", nargs="+", default=[], metavar="PATTERN", help="runs whose key matches, e.g. cifar100/se"
    )
    parser.add_argument("--seeds", type=non_negative_int, nargs="+", help="Tables 1-2: these seeds")
    parser.add_argument("--launcher", default="local", choices=LAUNCHERS)
    parser.add_argument("--dry-run", action="store_true", help="print what would be launched, launch nothing")
    parser.add_argument("--max-runs", type=positive_int, help="launch at most this many runs this time")
    parser.add_argument(
        "--hours",
        type=positive_float,
        help="local: start only runs whose estimate ends within this many hours from now (a sitting ends on "
        "finished runs; shorter runs later in the order fill the rest)",
    )
    parser.add_argument("--runs", help="run folders' root (default data/checkpoints, where attnlib train puts them)")
    parser.add_argument("--gpus", type=positive_int, default=1, help="GPUs (processes) per run: torchrun, slurm")
    parser.add_argument("--partition", help="slurm: partition")
    parser.add_argument("--cpus-per-gpu", type=positive_int, default=8, help="slurm: CPUs per task")
    parser.add_argument("--time", type=positive_int, default=24 * 60, help="slurm: minutes per task")
    parser.add_argument("--logs", help="slurm: submitit's log folder (default data/runs/slurm/<table>)")
    parser.add_argument("--slurm-cluster", choices=("local",), help="slurm: 'local' runs the job array on this machine")
    parser.add_argument("--wait", action="store_true", help="slurm: wait for the jobs, then aggregate")
    parser.add_argument(
        "--tmacs", type=positive_float, default=ASSUMED_TMACS, help="assumed training TMAC/s per GPU for estimates"
    )
    parser.add_argument("--commit", action="store_true", help="write each finished run's record to data/results/")
    parser.add_argument("--run", help=argparse.SUPPRESS)  # one run: what torchrun and SLURM tasks execute
    parser.set_defaults(handler=run, check=lambda args: _check_reproduce(parser, args))


def _check_reproduce(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.hours is not None and args.launcher != "local":
        parser.error(f"--hours is for the local launcher (a {args.launcher} job's time limit: --time)")
