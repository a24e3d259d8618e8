"""Fig. 4 for real: what each trained network of the campaign costs on this machine (inference
and a training step, timed interleaved with its baseline), and the trade-off against its accuracy."""

from __future__ import annotations

from typing import Any

import pandas as pd

from attnlib.attention import BASELINE, compared, display_name
from attnlib.reproduce.claims import DOES_NOT_HOLD, HOLDS, NOT_TESTABLE
from attnlib.reproduce.fashion.settings import CONVERGED, DEEPER_LABEL, _in_channels, network_name, settings_of
from attnlib.reproduce.fashion.statements import DEPTH_DOES_NOT_PAY, Statement

LATENCY_EXPERIMENT = "fashion_latency"


TRAIN_STEP_EXPERIMENT = "fashion_train_step"


COST_ENGINES = ("eager", "openvino")  # eager PyTorch and the fastest CPU engine of the committed Fig. 3 records


COST_BATCHES = (1, 16)


def cost_variants(profile: str, campaign: str = CONVERGED) -> list[list[Any]]:
    """One timing group per compared network: its baseline, the five modules and its deeper baseline,
    all grayscale at the campaign's input size, so every cost is measured interleaved with its baseline."""
    from attnlib.bench.latency import Variant

    settings = settings_of(profile, campaign)
    channels = _in_channels(settings.base)
    groups = []
    for (model, block), (deep_model, deep_block) in zip(settings.compared, settings.deeper, strict=True):
        variants = [Variant(model, module, block=block, in_channels=channels) for module in compared()]
        variants.append(Variant(deep_model, BASELINE, DEEPER_LABEL, block=deep_block, in_channels=channels))
        groups.append(variants)
    return groups


def settings_variants(profile: str, campaign: str = CONVERGED) -> list[Any]:
    """The networks whose training speed sized the campaign: each compared network's baseline and SE (the
    costliest common module), and each deeper baseline, grayscale."""
    from attnlib.bench.latency import Variant

    settings = settings_of(profile, campaign)
    channels = _in_channels(settings.base)
    variants = [
        Variant(model, module, block=block, in_channels=channels)
        for model, block in settings.compared
        for module in (BASELINE, "se")
    ]
    return variants + [Variant(model, BASELINE, block=block, in_channels=channels) for model, block in settings.deeper]


def latency_experiment(
    profile: str,
    engines: tuple[str, ...] = COST_ENGINES,
    trials: int = 200,
    threads: int | None = None,
    campaign: str = CONVERGED,
) -> Any:
    """The inference timing of :func:`cost_variants` at batch 1 and 16 on ``engines`` (CPU)."""
    from attnlib.bench.engines import EngineOptions
    from attnlib.bench.experiment import Experiment

    side = settings_of(profile, campaign).base.input_size or 32
    groups = [
        (variants, side, batch) for variants in cost_variants(profile, campaign=campaign) for batch in COST_BATCHES
    ]
    options = EngineOptions(threads=threads)
    return Experiment(LATENCY_EXPERIMENT, groups, engines, options, trials, warmup=10, keep_going=True)


def measure_training_costs(
    profile: str, options: Any, trials: int = 20, warmup: int = 3, campaign: str = CONVERGED
) -> pd.DataFrame:
    """A training step (the campaign's batch) of every network of :func:`cost_variants`, interleaved."""
    from attnlib.bench.training import measure_train_steps

    settings = settings_of(profile, campaign)
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
        for variants in cost_variants(profile, campaign=campaign)
    ]
    return pd.concat(frames, ignore_index=True)


def timed_networks(part: pd.DataFrame) -> set[tuple[str, str | None]]:
    """The (model, block) of each group a session timed: its baseline's. Records made before ``bench``
    wrote the block give ``None`` for it (they match by model alone)."""
    baselines = part[part.variant == part.baseline] if {"variant", "baseline"} <= set(part.columns) else part
    blocks = baselines.block if "block" in baselines.columns else pd.Series([None] * len(baselines))
    return {(str(g), b if isinstance(b, str) and b else None) for g, b in zip(baselines.group, blocks, strict=True)}


def newest_covering(frame: pd.DataFrame, networks: set[tuple[str, str]]) -> pd.DataFrame:
    """The newest session of ``frame`` that timed every one of ``networks`` ((model, block) pairs; a record
    without blocks matches by model) — empty when none did."""
    if frame.empty:
        return frame
    for session in reversed(list(dict.fromkeys(frame.session))):
        part = frame[frame.session == session]
        timed = timed_networks(part)
        if all((model, block) in timed or (model, None) in timed for model, block in networks):
            return part
    return frame.iloc[:0]


def cost_records(campaign: str = CONVERGED, profile: str = "default") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The newest committed inference (``bench fashion``) and training-step records of ``campaign``'s
    networks: the newest session that timed each of its compared networks (model and block), so a record
    of the other campaign's networks never replaces them."""
    from attnlib.bench.experiment import load_latency_records

    networks = set(settings_of(profile, campaign).compared)
    latency = newest_covering(load_latency_records(LATENCY_EXPERIMENT), networks)
    training = newest_covering(load_latency_records(TRAIN_STEP_EXPERIMENT), networks)
    return latency, training


