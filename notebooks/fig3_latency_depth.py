# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Latency vs depth (Fig. 3, Table 2's timing columns)
#
# The paper's central claim (Sect. 4.3.1): attention modules add 0.2–3 % FLOPs but 5–50 % single-image
# inference time. It timed ResNet-18 … 152 with each module, batch 1, 224², on an RTX 2080 Ti in
# PyTorch and TensorRT (fp32 and fp16), reporting the minimum of 1000 trials.
#
# The page leads with **committed run records** — careful measurements made with `attnlib bench --preset`,
# labelled with their hardware — and checks the paper's statements on them. Below, **this machine,
# now**: the same sweep timed while the book was built, shown with a noise check that withholds
# conclusions when the measurement cannot support them. In both, all six networks of a depth are
# **interleaved round-robin** in one run (so drift hits all alike); we report the minimum (the paper's
# statistic), and the median with a bootstrap 95 % interval. Every engine's output is checked against
# eager PyTorch before it is timed.
#
# The paper's Fig. 3 image is not part of our copy of the paper, so no values are read off it; its
# exact numbers are Table 2's (ResNet-18/50), compared below, and its statements are checked at the end.

# %% tags=["parameters"]
profile = "default"
engines = None
depths = None
trials = None
threads = None
save_record = False

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.bench import EngineOptions
from attnlib.bench.latency import depth_groups
from attnlib.bench.presets import Experiment, run_experiment
from attnlib.bench.report import (
    best_engine,
    committed_records,
    depth_conclusions,
    engine_availability,
    guarded_conclusions,
    latency_settings,
    module_comparison,
    overhead_table,
    override,
    reduced_protocol_warning,
    show_committed_records,
    table2_latency,
)
from attnlib.plots import plot_latency_vs_depth
from attnlib.results import provenance, provenance_table

settings = override(latency_settings("fig3_depth", profile), engines=engines, depths=depths, trials=trials)
run = provenance(profile, experiment="fig3_depth", settings=str(settings))
hardware = run["gpu"] if settings.device == "cuda" else f"{run['cpu']} ({threads or run['torch_threads']} threads)"
table2 = paper.load("table2")


def show(summary: pd.DataFrame, hardware_name: str, where: str) -> None:
    """Fig. 3, the overhead table, Table 2's timing columns and the checked conclusions of one sweep."""
    engine = best_engine(summary)
    display(Markdown(f"Best optimising engine (fastest baseline): **{engine or 'none ran'}**."))
    figure = plot_latency_vs_depth(summary, hardware_name)
    display(figure)
    plt.close(figure)  # shown once, here, in order
    display(Markdown("Overhead of each module over its baseline (%, minimum of the trials):"))
    display(overhead_table(summary))
    display(Markdown("Table 2, timing columns — paper (RTX 2080 Ti) beside these measurements:"))
    display(table2_latency(summary, table2, engine).round(2).style.format(precision=2).hide(axis="index"))
    display(Markdown("Which of the paper's conclusions hold here?"))
    display(guarded_conclusions(depth_conclusions(summary, engine), summary, where))


# %% [markdown]
# ## Committed run records: the headline measurements
#
# Made with `attnlib bench --preset cpu|gpu --commit` and committed to `data/results/latency/`, each
# labelled with its hardware, protocol and date. They are shown on every build, whatever machine
# builds the book. Absolute times are not comparable across hardware; the overhead columns (% over
# the same engine's baseline) are the quantity to compare with the paper.

# %%
show_committed_records("fig3_depth", show)

# %% [markdown]
# ## This machine, now
#
# The same sweep, timed while this book was built (the `profile` parameter sets its size). On a
# shared or busy machine it is noisy: its conclusions are shown only when it passes the noise check.

# %%
warning = reduced_protocol_warning(profile, hardware, f"{settings.trials} trials per network")
if warning:
    display(Markdown(warning))
engine_availability(settings.engines, EngineOptions(device=settings.device))

# %%
summaries = []
for precision in settings.precisions:
    options = EngineOptions(device=settings.device, precision=precision, threads=threads)
    experiment = Experiment(
        "fig3_depth", depth_groups(settings.depths), settings.engines, options, settings.trials, settings.warmup
    )
    result, record_path = run_experiment(experiment, profile, save=save_record, protocol="notebook fig3")
    summaries.append(result.summary)
    for skipped_engine, reason in result.skipped.items():
        display(Markdown(f"*Skipped `{skipped_engine}` ({precision}): {reason}.*"))
summary = pd.concat(summaries, ignore_index=True)
show(summary, hardware, f"this machine ({hardware}), now")

# %% [markdown]
# ## Fast modules: attnlib vs plain reference vs timm
#
# `attnlib bench modules` times, interleaved in one run, the same ResNet-50 (224², batch 1) with
# attnlib's modules, with plain implementations written the way the public reference code writes them
# (`attnlib.bench.plain`: `AdaptiveAvgPool2d`, `expand_as`, separate Multi-SE branches, SRM's
# `var` over a flattened map), and with timm's SE and ECA. Same weights, same function; only the
# implementation differs. Committed records:

# %%
for _, label, record in committed_records("modules") or [("", "*No committed records yet.*", None)]:
    display(Markdown(label))
    if record is not None:
        display(module_comparison(record))

# %% [markdown]
# ## Provenance of this page's measurements

# %%
provenance_table(run).style.hide(axis="index")
