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
# Here every engine available on the machine that builds the book is timed the same way, with all
# six networks of a depth **interleaved round-robin** in one run (so drift hits all alike); we report
# the minimum (the paper's statistic), and the median with a bootstrap 95 % interval in the tables.
# Every engine's output is checked against eager PyTorch before it is timed.
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
    latency_settings,
    module_comparison,
    overhead_table,
    override,
    reduced_protocol_warning,
    table2_latency,
)
from attnlib.plots import plot_latency_vs_depth
from attnlib.results import provenance, provenance_table

settings = override(latency_settings("fig3_depth", profile), engines=engines, depths=depths, trials=trials)
run = provenance(profile, experiment="fig3_depth", settings=str(settings))
hardware = run["gpu"] if settings.device == "cuda" else f"{run['cpu']} ({threads or run['torch_threads']} threads)"
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
    result, record_path = run_experiment(experiment, profile, save=save_record)
    summaries.append(result.summary)
    for engine, reason in result.skipped.items():
        display(Markdown(f"*Skipped `{engine}` ({precision}): {reason}.*"))
summary = pd.concat(summaries, ignore_index=True)
engine = best_engine(summary)
display(Markdown(f"Best optimising engine here (fastest baseline): **{engine or 'none ran'}**."))

# %% [markdown]
# ## Fig. 3: time vs depth

# %%
figure = plot_latency_vs_depth(summary, hardware)

# %% [markdown]
# ## Overhead of each module over its baseline (%, minimum of the trials)

# %%
overhead_table(summary)

# %% [markdown]
# ## Table 2, timing columns: paper (RTX 2080 Ti) vs this machine
#
# Absolute times are not comparable across hardware; the overhead columns (% over the same
# engine's baseline) are the quantity to compare.

# %%
table2_latency(summary, paper.load("table2"), engine).round(2).style.format(precision=2).hide(axis="index")

# %% [markdown]
# ## Which of the paper's conclusions hold here?

# %%
depth_conclusions(summary, engine).style.hide(axis="index")

# %% [markdown]
# ## Committed run records
#
# Measurements made with `attnlib bench --preset cpu|gpu` and committed to `data/results/latency/`,
# each labelled with its hardware, profile and date. They are shown on every build, whatever machine
# builds the book.

# %%
for hardware_name, label, record in committed_records("fig3_depth") or [("", "*No committed records yet.*", None)]:
    display(Markdown(label))
    if record is not None:
        figure = plot_latency_vs_depth(record, hardware_name)
        display(overhead_table(record))

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
