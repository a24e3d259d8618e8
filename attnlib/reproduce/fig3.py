"""Fig. 3 and Table 2's timing columns — latency against depth (Sect. 4.3.1).

ResNet-18 … 152, each with every module, batch 1, 224²; the paper's statements checked on a sweep.
"""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.attention import BASELINE, display_name
from attnlib.bench.latency import depth_groups
from attnlib.models import depth_from_model
from attnlib.names import label_words, setting_words
from attnlib.plots import collapsed_table, plot_latency_vs_depth, show_figure
from attnlib.profiles import PerProfile
from attnlib.reproduce.common import reduced_protocol_warning
from attnlib.reproduce.latency import (
    LatencySettings,
    best_engine,
    by_setting,
    guarded_conclusions,
    overhead_table,
    paper_device,
    paper_engines,
    paper_precisions,
    setting_name,
)

EXPERIMENT = "fig3_depth"

SETTINGS: PerProfile[LatencySettings] = PerProfile(
    # smoke: the page's pipeline in seconds (the engines themselves are tested in tests/test_bench.py)
    smoke=LatencySettings(("eager",), trials=3, warmup=1, depths=(18,), resolutions=(64,)),
    default=LatencySettings(("eager", "openvino"), trials=6, warmup=1, depths=(18, 50)),
    paper=lambda: LatencySettings(
        paper_engines(), trials=1000, warmup=20, device=paper_device(), precisions=paper_precisions()
    ),
)


def page_warning(profile: str, settings: LatencySettings, hardware: str) -> str | None:
    """The loud warning over this machine's measurement when it is not the paper's protocol."""
    return reduced_protocol_warning(profile, hardware, f"{settings.trials} trials per network")


def groups(settings: LatencySettings):
    """The sweep's groups: per depth, the baseline and every module."""
    return depth_groups(settings.depths)


def table2_latency(summary: pd.DataFrame, table2: pd.DataFrame, engine: str | None) -> pd.DataFrame:
    """Table 2's timing columns (ResNet-18/50) beside ours: absolute ms (min) and overhead %.

    Paper: PyTorch and TensorRT on an RTX 2080 Ti, fp32, batch 1, 224², min of 1000 trials.
    Ours: eager and ``engine`` (the best optimising engine that ran) on this record's hardware, in
    fp32 and — where the record has it (GPU) — fp16 (the paper's Fig. 3c precision).
    """
    paper = table2.assign(
        paper_pytorch_overhead_pct=lambda t: (
            100 * (t.pytorch_ms / t.groupby("depth").pytorch_ms.transform("first") - 1)
        ),
        paper_tensorrt_overhead_pct=lambda t: (
            100 * (t.tensorrt_ms / t.groupby("depth").tensorrt_ms.transform("first") - 1)
        ),
    )
    ours = summary[(summary.resolution == 224) & (summary.batch_size == 1)]
    ours = ours.assign(depth=ours.model.map(depth_from_model), module=ours.attention)
    settings = [
        (setting_name(name, precision), name, precision)
        for name in ("eager", engine)
        for precision in ("fp32", "fp16")
        if name is not None and ((ours.engine == name) & (ours.precision == precision)).any()
    ] or [("eager", "eager", "fp32")]
    rows = []
    for item in paper.itertuples():
        row = {
            "ResNet": item.depth,
            "module": display_name(item.module),
            "paper PyTorch ms": item.pytorch_ms,
            "paper PyTorch %": item.paper_pytorch_overhead_pct,
            "paper TensorRT ms": item.tensorrt_ms,
            "paper TensorRT %": item.paper_tensorrt_overhead_pct,
        }
        for label, name, precision in settings:
            match = ours[
                (ours.engine == name)
                & (ours.precision == precision)
                & (ours.depth == item.depth)
                & (ours.module == item.module)
            ]
            row[f"ours {setting_words(label)} ms"] = float(match.min_ms.iloc[0]) if len(match) else float("nan")
            row[f"ours {setting_words(label)} %"] = (
                float(match.overhead_min_pct.iloc[0]) if len(match) else float("nan")
            )
        rows.append(row)
    return pd.DataFrame(rows)


def engine_floor(summary: pd.DataFrame) -> pd.DataFrame:
    """How far each engine takes the baseline ResNet below eager fp32: per depth, the baseline's
    minimum time (ms) on every engine and precision of the record, and its speed-up over eager fp32."""
    base = by_setting(summary[(summary.variant == BASELINE) & (summary.batch_size == 1)])
    base = base.assign(depth=base.model.map(depth_from_model))
    times = base.pivot_table(index="depth", columns="engine", values="min_ms", sort=False)
    if "eager" not in times.columns:
        return times.round(2)
    speedup = times.rdiv(times["eager"], axis=0).add_suffix(" ×")  # eager fp32 ms / this setting's ms
    order = [c for pair in zip(times.columns, speedup.columns, strict=True) for c in pair]
    return pd.concat([times.round(3), speedup.round(2)], axis=1)[order]


