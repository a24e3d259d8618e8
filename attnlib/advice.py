"""``attnlib advise``: which attention module, if any, for this network on this machine.

The paper's question is practical: a module costs little arithmetic but real time, and whether it is
worth it depends on the hardware and the engine; its criterion (Fig. 4) is whether a module beats
simply using the next deeper ResNet. This module answers it for the user's own machine in minutes:

1. **Measure** (:func:`measure`): the baseline, the five modules and the next deeper baseline, timed
   interleaved on each engine (eager, and by default the fastest optimising engine available), in
   rounds, until every overhead's 95 % interval is narrower than ``width`` points or the time budget
   (which includes preparing the networks) is spent — the result says which.
2. **Accuracy** (:func:`accuracy_sources`): each module's top-1 gain with its source — the paper's
   Table 2 (ImageNet ResNet-18/50) or Table 1 (CIFAR ResNet-56; CIFAR-10 and CIFAR-100 apart), our
   committed paper-profile records on the same dataset overriding them, and the deeper baseline's
   top-1 from torchvision's published weights (labelled). The Fashion-MNIST study's gains are an
   extra column and never replace them.
3. **Decide** (:func:`decide`): per engine and module, the overhead with its interval, the gain per
   percent of time ("free" when the interval reaches zero), Pareto-optimal or not, beats the deeper
   baseline or not — and one sentence (:func:`sentence`). Where intervals overlap, it says the modules
   cannot be told apart instead of ranking noise.

Everything but :func:`measure` is a pure function of tables, tested on hand-made measurements.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from attnlib.names import BASELINE, MODULES, counted, network_words

DEFAULT_BUDGET_MIN = 2.0
DEFAULT_WIDTH = 3.0  # points: stop when every overhead's 95 % interval is narrower than this
MIN_ROUNDS = 10
ROUNDS_PER_CHECK = 5
DEEPER_IMAGENET = {18: 34, 34: 50, 50: 101, 101: 152}
OPTIMISING = {"cpu": ("openvino", "onnxruntime"), "cuda": ("tensorrt", "compile")}
PREPARE_SHARE = 0.5  # an optimising engine whose preparation would take more than this share of the budget is left out
DEEPER = "deeper baseline"


@dataclass(frozen=True)
class Request:
    """What to advise on: a network, an input, a device, engines and a time budget (validated)."""

    model: str
    block: str | None = None
    resolution: int = 224
    batch_size: int = 1
    device: str = "cpu"
    engines: tuple[str, ...] = ("eager",)
    precision: str = "fp32"
    budget_min: float = DEFAULT_BUDGET_MIN
    width: float = DEFAULT_WIDTH

    @property
    def deeper(self) -> str | None:
        """The next deeper network of the same family (None for ResNet-152)."""
        return deeper_model(self.model, self.block)


def deeper_model(model: str, block: str | None = None) -> str | None:
    """The next deeper ResNet: ImageNet 18→34→50→101→152 (None after 152); a CIFAR ResNet gains one
    block per stage (+6 layers with basic blocks, +9 with bottleneck blocks)."""
    imagenet = re.fullmatch(r"resnet(\d+)", model)
    if imagenet:
        return f"resnet{DEEPER_IMAGENET[int(imagenet.group(1))]}" if int(imagenet.group(1)) in DEEPER_IMAGENET else None
    depth = int(re.fullmatch(r"cifar_resnet(\d+)", model).group(1))  # validated by resolve()
    return f"cifar_resnet{depth + (9 if block == 'bottleneck' else 6)}"


def resolve(
    model: str = "resnet50",
    block: str | None = None,
    resolution: int | None = None,
    batch_size: int = 1,
    device: str = "auto",
    engine: str | tuple[str, ...] = "auto",
    precision: str = "fp32",
    budget_min: float = DEFAULT_BUDGET_MIN,
    width: float = DEFAULT_WIDTH,
) -> Request:
    """Check the options and fill in the defaults; one clear error per bad value (ValueError)."""
    import torch

    from attnlib.models import available_models, build_model
    from attnlib.names import ENGINES, PRECISIONS

    if not (re.fullmatch(r"resnet(18|34|50|101|152)", model) or re.fullmatch(r"cifar_resnet\d+", model)):
        raise ValueError(f"unknown model {model!r}; valid names are {', '.join(available_models())}")
    if model.startswith("cifar_"):
        build_model(model, block=block or "basic", attention=None)  # a depth that does not fit the block fails here
        block = block or "basic"
    elif block is not None:
        raise ValueError(f"--block is for CIFAR ResNets only; {model} has its own block type")
    if not budget_min > 0:
        raise ValueError(f"the budget must be a positive number of minutes, got {budget_min:g}")
    if not width > 0:
        raise ValueError(f"the interval width must be positive, got {width:g}")
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; valid ones are {', '.join(PRECISIONS)}")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: PyTorch sees no CUDA GPU on this machine (use --device cpu)")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {device!r}; valid ones are auto, cpu, cuda")
    if precision == "fp16" and device == "cpu":
        raise ValueError("fp16 is timed on CUDA only; on a CPU use fp32 or bf16")
    engines: tuple[str, ...]
    if engine == "auto":
        engines = ("eager", *auto_engine(device))
    else:
        engines = (engine,) if isinstance(engine, str) else tuple(engine)
        unknown = [e for e in engines if e not in ENGINES]
        if unknown:
            raise ValueError(f"unknown engine {unknown[0]!r}; valid ones are auto, {', '.join(ENGINES)}")
    default_resolution = 32 if model.startswith("cifar_") else 224
    return Request(
        model, block, resolution or default_resolution, batch_size, device, engines, precision, budget_min, width
    )


def auto_engine(device: str) -> tuple[str, ...]:
    """The optimising engine ``auto`` adds to eager: the first installed of OpenVINO, ONNX Runtime (CPU)
    or TensorRT, ``torch.compile`` (CUDA) — the fastest kinds on the book's records."""
    from attnlib.bench.engines import EngineOptions, engine_status

    for name in OPTIMISING[device]:
        if engine_status(name, EngineOptions(device=device))[0]:
            return (name,)
    return ()


