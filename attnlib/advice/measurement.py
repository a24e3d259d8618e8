"""``attnlib advise``'s measurement: the baseline, the five modules and the next deeper baseline timed
interleaved on each engine, in rounds, until every overhead's 95 % interval is narrow enough or the
budget (preparation included) is spent (:func:`measure`). Timing is the bench layer's."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import torch

from attnlib.advice.request import DEEPER, Request
from attnlib.bench.engines import EngineOptions, engine_label, engine_status
from attnlib.bench.latency import Variant
from attnlib.bench.timing import summarize, time_interleaved
from attnlib.bench.verify import prepare_verified
from attnlib.machine_load import watching_load, with_load
from attnlib.names import BASELINE, MODULES
from attnlib.provenance import cpu_model

MIN_ROUNDS = 10
ROUNDS_PER_CHECK = 5
PREPARE_SHARE = 0.5  # an optimising engine whose preparation would take more than this share of the budget is left out


@dataclass
class Measurement:
    """Per engine and variant: times and the overhead over the baseline with its 95 % interval; why each
    engine stopped; what was left out and why; the hardware; how busy the machine was meanwhile
    (:func:`attnlib.machine_load.machine_load`: other processes' share of the CPUs, load averages)."""

    summary: pd.DataFrame
    stopped: dict[str, str] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)
    hardware: str = ""
    machine_load: dict[str, Any] = field(default_factory=dict)


def variants(request: Request) -> list[Any]:
    """The networks timed: the baseline first, the five modules, then the next deeper baseline."""
    found = [Variant(request.model, BASELINE, block=request.block)]
    found += [Variant(request.model, module, block=request.block) for module in MODULES]
    if request.deeper:
        found.append(Variant(request.deeper, BASELINE, label=DEEPER, block=request.block))
    return found


def measure(request: Request, progress: bool = True, log: Any = print) -> Measurement:
    """Time every network of :func:`variants` interleaved on each engine, adaptively, within the budget.

    The budget counts from the call: each engine gets an equal share of what is left when it starts.
    An optimising engine is left out (and named) when preparing its networks would take more than
    half the budget: its baseline's preparation is timed and multiplied by the networks' count.
    """
    deadline = time.monotonic() + 60 * request.budget_min
    options = EngineOptions(device=request.device, precision=request.precision).with_fixed_threads()
    networks = variants(request)
    summaries, stopped, left_out = [], {}, {}
    torch.manual_seed(0)
    example = torch.randn(request.batch_size, 3, request.resolution, request.resolution)
    built = {v.name: v.build().eval() for v in networks}
    with watching_load() as load:
        for index, engine in enumerate(request.engines):
            ok, reason = engine_status(engine, options)
            name = engine_label(engine, options)
            if ok:
                engine_deadline = time.monotonic() + (deadline - time.monotonic()) / (len(request.engines) - index)
                calls, sizes, reason = _prepare(engine, networks, built, example, options, request, progress, log)
            if not ok or not calls:
                left_out[name] = reason
                log(f"attnlib advise: {name} left out: {reason}")
                continue
            summary, stopped[name] = _time_adaptively(calls, name, request, engine_deadline, progress, log)
            summaries.append(summary.assign(engine=name, prepare_s=summary.variant.map(sizes)))
    hardware = torch.cuda.get_device_name(0) if request.device == "cuda" else cpu_model()
    table = with_load(pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame(), load)
    return Measurement(table, stopped, left_out, hardware, load)


def _prepare(
    engine: str,
    networks: list[Any],
    built: dict[str, Any],
    example: Any,
    options: Any,
    request: Request,
    progress: bool,
    log: Any,
) -> tuple[dict[str, Any], dict[str, float], str]:
    """Each network prepared (and checked against eager) on ``engine``: the calls to time and the seconds
    each preparation took; no calls, and why, when preparing them all would take over half the budget."""
    name = engine_label(engine, options)
    calls, sizes = {}, {}
    for variant in networks:
        began = time.monotonic()
        prepared, _ = prepare_verified(engine, built[variant.name], example, options)
        calls[variant.name] = lambda prepared=prepared: prepared.run(prepared.example)
        sizes[variant.name] = time.monotonic() - began
        estimate = sizes[variant.name] * len(networks)
        if variant is networks[0] and engine != "eager" and estimate > PREPARE_SHARE * 60 * request.budget_min:
            return (
                {},
                sizes,
                (
                    f"preparing its {len(networks)} networks would take about {estimate:.0f} s "
                    f"(the baseline took {sizes[variant.name]:.1f} s), more than half the "
                    f"{request.budget_min:g}-minute budget; raise --budget to include it"
                ),
            )
        if progress:
            log(f"attnlib advise: {name}: prepared {variant.name} ({sizes[variant.name]:.1f} s)")
    return calls, sizes, ""


def _time_adaptively(
    calls: dict[str, Any], name: str, request: Request, deadline: float, progress: bool, log: Any
) -> tuple[pd.DataFrame, str]:
    """Interleaved rounds until every overhead's 95 % interval is narrower than ``request.width`` points
    or ``deadline`` passes: the summary (with its ``rounds``) and why it stopped."""
    samples, rounds = [], 0
    time_interleaved(calls, 1, warmup=3, device=request.device)  # warm every network up
    while True:
        chunk = time_interleaved(calls, ROUNDS_PER_CHECK, warmup=0, device=request.device, seed=rounds)
        samples.append(chunk.assign(trial=chunk.trial + rounds))
        rounds += ROUNDS_PER_CHECK
        if rounds < MIN_ROUNDS:
            continue
        summary = summarize(pd.concat(samples, ignore_index=True), baseline=BASELINE, bootstrap=400)
        widest = float((summary.ci_high_pct - summary.ci_low_pct).max())
        if progress:
            log(f"attnlib advise: {name}: {rounds} rounds, widest 95 % interval {widest:.1f} points")
        if widest <= request.width:
            reason = f"every 95 % interval narrower than {request.width:g} points after {rounds} rounds"
            return summary.assign(rounds=rounds), reason
        if time.monotonic() >= deadline:
            reason = (
                f"time budget spent after {rounds} rounds; widest 95 % interval {widest:.1f} points "
                f"(target {request.width:g})"
            )
            return summary.assign(rounds=rounds), reason
