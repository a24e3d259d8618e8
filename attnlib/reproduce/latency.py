"""What the latency chapters (Figs. 3–6) share: settings, the measurement, noise checks, records.

The chapters' headline figures, tables and conclusion checks come from committed, carefully
measured run records (labelled with their hardware). The measurement made while building the book
goes below them as "this machine, now", and its conclusions are shown only when
:func:`measurement_problems` finds it quiet enough to support them; otherwise the page says which
checks failed and withholds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import torch

from attnlib.attention import BASELINE, available, display_name
from attnlib.bench.engines import EngineOptions, engine_status
from attnlib.bench.experiment import Experiment, load_latency_records, run_experiment
from attnlib.models import depth_from_model
from attnlib.names import label_words, network_words
from attnlib.reproduce.common import Page

# Limits of the noise check (see measurement_problems).
MAX_BASELINE_SPREAD_PCT = 25.0  # IQR / median of the baseline's trials (quiet 2-core runs: 5-15 %)
MIN_CREDIBLE_OVERHEAD_PCT = -2.0  # a module adds work: an overhead whose whole CI lies below this is noise
MACS_RATIO_FOR_ORDER = 1.4  # a network with >= 1.4x the MACs must not be measured faster
MAX_OTHERS_CPU_PCT = 10.0  # other processes' share of all CPUs while the sweep was timed


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


def paper_device() -> str:
    """Where the paper profile times: CUDA when a GPU is visible (as the paper did), else the CPU."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def paper_engines() -> tuple[str, ...]:
    """The paper profile's engines: eager, TensorRT and torch.compile on CUDA; on a CPU eager and the
    three CPU engines (OpenVINO, ONNX Runtime, torch.compile)."""
    if paper_device() == "cuda":
        return ("eager", "tensorrt", "compile")
    return ("eager", "openvino", "onnxruntime", "compile")


def paper_precisions() -> tuple[str, ...]:
    """fp32 and fp16 on CUDA (the paper's TensorRT columns); fp32 on a CPU."""
    return ("fp32", "fp16") if paper_device() == "cuda" else ("fp32",)


def measure(page: Page, save_record: bool = False) -> pd.DataFrame:
    """Time the page's sweep (``page.chapter.groups``) on every engine and precision of its settings.

    Engines that cannot run here are named on the page; with ``save_record`` each precision's
    summary is written as an ad-hoc run record (``data/runs``). Returns the summaries, concatenated.
    """
    from IPython.display import Markdown, display

    settings, experiment = page.settings, page.chapter.EXPERIMENT
    groups = page.chapter.groups(settings)  # the same networks for every precision
    summaries = []
    for precision in settings.precisions:
        options = EngineOptions(device=settings.device, precision=precision, threads=page.threads)
        run = Experiment(experiment, groups, settings.engines, options, settings.trials, settings.warmup)
        result, _ = run_experiment(run, page.profile, save=save_record, protocol=f"notebook {experiment}")
        summaries.append(result.summary)
        for engine, reason in result.skipped.items():
            display(Markdown(f"*Skipped `{engine}` ({precision}): {reason}.*"))
    return pd.concat(summaries, ignore_index=True)


def show_measurement(page: Page, summary: pd.DataFrame) -> None:
    """The chapter's figure, tables and guarded conclusions for this machine's measurement."""
    page.chapter.show(summary, page.hardware, f"this machine ({page.hardware}), now")


def show_sweep(
    summary: pd.DataFrame,
    x: str,
    hardware: str,
    where: str,
    conclusions: pd.DataFrame,
    row: str | None = None,
    figure_name: str = "",
) -> None:
    """Figs. 5 and 6 alike: overhead against ``x`` (per ``row``) as a numbered figure, its table,
    and the paper's statements checked on the sweep (withheld when the measurement is too noisy)."""
    from IPython.display import Markdown, display

    from attnlib.plots import collapsed_table, plot_overhead_vs, show_figure

    show_figure(
        plot_overhead_vs(summary, x, hardware, row=row),
        f"{figure_name}Latency overhead of each module over its baseline (%, minimum of the trials) against "
        f"{x.replace('_', ' ')}, per engine — {where}.",
    )
    display(collapsed_table(overhead_table(summary, index=x), "Overhead table (%, minimum of the trials)"))
    display(Markdown("The paper's statements, checked here:"))
    display(guarded_conclusions(conclusions, summary, where))


def best_engine(summary: pd.DataFrame) -> str | None:
    """The optimising engine (any but plain eager) with the fastest fp32 baselines, or None if none ran.

    Engines are compared on the groups every one of them timed (a compile mode tried on ResNet-50 only
    is compared with the others there), by the mean of the baselines' minimum times.
    """
    baselines = summary[(summary.variant == BASELINE) & (summary.engine != "eager")]
    baselines = baselines[baselines.precision == "fp32"]
    if baselines.empty:
        return None
    times = baselines.pivot_table(index=["model", "resolution", "batch_size"], columns="engine", values="min_ms")
    common = times.dropna()
    return str((common if len(common) else times).mean().idxmin())


def setting_name(engine: str, precision: str) -> str:
    """An engine label with its precision where that is not fp32 (``eager fp16``), for tables that
    list engines of a record measured in several precisions."""
    return engine if precision == "fp32" else f"{engine} {precision}"