# --- measuring ---------------------------------------------------------------------------------------


@dataclass
class Measurement:
    """Per engine and variant: times and the overhead over the baseline with its 95 % interval; why each
    engine stopped; what was left out and why; the hardware; how busy the machine was meanwhile
    (:func:`attnlib.results.machine_load`: other processes' share of the CPUs, load averages)."""

    summary: pd.DataFrame
    stopped: dict[str, str] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)
    hardware: str = ""
    machine_load: dict[str, Any] = field(default_factory=dict)


def variants(request: Request) -> list[Any]:
    """The networks timed: the baseline first, the five modules, then the next deeper baseline."""
    from attnlib.bench.latency import Variant

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
    import torch

    from attnlib.bench.engines import EngineOptions, engine_label, engine_status
    from attnlib.results import cpu_model, watching_load, with_load

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
    from attnlib.bench.engines import engine_label, prepare_verified

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
    from attnlib.bench.timing import summarize, time_interleaved

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


# --- the accuracy side ---------------------------------------------------------------------------------

ACCURACY_COLUMNS = ["dataset", "variant", "gain", "source", "extra"]


def _ours(kind: str, dataset: str, model: str, block: str | None) -> pd.Series:
    """Mean top-1 per module of our committed paper-profile records of ``model`` on ``dataset``."""
    from attnlib.train import final_epochs, paper_runs

    mine = paper_runs(final_epochs(kind))
    mine = mine[(mine.dataset == dataset) & (mine.model == model)]
    if block is not None and "block" in mine:
        mine = mine[mine.block == block]
    return mine.groupby("attention").top1.mean()


