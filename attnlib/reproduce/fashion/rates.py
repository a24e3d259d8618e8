"""The training throughput a Fashion-MNIST campaign is sized with, and what its runs cost in CPU hours.

The converged campaign's rates are read from the first committed ``attnlib bench train --settings
campaign`` record that times the campaign's own training setting (baseline and SE averaged per network):
the measurement the campaign was sized with. A later record, of another machine a sitting ran on, is shown
beside it in the chapter but does not move the plan. The short campaign was sized before such
records existed: its rates are kept as measured then, with their source in words.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from attnlib.names import CPU_PROCESSES, TrainingSetting
from attnlib.reproduce.fashion.settings import (
    CONVERGED,
    SHORT,
    FashionRun,
    machine_setting,
    network_name,
    runs,
    settings_of,
)

if TYPE_CHECKING:
    import pandas as pd

    from attnlib.train import TrainConfig

FP32_SLOWDOWN = 2.0
"""How much slower the converged campaign's fp32 precision-check runs train than its bf16 runs (measured ~1.9–2.3×)."""

TRAIN_SETTINGS_EXPERIMENT = "fashion_train_settings"
"""``attnlib bench train --settings campaign``: the campaign's networks in fp32, bf16, + channels_last, + compile."""


@dataclass(frozen=True)
class Rates:
    """Training images per second on one thread (batch 128, a whole training step) per (model, block),
    and where they come from, in words."""

    images_per_s: dict[tuple[str, str], float]
    source: str


SHORT_RATES = Rates(
    {
        ("cifar_resnet14", "basic"): 310,
        ("cifar_resnet20", "basic"): 228,
        ("cifar_resnet20", "bottleneck"): 119,
        ("cifar_resnet29", "bottleneck"): 86,
    },
    "fp32 throughput measured 2026-12-02 on the 2-core AMD EPYC that made its records",
)
"""The short campaign's rates (median of interleaved steps, baseline and SE averaged), as it was sized."""


def campaign_setting(campaign: str = CONVERGED, profile: str = "default") -> TrainingSetting:
    """The training setting (precision, channels_last, compile) every run of the campaign trains with."""
    base = settings_of(profile, campaign).base
    return TrainingSetting(base.precision, base.channels_last, base.compile)


@dataclass(frozen=True)
class SettingsRecord:
    """One committed training-settings record: when it was made, the machine that made it
    (:func:`~attnlib.provenance.machine_name`), the CPU's decisive features and its rows."""

    date: str
    machine: str
    features: list[str]
    rows: pd.DataFrame


def settings_records(root: Path | None = None) -> list[SettingsRecord]:
    """Every committed ``bench train --settings campaign`` record, oldest first, each with its machine: the
    one reading that the plan's sizing, the chapter's per-machine tables and a launcher's slowdown share."""
    from attnlib.bench.experiment import load_latency_records
    from attnlib.provenance import machine_name
    from attnlib.results import read_records, records_root

    folder = root or records_root(committed=True)
    records = load_latency_records(TRAIN_SETTINGS_EXPERIMENT, folder)
    if records.empty:
        return []
    provenances = {
        str(r.get("date")): r
        for _, r in read_records("latency", folder)
        if r.get("experiment") == TRAIN_SETTINGS_EXPERIMENT
    }
    found = []
    for date in sorted(set(records.date.astype(str))):
        rows = records[records.date.astype(str) == date]
        provenance = provenances.get(date, {})
        features = list(provenance.get("cpu_features") or [])
        machine = machine_name(str(rows.hardware.iloc[0]), features, provenance.get("cpu_count"))
        found.append(SettingsRecord(date, machine, features, rows))
    return found


def sizing_record(root: Path | None = None, profile: str = "default") -> SettingsRecord | None:
    """The first committed training-settings record that times the converged campaign's setting: the one
    the campaign was sized with (None when there is none)."""
    setting = campaign_setting(CONVERGED, profile).name
    return next((record for record in settings_records(root) if setting in set(record.rows.setting)), None)