def depth_conclusions(summary: pd.DataFrame, engine: str | None) -> pd.DataFrame:
    """The paper's Fig. 3 / Table 2 statements, checked on this run's measurements; ``claim`` is the
    statement's key in ``data/paper/figure_claims.csv`` / ``text_claims.csv`` (the scorecard reads it)."""
    data = summary[(summary.precision == "fp32") & (summary.batch_size == 1)].copy()
    data["depth"] = data.model.map(depth_from_model)
    rows = []

    def cheapest(engine_name: str) -> list[str]:
        part = data[(data.engine == engine_name) & (data.variant != BASELINE)]
        return [f"R{d}: {display_name(g.sort_values('min_ms').variant.iloc[0])}" for d, g in part.groupby("depth")]

    eager_cheapest = cheapest("eager")
    rows.append(
        {
            "claim": "ab_cheapest_eager",
            "paper says": "AB has the smallest overhead in PyTorch (Table 2, Fig. 3a)",
            "here (eager)": "cheapest module per depth: " + ", ".join(eager_cheapest),
            "holds": all(item.endswith(": AB") for item in eager_cheapest),
        }
    )
    eager = data[data.engine == "eager"].set_index(["depth", "variant"]).min_ms
    if (18, "multise") in eager.index and (50, BASELINE) in eager.index:
        rows.append(
            {
                "claim": "multise_r18_slower_than_r50",
                "paper says": "ResNet-18 + Multi-SE is slower than baseline ResNet-50 in PyTorch",
                "here (eager)": f"{eager[(18, 'multise')]:.1f} ms vs {eager[(50, 'baseline')]:.1f} ms",
                "holds": bool(eager[(18, "multise")] > eager[(50, BASELINE)]),
            }
        )
    if engine is not None:
        optimised = data[data.engine == engine].set_index(["depth", "variant"])
        eager_full = data[data.engine == "eager"].set_index(["depth", "variant"])
        common = optimised.index.intersection(eager_full.index)
        speedup = eager_full.loc[common, "min_ms"] / optimised.loc[common, "min_ms"]
        mean_overhead_opt = optimised.loc[common].query("variant != 'baseline'").overhead_min_pct.mean()
        mean_overhead_eager = eager_full.loc[common].query("variant != 'baseline'").overhead_min_pct.mean()
        rows.append(
            {
                "claim": "optimiser_reduces_overhead",
                "paper says": "The optimising engine cuts total time 2-4× and reduces the relative overhead",
                "here (eager)": f"{label_words(engine)}: {speedup.min():.1f}-{speedup.max():.1f}× faster; mean "
                f"module overhead {mean_overhead_eager:.1f} % (eager PyTorch) vs {mean_overhead_opt:.1f} % "
                f"({label_words(engine)})",
                "holds": bool(speedup.min() >= 2 and mean_overhead_opt < mean_overhead_eager),
            }
        )
        part = optimised.loc[common].reset_index()
        ab = part[part.variant == "ab"].set_index("depth").overhead_min_pct
        eca = part[part.variant == "eca"].set_index("depth").overhead_min_pct
        if len(ab) and len(eca):
            gap = (eca - ab).abs()
            rows.append(
                {
                    "claim": "eca_close_to_ab_optimised",
                    "paper says": "After optimisation ECA costs nearly the same as AB (Fig. 4)",
                    "here (eager)": (
                        f"|ECA − AB| overhead with {label_words(engine)}: {gap.min():.1f}-{gap.max():.1f} points"
                    ),
                    "holds": bool(gap.max() <= 2.0),
                }
            )
    rows += fp16_conclusions(summary, engine)
    overheads = data[data.variant != BASELINE].overhead_min_pct
    rows.append(
        {
            "claim": "inference_time_increase",
            "paper says": "Inference time grows 5-50 % while FLOPs grow 0.2-3 %",
            "here (eager)": f"all engines and depths: {overheads.min():.1f} to {overheads.max():.1f} %",
            "holds": bool(overheads.max() > 3),
        }
    )
    return pd.DataFrame(rows).rename(columns={"here (eager)": "here"})


def fp16_conclusions(summary: pd.DataFrame, engine: str | None) -> list[dict]:
    """Fig. 3c's statement — modules cost relatively more in 16-bit than in 32-bit — on each engine
    the record timed in both (a GPU record). The paper's figure is TensorRT's, so the optimising
    engine's row carries the claim; eager's is shown beside it, not scored."""
    data = summary[(summary.batch_size == 1) & (summary.variant != BASELINE)]
    data = data.assign(depth=data.model.map(depth_from_model))
    rows = []
    for name in ("eager", engine):
        part = data[data.engine == name] if name else data.iloc[:0]
        mean = part.pivot_table(index="depth", columns="precision", values="overhead_min_pct")
        if not {"fp16", "fp32"} <= set(mean.columns):
            continue
        mean = mean.dropna()
        rows.append(
            {
                "claim": "fp16_higher_overhead" if name == engine else "",
                "paper says": "In 16-bit the relative overhead of modules is higher than in 32-bit (Fig. 3c)",
                "here (eager)": f"{name}: mean module overhead fp32 → fp16 per depth: "
                + ", ".join(f"R{d} {r.fp32:.1f} → {r.fp16:.1f} %" for d, r in mean.iterrows()),
                "holds": bool((mean.fp16 > mean.fp32).all()),
            }
        )
    return rows


