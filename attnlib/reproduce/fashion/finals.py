"""The campaign's finished runs as rows: the last epoch of each committed record (or of a run folder
on this machine), the learning curves, and how long the runs took."""

from __future__ import annotations

from typing import Any

import pandas as pd

from attnlib.attention import BASELINE
from attnlib.reproduce.fashion.execution import committed_records, matches_record, run_folder
from attnlib.reproduce.fashion.settings import CONVERGED, FashionRun, _network_key, network_name, runs, settings_of


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


def committed_finals(profile: str, root: Any = None, campaign: str = CONVERGED) -> pd.DataFrame:
    """The last epoch of every committed campaign record at ``profile`` that matches today's settings."""
    found = committed_records(profile, root, campaign=campaign)
    rows = []
    for run in runs(profile, campaign=campaign):
        if run.key in found and matches_record(run, found[run.key][1]):
            table, record = found[run.key]
            # plain tuples: DataFrame.to_dict("records") takes ~10 ms a table, a second for the campaign
            history = [
                dict(zip(table.columns, values, strict=True)) for values in table.itertuples(index=False, name=None)
            ]
            rows.append(final_row(run, history, record))
    return pd.DataFrame(rows)


def folder_finals(profile: str, runs_root: Any = None, campaign: str = CONVERGED) -> pd.DataFrame:
    """The last epoch of every finished run in this machine's run folders (``attnlib reproduce fashion``)."""
    import json

    rows = []
    for run in runs(profile, campaign=campaign):
        path = run_folder(profile, run.key, runs_root, campaign=campaign) / "record.json"
        if not path.is_file():
            continue
        record = json.loads(path.read_text())
        history = record.get("history", [])
        if len(history) >= run.config.epochs:
            rows.append(final_row(run, history, record))
    return pd.DataFrame(rows)


def all_committed_finals(profiles: Any = ("default", "paper"), root: Any = None) -> pd.DataFrame:
    """The committed finals of every campaign profile, with a ``campaign`` column naming the profile."""
    frames = [committed_finals(p, root).assign(campaign=p) for p in profiles]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["campaign", "part"])


def learning_curves(profile: str, root: Any = None, campaign: str = CONVERGED) -> pd.DataFrame:
    """Top-1 per evaluated epoch of the basic baseline (seed 0) and of its twice-as-long plateau check."""
    found = committed_records(profile, root, campaign=campaign)
    model, block = settings_of(profile, campaign).compared[0]
    rows = []
    for part in ("compare", "schedule"):
        key = f"{part}/{_network_key(model, block)}/{BASELINE}/seed{settings_of(profile, campaign).seeds[0]}"
        if key not in found:
            continue
        table, _ = found[key]
        label = "the campaign's schedule" if part == "compare" else "twice as long (plateau check)"
        for row in table.dropna(subset=["top1"]).itertuples():
            rows.append({"run": label, "epoch": int(row.epoch) + 1, "top1": float(row.top1)})
    return pd.DataFrame(rows)


def run_hours(profile: str, root: Any = None, campaign: str = CONVERGED) -> float:
    """Hours the committed runs of ``profile`` took, one run at a time: the sum of their records' epoch
    times (training and evaluation, as measured while the run ran, beside whatever else ran then)."""
    return (
        sum(float(table.seconds.sum()) for table, _ in committed_records(profile, root, campaign=campaign).values())
        / 3600
    )