def recorded_rates(profile: str = "default") -> Rates | None:
    """The converged campaign's rates from the first committed training-settings record that holds the
    campaign's setting, the one it was sized with (None when no committed record holds that setting)."""
    from attnlib.results import records_root

    return _recorded_rates(str(records_root(committed=True).resolve()), profile)


@functools.cache
def _recorded_rates(root: str, profile: str) -> Rates | None:
    """:func:`recorded_rates` for one records folder, read once per process (a plan asks once per run)."""
    from attnlib.provenance import has_native_bf16

    sized = sizing_record(Path(root), profile)
    if sized is None:
        return None
    setting = campaign_setting(CONVERGED, profile).name
    measured = sized.rows[sized.rows.setting == setting]
    rates = measured.groupby(["model", "block"], sort=False).images_per_s.mean()
    caveat = "; a CPU without native bf16 takes longer" if "bf16" in setting and has_native_bf16(sized.features) else ""
    return Rates(
        {(str(model), str(block)): float(rate) for (model, block), rate in rates.items()},
        f"{setting} throughput measured {sized.date[:10]} on the {sized.machine} (record "
        f"{TRAIN_SETTINGS_EXPERIMENT}){caveat}",
    )


def rates_of(campaign: str = CONVERGED, profile: str = "default") -> Rates:
    """The rates ``campaign`` is sized with (empty when none were measured)."""
    if campaign == SHORT:
        return SHORT_RATES
    return recorded_rates(profile) or Rates({}, "no committed training-settings record")


def observed_epoch_seconds(
    profile: str = "default", campaign: str = CONVERGED, machine: str | None = None
) -> dict[tuple[str, ...], float]:
    """Seconds per epoch (training and evaluation) of the campaign's committed runs, median per (model,
    block, module, precision): what a run of the same network and module took here, beside whatever else
    ran then — the modules' own cost, which the training-settings record (baseline and SE) does not time.

    Only the runs made on one machine count — ``machine`` (:func:`record_machine`), by default
    the machine the campaign was sized on (:func:`sizing_record`): a sitting on a slower machine takes
    longer an epoch, which says nothing about the campaign's size in that machine's hours. (No sizing
    record, as in a fresh clone of another project: every run counts.)"""
    from attnlib.results import records_root

    folder = records_root(committed=True) / "fashion"
    names = tuple(sorted(path.name for path in folder.glob("*.json"))) if folder.is_dir() else ()
    if machine is None:
        sized = sizing_record(profile=profile)
        machine = sized.machine if sized else None
    return _observed(str(folder.resolve()), names, profile, campaign, machine)


def observed_ratio(
    here: dict[tuple[str, ...], float], there: dict[tuple[str, ...], float], model: str, block: str, precision: str
) -> float | None:
    """How many times longer an epoch of ``model`` (``block``) at ``precision`` took in the committed runs
    of one machine (``here``) than of another (``there``), both :func:`observed_epoch_seconds`: the median
    over the modules run on both. None when no module of that network ran on both."""
    import statistics

    ratios = [
        seconds / there[key]
        for key, seconds in here.items()
        if key[:2] == (model, block) and key[3] == precision and there.get(key)
    ]
    return statistics.median(ratios) if ratios else None


@functools.cache
def _observed(
    folder: str, names: tuple[str, ...], profile: str, campaign: str, machine: str | None
) -> dict[tuple[str, ...], float]:
    """:func:`observed_epoch_seconds` for one state of the records folder (``names``) and the runs of one
    ``machine`` (all when None), read once."""
    import statistics

    from attnlib.reproduce.fashion.execution import committed_records

    per_epoch: dict[tuple[str, ...], list[float]] = {}
    for table, record in committed_records(profile, campaign=campaign).values():
        config = record.get("config") or {}
        if table.empty or "seconds" not in table or (machine is not None and record_machine(record) != machine):
            continue
        key = (config.get("model"), config.get("block") or "", config.get("attention") or "baseline",
               config.get("precision") or "fp32")  # fmt: skip
        per_epoch.setdefault(tuple(str(part) for part in key), []).append(float(table.seconds.sum()) / len(table))
    return {key: statistics.median(values) for key, values in per_epoch.items()}