def by_setting(summary: pd.DataFrame) -> pd.DataFrame:
    """``summary`` with each row's engine renamed :func:`setting_name` (``eager fp16``), so that code
    grouping by engine keeps the precisions of a GPU record apart."""
    if summary.empty or "precision" not in summary.columns:
        return summary
    return summary.assign(engine=[setting_name(e, p) for e, p in zip(summary.engine, summary.precision, strict=True)])


def engine_availability(engines: tuple[str, ...], device: str = "cpu") -> pd.DataFrame:
    """One row per engine (named in words): available on ``device`` or not, and the version or the reason."""
    options = EngineOptions(device=device)
    statuses = {engine: engine_status(engine, options) for engine in engines}
    return pd.DataFrame(
        [
            {"engine": label_words(e), "available here": "yes" if ok else "no", "version or reason": why}
            for e, (ok, why) in statuses.items()
        ]
    )


def overhead_table(summary: pd.DataFrame, index: str = "depth") -> pd.DataFrame:
    """Overhead % (min-based) per module (rows) and engine × ``index`` (columns)."""
    data = summary[summary.variant != BASELINE].copy()
    if "depth" not in data.columns:
        data["depth"] = data.model.map(depth_from_model)
    data["Module"] = data.variant.map(lambda v: display_name(v) if v in available() else v)
    return data.pivot_table(
        index="Module", columns=["engine", "precision", index], values="overhead_min_pct", sort=False
    ).round(1)


def module_comparison(record: pd.DataFrame) -> pd.DataFrame:
    """``attnlib bench modules`` summary as module × implementation tables of overhead % per engine.

    Cells read ``median % [95 % CI] (min %)``: the median-based overhead with its bootstrap interval,
    and the min-based one (the paper's statistic) in parentheses.
    """
    data = record[record.variant != BASELINE].copy()
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

    Four checks, each a physical impossibility or a sign of a busy machine:

    * other processes used more than :data:`MAX_OTHERS_CPU_PCT` of the CPUs during the sweep
      (``others_cpu_pct``, recorded by :func:`~attnlib.bench.experiment.run_experiment`);
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
    if "others_cpu_pct" in summary and summary.others_cpu_pct.notna().any():
        busiest = float(summary.others_cpu_pct.max())
        if busiest > MAX_OTHERS_CPU_PCT:
            problems.append(
                f"other processes used {busiest:.0f} % of the machine's CPUs while it was timed "
                f"(limit {MAX_OTHERS_CPU_PCT:.0f} %)"
            )
    baselines = summary[summary.variant == summary.baseline]
    for row in baselines.itertuples():
        spread = 100 * row.iqr_ms / row.median_ms if row.median_ms > 0 else float("inf")
        if spread > MAX_BASELINE_SPREAD_PCT:
            problems.append(
                f"{label_words(row.engine)}, {network_words(row.model)} at {row.resolution}², batch {row.batch_size}: "
                f"the baseline's trials spread {spread:.0f} % (IQR/median; limit {MAX_BASELINE_SPREAD_PCT:.0f} %)"
            )
    modules = summary[summary.variant != summary.baseline]
    for row in modules[modules.ci_high_pct < MIN_CREDIBLE_OVERHEAD_PCT].itertuples():
        problems.append(
            f"{label_words(row.engine)}, {network_words(row.model)} + {display_name(row.variant)} at "
            f"{row.resolution}², batch {row.batch_size}: overhead "
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
                        f"{label_words(keys[0])} ({keys[1]}): ResNet-{int(large)} ({times[large]:.1f} ms) timed no "
                        f"slower than ResNet-{int(small)} ({times[small]:.1f} ms) though it has "
                        f"{macs[int(large)] / macs[int(small)]:.1f}× the MACs"
                    )
    return problems


def _depth_or_none(model: str) -> float | None:
    try:
        return float(depth_from_model(model))
    except ValueError:
        return None


def guarded_conclusions(conclusions: pd.DataFrame, summary: pd.DataFrame, where: str) -> object:
    """The conclusion table in the shared claim format (:mod:`attnlib.reproduce.claims`), or (when
    :func:`measurement_problems` objects) a note withholding it.

    Returns something IPython displays: a styled table, or Markdown listing the failed checks.
    """
    from IPython.display import Markdown

    from attnlib.reproduce.claims import claims_table, styled

    problems = measurement_problems(summary)
    if not problems:
        hardware = str(summary.hardware.iloc[0]) if "hardware" in summary and len(summary) else where
        return styled(claims_table(conclusions, hardware))
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


def committed_records(experiment: str) -> list[tuple[str, str, pd.DataFrame]]:
    """Committed run records of ``experiment``: (hardware, a one-line label, summary) per record."""
    records = load_latency_records(experiment)
    if records.empty:
        return []
    labelled = []
    for (hardware, _session), record in records.groupby(["hardware", "session"], sort=False):
        first = record.iloc[0]
        trials = "/".join(str(t) for t in sorted(record.trials.unique()))
        where = "" if (record.device == "cuda").all() else f", {first.threads} threads"
        label = (
            f"**{hardware}**{where} — profile `{first.record_profile}`, {trials} trials, {record.date.min()}, "
            f"commit `{first.commit}`"
        )
        labelled.append((str(hardware), label, record.assign(depth=record.group.map(depth_from_model))))
    return labelled
