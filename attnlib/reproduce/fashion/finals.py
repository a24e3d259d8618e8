"""The campaign's finished runs as rows: the last epoch of each committed record (or of a run folder
on this machine), the learning curves, and how long the runs took."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from attnlib.attention import BASELINE, display_name
from attnlib.reproduce.fashion.execution import committed_records, matches_record, run_folder
from attnlib.reproduce.fashion.settings import (
    CONVERGED,
    RECORD_KIND,
    SHORT,
    FashionRun,
    _network_key,
    network_name,
    runs,
    settings_of,
)


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
        "first_train_loss": history[0]["train_loss"],
    }
    if record is not None:
        row.update(
            hardware=record.get("gpu") or record.get("cpu"),
            date=record.get("date"),
            commit=str(record.get("git_commit"))[:10],
            initialized_top1=(record.get("initialized") or {}).get("top1"),
            test_images=record.get("val_size"),
            test_correct=record.get("test_correct"),
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
    """The learning curves of every plateau check: per network and seed, the baseline on the campaign's
    schedule and trained twice as long — test top-1 at each evaluation, training loss every epoch.

    Columns: network, seed, run (which schedule, in words), epoch (1-based), top1 (NaN where the epoch was
    not evaluated), train_loss.
    """
    settings = settings_of(profile, campaign)
    found = committed_records(profile, root, campaign=campaign)
    rows = []
    for model, block in settings.compared[: max(settings.schedule_networks, 1)]:
        for seed in settings.schedule_seeds or settings.seeds[:1]:
            for part in ("compare", "schedule"):
                key = f"{part}/{_network_key(model, block)}/{BASELINE}/seed{seed}"
                if key not in found:
                    continue
                table, _ = found[key]
                label = "the campaign's schedule" if part == "compare" else "twice as long (plateau check)"
                for row in table.itertuples():
                    top1 = getattr(row, "top1", math.nan)
                    rows.append(
                        {
                            "network": network_name(model, block),
                            "seed": seed,
                            "run": label,
                            "epoch": int(row.epoch) + 1,
                            "top1": float(top1) if top1 == top1 else math.nan,
                            "train_loss": float(row.train_loss),
                        }
                    )
    return pd.DataFrame(rows, columns=["network", "seed", "run", "epoch", "top1", "train_loss"])


OUTLIER_STDS = 3.0
"""A run is flagged when its final top-1 lies more than this many standard deviations from its siblings'."""

DIVERGED_RISE = 0.1
"""A run's training loss diverged when its last epoch's ends more than this share above its first epoch's:
a fine-tuning begins near its final loss, and a few thousandths either way is the data order, not a
divergence."""

TEST_IMAGES = 10_000


def test_set_noise(top1: float, images: int = TEST_IMAGES) -> float:
    """The standard error (points) of a top-1 measured on ``images`` test images: the least spread
    siblings can be said to have. Near 92 % on 10 000 images, about 0.27 points."""
    share = min(max(top1 / 100, 0.0), 1.0)
    return 100 * math.sqrt(share * (1 - share) / images)


def _test_images(runs: pd.DataFrame) -> int:
    """How many test images scored these runs: their records' ``val_size`` (the fewest, where they
    differ), else :data:`TEST_IMAGES`."""
    if "test_images" in runs:
        counts = pd.to_numeric(runs.test_images, errors="coerce").dropna()
        if not counts.empty and counts.min() > 0:
            return int(counts.min())
    return TEST_IMAGES


