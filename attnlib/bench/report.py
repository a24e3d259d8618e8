"""What the latency notebooks show: profile settings, paper comparisons and checked conclusions.

Kept here so that the notebooks only call and plot.

The chapters' headline figures, tables and conclusion checks come from committed, carefully
measured run records (labelled with their hardware). The measurement made while building the book
goes below them as "this machine, now", and its conclusions are shown only when
:func:`measurement_problems` finds it quiet enough to support them; otherwise the page says which
checks failed and withholds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd
import torch

from attnlib.attention import display_name
from attnlib.bench.engines import EngineOptions, engine_status
from attnlib.models import depth_from_model

OPTIMISING_ENGINES = ("tensorrt", "openvino", "onnxruntime", "compile")

# Limits of the noise check (see measurement_problems).
MAX_BASELINE_SPREAD_PCT = 25.0  # IQR / median of the baseline's trials (quiet 2-core runs: 5-15 %)
MIN_CREDIBLE_OVERHEAD_PCT = -2.0  # a module adds work: an overhead whose whole CI lies below this is noise
MACS_RATIO_FOR_ORDER = 1.4  # a network with >= 1.4x the MACs must not be measured faster


@dataclass(frozen=True)
class LatencySettings:
    """Sweep sizes for one notebook at one profile."""

    engines: tuple[str, ...]
    trials: int
    warmup: int
    depths: tuple[int, ...] = (18, 34, 50, 101, 152)
    resolutions: tuple[int, ...] = (224,)
    batch_sizes: tuple[int, ...] = (1,)
    device: str = "cpu"
    precisions: tuple[str, ...] = ("fp32",)


def latency_settings(experiment: str, profile: str) -> LatencySettings:
    """Defaults of the ``fig3``/``fig5``/``fig6`` notebooks per profile.

    ``smoke`` takes seconds (tests); ``default`` a few minutes on a 2-core CPU (``make book``);
    ``paper`` is the paper's protocol (1000 trials, full sweeps), on CUDA when a GPU is present.
    """
    if profile not in ("smoke", "default", "paper"):
        raise ValueError(f"unknown profile {profile!r}; valid profiles are smoke, default, paper")
    cuda = torch.cuda.is_available()
    paper_engines = ("eager", "tensorrt", "compile") if cuda else ("eager", "openvino", "onnxruntime", "compile")
    device = "cuda" if cuda and profile == "paper" else "cpu"
    table = {
        "fig3_depth": {
            "smoke": LatencySettings(("eager", "openvino"), trials=3, warmup=1, depths=(18,)),
            "default": LatencySettings(("eager", "openvino"), trials=12, warmup=2),
            "paper": LatencySettings(
                paper_engines, trials=1000, warmup=20, device=device, precisions=("fp32", "fp16") if cuda else ("fp32",)
            ),
        },
        "fig5_resolution": {
            "smoke": LatencySettings(("eager",), trials=2, warmup=1, depths=(50,), resolutions=(32, 64)),
            "default": LatencySettings(
                ("eager", "openvino"), trials=6, warmup=1, depths=(50,), resolutions=(64, 224, 448)
            ),
            "paper": LatencySettings(
                paper_engines,
                trials=1000,
                warmup=20,
                device=device,
                depths=(50, 18),
                resolutions=(32, 64, 128, 224, 320, 448, 512, 640, 768, 1024),
            ),
        },
        "fig6_batch": {
            "smoke": LatencySettings(
                ("eager",), trials=2, warmup=1, depths=(18,), batch_sizes=(1, 2), resolutions=(64,)
            ),
            "default": LatencySettings(("eager", "openvino"), trials=5, warmup=1, depths=(50,), batch_sizes=(1, 8)),
            "paper": LatencySettings(
                paper_engines,
                trials=200,
                warmup=10,
                device=device,
                depths=(18, 50, 152),
                batch_sizes=(1, 2, 4, 8, 16, 32, 64),
            ),
        },
    }
    if experiment not in table:
        raise ValueError(f"unknown latency experiment {experiment!r}; valid names are {', '.join(table)}")
    return table[experiment][profile]


def override(settings: LatencySettings, **values: object) -> LatencySettings:
    """``settings`` with the notebook parameters that were given (None means keep the default)."""
    return replace(settings, **{k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if v is not None})


def best_engine(summary: pd.DataFrame) -> str | None:
    """The optimising engine (not eager) with the fastest baseline, or None if none ran."""
    baselines = summary[(summary.variant == "baseline") & (summary.engine != "eager")]
    if baselines.empty:
        return None
    return str(baselines.groupby("engine").min_ms.mean().idxmin())


def engine_availability(engines: tuple[str, ...], options: EngineOptions) -> pd.DataFrame:
    """One row per engine: available or not, and the version or the reason."""
    statuses = {engine: engine_status(engine, options) for engine in engines}
    return pd.DataFrame([{"engine": e, "available": ok, "version or reason": why} for e, (ok, why) in statuses.items()])


def table2_latency(summary: pd.DataFrame, table2: pd.DataFrame, engine: str | None) -> pd.DataFrame:
    """Table 2's timing columns (ResNet-18/50) beside ours: absolute ms (min) and overhead %.

    Paper: PyTorch and TensorRT on an RTX 2080 Ti, fp32, batch 1, 224², min of 1000 trials.
    Ours: eager and ``engine`` (the best optimising engine that ran) on this machine.
    """
    paper = table2.assign(
        paper_pytorch_overhead_pct=lambda t: (
            100 * (t.pytorch_ms / t.groupby("depth").pytorch_ms.transform("first") - 1)
        ),
        paper_tensorrt_overhead_pct=lambda t: (
            100 * (t.tensorrt_ms / t.groupby("depth").tensorrt_ms.transform("first") - 1)
        ),
    )
    ours = summary[(summary.resolution == 224) & (summary.batch_size == 1) & (summary.precision == "fp32")]
    ours = ours.assign(depth=ours.model.map(depth_from_model), module=ours.attention)
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
        for label, engine_name in (("eager", "eager"), (engine or "optimised", engine)):
            match = ours[(ours.engine == engine_name) & (ours.depth == item.depth) & (ours.module == item.module)]
            row[f"ours {label} ms"] = float(match.min_ms.iloc[0]) if len(match) else float("nan")
            row[f"ours {label} %"] = float(match.overhead_min_pct.iloc[0]) if len(match) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def overhead_table(summary: pd.DataFrame, index: str = "depth") -> pd.DataFrame:
    """Overhead % (min-based) per module (rows) and engine × ``index`` (columns)."""
    data = summary[summary.variant != "baseline"].copy()
    if "depth" not in data.columns:
        data["depth"] = data.model.map(depth_from_model)
    data["Module"] = data.variant.map(lambda v: display_name(v) if v in ("ab", "eca", "se", "srm", "multise") else v)
    return data.pivot_table(
        index="Module", columns=["engine", "precision", index], values="overhead_min_pct", sort=False
    ).round(1)


def depth_conclusions(summary: pd.DataFrame, engine: str | None) -> pd.DataFrame:
    """The paper's Fig. 3 / Table 2 statements, checked on this run's measurements."""
    data = summary[(summary.precision == "fp32") & (summary.batch_size == 1)].copy()
    data["depth"] = data.model.map(depth_from_model)
    rows = []

    def cheapest(engine_name: str) -> list[str]:
        part = data[(data.engine == engine_name) & (data.variant != "baseline")]
        return [f"R{d}: {display_name(g.sort_values('min_ms').variant.iloc[0])}" for d, g in part.groupby("depth")]

    eager_cheapest = cheapest("eager")
    rows.append(
        {
            "paper says": "AB has the smallest overhead in PyTorch (Table 2, Fig. 3a)",
            "here (eager)": "cheapest module per depth: " + ", ".join(eager_cheapest),
            "holds": all(item.endswith(": AB") for item in eager_cheapest),
        }
    )
    eager = data[data.engine == "eager"].set_index(["depth", "variant"]).min_ms
    if (18, "multise") in eager.index and (50, "baseline") in eager.index:
        rows.append(
            {
                "paper says": "ResNet-18 + Multi-SE is slower than baseline ResNet-50 in PyTorch",
                "here (eager)": f"{eager[(18, 'multise')]:.1f} ms vs {eager[(50, 'baseline')]:.1f} ms",
                "holds": bool(eager[(18, "multise")] > eager[(50, "baseline")]),
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
                "paper says": "The optimising engine cuts total time 2-4× and reduces the relative overhead",
                "here (eager)": f"{engine}: {speedup.min():.1f}-{speedup.max():.1f}× faster; mean module "
                f"overhead {mean_overhead_eager:.1f} % (eager) vs {mean_overhead_opt:.1f} % ({engine})",
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
                    "paper says": "After optimisation ECA costs nearly the same as AB (Fig. 4)",
                    "here (eager)": f"|ECA − AB| overhead with {engine}: {gap.min():.1f}-{gap.max():.1f} points",
                    "holds": bool(gap.max() <= 2.0),
                }
            )
    overheads = data[data.variant != "baseline"].overhead_min_pct
    rows.append(
        {
            "paper says": "Inference time grows 5-50 % while FLOPs grow 0.2-3 %",
            "here (eager)": f"all engines and depths: {overheads.min():.1f} to {overheads.max():.1f} %",
            "holds": bool(overheads.max() > 3),
        }
    )
    return pd.DataFrame(rows).rename(columns={"here (eager)": "here"})


def resolution_conclusions(summary: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """Fig. 5 statements checked on a resolution sweep (ResNet-50 modules + ResNet-101 reference)."""
    rows = []
    modules = summary[summary.attention != "baseline"]
    for engine, part in modules.groupby("engine"):
        mean_by_resolution = part.groupby("resolution").overhead_min_pct.mean()
        low, high = mean_by_resolution.index.min(), mean_by_resolution.index.max()
        rows.append(
            {
                "paper says": "Module overhead (PyTorch) is largest at small resolutions and drops with size",
                "engine": engine,
                "here": f"mean module overhead {mean_by_resolution[low]:.1f} % at {low}² → "
                f"{mean_by_resolution[high]:.1f} % at {high}²",
                "holds": bool(mean_by_resolution[high] < mean_by_resolution[low]),
            }
        )
    deeper = summary[(summary.attention == "baseline") & (summary.variant != "baseline")]
    for engine, part in deeper.groupby("engine"):
        spread = part.overhead_min_pct.max() - part.overhead_min_pct.min()
        rows.append(
            {
                "paper says": claims.set_index("claim").statement.get("resnet101_constant", ""),
                "engine": engine,
                "here": f"ResNet-101 over ResNet-50: {part.overhead_min_pct.min():.0f}-"
                f"{part.overhead_min_pct.max():.0f} % (spread {spread:.0f} points)",
                "holds": bool(spread <= 15),
            }
        )
    return pd.DataFrame(rows)


def batch_conclusions(summary: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """Fig. 6 statements checked on a batch sweep."""
    rows = []
    modules = summary[summary.attention != "baseline"]
    for (engine, depth), part in modules.groupby(["engine", "depth"]):
        mean_by_batch = part.groupby("batch_size").overhead_min_pct.mean()
        multise = part[part.attention == "multise"].set_index("batch_size").overhead_min_pct
        small, large = mean_by_batch.index.min(), mean_by_batch.index.max()
        rows.append(
            {
                "paper says": "Larger batches make modules (especially Multi-SE) relatively cheaper",
                "engine": engine,
                "ResNet": depth,
                "here": f"mean overhead {mean_by_batch[small]:.1f} % (batch {small}) → "
                f"{mean_by_batch[large]:.1f} % (batch {large}); Multi-SE {multise.get(small, float('nan')):.1f}"
                f" → {multise.get(large, float('nan')):.1f} %",
                "holds": bool(multise.get(large, 0) < multise.get(small, 0)),
            }
        )
    return pd.DataFrame(rows)


def module_comparison(record: pd.DataFrame) -> pd.DataFrame:
    """``attnlib bench modules`` summary as module × implementation tables of overhead % per engine.

    Cells read ``median % [95 % CI] (min %)``: the median-based overhead with its bootstrap interval,
    and the min-based one (the paper's statistic) in parentheses.
    """
    data = record[record.variant != "baseline"].copy()
    data["implementation"] = data.variant.str.split("/").str[0]
    data["Module"] = data.attention.map(display_name)
    data["cell"] = data.apply(
        lambda r: f"{r.overhead_median_pct:.1f} [{r.ci_low_pct:.1f}, {r.ci_high_pct:.1f}] ({r.overhead_min_pct:.1f})",
        axis=1,
    )
    table = data.pivot_table(
        index=["engine", "Module"], columns="implementation", values="cell", aggfunc="first", sort=False
    )
    return table.reindex(columns=[c for c in ("attnlib", "plain", "timm") if c in table.columns]).fillna("—")


def measurement_problems(summary: pd.DataFrame) -> list[str]:
    """Why a latency measurement is too noisy to support conclusions (empty list: it is not).

    Three checks, each a physical impossibility or a sign of a busy machine:

    * the baseline's trials spread more than :data:`MAX_BASELINE_SPREAD_PCT` (IQR / median);
    * a module's overhead lies below :data:`MIN_CREDIBLE_OVERHEAD_PCT` with its whole 95 % interval
      (a module adds work; it cannot make the network faster);
    * a baseline ResNet with at least :data:`MACS_RATIO_FOR_ORDER` × the MACs of another was timed
      faster than it on the same engine, precision, resolution and batch size.
    """
    from attnlib.complexity import count_model

    if summary.empty:
        return ["no measurement"]
    problems = []
    baselines = summary[summary.variant == summary.baseline]
    for row in baselines.itertuples():
        spread = 100 * row.iqr_ms / row.median_ms if row.median_ms > 0 else float("inf")
        if spread > MAX_BASELINE_SPREAD_PCT:
            problems.append(
                f"{row.engine}, {row.model} at {row.resolution}², batch {row.batch_size}: the baseline's trials "
                f"spread {spread:.0f} % (IQR/median; limit {MAX_BASELINE_SPREAD_PCT:.0f} %)"
            )
    modules = summary[summary.variant != summary.baseline]
    for row in modules[modules.ci_high_pct < MIN_CREDIBLE_OVERHEAD_PCT].itertuples():
        problems.append(
            f"{row.engine}, {row.model} + {row.variant} at {row.resolution}², batch {row.batch_size}: overhead "
            f"{row.overhead_median_pct:.1f} % with its 95 % interval below {row.ci_high_pct:.1f} % — a module cannot "
            "make the network faster"
        )
    depths = baselines.assign(depth=baselines.model.map(_depth_or_none)).dropna(subset=["depth"])
    macs = {int(d): count_model(f"resnet{int(d)}").macs for d in depths.depth.unique()}
    for keys, part in depths.groupby(["engine", "precision", "resolution", "batch_size"]):
        times = part.groupby("depth").min_ms.min()
        for small in times.index:
            for large in times.index:
                if macs[int(large)] >= MACS_RATIO_FOR_ORDER * macs[int(small)] and times[large] <= times[small]:
                    problems.append(
                        f"{keys[0]} ({keys[1]}): ResNet-{int(large)} ({times[large]:.1f} ms) timed no slower than "
                        f"ResNet-{int(small)} ({times[small]:.1f} ms) though it has "
                        f"{macs[int(large)] / macs[int(small)]:.1f}× the MACs"
                    )
    return problems


def _depth_or_none(model: str) -> float | None:
    try:
        return float(depth_from_model(model))
    except ValueError:
        return None


def guarded_conclusions(conclusions: pd.DataFrame, summary: pd.DataFrame, where: str) -> object:
    """The conclusion table, or (when :func:`measurement_problems` objects) a note withholding it.

    Returns something IPython displays: a styled table, or Markdown listing the failed checks.
    """
    from IPython.display import Markdown

    problems = measurement_problems(summary)
    if not problems:
        return conclusions.style.hide(axis="index")
    shown = problems[:8] + ([f"… and {len(problems) - 8} more"] if len(problems) > 8 else [])
    return Markdown(
        f":::{{note}} Conclusions withheld: {where}\nThis measurement is too noisy to support conclusions "
        "about the paper's statements; it failed these checks:\n\n"
        + "\n".join(f"* {item}" for item in shown)
        + "\n\nRead the committed records above; rerun on a quiet machine with more trials to check them here.\n:::"
    )


def show_committed_records(experiment: str, show: Callable[[pd.DataFrame, str, str], None]) -> None:
    """Display each committed record of ``experiment`` — its label, then ``show(record, hardware, where)``."""
    from IPython.display import Markdown, display

    records = committed_records(experiment)
    if not records:
        display(Markdown("*No committed records yet.*"))
    for hardware, label, record in records:
        display(Markdown(label))
        show(record, hardware, f"record from {hardware}")


def reduced_protocol_warning(profile: str, hardware: str, detail: str) -> str | None:
    """The loud MyST warning every latency page shows when it did not run the paper's protocol."""
    if profile == "paper":
        return None
    return (
        f":::{{warning}}\n**Profile `{profile}` — measured while building this book on {hardware}, {detail}.** "
        "The paper used 1000 trials on an RTX 2080 Ti GPU: this reduced CPU protocol shows where this machine "
        "stands, not the paper's GPU numbers. Rerun with `-p profile paper` for the full protocol.\n:::"
    )


def committed_records(experiment: str) -> list[tuple[str, str, pd.DataFrame]]:
    """Committed run records of ``experiment``: (hardware, a one-line label, summary) per record."""
    from attnlib.bench.presets import load_latency_records

    records = load_latency_records(experiment)
    if records.empty:
        return []
    labelled = []
    for (hardware, date), record in records.groupby(["hardware", "date"]):
        first = record.iloc[0]
        label = (
            f"**{hardware}**, {first.threads} threads — profile `{first.record_profile}`, "
            f"{int(first.trials)} trials, {date}, commit `{first.commit}`"
        )
        labelled.append((str(hardware), label, record.assign(depth=record.group.map(depth_from_model))))
    return labelled


def tradeoff_points(latency: pd.DataFrame, table2: pd.DataFrame, accuracy: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fig. 4's points: top-1 vs inference time relative to the baseline ResNet-50, per engine.

    Accuracy comes from ``accuracy`` (our records on real ImageNet) where present, else from the
    paper's Table 2 (ResNet-18/50) or torchvision's published ImageNet accuracy of its V1 weights
    for the baseline ResNet-34/101/152 that Table 2 lacks; the ``accuracy source`` column says which.
    """
    import torchvision

    rows = []
    data = latency.assign(depth=latency.model.map(depth_from_model))
    paper_top1 = table2.set_index(["depth", "module"]).top1
    for engine, part in data.groupby("engine"):
        reference = part[(part.depth == 50) & (part.variant == "baseline")].min_ms
        if reference.empty:
            continue
        for item in part.itertuples():
            if item.variant != "baseline" and item.depth not in (18, 50):
                continue
            source, top1 = None, float("nan")
            if accuracy is not None and not accuracy.empty:
                match = accuracy[(accuracy.model == f"resnet{item.depth}") & (accuracy.attention == item.variant)]
                if len(match):
                    source, top1 = "ours (ImageNet record)", float(match.top1.mean())
            if source is None and (item.depth, item.variant) in paper_top1.index:
                source, top1 = "paper, Table 2", float(paper_top1[(item.depth, item.variant)])
            if source is None and item.variant == "baseline":
                weights = torchvision.models.get_model_weights(f"resnet{item.depth}").IMAGENET1K_V1
                source = "torchvision V1 weights"
                top1 = float(weights.meta["_metrics"]["ImageNet-1K"]["acc@1"])
            rows.append(
                {
                    "engine": engine,
                    "ResNet": item.depth,
                    "module": display_name(item.variant),
                    "relative time": item.min_ms / float(reference.iloc[0]),
                    "top-1": top1,
                    "accuracy source": source,
                }
            )
    return pd.DataFrame(rows)
