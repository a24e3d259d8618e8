"""``attnlib bench train``: what a module costs in training — full SGD steps, timed interleaved.

The paper times inference only. A training step (forward, loss, backward, optimiser step, with the
paper profile's AMP and channels-last on a GPU) is what a reproduction's GPU-hours are made of: the
overhead of each module there, and the achieved rate in tera-MACs per second, which
``attnlib reproduce --plan`` shows beside its stated ``--tmacs`` assumption.

Inputs are random tensors already on the device, so data loading is **not** included (a real epoch
is at most this fast). The rate counts 3 × forward MACs per image (the planner's convention: backward
costs about twice the forward), exact convention.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from attnlib.arithmetic import forward_autocast, step_convolutions
from attnlib.attention import attention_or_none
from attnlib.bench.engines import EngineOptions, cuda_math, thread_limit
from attnlib.bench.latency import BuiltModels, Variant, check_sizes, options_record
from attnlib.bench.timing import summarize, time_interleaved
from attnlib.names import TrainingSetting

EXPERIMENT = "train_step"
SETTINGS_EXPERIMENT = "train_settings"


CPU_SETTINGS = tuple(
    TrainingSetting.parse(text)
    for text in ("fp32", "bf16", "bf16+channels_last", "bf16+channels_last+compile", "bf16+fp32_conv+channels_last")
)
"""What ``attnlib bench train --settings`` compares by default on a CPU with native bf16 (AMX, AVX-512 BF16)."""

NO_BF16_CPU_SETTINGS = tuple(
    TrainingSetting.parse(text)
    for text in ("fp32", "fp32+channels_last", "bf16+fp32_conv", "bf16+fp32_conv+channels_last")
)
"""What it compares on a CPU without native bf16: its own bf16 kernels are 6–10× slower than fp32 there
(measured, the committed record of 2026-12-06), so bf16 runs with fp32 convolution kernels
(:mod:`attnlib.arithmetic`), set against fp32 with and without channels_last."""


def cpu_settings(features: list[str]) -> tuple[TrainingSetting, ...]:
    """The settings ``--settings campaign`` compares on a CPU with ``features``."""
    from attnlib.provenance import has_native_bf16

    return CPU_SETTINGS if has_native_bf16(features) else NO_BF16_CPU_SETTINGS


def train_step(
    model: nn.Module,
    batch_size: int,
    resolution: int,
    options: EngineOptions,
    amp: bool,
    setting: TrainingSetting | None = None,
) -> Callable[[], None]:
    """One SGD step of ``model`` (momentum 0.9, weight decay 1e-4, as the paper trains) on a fixed
    random batch placed as ``options`` say; with ``amp``, fp16 autocast and a gradient scaler (CUDA);
    with ``setting``, its precision, memory layout and compilation (``options.channels_last`` ignored)."""
    if amp and options.device != "cuda":
        raise ValueError("--amp (fp16 autocast) is measured on CUDA only")
    channels_last = setting.channels_last if setting is not None else options.channels_last
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.train().to(device=options.device, memory_format=memory_format)
    network = torch.compile(model) if setting is not None and setting.compile else model
    channels = getattr(model, "in_channels", 3)  # grayscale networks (Fashion-MNIST) take one channel
    images = torch.randn(batch_size, channels, resolution, resolution, device=options.device)
    images = images.contiguous(memory_format=memory_format)
    labels = torch.randint(0, model.fc.out_features, (batch_size,), device=options.device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    loss_function = nn.CrossEntropyLoss()

    precision = setting.precision if setting is not None else "fp32"
    convolutions = "fp32" if setting is not None and setting.fp32_conv else "native"
    autocast_device = "cuda" if amp else options.device

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with step_convolutions(precision, convolutions):
            with forward_autocast(autocast_device, precision, fp16=amp):
                loss = loss_function(network(images), labels)
            scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    return step


def measure_train_steps(
    variants: Sequence[Variant],
    batch_size: int,
    resolution: int,
    options: EngineOptions | None = None,
    amp: bool = False,
    trials: int = 20,
    warmup: int = 3,
    models: Callable[[Variant], nn.Module] | None = None,
    in_channels: int = 3,
) -> pd.DataFrame:
    """Time a training step of each variant, interleaved; overheads relative to ``variants[0]``.

    ``models`` builds each variant (default :class:`BuiltModels`); ``in_channels`` is the networks'
    input channels, for counting their MACs (1 for the grayscale Fashion-MNIST networks).

    Returns :func:`~attnlib.bench.timing.summarize`'s columns plus the setting, ``images_per_s``
    (batch / minimum step time), ``tmacs`` (3 × forward MACs per image × images/s, in 10¹²/s) and
    the machine's load while timing (:func:`~attnlib.machine_load.with_load`: other processes' share of
    the CPUs and the load averages, columns that survive ``pd.concat``).
    """
    from attnlib.complexity import count_model

    options = (options or EngineOptions()).with_fixed_threads()
    check_sizes(resolution, batch_size, trials, warmup)
    build = models or BuiltModels()
    torch.manual_seed(0)
    from attnlib.machine_load import watching_load, with_load

    with thread_limit(options.threads), cuda_math(options):
        steps = {v.name: train_step(build(v), batch_size, resolution, options, amp) for v in variants}
        with watching_load() as load:
            samples = time_interleaved(steps, trials, warmup, options.device, description="train steps")
    summary = summarize(samples, baseline=variants[0].name)
    by_name = {v.name: v for v in variants}
    macs = {
        v.name: count_model(
            v.model,
            attention_or_none(v.attention),
            input_size=(1, in_channels, resolution, resolution),
            convention="exact",
            in_channels=in_channels,
            **({"block": v.block} if v.block else {}),
        ).macs
        for v in variants
    }
    summary.insert(1, "model", summary.variant.map(lambda n: by_name[n].model))
    summary.insert(2, "attention", summary.variant.map(lambda n: by_name[n].attention))
    summary.insert(3, "group", variants[0].model)
    summary["block"] = summary.variant.map(lambda n: by_name[n].block or "")  # CIFAR ResNets: basic or bottleneck
    summary["images_per_s"] = batch_size / (summary.min_ms / 1000)
    summary["gmacs_per_image"] = summary.variant.map(macs) / 1e9
    summary["tmacs"] = 3 * summary.gmacs_per_image * 1e9 * summary.images_per_s / 1e12
    context = {
        "engine": "eager+amp" if amp else "eager",
        "device": options.device,
        "precision": "amp fp16" if amp else "fp32",
        "channels_last": options.channels_last,
        "resolution": resolution,
        "batch_size": batch_size,
        "baseline": variants[0].name,
    }
    return with_load(summary.assign(**context), load)  # how busy the machine was while timing: the record keeps it


def measure_training_settings(
    variants: Sequence[Variant],
    settings: Sequence[TrainingSetting] = CPU_SETTINGS,
    batch_size: int = 128,
    resolution: int = 28,
    options: EngineOptions | None = None,
    trials: int = 20,
    warmup: int = 3,
) -> pd.DataFrame:
    """Time a training step of every variant in every setting, all interleaved in one run.

    Each network's rate in each setting is set against the same network in ``settings[0]`` (fp32):
    ``speedup_min`` and ``speedup_median`` are that setting's images per second over fp32's. The
    compiled steps are compiled (and warmed up) before any timing starts.

    Returns one row per variant and setting: ``network``, ``attention``, ``setting``, ``min_ms``,
    ``median_ms``, ``images_per_s`` (batch / median step), ``speedup_min``, ``speedup_median``, and
    the machine's load while timing (:func:`~attnlib.machine_load.with_load`).
    """
    from attnlib.machine_load import watching_load, with_load
    from attnlib.names import network_words

    options = (options or EngineOptions()).with_fixed_threads()
    check_sizes(resolution, batch_size, trials, warmup)
    if not settings:
        raise ValueError("measure at least one training setting")
    torch.manual_seed(0)
    keys = {}
    with thread_limit(options.threads):
        steps = {}
        for variant in variants:
            for setting in settings:
                key = f"{variant.model}/{variant.block}/{variant.name} · {setting.name}"
                keys[key] = (variant, setting)
                steps[key] = train_step(variant.build(), batch_size, resolution, options, False, setting)
        with watching_load() as load:
            samples = time_interleaved(steps, trials, max(warmup, 1), options.device, description="train settings")
    summary = summarize(samples)
    rows = []
    for row in summary.itertuples():
        variant, setting = keys[row.variant]
        rows.append(
            {
                "network": network_words(variant.model, variant.block, cifar=False),
                "model": variant.model,
                "block": variant.block,
                "attention": variant.attention,
                "setting": setting.name,
                "precision": setting.precision,
                "channels_last": setting.channels_last,
                "compile": setting.compile,
                "min_ms": row.min_ms,
                "median_ms": row.median_ms,
                "images_per_s": batch_size / (row.median_ms / 1000),
                "images_per_s_best": batch_size / (row.min_ms / 1000),
            }
        )
    table = pd.DataFrame(rows)
    first = table[table.setting == settings[0].name].set_index(["model", "block", "attention"])
    index = pd.MultiIndex.from_frame(table[["model", "block", "attention"]])
    table["speedup_median"] = table.images_per_s.to_numpy() / first.images_per_s.reindex(index).to_numpy()
    table["speedup_min"] = table.images_per_s_best.to_numpy() / first.images_per_s_best.reindex(index).to_numpy()
    table = _as_latency_columns(table)
    context = {"device": options.device, "resolution": resolution, "batch_size": batch_size, "threads": options.threads}
    return with_load(table.assign(**context), load)


def _as_latency_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The columns every latency record has: the timing group (network), the engine, the variant (module and
    setting) and the step time over the same network in the first setting (minima, %)."""
    first = table.groupby(["model", "block", "attention"], sort=False, dropna=False).min_ms.transform("first")
    return table.assign(
        group=table.model,
        engine="eager",
        variant=table.attention + " · " + table.setting,
        overhead_min_pct=100 * (table.min_ms / first - 1),
    )


