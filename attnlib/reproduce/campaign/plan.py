"""Where each run of a campaign stands (done, in progress, missing) and what is left, estimated: the
plan ``attnlib reproduce … --plan`` prints."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from attnlib.reproduce.campaign.runs import ASSUMED_TMACS, STATES, CampaignRun


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