def _gains(top1: pd.Series) -> dict[str, float]:
    """Each module's top-1 minus the baseline's (modules without a value are left out)."""
    if BASELINE not in top1.index:
        return {}
    return {m: float(top1[m] - top1[BASELINE]) for m in MODULES if m in top1.index}


def accuracy_sources(model: str, block: str | None = None) -> pd.DataFrame:
    """Each module's (and the deeper baseline's) top-1 gain over the baseline, with its source.

    ImageNet ResNets: our committed paper-profile ImageNet records, else the paper's Table 2 (ResNet-18
    and -50 only); the deeper baseline's gain from torchvision's published V1 weights (both networks
    from that one source). CIFAR ResNet-56: our records, else Table 1, CIFAR-10 and CIFAR-100 apart.
    The Fashion-MNIST campaign's gains (``extra``) where its networks match. Absent: no row.
    """
    from attnlib import paper
    from attnlib.models import depth_from_model, torchvision_top1

    rows = []
    depth = depth_from_model(model)
    deeper = deeper_model(model, block)
    if model.startswith("resnet"):
        ours = _gains(_ours("imagenet", "imagenet", model, None))
        table2 = paper.load("table2")
        printed = _gains(table2[table2.depth == depth].set_index("module").top1)
        for module in MODULES:
            if module in ours:
                rows.append(("ImageNet", module, ours[module], "ours (ImageNet, paper profile)", False))
            elif module in printed:
                rows.append(("ImageNet", module, printed[module], "paper, Table 2", False))
        if deeper is not None:
            gain = torchvision_top1(depth_from_model(deeper)) - torchvision_top1(depth)
            rows.append(("ImageNet", DEEPER, gain, "torchvision's published V1 weights", False))
    elif depth == 56:
        table1 = paper.load("table1")
        for dataset, label in (("cifar10", "CIFAR-10"), ("cifar100", "CIFAR-100")):
            ours = _gains(_ours("cifar", dataset, model, block))
            cells = table1[(table1.dataset == dataset) & (table1.block == block)].set_index("module").top1
            printed = _gains(cells)
            for module in MODULES:
                if module in ours:
                    rows.append((label, module, ours[module], f"ours ({label}, paper profile)", False))
                elif module in printed:
                    rows.append((label, module, printed[module], "paper, Table 1", False))
    rows += _fashion_rows(model, block)
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)


def _fashion_rows(model: str, block: str | None) -> list[tuple[str, str, float, str, bool]]:
    """The Fashion-MNIST campaign's gains for its own networks (an extra, labelled column).

    A module's gain is the study's own: its top-1 minus the baseline's, paired by seed
    (:func:`attnlib.reproduce.fashion.gains`); the deeper baseline, trained with the same seeds, is paired
    the same way over the seeds both have.
    """
    from attnlib.reproduce import fashion

    finals = fashion.committed_finals("default", campaign=fashion.headline_campaign("default"))
    if finals.empty:
        return []
    mine = finals[(finals.model == model) & (finals.block == block)]
    compare = mine[mine.part == "compare"]
    if compare.empty:
        return []
    rows = []
    for gain in fashion.gains(compare).itertuples():
        source = f"this book's Fashion-MNIST study ({counted(gain.seeds, 'seed')}, paired)"
        rows.append(("Fashion-MNIST", gain.attention, float(gain.gain), source, True))
    deeper = finals[(finals.part == "deeper") & (finals.model == deeper_model(model, block)) & (finals.block == block)]
    baseline = compare[compare.attention == BASELINE].set_index("seed").top1
    paired = deeper.set_index("seed").top1.sub(baseline).dropna()
    if len(paired):
        source = f"this book's Fashion-MNIST study ({counted(len(paired), 'seed')}, paired)"
        rows.append(("Fashion-MNIST", DEEPER, float(paired.mean()), source, True))
    return rows


# --- the decision ---------------------------------------------------------------------------------------


