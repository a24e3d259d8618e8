"""Latency experiments of Sect. 4.3: depth (Fig. 3), resolution (Fig. 5), batch size (Fig. 6).

A *group* is a set of networks compared in one interleaved timing run on one engine, resolution
and batch size — e.g. ResNet-50 with each module plus its baseline. The first variant of a group
is the baseline its overheads are relative to. Every variant is checked against eager fp32 before
it is timed.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from attnlib import build_model
from attnlib.attention import BASELINE, compared
from attnlib.bench.engines import (
    CUDA_FP32_MATH,
    EngineOptions,
    EngineUnavailable,
    cuda_math,
    engine_label,
    engine_status,
    thread_limit,
)
from attnlib.bench.timing import summarize, time_interleaved
from attnlib.bench.verify import prepare_verified
from attnlib.checks import require_non_negative, require_positive
from attnlib.models import BasicBlock, Bottleneck

log = logging.getLogger(__name__)

ALL_ATTENTIONS = compared()


@dataclass(frozen=True)
class Variant:
    """One network of a group: a model name and its attention module (``baseline``: none).

    ``factory`` (optional) builds the network instead of :func:`attnlib.build_model`, for modules
    that are not in the registry (timm's, the plain references).
    """

    model: str
    attention: str = BASELINE
    label: str | None = None
    factory: object = field(default=None, compare=False, repr=False)
    block: str | None = None  # CIFAR ResNets: basic or bottleneck (None: the model's own)
    in_channels: int = 3

    @property
    def name(self) -> str:
        return self.label or self.attention

    def build(self) -> nn.Module:
        """The network, initialised for benchmarking (see :func:`condition_for_benchmark`)."""
        if self.factory is not None:
            model = self.factory()
        else:
            options = {"block": self.block} if self.block else {}
            model = build_model(self.model, attention=self.attention, in_channels=self.in_channels, **options)
        return condition_for_benchmark(model)


def condition_for_benchmark(model: nn.Module, residual_scale: float = 0.2) -> nn.Module:
    """Scale each residual branch's last BatchNorm weight so a random deep ResNet stays well conditioned.

    With default initialisation the activations of a random ResNet-152 grow block after block, and
    engines that legitimately reorder floating-point sums then disagree with eager by more than
    rtol 1e-4 of the output. Timing does not depend on weight values (every kernel is dense), so we
    shrink the residual branches instead of loosening the check.
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, Bottleneck):
                module.bn3.weight.mul_(residual_scale)
            elif isinstance(module, BasicBlock):
                module.bn2.weight.mul_(residual_scale)
    return model


def group_label(engine: str, options: EngineOptions, model: str, resolution: int, batch_size: int) -> str:
    """How logs and a record's left-out list name one timing group."""
    return f"{engine_label(engine, options)} · {model} · {resolution}² · batch {batch_size}"


class BuiltModels:
    """Each variant's network built once and handed out as fresh copies.

    A sweep meets the same network at every resolution, batch size, precision and engine; building a
    ResNet-152 (random initialisation) takes ~0.6 s of CPU, copying it ~0.1 s. Engines move and convert
    their copy in place, so the kept one stays fp32 on the CPU.
    """

    def __init__(self) -> None:
        self._built: dict[Variant, nn.Module] = {}

    def __call__(self, variant: Variant) -> nn.Module:
        if variant not in self._built:
            self._built[variant] = variant.build().eval()
        return copy.deepcopy(self._built[variant])


@dataclass
class LatencyResult:
    """Summary (one row per variant and group), raw samples, and the engines skipped with reasons."""

    summary: pd.DataFrame
    samples: pd.DataFrame
    skipped: dict[str, str]