def show(summary: pd.DataFrame, hardware: str, where: str) -> None:
    """Fig. 3, the overhead table, Table 2's timing columns, the engines' floor and the checked
    conclusions of one sweep."""
    engine = best_engine(summary)
    best = label_words(engine) if engine else "none ran"
    display(Markdown(f"Best optimising engine (fastest fp32 baseline): **{best}**."))
    on_gpu = "device" in summary.columns and (summary.device == "cuda").any()
    if on_gpu:
        display(Markdown(TENSORRT_STAND_IN))
    show_figure(
        plot_latency_vs_depth(summary, hardware),
        "Fig. 3 of the paper, remeasured. Inference time (minimum of the trials, batch 1, 224²) of "
        f"ResNets with each attention module against depth, per engine and precision — {where}.",
    )
    display(collapsed_table(overhead_table(summary), "Overhead of each module over its baseline (%, minimum)"))
    table2 = table2_latency(summary, paper.load("table2"), engine)
    display(
        collapsed_table(
            table2.round(2).style.format(precision=2, na_rep="not measured").hide(axis="index"),
            "Table 2, timing columns — paper (RTX 2080 Ti) beside these measurements",
            rows=len(table2),
        )
    )
    display(
        collapsed_table(
            engine_floor(summary),
            "The engines' floor: the baseline's minimum time (ms) per engine and its speed-up over eager fp32",
        )
    )
    for verdict in option_verdicts(summary):
        display(Markdown(verdict))
    display(Markdown("Which of the paper's conclusions hold here?"))
    display(guarded_conclusions(depth_conclusions(summary, engine), summary, where))


def option_verdicts(summary: pd.DataFrame, depth: int = 50) -> list[str]:
    """Sentences on the options a GPU record tried once, on ResNet-``depth``'s baseline (fp32 unless
    said): which ``torch.compile`` mode was fastest, and whether channels-last (NHWC) beat the default
    layout on the same engine and precision. Empty when the record tried neither."""
    base = summary[(summary.variant == BASELINE) & (summary.batch_size == 1)]
    base = base[base.model == f"resnet{depth}"].set_index(["engine", "precision"]).min_ms
    verdicts = []
    modes = base[[e.startswith("compile") for e, _ in base.index]]
    modes = modes[[p == "fp32" for _, p in modes.index]].sort_values()
    if len(modes) > 1:
        times = ", ".join(f"{e} {ms:.3f} ms" for (e, _), ms in modes.items())
        verdicts.append(
            f"`torch.compile` modes on ResNet-{depth} (fp32 baseline, min): {times} — fastest: **{modes.index[0][0]}**."
        )
    for (engine, precision), ms in base.items():
        if engine.endswith("+NHWC") and (engine.removesuffix("+NHWC"), precision) in base.index:
            plain = base[(engine.removesuffix("+NHWC"), precision)]
            verdict = "faster" if ms < plain else "not faster"
            verdicts.append(
                f"Channels-last on ResNet-{depth} ({engine.removesuffix('+NHWC')}, {precision}): {ms:.3f} ms vs "
                f"{plain:.3f} ms in the default layout — **{verdict}** ({100 * (ms / plain - 1):+.1f} %)."
            )
    return verdicts


def train_step_table(record: pd.DataFrame) -> pd.DataFrame:
    """A ``bench train`` record as one table: per network, batch and precision, each module's training
    step (ms, min), its overhead over the baseline's step (%) and the achieved TMAC/s."""
    shown = record.assign(Module=record.variant.map(display_name))
    shown = shown.rename(
        columns={"min_ms": "step ms (min)", "overhead_min_pct": "overhead %", "images_per_s": "images/s"}
    )
    columns = ["model", "batch_size", "precision", "Module", "step ms (min)", "overhead %", "images/s", "tmacs"]
    return shown[columns].rename(columns={"tmacs": "TMAC/s", "batch_size": "batch"}).round(2)


TENSORRT_STAND_IN = (
    "*TensorRT cannot be installed where this book is built (its PyPI packages are stubs that download "
    "from NVIDIA), so the paper's TensorRT columns are compared with the fastest optimising engine that "
    "ran — `torch.compile` and/or CUDA graphs — a stand-in, not TensorRT.*"
)