def _separated(a: Any, b: Any) -> bool:
    """Whether two overheads' 95 % intervals do not overlap."""
    return a.ci_high_pct < b.ci_low_pct or b.ci_high_pct < a.ci_low_pct


def decide(summary: pd.DataFrame, accuracy: pd.DataFrame) -> pd.DataFrame:
    """The verdict table: per engine and module, the overhead (%, median ratio, with its interval), the
    gain and its source on the primary dataset (the first non-extra one; extra columns beside), the gain
    per percent of time, Pareto-optimal or not, and beats the deeper baseline or not — all in words.

    ``summary``: engine, variant, median_ms, overhead_median_pct, ci_low_pct, ci_high_pct (the baseline
    and ``deeper baseline`` among the variants). ``accuracy``: :func:`accuracy_sources`.
    """
    extra = accuracy.extra.astype(bool)
    primary = accuracy[~extra].dataset.iloc[0] if (~extra).any() else None
    gains = accuracy[accuracy.dataset == primary].set_index("variant") if primary else accuracy.iloc[:0]
    extras = accuracy[extra]
    rows = []
    for engine, part in summary.groupby("engine", sort=False):
        part = part.set_index("variant")
        deeper = part.loc[DEEPER] if DEEPER in part.index else None
        deeper_gain = gains.gain.get(DEEPER) if DEEPER in gains.index else None
        points = {BASELINE: (0.0, 0.0)}
        for name in [*MODULES, DEEPER]:
            if name in part.index and name in gains.index:
                points[name] = (float(part.loc[name].overhead_median_pct), float(gains.loc[name].gain))
        for module in MODULES:
            if module not in part.index:
                continue
            row = part.loc[module]
            free = row.ci_low_pct <= 0
            gain = float(gains.loc[module].gain) if module in gains.index else None
            entry = {
                "engine": engine,
                "module": module,
                "median ms": round(float(row.median_ms), 3),
                "overhead %": round(float(row.overhead_median_pct), 1),
                "95 % interval": f"{row.ci_low_pct:.1f} to {row.ci_high_pct:.1f}",
                "gain": "no published gain" if gain is None else f"{gain:+.2f}",
                "gain source": "" if gain is None else f"{gains.loc[module].source} ({primary})",
                "gain per % time": _per_time(gain, free, float(row.overhead_median_pct)),
                "Pareto-optimal": _pareto(module, points),
                "beats the deeper baseline": _beats(row, gain, deeper, deeper_gain),
            }
            for dataset, extra in extras.groupby("dataset"):
                match = extra[extra.variant == module]
                entry[f"gain on {dataset} (extra)"] = f"{match.gain.iloc[0]:+.2f}" if len(match) else "not measured"
            rows.append(entry)
    return pd.DataFrame(rows)


def _per_time(gain: float | None, free: bool, overhead: float) -> str:
    if free:
        return "free (time within noise of zero)"
    if gain is None:
        return "no accuracy source: ranked by time alone"
    return f"{gain / overhead:+.3f} points per %"


def _pareto(module: str, points: dict[str, tuple[float, float]]) -> str:
    """Pareto-optimal in (time, gain) among the baseline, the modules and the deeper baseline."""
    if module not in points:
        return "unknown (no accuracy source)"
    time_, gain = points[module]
    dominated = any(
        t <= time_ and g >= gain and (t < time_ or g > gain) for name, (t, g) in points.items() if name != module
    )
    return "no" if dominated else "yes"