def record_machine(record: dict[str, object]) -> str:
    """The machine that made a record (:func:`~attnlib.provenance.machine_name`)."""
    from attnlib.provenance import machine_name

    cpu = str(record.get("gpu") or record.get("cpu") or "unknown")
    features = [str(feature) for feature in record.get("cpu_features") or []]  # type: ignore[attr-defined]
    cores = record.get("cpu_count")
    return machine_name(cpu, features, int(cores) if isinstance(cores, int) else None)


def machine_slowdown(model: str, block: str, precision: str, profile: str = "default") -> tuple[float, str] | None:
    """How many times longer a run of ``model`` (``block``) at ``precision`` trains on this machine than on
    the machine the converged campaign was sized on, with why in words: the two machines' committed
    training-settings records: the campaign's setting on the sizing machine against the same precision as
    this machine trains it (:func:`~attnlib.reproduce.fashion.settings.machine_setting`: bf16 with fp32
    convolution kernels on a CPU without native bf16), fp32 against fp32 for an fp32 run. None when this
    machine has no record of its own (nothing to say), when it is the machine the campaign was sized on,
    or when either record lacks the network. Once this machine has committed runs of the network at that
    precision, their epoch times against the sizing machine's (:func:`observed_ratio`) decide instead: they
    include what the training-settings records leave out (data loading, evaluation, two runs sharing the
    memory bus).

    A launcher's ``--hours`` uses it so that a sitting on a slower machine (the AMD EPYC without native
    bf16: 1.6–2.8×) starts only the runs it can finish.
    """
    import statistics

    from attnlib.provenance import cpu_features, cpu_model, machine_name

    sized = sizing_record(profile=profile)
    here = machine_name(cpu_model(), cpu_features(), os.cpu_count())
    if sized is None or sized.machine == here:
        return None
    network = network_name(model, block)
    mine, theirs = observed_epoch_seconds(profile, machine=here), observed_epoch_seconds(profile)
    ratio = observed_ratio(mine, theirs, model, block, precision)
    if ratio is not None:
        return ratio, (
            f"{here}: its committed {network} runs took {ratio:.1f}× the epoch time of those where the "
            "campaign was sized"
        )
    own = [record for record in settings_records() if record.machine == here]
    if not own:
        return None
    campaign = campaign_setting(CONVERGED, profile)
    sized_setting = campaign if precision == campaign.precision else TrainingSetting()
    setting = machine_setting(sized_setting, cpu_features()).name

    def benched(model: str, block: str) -> float:
        """The sizing machine's rate over this one's, in the two settings, from their bench records."""

        def rate(rows: pd.DataFrame, setting: str) -> float:
            chosen = rows[(rows.model == model) & (rows.block == block) & (rows.setting == setting)]
            return float(chosen.images_per_s.mean()) if len(chosen) else math.nan

        return rate(sized.rows, sized_setting.name) / rate(own[-1].rows, setting)

    factor = benched(model, block)
    if math.isnan(factor):
        return None
    speed = f"{factor:.1f}× slower" if factor >= 1 else f"{1 / factor:.1f}× faster"
    why = f"{here}: {network} trains {speed} in {setting} than where the campaign was sized"
    # what the bench leaves out (data loading, evaluation, two runs on one memory bus), as this machine's
    # committed runs of the other networks show it
    others = {(key[0], key[1]) for key in mine if key[3] == precision}
    corrections = [
        observed / bench
        for other in sorted(others)
        if (observed := observed_ratio(mine, theirs, *other, precision)) is not None
        and not math.isnan(bench := benched(*other))
    ]
    if not corrections:
        return factor, why
    correction = statistics.median(corrections)
    return factor * correction, (
        f"{why}, times {correction:.2f} for what its committed runs of other networks took beyond that measurement"
    )