def flagged_runs(finals: pd.DataFrame) -> pd.DataFrame:
    """Runs a reader should look at twice: a training loss that diverged (not finite, or ending more than
    :data:`DIVERGED_RISE` above where it began), or a final top-1 more than :data:`OUTLIER_STDS` standard
    deviations from the mean of its siblings (at least three). A run's siblings are the runs that differ
    from it only by seed — or, in a part trained from scratch, by module too (the module comparison: its
    modules are expected within a point of each other): the other runs of the same part, network and
    schedule. A fine-tuning's siblings are only the other seeds of the same module, initialisation and
    schedule: how far a module inserted into a trained network falls is what the retrofit study
    measures, not a fault of the run. The siblings' spread is taken as at least the test set's own noise
    (:func:`test_set_noise`, on the number of test images their records name): siblings that happen to
    agree closely must not make a module that is half a point better look broken.

    Columns: key, network, module, seed, top1, why (in words).
    """
    columns = ["key", "network", "module", "seed", "top1", "why"]
    if finals.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    finals = finals.assign(
        treatment=[
            f"{run.get('attention')}/{bool(run.get('identity_init'))}" if run.part == "retrofit" else ""
            for _, run in finals.iterrows()
        ]
    )
    for _, siblings in finals.groupby(["part", "network", "schedule", "treatment"], sort=False):
        for index, run in siblings.iterrows():
            reasons = []
            first = run.get("first_train_loss", math.nan)
            rose = math.isfinite(first) and run.train_loss > first * (1 + DIVERGED_RISE)
            if not math.isfinite(run.train_loss) or rose:
                reasons.append(f"training loss diverged (ended at {run.train_loss:.3g}, began at {first:.3g})")
            others = siblings.drop(index).top1.dropna()
            if len(others) >= 3:
                noise = test_set_noise(float(others.mean()), _test_images(siblings.drop(index)))
                spread = max(float(others.std(ddof=1)), noise)
                distance = (run.top1 - others.mean()) / spread
                if abs(distance) > OUTLIER_STDS:
                    reasons.append(
                        f"top-1 {run.top1:.2f} % is {abs(distance):.1f} standard deviations "
                        f"{'above' if distance > 0 else 'below'} its {len(others)} siblings' {others.mean():.2f} %"
                    )
            if reasons:
                module = display_name(run.attention) + (" + identity-init" if run.get("identity_init") else "")
                rows.append([run.key, run.network, module, int(run.seed), f"{run.top1:.2f}", "; ".join(reasons)])
    return pd.DataFrame(rows, columns=columns)


def schedule_trials(profile: str, root: Any = None, campaign: str = CONVERGED) -> pd.DataFrame:
    """Every committed baseline run of a block type whose schedule was lengthened (``block_epochs``),
    at any length it was trained — including records a longer schedule has since superseded: the
    evidence the schedule was chosen on. Columns: network, block, seed, epochs, top1."""
    from attnlib.results import read_records

    settings = settings_of(profile, campaign)
    lengthened = {block for block, epochs in settings.block_epochs if epochs != settings.base.epochs}
    rows = []
    for table, record in read_records(RECORD_KIND, root):
        entry, config = record.get("campaign") or {}, record.get("config") or {}
        if (
            entry.get("experiment") != settings.experiment
            or record.get("profile") != profile
            or entry.get("module") != BASELINE
            or entry.get("part") not in ("compare", "schedule")
            or config.get("block") not in lengthened
            or record.get("reused_from")  # the same run as another record
            or table.top1.dropna().empty
        ):
            continue
        rows.append(
            {
                "network": network_name(config["model"], config["block"]),
                "block": config["block"],
                "seed": int(config["seed"]),
                "epochs": int(record.get("epochs_trained") or len(table)),
                "top1": float(table.top1.dropna().iloc[-1]),
            }
        )
    columns = ["network", "block", "seed", "epochs", "top1"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.drop_duplicates(["network", "seed", "epochs"], keep="last").reset_index(drop=True)


def run_hours(profile: str, root: Any = None, campaign: str = CONVERGED) -> float:
    """Hours the committed runs of ``profile`` took, one run at a time: the sum of their records' epoch
    times (training and evaluation, as measured while the run ran, beside whatever else ran then). Only
    the records of today's runs count: a record of a superseded setting (a schedule since lengthened)
    is not part of the campaign."""
    found = committed_records(profile, root, campaign=campaign)
    seconds = sum(
        float(found[run.key][0].seconds.sum())
        for run in runs(profile, campaign=campaign)
        if run.key in found and matches_record(run, found[run.key][1])
    )
    return seconds / 3600


def headline_campaign(profile: str = "default", root: Any = None) -> str:
    """The campaign whose verdicts the rest of the book quotes (scorecard, advice): the converged one
    once every run of its module comparison is committed, the short one until then."""
    found = committed_records(profile, root, campaign=CONVERGED)
    planned = [run for run in runs(profile, campaign=CONVERGED) if run.part == "compare"]
    done = all(run.key in found and matches_record(run, found[run.key][1]) for run in planned)
    return CONVERGED if done else SHORT
