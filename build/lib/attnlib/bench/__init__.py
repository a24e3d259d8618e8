"""Benchmarking: engines, interleaved timing, the latency sweeps of Sect. 4.3 and run records."""

from attnlib.bench.engines import ENGINES, EngineOptions, EngineUnavailable, engine_status, prepare
from attnlib.bench.latency import (
    LatencyResult,
    Variant,
    batch_groups,
    depth_groups,
    measure_group,
    resolution_groups,
    run_groups,
)
from attnlib.bench.timing import summarize, time_interleaved

__all__ = [
    "ENGINES",
    "EngineOptions",
    "EngineUnavailable",
    "LatencyResult",
    "Variant",
    "batch_groups",
    "depth_groups",
    "engine_status",
    "measure_group",
    "prepare",
    "resolution_groups",
    "run_groups",
    "summarize",
    "time_interleaved",
]