def _beats(row: Any, gain: float | None, deeper: Any, deeper_gain: float | None) -> str:
    """The paper's criterion: faster than the deeper baseline and at least as accurate."""
    if deeper is None:
        return "no deeper ResNet to compare with"
    if deeper_gain is None or gain is None:
        return "unknown (no accuracy for both)"
    # A deeper baseline timed in a group of its own (a Fig. 3 record) has a time but no interval paired
    # with the module's: the module's interval is compared with that point, and the verdict says so.
    unpaired = not bool(getattr(deeper, "paired", True))
    caveat = " (the deeper ResNet was timed in its own group: no paired interval)" if unpaired else ""
    if not _separated(row, deeper):
        return "cannot tell (their times' intervals overlap)" + caveat
    if row.overhead_median_pct > deeper.overhead_median_pct:
        return "no: slower than the deeper baseline" + caveat
    if gain < deeper_gain:
        return f"no: less accurate than the deeper baseline ({deeper_gain:+.2f})" + caveat
    return "yes" + caveat


READER_COLUMNS = (
    "engine", "module", "overhead %", "95 % interval", "gain", "gain source", "gain per % time",
    "Pareto-optimal", "beats the deeper baseline",
)  # fmt: skip


def reader_table(verdict: pd.DataFrame) -> pd.DataFrame:
    """:func:`decide`'s verdict for a page: the engines and modules named in words, the reader's columns."""
    from attnlib.attention import display_name
    from attnlib.names import label_words

    table = verdict.assign(engine=verdict.engine.map(label_words), module=verdict.module.map(display_name))
    return table[list(READER_COLUMNS)]


def sentence(verdict: pd.DataFrame, summary: pd.DataFrame, request: Request, hardware: str) -> str:
    """The verdict in one plain sentence per engine."""
    from attnlib.attention import display_name
    from attnlib.names import label_words

    deeper = network_words(request.deeper) if request.deeper else ""
    parts = []
    for engine, part in verdict.groupby("engine", sort=False):
        setting = f"{request.precision}, batch {request.batch_size}, {request.resolution}²"
        where = f"On {hardware} with {label_words(engine)} ({setting})"
        winners = part[part["beats the deeper baseline"].str.startswith("yes")]
        known = part[~part.gain.str.startswith("no ")]
        times = summary[summary.engine == engine].set_index("variant")
        if len(winners):
            best = winners.loc[winners.gain.astype(float).idxmax()]
            others = [display_name(m) for m in winners.module if m != best.module]
            also = f"; {', '.join(others)} also do" if others else ""
            apart = (
                " timed in its own group (a point, without a paired interval)"
                if best["beats the deeper baseline"] != "yes"
                else ""
            )
            parts.append(
                f"{where}, {display_name(best.module)} gives {best.gain} top-1 for {best['overhead %']:+.1f} % time "
                f"and beats a {deeper} baseline{apart}{also}."
            )
        elif len(known):
            best = known.loc[known.gain.astype(float).idxmax()]
            why = best["beats the deeper baseline"]
            parts.append(
                f"{where}, no module is shown to beat a {deeper} baseline; the most accurate, "
                f"{display_name(best.module)} ({best.gain} top-1 for {best['overhead %']:+.1f} % time): {why}."
            )
        else:
            cheapest = part.loc[part["overhead %"].idxmin()]
            tied = [
                display_name(m)
                for m in part.module
                if m != cheapest.module and not _separated(times.loc[m], times.loc[cheapest.module])
            ]
            tie = f"; it cannot be told apart in time from {', '.join(tied)} here" if tied else ""
            parts.append(
                f"{where}, no accuracy source covers this network, so modules are ranked by time alone: "
                f"the cheapest is {display_name(cheapest.module)} ({cheapest['overhead %']:+.1f} %){tie}."
            )
    return " ".join(parts)


# --- the whole answer -----------------------------------------------------------------------------------


@dataclass
class Advice:
    """The answer: the request, the measurement, the accuracy sources, the verdict table and sentence."""

    request: Request
    measurement: Measurement
    accuracy: pd.DataFrame
    verdict: pd.DataFrame
    sentence: str

    def as_json(self) -> dict[str, Any]:
        """Everything as plain JSON types (schema 1)."""
        return {
            "schema": 1,
            "hardware": self.measurement.hardware,
            "request": {**self.request.__dict__, "engines": list(self.request.engines), "deeper": self.request.deeper},
            "stopped": self.measurement.stopped,
            "left_out": self.measurement.left_out,
            "accuracy": self.accuracy.to_dict("records"),
            "verdict": self.verdict.to_dict("records"),
            "sentence": self.sentence,
        }


