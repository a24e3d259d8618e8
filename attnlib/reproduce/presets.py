"""The book's named latency sweeps: what ``attnlib bench --preset NAME`` runs.

Each preset is a list of experiments, each of which becomes one run record; ``--commit`` files them
under ``data/results/latency/``, where the latency chapters (Figs. 3–6) read them.
"""

from __future__ import annotations

from collections.abc import Callable

from attnlib.bench.engines import EngineOptions
from attnlib.bench.experiment import Experiment
from attnlib.bench.latency import batch_groups, depth_groups, resolution_groups
from attnlib.bench.zoo import zoo_groups


def gpu_preset() -> list[Experiment]:
    """Figs. 3, 5, 6 on one CUDA GPU in a few minutes: eager fp32/fp16 and CUDA graphs (+TensorRT if present),
    and the attention zoo (Beyond the paper) in eager fp32."""
    fp32 = EngineOptions(device="cuda")
    fp16 = EngineOptions(device="cuda", precision="fp16")
    graphs = EngineOptions(device="cuda", cuda_graphs=True)
    depths = depth_groups((18, 34, 50, 101, 152))
    resolutions = resolution_groups((64, 128, 224, 320, 512, 768, 1024), depths=(50, 18))
    batches = batch_groups((1, 2, 4, 8, 16, 32, 64))
    return [
        Experiment("fig3_depth", depths, ("eager", "tensorrt", "onnxruntime"), fp32, trials=200),
        Experiment("fig3_depth", depths, ("eager",), fp16, trials=200),
        Experiment("fig3_depth", depths, ("eager",), graphs, trials=200),
        Experiment("fig5_resolution", resolutions, ("eager",), fp32, trials=50),
        Experiment("fig5_resolution", resolutions, ("eager",), graphs, trials=50),
        Experiment("fig6_batch", batches, ("eager",), fp32, trials=30),
        Experiment("fig6_batch", batches, ("eager",), graphs, trials=30),
        # Beyond the paper: the paper's modules and timm's layers (attnlib.reproduce.zoo), eager fp32
        Experiment("zoo", zoo_groups((18, 50), (1, 16)), ("eager",), fp32, trials=50),
    ]


def cpu_preset(threads: int | None = None) -> list[Experiment]:
    """The CPU runs behind the committed records: eager and the optimising engines, Figs. 3, 5, 6."""
    options = EngineOptions(threads=threads)
    return [
        Experiment(
            "fig3_depth",
            depth_groups((18, 34, 50, 101, 152)),
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


PRESETS: dict[str, Callable[[], list[Experiment]]] = {"gpu": gpu_preset, "cpu": cpu_preset}
