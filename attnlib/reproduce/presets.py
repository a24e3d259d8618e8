"""The book's named latency sweeps: what ``attnlib bench --preset NAME`` runs.

Each preset is a list of experiments, each of which becomes one run record; ``--commit`` files them
under ``data/results/latency/``, where the latency chapters (Figs. 3–6) read them.

The ``gpu`` and ``gpu-compile`` presets are written for a lent GPU with minutes of time
(``--budget``): their experiments are in priority order, so that a budget cut loses the least —
``gpu`` first, with what every latency chapter needs on eager PyTorch and CUDA graphs, then
``gpu-compile``, the optimising engine, whose compilation costs tens of seconds per network. The
same ``--session`` joins both calls' records into one measurement. ``--dry-run`` runs the same steps
at a tiny size (:func:`dry_run`), to check a command on a CPU before the GPU's minutes are spent.

On a lent GPU (the ``device`` tool: 15 minutes in all, a start costs 1–2, keep 4 for a rerun), from
the working tree, with the commit named because the tree travels without ``.git`` history, one call
per preset (the second on the warm machine)::

    nvidia-smi; export PYTHONPATH=. PYTHONUNBUFFERED=1 ATTNLIB_GIT_COMMIT=<git rev-parse HEAD here>
    timeout -s INT 400 python3 -m attnlib.cli bench --preset gpu --budget 5.5 --session gpu-<date> \
        --output /tmp/gpu 2>&1 | tee $OUT/log.txt; tar -C /tmp/gpu -czf $OUT/records.tgz latency

then the same with ``--preset gpu-compile --budget 3.5`` and ``timeout -s INT 300``, followed in that
call by the training rates (``--session`` and ``--output`` as above)::

    python3 -m attnlib.cli bench train --model cifar_resnet56 --batch-size 128 --resolution 32 --device cuda \
        --amp --channels-last --trials 20
    python3 -m attnlib.cli bench train --model resnet50 --batch-size 256 --device cuda --amp --channels-last \
        --trials 10

(a tarball: only 8 files come back). Unpack into ``data/results/`` and commit the records; the budget stops new
groups, the ``timeout`` ends a compile that overruns it, and every experiment finished by then has
written its record.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import replace

import pandas as pd

from attnlib.attention import BASELINE, available
from attnlib.bench.engines import EngineOptions, engine_label
from attnlib.bench.experiment import Experiment
from attnlib.bench.latency import batch_groups, depth_groups, resolution_groups
from attnlib.bench.modules import module_variants
from attnlib.bench.zoo import zoo_groups
from attnlib.models import depth_from_model

DEPTHS = (18, 34, 50, 101, 152)
TABLE2_DEPTHS = (18, 50)  # the depths Table 2 prints: the optimising engine compiles these first


def gpu_preset() -> list[Experiment]:
    """Figs. 3, 5, 6, the module benchmark and the zoo on one CUDA GPU, in priority order (~4 minutes
    on an H100 by estimate; ``--budget`` guards it): every experiment a chapter shows, on eager PyTorch
    and CUDA graphs, so that nothing waits for a compiler.

    1. Fig. 3 (all depths) on eager fp32, eager + CUDA graphs fp32, eager fp16 and graphs fp16
       (TensorRT and ONNX Runtime are tried too, and named when they cannot run);
    2. the module benchmark (attnlib vs plain vs timm, ResNet-50), Fig. 5 (ResNet-50, ResNet-101 for
       reference, 64–1024²) and Fig. 6 (ResNet-18/50/152, batch 1–64) on eager fp32, then again on
       eager + CUDA graphs fp32;
    3. the attention zoo in eager fp32, and channels-last once, for ResNet-50 in fp16: faster or not.
    """
    fp32, fp16 = EngineOptions(device="cuda"), EngineOptions(device="cuda", precision="fp16")
    graphs32, graphs16 = replace(fp32, cuda_graphs=True), replace(fp16, cuda_graphs=True)
    depths = depth_groups(DEPTHS)
    modules = [(module_variants("resnet50", available()), 224, 1)]
    resolutions = resolution_groups((64, 128, 224, 320, 512, 768, 1024), depths=(50,))
    batches = batch_groups((1, 4, 16, 64), depths=(18, 50, 152))
    resnet50 = depth_groups((50,))
    # a lent GPU is one shot: a variant or group that fails is left out and named, the rest runs
    step = functools.partial(Experiment, keep_going=True)
    return [
        step("fig3_depth", depths, ("eager", "tensorrt", "onnxruntime"), fp32, trials=50),
        step("fig3_depth", depths, ("eager",), graphs32, trials=50),
        step("fig3_depth", depths, ("eager", "tensorrt"), fp16, trials=50),
        step("fig3_depth", depths, ("eager",), graphs16, trials=50),
        step("modules", modules, ("eager",), fp32, trials=50),
        step("fig5_resolution", resolutions, ("eager",), fp32, trials=30),
        step("fig6_batch", batches, ("eager",), fp32, trials=20),
        step("modules", modules, ("eager",), graphs32, trials=50),
        step("fig5_resolution", resolutions, ("eager",), graphs32, trials=30),
        step("fig6_batch", batches, ("eager",), graphs32, trials=20),
        # Beyond the paper: the paper's modules and timm's layers (attnlib.reproduce.zoo), eager fp32
        step("zoo", zoo_groups((18, 50), (1, 16)), ("eager",), fp32, trials=30),
        step("fig3_depth", resnet50, ("eager",), replace(fp16, channels_last=True), trials=50),
        step("fig3_depth", resnet50, ("eager",), replace(graphs16, channels_last=True), trials=50),
    ]


def gpu_compile_preset() -> list[Experiment]:
    """The optimising engine on one CUDA GPU: ``torch.compile`` (inductor), the stand-in for TensorRT
    (which cannot be installed here). Compilation costs tens of seconds per network, so this is a
    preset of its own, run after ``gpu`` with the same ``--session``, and only Table 2's depths
    (ResNet-50 first) are compiled:

    1. compile + CUDA graphs (attnlib captures the compiled network) in fp32, then fp16;
    2. on ResNet-50, the other modes: ``reduce-overhead`` (inductor's own CUDA graphs) and
       ``max-autotune-no-cudagraphs`` captured by attnlib — which is faster, the chapter shows.
    """
    fp32 = EngineOptions(device="cuda", cuda_graphs=True)
    table2 = depth_groups(TABLE2_DEPTHS[::-1])
    resnet50 = depth_groups((50,))
    modes = (
        replace(fp32, cuda_graphs=False, compile_mode="reduce-overhead"),
        replace(fp32, compile_mode="max-autotune-no-cudagraphs"),
    )
    step = functools.partial(Experiment, keep_going=True)  # as in gpu_preset
    return [
        step("fig3_depth", table2, ("compile",), fp32, trials=50),
        step("fig3_depth", table2, ("compile",), replace(fp32, precision="fp16"), trials=50),
        *(step("fig3_depth", resnet50, ("compile",), mode, trials=50) for mode in modes),
    ]


def cpu_preset(threads: int | None = None) -> list[Experiment]:
    """The CPU runs behind the committed records: eager and the optimising engines, Figs. 3, 5, 6."""
    options = EngineOptions(threads=threads)
    return [
        Experiment(
            "fig3_depth",
            depth_groups(DEPTHS),
            ("eager", "onnxruntime", "openvino"),
            options,
            trials=30,
            warmup=3,
        ),
        Experiment(
            "fig5_resolution",
            resolution_groups((64, 128, 224, 320, 448)),
            ("eager", "openvino"),
            options,
            trials=15,
            warmup=2,
        ),
        Experiment(
            "fig6_batch", batch_groups((1, 4, 16), depths=(18, 50)), ("eager", "openvino"), options, trials=10, warmup=2
        ),
    ]


PRESETS: dict[str, Callable[[], list[Experiment]]] = {
    "gpu": gpu_preset,
    "gpu-compile": gpu_compile_preset,
    "cpu": cpu_preset,
}


def dry_run(experiments: Sequence[Experiment], cuda: bool) -> list[Experiment]:
    """``experiments`` at a tiny size, to check a preset's command before a long or lent run.

    The same names, engines and order, but each experiment's group of the shallowest network only,
    its baseline and first module, at 32² and batch 1, 2 trials. Without ``cuda`` the CUDA-only
    options (device, fp16, CUDA graphs, compile modes) fall back to CPU fp32 (int8 stays int8) — the steps still build,
    check, time and record — and a step that thereby runs the same code as an earlier one (same
    record, engines and options) is run once.
    """
    small, seen = [], set()
    for experiment in experiments:
        variants, _, _ = min(experiment.groups, key=lambda group: depth_from_model(group[0][0].model))
        options = experiment.options
        if not cuda:
            precision = "int8" if options.precision == "int8" else "fp32"  # int8 is a CPU precision
            options = EngineOptions(channels_last=options.channels_last, threads=options.threads, precision=precision)
        tiny = replace(experiment, groups=[(list(variants[:2]), 32, 1)], options=options, trials=2, warmup=1)
        key = (tiny.name, tiny.engines, tiny.options)  # the network does not change the code a step runs
        if key not in seen:
            seen.add(key)
            small.append(tiny)
    return small


def step_title(experiment: Experiment) -> str:
    """One line naming an experiment: record name, engines with their options, precision, size."""
    engines = ", ".join(engine_label(engine, experiment.options) for engine in experiment.engines)
    return (
        f"{experiment.name}: {engines} ({experiment.options.device}, {experiment.options.precision}), "
        f"{len(experiment.groups)} group(s), {experiment.trials} trials"
    )


def table2_overview(summaries: Sequence[pd.DataFrame], depth: int = 50) -> tuple[str, pd.DataFrame]:
    """A sweep's one-screen table: from its Fig. 3 summaries (batch 1), ResNet-``depth`` (else the
    first network timed), one row per engine and precision — the baseline's ms (min) and each
    module's overhead % (min). Returns (the network's name, the table); empty when none was timed."""
    frames = [s for s in summaries if not s.empty and "experiment" in s.columns]
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["experiment"])
    data = data[data.experiment == "fig3_depth"]
    data = data[data.batch_size == 1]
    if data.empty:
        return "", pd.DataFrame()
    group = f"resnet{depth}" if (data.group == f"resnet{depth}").any() else str(data.group.iloc[0])
    data = data[data.group == group]
    resolution = 224 if (data.resolution == 224).any() else int(data.resolution.iloc[0])
    data = data[data.resolution == resolution]
    base = data[data.variant == BASELINE].set_index(["engine", "precision"]).min_ms.rename("baseline ms")
    overhead = data[data.variant != BASELINE].pivot_table(
        index=["engine", "precision"], columns="variant", values="overhead_min_pct", sort=False
    )
    title = f"{group}, {resolution}², batch 1: baseline ms (min) and overhead % (min) per module"
    return title, pd.concat([base, overhead.add_suffix(" %")], axis=1).round(2)