def advise(model: str = "resnet50", *, progress: bool = False, **options: Any) -> Advice:
    """Which module, if any, for ``model`` on this machine: measured within the budget and decided by the
    paper's criterion (see the module docstring). ``options`` are :func:`resolve`'s (block, resolution,
    batch_size, device, engine, precision, budget_min, width). Returns the verdict as data."""
    request = resolve(model, **options)
    measurement = measure(request, progress=progress, log=print if progress else (lambda *_: None))
    if measurement.summary.empty:
        raise ValueError("no engine could run here: " + "; ".join(f"{k}: {v}" for k, v in measurement.left_out.items()))
    accuracy = accuracy_sources(request.model, request.block)
    verdict = decide(measurement.summary, accuracy)
    return Advice(
        request, measurement, accuracy, verdict, sentence(verdict, measurement.summary, request, measurement.hardware)
    )


def plot(advice: Advice) -> Any:
    """Gain against overhead (with the timing's 95 % interval) per engine, the modules and the deeper
    baseline named in a legend. Modules without an accuracy source sit at gain 0, hollow."""
    import matplotlib.pyplot as plt

    from attnlib.attention import display_name
    from attnlib.names import label_words
    from attnlib.plots import module_palette

    summary = advice.measurement.summary
    primary = advice.accuracy[~advice.accuracy.extra.astype(bool)]
    gains = primary[primary.dataset == primary.dataset.iloc[0]].set_index("variant").gain if len(primary) else {}
    engines = list(dict.fromkeys(summary.engine))
    figure, axes = plt.subplots(1, len(engines), figsize=(5.2 * len(engines), 4), squeeze=False)
    palette = module_palette()
    deeper = network_words(advice.request.deeper) if advice.request.deeper else ""
    for axis, engine in zip(axes.flat, engines, strict=True):
        for row in summary[(summary.engine == engine) & (summary.variant != BASELINE)].itertuples():
            known = row.variant in gains
            gain = float(gains[row.variant]) if known else 0.0
            name = display_name(row.variant)
            colour = "black" if row.variant == DEEPER else palette.get(name, "grey")
            if row.variant == DEEPER:
                name = f"deeper baseline ({deeper})"
            axis.errorbar(
                row.overhead_median_pct,
                gain,
                xerr=[[row.overhead_median_pct - row.ci_low_pct], [row.ci_high_pct - row.overhead_median_pct]],
                fmt="*" if row.variant == DEEPER else "o",
                color=colour,
                markerfacecolor=colour if known else "white",
                capsize=2,
                label=name,
            )
        axis.axhline(0, color="grey", linewidth=0.6)
        axis.axvline(0, color="grey", linewidth=0.6)
        axis.set_xlabel("time over the baseline (%, median, 95 % interval)")
        axis.set_ylabel("top-1 gain (points)")
        axis.set_title(f"{label_words(engine)} — {advice.measurement.hardware}", fontsize=9)
        # a legend, not labels beside the points: the modules' points and intervals crowd together
        axis.legend(loc="best", fontsize=8, frameon=False)
    figure.tight_layout()
    return figure


