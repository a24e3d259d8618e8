"""8-bit on CPU — Fig. 3c's counterpart (Beyond the paper; issue 22, item 2).

The paper timed 16-bit TensorRT on a GPU and found the modules' *relative* overhead higher at the
lower precision (Sect. 4.3.1, Fig. 3c): the convolutions get faster, the memory-bound gates much less.
On a CPU the deployment precision is int8. This module declares the measurement — the baseline and
the five modules at ResNet-18 and -50 (Table 2's depths), batch 1 and 16, 224², on the two CPU engines
that run int8 for real (``compile``: PT2E + inductor; ``openvino``: NNCF), in fp32 and in int8, each
precision's variants timed interleaved — and re-tests the paper's claim on its record.

It also asks whether a module survives quantization: the Fashion-MNIST study's committed networks
(seed 0 of every variant) are evaluated on the 10 000 test images in fp32 and in int8, calibrated on
:data:`ACCURACY_CALIBRATION_IMAGES` training images.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from attnlib.attention import BASELINE, available, display_name
from attnlib.bench.engines import INT8_ENGINES, EngineOptions, get_engine
from attnlib.bench.experiment import Experiment
from attnlib.bench.latency import Variant
from attnlib.names import counted, network_words

EXPERIMENT = "int8"
ACCURACY_KIND = "int8_accuracy"
DEPTHS = (18, 50)
BATCHES = (1, 16)
RESOLUTION = 224
PRECISIONS = ("fp32", "int8")
ACCURACY_CALIBRATION_IMAGES = 500
EVALUATION_BATCH = 500
TRIALS = 20  # timed trials per network: a ResNet-50 at batch 16 takes ~0.5 s on two cores
WARMUP = 2
CLOSE_POINTS = 0.5  # an int8 network "keeps" its accuracy when it loses less than this (top-1 points)


def engine_words(engine: str) -> str:
    """An int8 engine for a reader, e.g. "OpenVINO (NNCF)": the engine and what quantized the network."""
    return get_engine(engine).words("int8")


def experiments(trials: int, warmup: int, threads: int | None, engines: tuple[str, ...] = INT8_ENGINES) -> list:
    """The record's two steps, fp32 then int8: every depth × batch group on ``engines``."""
    groups = [
        ([Variant(f"resnet{depth}", a) for a in (BASELINE, *available())], RESOLUTION, batch)
        for depth in DEPTHS
        for batch in BATCHES
    ]
    return [
        Experiment(EXPERIMENT, groups, engines, EngineOptions(precision=p, threads=threads), trials, warmup)
        for p in PRECISIONS
    ]