def _variant_name(row: Any) -> str:
    return "deeper baseline" if row.variant == DEEPER_LABEL else display_name(row.attention)


def cost_table(
    latency: pd.DataFrame, training: pd.DataFrame, profile: str = "default", campaign: str = CONVERGED
) -> pd.DataFrame:
    """Per network and variant: time over the network's baseline (median, %) for inference on each engine and
    batch, and for a training step — the x axis of the trade-off, all measured interleaved."""
    columns = {}
    latency, training = _with_group_block(latency), _with_group_block(training)
    for (engine, batch), part in latency.groupby(["engine", "batch_size"], sort=False):
        for row in part.itertuples():
            key = (network_name(row.group, _block_of(row, profile, campaign=campaign)), _variant_name(row))
            columns.setdefault(f"inference, {engine}, batch {batch} (%)", {})[key] = round(row.overhead_median_pct, 1)
    for row in training.itertuples():
        key = (network_name(row.group, _block_of(row, profile, campaign=campaign)), _variant_name(row))
        columns.setdefault("training step (%)", {})[key] = round(row.overhead_median_pct, 1)
    table = pd.DataFrame(columns)
    table.index.names = ["network", "variant"]
    return table


def _block_of(row: Any, profile: str, campaign: str = CONVERGED) -> str:
    """The block of the compared network a timed row belongs to: the record's own (its group's baseline),
    or — for a record made before ``bench`` wrote blocks — the campaign's network of that model."""
    own = getattr(row, "group_block", None)
    if isinstance(own, str) and own:
        return own
    for model, block in settings_of(profile, campaign).compared:
        if row.group == model:
            return block
    return ""


def _with_group_block(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``group_block`` column: the block of each row's group, read from its baseline row."""
    blocks = {model: block for model, block in timed_networks(frame) if block}
    return frame.assign(group_block=frame.group.map(lambda group: blocks.get(group, "")))


def tradeoff_points(
    finals: pd.DataFrame,
    latency: pd.DataFrame,
    engine: str,
    batch: int,
    profile: str = "default",
    campaign: str = CONVERGED,
) -> pd.DataFrame:
    """Fig. 4's points on real data: per network, each module's and the deeper baseline's top-1 (mean, std
    over seeds) against their inference time over the network's baseline on ``engine`` at ``batch``."""
    if finals.empty or latency.empty:
        return pd.DataFrame()
    timing = latency[(latency.engine == engine) & (latency.batch_size == batch)]
    settings = settings_of(profile, campaign)
    rows = []
    for (model, block), (deep_model, deep_block) in zip(settings.compared, settings.deeper, strict=True):
        network = network_name(model, block)
        blocks = _with_group_block(timing).group_block
        times = timing[(timing.group == model) & blocks.isin(["", block])].set_index("variant")
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


def training_settings_by_machine() -> list[tuple[str, pd.DataFrame]]:
    """Every committed ``bench train --settings campaign`` record, oldest first: a sentence naming the
    machine (with the instruction-set features that decide whether bf16 is fast on it) and how much faster
    than fp32 the campaign's setting — as that machine trains it (:func:`machine_setting`) — trained there,
    and the table of images per second of each network in each setting with the speed-up over fp32 (median
    of interleaved steps). The campaign spans sittings on different machines; each one's measurements are
    shown (a machine without native bf16 measured its own bf16 kernels first, then fp32 kernels on bf16
    operands)."""
    from attnlib.reproduce.fashion.rates import campaign_setting, settings_records
    from attnlib.reproduce.fashion.settings import machine_setting

    shown = []
    for record in settings_records():
        rows, date = record.rows, record.date
        table = pd.DataFrame(
            {
                "network": rows.network,
                "module": rows.attention.map(display_name),
                "setting": rows.setting,
                "training images/s (one thread)": rows.images_per_s.round().astype(int),
                "over fp32": rows.speedup_median.map(lambda value: f"{value:.2f}×"),
            }
        )
        features = ", ".join(record.features) or "none of the ones that speed up bf16"
        text = (
            f"Measured on the {record.machine}, one thread, {date[:10]} (instruction-set features: {features}): "
            "batch 128, 28², random batches (data loading not included)."
        )
        campaign = campaign_setting()
        setting = (
            campaign.name if campaign.name in set(rows.setting) else machine_setting(campaign, record.features).name
        )
        speedups = rows[rows.setting == setting].speedup_median
        if not speedups.empty:
            low, high = float(speedups.min()), float(speedups.max())
            span = f"{low:.2f}×" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}–{high:.2f}×"
            own = (
                "the campaign's setting"
                if setting == campaign.name
                else "the campaign's precision as this CPU trains it"
            )
            text += f" There {own} ({setting}) trains at {span} the speed of fp32"
            if high < 1:
                text += ": without native bf16 instructions, bf16 autocast is slower than fp32 on this CPU."
            else:
                text += "." if low > 1 else ": no faster than fp32 on this CPU."
        shown.append((text, table))
    return shown