def machine_slowdowns(configs: dict[str, TrainConfig], profile: str = "default") -> dict[str, tuple[float, str]]:
    """:func:`machine_slowdown` of each run (key → its config) that has one: what a launcher's ``--hours``
    scales the campaign's estimates by on this machine."""
    found: dict[tuple[str, str, str], tuple[float, str] | None] = {}
    slowdowns = {}
    for key, config in configs.items():
        network = (config.model, config.block or "", config.precision)
        if network not in found:
            found[network] = machine_slowdown(*network, profile=profile)
        if found[network] is not None:
            slowdowns[key] = found[network]
    return slowdowns


OBSERVED_NOTE = "where the campaign has committed a run of the same network and module, that run's own epoch times"


def cpu_hours(
    run: FashionRun, train_images: int, eval_images: int = 10_000, campaign: str = CONVERGED, observed: bool = True
) -> float:
    """Estimated wall hours of a run on the 2-core CPU (two runs at a time, one thread each).

    From the campaign's own committed runs of the same network, module and precision when there are
    some (:func:`observed_epoch_seconds`: the modules differ in cost, and these are the times the
    campaign's records add up); else training at the campaign's measured rate (:func:`rates_of`;
    :data:`FP32_SLOWDOWN` times slower for an fp32 run of a bf16 campaign), evaluation counted at three
    times that rate. NaN for a network whose throughput was not measured. ``observed=False``: from the
    measured rates alone, as the campaign was sized (:func:`campaign_hours`).
    """
    config = run.config
    seconds = observed_epoch_seconds(config.profile or "default", campaign) if observed else {}
    per_epoch = seconds.get((config.model, config.block or "", config.attention or "baseline", config.precision))
    if per_epoch is not None:
        return config.epochs * per_epoch / 3600 / CPU_PROCESSES
    rates = rates_of(campaign)
    rate = rates.images_per_s.get((run.config.model, run.config.block or ""))
    if rate is None:
        return math.nan
    if campaign_setting(campaign).precision != "fp32" and run.config.precision == "fp32":
        rate /= FP32_SLOWDOWN
    evaluations = math.ceil(run.config.epochs / run.config.eval_every)
    seconds = run.config.epochs * train_images / rate + evaluations * eval_images / (3 * rate)
    return seconds / 3600 / CPU_PROCESSES


def campaign_hours(profile: str, epochs_factor: int = 1, campaign: str = CONVERGED, block: str | None = None) -> float:
    """The campaign's size as it was planned: wall hours of the whole campaign at ``profile`` on the measured
    CPU at the measured rates (:func:`cpu_hours` without the runs' own times), with the epochs of every run
    (of the networks of ``block`` only, when given) multiplied by ``epochs_factor`` (what a longer
    schedule would cost)."""
    total = 0.0
    for run in runs(profile, campaign=campaign):
        factor = epochs_factor if block is None or run.config.block == block else 1
        longer = replace(run, config=replace(run.config, epochs=run.config.epochs * factor))
        total += cpu_hours(longer, run.config.train_subset or 60_000, campaign=campaign, observed=False)
    return total


def forecast_hours(profile: str = "default", campaign: str = CONVERGED) -> float:
    """The campaign's whole wall time as it now looks: the committed runs' own epoch times where there
    are some (the modules train slower an epoch than their baselines), the measured rates elsewhere."""
    return sum(cpu_hours(run, run.config.train_subset or 60_000, campaign=campaign) for run in runs(profile, campaign))


def estimate_source(campaign: str = CONVERGED, profile: str = "default") -> str:
    """Where :func:`cpu_hours` takes its numbers from, in words for the plan's summary."""
    source = rates_of(campaign, profile).source
    return f"{source}; and, {OBSERVED_NOTE}" if observed_epoch_seconds(profile, campaign) else source


def throughput_rows(campaign: str = CONVERGED) -> list[dict[str, object]]:
    """The rates ``campaign``'s schedule was sized with, one row per network, for the page."""
    return [
        {"network": network_name(model, block), "training images/s (one thread)": round(rate)}
        for (model, block), rate in rates_of(campaign).images_per_s.items()
    ]