def measured_rates(records: pd.DataFrame) -> pd.DataFrame:
    """From committed ``train_step`` records: per hardware, network and setting, the baseline's
    achieved training rate (TMAC/s) and images per second — what ``--tmacs`` can be set to."""
    if records.empty:
        return pd.DataFrame(columns=["hardware", "model", "batch_size", "precision", "images_per_s", "tmacs"])
    baselines = records[records.variant == records.baseline]
    return (
        baselines[["hardware", "model", "batch_size", "precision", "images_per_s", "tmacs"]]
        .drop_duplicates(subset=["hardware", "model", "batch_size", "precision"], keep="last")
        .reset_index(drop=True)
    )


def record_train_steps(
    summary: pd.DataFrame,
    profile: str,
    options: EngineOptions,
    trials: int,
    warmup: int,
    root: Path | None = None,
    committed: bool = False,
    session: str | None = None,
    experiment: str = EXPERIMENT,
) -> Path:
    """Write a ``train_step`` summary as a run record (``data/runs/latency``, or ``data/results``
    with ``committed``), with the provenance every latency record has; returns the CSV path."""
    from attnlib.machine_load import table_load
    from attnlib.provenance import provenance
    from attnlib.results import write_record

    record = provenance(
        profile,
        experiment=experiment,
        protocol="bench train (random batches on the device: data loading not included)",
        trials=trials,
        warmup=warmup,
        machine_load=table_load(summary),
        **({"session": session} if session else {}),
        **options_record(options.with_fixed_threads(), ("eager",)),
    )
    table = summary.assign(experiment=experiment)
    return write_record("latency", f"{experiment}-{options.device}", table, record, root, committed=committed)