def record(advice: Advice, commit: bool = False, root: Path | None = None) -> Path:
    """Write the measurement as a latency record (experiment ``advise``) with its provenance and the
    verdict; ``commit`` puts it under ``data/results`` (shown by the book once committed to git)."""
    from attnlib.results import provenance, write_record

    request = advice.request
    table = advice.measurement.summary.assign(
        experiment="advise",
        model=lambda t: [request.deeper if v == DEEPER else request.model for v in t.variant],
        group=request.model,
        device=request.device,
        precision=request.precision,
        resolution=request.resolution,
        batch_size=request.batch_size,
    )
    # The command's own protocol is its default budget and interval width; any other is ad hoc.
    default = (request.budget_min, request.width) == (DEFAULT_BUDGET_MIN, DEFAULT_WIDTH)
    profile = "default" if default else f"ad hoc (budget {request.budget_min:g} min, width {request.width:g} points)"
    meta = provenance(
        profile,
        experiment="advise",
        protocol="attnlib advise",
        request=json.loads(json.dumps(advice.as_json()["request"])),
        stopped=advice.measurement.stopped,
        skipped_engines=advice.measurement.left_out,
        machine_load=advice.measurement.machine_load,
        sentence=advice.sentence,
    )
    return write_record("latency", f"advise-{request.device}", table, meta, root, committed=commit)


# --- the book's page: a verdict for every committed hardware record ----------------------------------------


def from_depth_record(record: pd.DataFrame, model: str = "resnet50") -> pd.DataFrame:
    """A committed Fig. 3 record (every depth, batch 1) as :func:`decide`'s measurement for ``model``.

    The modules and the baseline come from ``model``'s interleaved group (with their paired 95 %
    intervals); the deeper baseline was timed in its own group, so its overhead (ratio of medians) has
    no paired interval: it is a point (``paired`` false), and "beats the deeper baseline" says so.
    """
    from attnlib.reproduce.latency import by_setting

    data = by_setting(record[(record.batch_size == 1)])
    deeper = deeper_model(model)
    rows = []
    for engine, part in data.groupby("engine", sort=False):
        group = part[part.model == model]
        if BASELINE not in set(group.variant):
            continue
        base = float(group[group.variant == BASELINE].median_ms.iloc[0])
        for row in group.itertuples():
            rows.append(
                {
                    "engine": engine,
                    "variant": row.variant,
                    "median_ms": row.median_ms,
                    "overhead_median_pct": row.overhead_median_pct,
                    "ci_low_pct": row.ci_low_pct,
                    "ci_high_pct": row.ci_high_pct,
                    "paired": True,
                }
            )
        other = part[(part.model == deeper) & (part.variant == BASELINE)]
        if len(other):
            overhead = 100 * (float(other.median_ms.iloc[0]) / base - 1)
            rows.append(
                {
                    "engine": engine,
                    "variant": DEEPER,
                    "median_ms": float(other.median_ms.iloc[0]),
                    "overhead_median_pct": overhead,
                    "ci_low_pct": overhead,
                    "ci_high_pct": overhead,
                    "paired": False,
                }
            )
    return pd.DataFrame(rows)


def committed_verdicts(model: str = "resnet50") -> list[tuple[str, str, pd.DataFrame, str]]:
    """For every committed record that can answer for ``model`` — ``attnlib advise --commit`` records of
    that model, and the Fig. 3 depth sweeps — (hardware, a label, the verdict table, the sentence)."""
    from attnlib.reproduce.latency import committed_records

    accuracy = accuracy_sources(model)
    found = []
    sources = (("advise", "attnlib advise record"), ("fig3_depth", "Fig. 3 depth sweep"))
    for experiment, kind in sources:
        for hardware, label, record in committed_records(experiment):
            if experiment == "advise":
                record = record[record.group == model]
                summary = record[["engine", "variant", "median_ms", "overhead_median_pct", "ci_low_pct", "ci_high_pct"]]
            else:
                summary = from_depth_record(record, model)
            if summary.empty:
                continue
            first = record.iloc[0]
            request = Request(
                model,
                resolution=int(first.resolution),
                batch_size=int(first.batch_size),
                precision=str(first.precision),
            )
            verdict = decide(summary, accuracy)
            found.append((hardware, f"{kind}: {label}", verdict, sentence(verdict, summary, request, hardware)))
    return found