def overhead_comparison(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per engine, network, batch and module: its overhead (min, %) in fp32 and in int8 with
    each one's 95 % interval (``fp32_low`` … ``int8_high``, resampled trials), and the baseline's
    milliseconds in each (how much faster int8 made the convolutions)."""
    data = summary[summary.attention != BASELINE]
    keys = ["engine", "model", "batch_size", "attention"]
    table = data.pivot_table(index=keys, columns="precision", values="overhead_min_pct")
    for column, suffix in (("ci_low_pct", "low"), ("ci_high_pct", "high")):
        if column in data:
            bound = data.pivot_table(index=keys, columns="precision", values=column)
            bound.columns = [f"{precision}_{suffix}" for precision in bound.columns]
            table = table.join(bound)
    base = summary[summary.attention == BASELINE].pivot_table(
        index=["engine", "model", "batch_size"], columns="precision", values="min_ms"
    )
    base.columns = [f"baseline_ms_{c}" for c in base.columns]
    return table.reset_index().merge(base.reset_index(), on=["engine", "model", "batch_size"])


def precision_claim(comparison: pd.DataFrame) -> dict[str, Any]:
    """The paper's lower-precision claim re-tested: in how many (engine, network, batch, module) cases
    is the module's relative overhead higher in int8 than in fp32, by how much (median points), and in
    how many the two 95 % intervals do not overlap (``clearly_higher``, ``clearly_lower``) — a
    difference within the timing noise counts for neither."""
    both = comparison.dropna(subset=["fp32", "int8"])
    bounds = {"fp32_low", "fp32_high", "int8_low", "int8_high"} <= set(both.columns)
    return {
        "cases": len(both),
        "higher": int((both["int8"] > both["fp32"]).sum()),
        "clearly_higher": int((both["int8_low"] > both["fp32_high"]).sum()) if bounds else None,
        "clearly_lower": int((both["int8_high"] < both["fp32_low"]).sum()) if bounds else None,
        "median_change": float((both["int8"] - both["fp32"]).median()) if len(both) else float("nan"),
        "speedup": float((both["baseline_ms_fp32"] / both["baseline_ms_int8"]).median()) if len(both) else float("nan"),
    }


def claim_verdict(claim: dict[str, Any]) -> str:
    """``holds`` / ``does not hold`` / ``holds only in part`` / ``cannot be told from the timing noise``.

    With intervals: the claim holds when int8 raises the overhead beyond both intervals in at least a
    quarter of the cases and lowers it so in none (mirrored for "does not hold"); no separated case at
    all is noise. Without intervals (older records): by the point estimates, three cases of four.
    """
    cases, up, down = claim["cases"], claim.get("clearly_higher"), claim.get("clearly_lower")
    if up is None or down is None:
        share = claim["higher"] / cases
        return "holds" if share >= 0.75 else ("does not hold" if share <= 0.25 else "holds only in part")
    if up == down == 0:
        return "cannot be told from the timing noise"
    if down == 0 and up >= cases / 4:
        return "holds"
    if up == 0 and down >= cases / 4:
        return "does not hold"
    return "holds only in part"


def claim_sentence(claim: dict[str, Any], hardware: str) -> str:
    """The verdict (:func:`claim_verdict`) in words, with the counts behind it."""
    if not claim["cases"]:
        return "Not testable here: the record has no module timed in both fp32 and int8."
    separated = ""
    if claim.get("clearly_higher") is not None:
        separated = (
            f"; the two 95 % intervals do not overlap in {claim['clearly_higher']} cases where int8's overhead is "
            f"higher and in {claim['clearly_lower']} where it is lower, and the rest lie within the timing noise"
        )
    return (
        f"**The paper's lower-precision claim {claim_verdict(claim)} for int8 on {hardware}**: int8 made the "
        f"baseline {claim['speedup']:.1f}× faster (median over engines, networks and batches), and a module's "
        f"relative overhead was higher in int8 than in fp32 in {claim['higher']} of {claim['cases']} cases "
        f"(median change {claim['median_change']:+.1f} points){separated}."
    )


# --- does a module survive quantization? ----------------------------------------------------------


def accuracy_networks(profile: str = "default", campaign: str | None = None) -> list[str]:
    """A Fashion-MNIST campaign's networks with committed weights (default: the converged campaign):
    seed 0 of each compared variant and of each deeper baseline."""
    from attnlib.reproduce import fashion

    campaign = campaign or fashion.CONVERGED
    return [
        run.key
        for run in fashion.runs(profile, campaign=campaign)
        if fashion.keeps_weights(run, profile, campaign=campaign)
        and fashion.weights_path(profile, run.key, campaign=campaign).is_file()
    ]


def measure_accuracy(
    profile: str = "default",
    engines: tuple[str, ...] = INT8_ENGINES,
    threads: int | None = None,
    campaign: str | None = None,
) -> pd.DataFrame:
    """Top-1 on the 10 000 test images of each committed network of a Fashion-MNIST campaign (default:
    the converged one) in fp32 (eager) and in int8 on ``engines`` (calibrated on the first
    :data:`ACCURACY_CALIBRATION_IMAGES` images of the campaign's training images), with how often int8
    predicts the fp32 class."""
    import torch

    from attnlib.bench import int8
    from attnlib.bench.engines import prepare
    from attnlib.reproduce import fashion
    from attnlib.train.data import load_fashion_mnist

    campaign = campaign or fashion.CONVERGED
    base = fashion.settings_of(profile, campaign).base
    splits = load_fashion_mnist(base.data_root, base.input_size, base.train_subset)
    test_images, labels = splits.val.images, splits.val.labels
    batches = list(test_images.split(EVALUATION_BATCH))
    if len(batches[-1]) != EVALUATION_BATCH:
        raise ValueError(f"the test set must split into batches of {EVALUATION_BATCH}")
    calibration = [splits.train.images[:ACCURACY_CALIBRATION_IMAGES]]
    rows = []
    for key in accuracy_networks(profile, campaign):
        run = fashion.find_run(profile, key, campaign=campaign)
        network = fashion.load_trained(profile, key, campaign=campaign)
        with torch.inference_mode():
            logits = torch.cat([network(batch) for batch in batches])
        reference = logits.argmax(1)
        base_row = {
            "key": key,
            "part": run.part,
            "network": run.config.model,
            "block": run.config.block,
            "module": run.module,
        }
        top1 = _top1(reference, labels)
        rows.append({**base_row, "engine": "eager", "precision": "fp32", "top1": top1, "same": 1.0, "cosine": 1.0})
        for engine in engines:
            # no fp32 agreement gate here: how far int8 moves a trained network is what is measured
            # (the logits' cosine is recorded beside the accuracy)
            options = EngineOptions(precision="int8", threads=threads)
            with int8.calibrated_on(calibration):
                prepared = prepare(engine, fashion.load_trained(profile, key, campaign=campaign), batches[0], options)
            quantized = torch.cat([prepared.run(batch) for batch in batches])
            predicted = quantized.argmax(1)
            same = float((predicted == reference).float().mean())
            rows.append(
                {
                    **base_row,
                    "engine": engine,
                    "precision": "int8",
                    "top1": _top1(predicted, labels),
                    "same": same,
                    "cosine": int8.agreement(quantized, logits),
                }
            )
    return pd.DataFrame(rows)


def _top1(predicted: Any, labels: Any) -> float:
    return 100.0 * float((predicted == labels).float().mean())


def _module_words(row: Any) -> str:
    """A row's module for a reader; a deeper baseline says so (records before deeper networks were
    evaluated have no ``part``)."""
    return "Baseline (deeper network)" if getattr(row, "part", "compare") == "deeper" else display_name(row.module)


def accuracy_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per network and module: fp32 top-1, and each int8 engine's top-1 with its change in
    points — as text, so the table fits the page's width."""
    fp32 = frame[frame.precision == "fp32"].set_index("key")
    table = pd.DataFrame(
        {
            "Network": [network_words(row.network, row.block, cifar=False) for row in fp32.itertuples()],
            "Module": [_module_words(row) for row in fp32.itertuples()],
            "fp32 top-1 (%)": [f"{v:.2f}" for v in fp32.top1],
        },
        index=fp32.index,
    )
    for engine, part in frame[frame.precision == "int8"].groupby("engine", sort=False):
        part = part.set_index("key").reindex(table.index)
        change = part.top1 - fp32.top1
        table[f"int8 {engine_words(engine)} (%)"] = [
            f"{v:.2f} ({d:+.2f})" for v, d in zip(part.top1, change, strict=True)
        ]
    return table.reset_index(drop=True)


def accuracy_sentence(frame: pd.DataFrame) -> str:
    """Does a module survive quantization? In words, per engine: whether every network stays within
    :data:`CLOSE_POINTS` of its fp32 top-1, else which lose more, beside what the baseline loses."""
    fp32 = frame[frame.precision == "fp32"].set_index("key").top1
    int8 = frame[frame.precision == "int8"]
    if int8.empty:
        return "Not testable here: no int8 network was evaluated."
    drops = int8.assign(change=lambda t: t.top1 - t.key.map(fp32))
    parts = []
    for engine, part in drops.groupby("engine", sort=False):
        words = engine_words(engine)
        worst = part.loc[part.change.idxmin()]
        losers = part[part.change <= -CLOSE_POINTS]
        if losers.empty:
            parts.append(
                f"**{words}: every module survives int8** — no network lost {CLOSE_POINTS} top-1 points or "
                f"more (largest loss {-min(worst.change, 0):.2f}, {display_name(worst.module)} in "
                f"{network_words(worst.network, worst.block, cifar=False)})"
            )
            continue
        named = ", ".join(
            f"{display_name(r.module)} in {network_words(r.network, r.block, cifar=False)} {r.change:+.2f}"
            for r in losers.itertuples()
        )
        parts.append(
            f"**{words}: {len(losers)} of {len(part)} networks lose {CLOSE_POINTS} top-1 points or more** ({named})"
        )
    return "; ".join(parts) + "."


# --- the chapter's section ---------------------------------------------------------------------------


def comparison_display(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`overhead_comparison` for the page: words and rounded numbers, one row per case."""
    return pd.DataFrame(
        {
            "Engine": comparison.engine.map(lambda e: engine_words(e)),
            "Network": comparison.model.map(network_words),
            "Batch": comparison.batch_size,
            "Module": comparison.attention.map(display_name),
            "fp32 overhead (%)": comparison["fp32"].round(1),
            "int8 overhead (%)": comparison["int8"].round(1),
            "Baseline fp32 → int8 (ms)": [
                f"{a:.1f} → {b:.1f}"
                for a, b in zip(comparison.baseline_ms_fp32, comparison.baseline_ms_int8, strict=True)
            ],
        }
    )


def show(record: pd.DataFrame, hardware: str, where: str) -> None:
    """One committed int8 record on the page: the verdict on the paper's claim, then the table."""
    from IPython.display import Markdown, display

    from attnlib.plots import collapsed_table

    if set(PRECISIONS) - set(record.precision):
        display(Markdown(f"*This {where} lacks one of the precisions ({', '.join(PRECISIONS)}); nothing to compare.*"))
        return
    comparison = overhead_comparison(record)
    display(Markdown(claim_sentence(precision_claim(comparison), hardware)))
    table = comparison_display(comparison)
    summary = f"Overhead of each module in fp32 and int8 ({where})"
    display(collapsed_table(table.style.hide(axis="index").format(precision=1), summary, rows=len(table)))


def record_campaign(record: dict[str, Any]) -> str:
    """The Fashion-MNIST campaign an int8-accuracy record evaluated (records that do not say are the
    short campaign's: they were made before the converged campaign existed)."""
    from attnlib.reproduce import fashion

    return str(record.get("campaign") or fashion.SHORT)


def current_networks(frame: pd.DataFrame, campaign: str, profile: str = "default") -> pd.DataFrame:
    """The rows of an int8-accuracy record whose networks are still the campaign's: the record's fp32
    top-1 of a network equals the final top-1 of the committed run of today's settings (to 0.02 points).
    A network retrained since (a lengthened schedule) is another network: its old rows are left out, and
    ``attrs["superseded"]`` names how many networks were dropped."""
    from attnlib.reproduce import fashion

    finals = fashion.committed_finals(profile, campaign=campaign)
    final = dict(zip(finals.key, finals.top1, strict=True)) if len(finals) else {}
    fp32 = frame[(frame.engine == "eager") & (frame.precision == "fp32")].set_index("key").top1
    current = [key for key, top1 in fp32.items() if key in final and abs(float(final[key]) - float(top1)) <= 0.02]
    kept = frame[frame.key.isin(current)].reset_index(drop=True)
    kept.attrs["superseded"] = int(fp32.index.nunique() - len(current))
    return kept


def newest_accuracy_records() -> list[tuple[str, pd.DataFrame, dict[str, Any]]]:
    """The newest committed int8-accuracy record of each campaign, the converged campaign first:
    (campaign, table, provenance). A newer record of a campaign (more of its networks evaluated)
    replaces the older one on the page. Only the rows of networks still in the campaign are kept
    (:func:`current_networks`); a record left with none is not shown."""
    from attnlib.reproduce import fashion
    from attnlib.results import read_records

    newest: dict[str, tuple[pd.DataFrame, dict[str, Any]]] = {}
    for frame, record in read_records(ACCURACY_KIND):  # oldest first
        newest[record_campaign(record)] = (frame, record)
    found = []
    for campaign in (c for c in fashion.CAMPAIGNS if c in newest):
        frame, record = newest[campaign]
        kept = current_networks(frame, campaign, str(record.get("profile") or "default"))
        if len(kept):
            found.append((campaign, kept, record))
    return found


def show_accuracy() -> None:
    """The newest committed int8-accuracy record of each campaign: label with provenance, the verdict in
    words, the table."""
    from IPython.display import Markdown, display

    from attnlib.reproduce import fashion

    records = newest_accuracy_records()
    if not records:
        display(Markdown("*No committed record yet: `attnlib bench int8-accuracy --commit` makes one.*"))
    for campaign, frame, record in records:
        threads = record.get("threads") or record.get("torch_threads")
        display(
            Markdown(
                f"**The {campaign} campaign's networks** ({fashion.CAMPAIGN_WORDS[campaign]}), evaluated on "
                f"{record.get('cpu')} with {counted(int(threads), 'thread') if threads else 'its default threads'}, "
                f"{record.get('dataset')}, calibrated on {record.get('calibration_images')} training images, "
                f"{str(record.get('date'))[:10]}, commit `{str(record.get('git_commit'))[:7]}`:"
            )
        )
        display(Markdown(accuracy_sentence(frame)))
        if frame.attrs.get("superseded"):
            display(
                Markdown(
                    f"*{counted(frame.attrs['superseded'], 'network')} this record evaluated "
                    f"{'was' if frame.attrs['superseded'] == 1 else 'were'} retrained since (a longer schedule): "
                    "left out until `attnlib bench int8-accuracy --commit` evaluates the new weights.*"
                )
            )
        display(accuracy_table(frame).style.hide(axis="index"))