def measure_group(
    variants: Sequence[Variant],
    engine: str,
    resolution: int = 224,
    batch_size: int = 1,
    options: EngineOptions | None = None,
    trials: int = 100,
    warmup: int = 5,
    seed: int = 0,
    progress: bool = False,
    failures: dict[str, str] | None = None,
    models: Callable[[Variant], nn.Module] | None = None,
    deadline: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Time ``variants`` interleaved on one engine; overheads are relative to ``variants[0]``.

    Returns (summary, samples). Raises :class:`EngineUnavailable` if the engine cannot run here.
    With ``failures`` (a dict), a variant other than the baseline that the engine cannot prepare or
    run is left out of the group and its error kept there under ``"<engine> · <variant> · <group>"``
    (a third-party layer an engine miscompiles must not cost the rest of a long sweep); without it,
    the error is raised. ``models`` builds each variant's network (default: ``Variant.build``; a
    :class:`BuiltModels` shares the builds of a sweep). After ``deadline`` (``time.monotonic()``) no
    further module is prepared (compiling one can take a minute): the group is timed with those
    ready, and with ``failures`` the rest are named there.
    """
    options = options or EngineOptions()
    check_sizes(resolution, batch_size, trials, warmup)
    torch.manual_seed(seed)
    example = torch.randn(batch_size, variants[0].in_channels, resolution, resolution)
    calls = {}
    max_errors = {}
    name = engine_label(engine, options)
    label = group_label(engine, options, variants[0].model, resolution, batch_size)
    with thread_limit(options.threads), cuda_math(options):
        for variant in tqdm(variants, desc=f"prepare+check {label}", disable=not progress, leave=False):
            if calls and deadline is not None and time.monotonic() > deadline:
                if failures is not None:
                    failures[f"{name} · {variant.name} · {label}"] = "not prepared: the run's time budget was spent"
                continue
            try:
                model = (models or Variant.build)(variant).eval()
                prepared, max_errors[variant.name] = prepare_verified(engine, model, example, options)
            except EngineUnavailable:
                raise
            except Exception as error:
                if failures is None or variant is variants[0]:
                    raise
                lines = str(error).strip().splitlines() or [""]
                failures[f"{name} · {variant.name} · {label}"] = f"{type(error).__name__}: {lines[-1][:200]}"
                log.warning(
                    "left %s out of %s: %s", variant.name, label, failures[f"{name} · {variant.name} · {label}"]
                )
                continue
            calls[variant.name] = lambda prepared=prepared: prepared.run(prepared.example)
        samples = time_interleaved(calls, trials, warmup, options.device, seed, progress, description=f"time {label}")
    summary = summarize(samples, baseline=variants[0].name)
    by_name = {v.name: v for v in variants if v.name in calls}
    summary.insert(1, "model", summary.variant.map(lambda n: by_name[n].model))
    summary.insert(2, "attention", summary.variant.map(lambda n: by_name[n].attention))
    summary.insert(3, "group", variants[0].model)
    summary["block"] = summary.variant.map(lambda n: by_name[n].block or "")  # CIFAR ResNets: basic or bottleneck
    summary["max_abs_error_vs_eager"] = summary.variant.map(max_errors)
    context = {
        "engine": name,  # the engine with its options (engine_label): what figures and tables tell apart
        "device": options.device,
        "precision": options.precision,
        "channels_last": options.channels_last,
        "cuda_graphs": options.cuda_graphs,
        "compile_mode": options.compile_mode if engine == "compile" else None,
        "resolution": resolution,
        "batch_size": batch_size,
        "baseline": variants[0].name,  # a column: the name of the group's baseline variant
    }
    for key, value in context.items():
        summary[key] = value
        samples[key] = value
    return summary, samples


def run_groups(
    groups: Iterable[tuple[Sequence[Variant], int, int]],
    engines: Sequence[str],
    options: EngineOptions | None = None,
    trials: int = 100,
    warmup: int = 5,
    progress: bool = False,
    keep_going: bool = False,
    models: Callable[[Variant], nn.Module] | None = None,
    deadline: float | None = None,
) -> LatencyResult:
    """Run every (variants, resolution, batch size) group on every available engine.

    Engines that cannot run here are skipped, with the reason kept in ``skipped``. The CPU thread
    count is fixed for every engine: ``options.threads``, or all threads PyTorch uses by default.
    With ``keep_going`` a variant an engine fails on is left out of its group, the error kept in
    ``skipped`` (see :func:`measure_group`), and a group whose baseline fails is left out likewise.
    ``models`` builds the networks (default: each variant once per call). A group due to start after
    ``deadline`` (a ``time.monotonic()`` value: a lent machine's time budget) is not started;
    ``skipped`` names it. Each group's wall time is logged (INFO).
    """
    models = models or BuiltModels()
    options = options or EngineOptions()
    options = options.with_fixed_threads()
    groups = list(groups)
    for _, resolution, batch_size in groups:
        check_sizes(resolution, batch_size, trials, warmup)
    summaries, samples, skipped = [], [], {}
    for engine in engines:
        ok, reason = engine_status(engine, options)
        if not ok:
            skipped[engine_label(engine, options)] = reason
            log.warning("skipping engine %s: %s", engine_label(engine, options), reason)
            continue
        for variants, resolution, batch_size in groups:
            label = group_label(engine, options, variants[0].model, resolution, batch_size)
            if deadline is not None and time.monotonic() > deadline:
                skipped[label] = "not started: the run's time budget was spent"
                log.warning("not started (time budget spent): %s", label)
                continue
            began = time.monotonic()
            try:
                summary, raw = measure_group(
                    variants,
                    engine,
                    resolution,
                    batch_size,
                    options,
                    trials,
                    warmup,
                    progress=progress,
                    failures=skipped if keep_going else None,
                    models=models,
                    deadline=deadline,
                )
            except EngineUnavailable as error:
                skipped[engine_label(engine, options)] = str(error)
                break
            except Exception as error:  # the baseline itself failed: with keep_going, the next group runs
                if not keep_going:
                    raise
                lines = str(error).strip().splitlines() or [""]
                skipped[label] = f"group left out: {type(error).__name__}: {lines[-1][:200]}"
                log.warning("left out %s: %s", label, skipped[label])
                continue
            for variant in variants:
                key = f"{engine_label(engine, options)} · {variant.name} · {label}"
                if variant.name not in set(summary.variant) and key not in skipped:
                    skipped[key] = "not prepared: the run's time budget was spent"
            log.info("%s: %d networks in %.1f s", label, summary.variant.nunique(), time.monotonic() - began)
            summaries.append(summary)
            samples.append(raw)
    empty = pd.DataFrame()
    return LatencyResult(
        pd.concat(summaries, ignore_index=True) if summaries else empty,
        pd.concat(samples, ignore_index=True) if samples else empty,
        skipped,
    )


def check_sizes(resolution: int, batch_size: int, trials: int, warmup: int) -> None:
    """One clear error for sizes no timing run can use (before any network is built)."""
    for name, value in (("resolution", resolution), ("batch_size", batch_size), ("trials", trials)):
        require_positive(name, value)
    require_non_negative("warmup", warmup)


def depth_groups(
    depths: Iterable[int], attentions: Sequence[str] = ALL_ATTENTIONS, resolution: int = 224, batch_size: int = 1
) -> list[tuple[list[Variant], int, int]]:
    """Fig. 3: for each depth, the baseline and every module, at one resolution and batch size."""
    return [([Variant(f"resnet{d}", a) for a in _baseline_first(attentions)], resolution, batch_size) for d in depths]


DEEPER = {18: 34, 34: 50, 50: 101, 101: 152}


def resolution_groups(
    resolutions: Iterable[int],
    depths: Iterable[int] = (50,),
    attentions: Sequence[str] = ALL_ATTENTIONS,
    deeper_reference: bool = True,
) -> list[tuple[list[Variant], int, int]]:
    """Fig. 5: per depth and resolution, the network with every module and (for reference) the next
    deeper baseline (ResNet-101 for ResNet-50, as in the paper)."""
    groups = []
    for depth in depths:
        variants = [Variant(f"resnet{depth}", a) for a in _baseline_first(attentions)]
        if deeper_reference and depth in DEEPER:
            variants.append(Variant(f"resnet{DEEPER[depth]}", BASELINE, label=f"resnet{DEEPER[depth]}"))
        groups += [(variants, r, 1) for r in resolutions]
    return groups


def batch_groups(
    batch_sizes: Iterable[int],
    depths: Iterable[int] = (18, 50, 152),
    attentions: Sequence[str] = ALL_ATTENTIONS,
    resolution: int = 224,
) -> list[tuple[list[Variant], int, int]]:
    """Fig. 6: per depth and batch size, the baseline and every module."""
    return [
        ([Variant(f"resnet{d}", a) for a in _baseline_first(attentions)], resolution, b)
        for d in depths
        for b in batch_sizes
    ]


def _baseline_first(attentions: Sequence[str]) -> list[str]:
    rest = [a for a in attentions if a != BASELINE]
    return [BASELINE, *rest]


def options_record(options: EngineOptions, engines: Sequence[str]) -> dict[str, object]:
    """Options and engine versions for a run record's provenance."""
    versions = {engine: engine_status(engine, options)[1] for engine in engines}
    math = {"fp32_math": CUDA_FP32_MATH} if options.device == "cuda" else {}
    return {**asdict(options), "engine_versions": versions, **math}
