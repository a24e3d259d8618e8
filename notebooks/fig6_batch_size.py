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
# # Latency vs batch size (Fig. 6)
#
# Sect. 4.3.2: at fixed 224², larger batches let a GPU run the modules' small matrix products in
# parallel, while their resolution-dependent parts grow linearly with the batch; the paper (TensorRT,
# ResNet-18/50/152, batch 1–64) concludes that complex modules such as Multi-SE become attractive
# above batch 16 and high resolutions, and simple ones (ECA, AB) are preferred for single images.
# The figure image is not in our copy of the paper; its statements are checked below.

# %% tags=["parameters"]
profile = "default"
engines = None
depths = None
batch_sizes = None
trials = None
threads = None
save_record = False

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.bench import EngineOptions
from attnlib.bench.latency import batch_groups
from attnlib.bench.presets import Experiment, run_experiment
from attnlib.bench.report import (
    batch_conclusions,
    depth_from_model,
    guarded_conclusions,
    latency_settings,
    overhead_table,
    override,
    reduced_protocol_warning,
    show_committed_records,
)
from attnlib.plots import plot_overhead_vs
from attnlib.results import provenance, provenance_table

settings = override(
    latency_settings("fig6_batch", profile), engines=engines, depths=depths, batch_sizes=batch_sizes, trials=trials
)
run = provenance(profile, experiment="fig6_batch", settings=str(settings))
hardware = run["gpu"] if settings.device == "cuda" else f"{run['cpu']} ({threads or run['torch_threads']} threads)"
claims = paper.load("figure_claims").query("figure == 'Fig. 6'")


def show(summary: pd.DataFrame, hardware_name: str, where: str) -> None:
    """Fig. 6, the overhead table and the paper's statements checked on one batch-size sweep."""
    summary = summary.assign(depth=summary.model.map(depth_from_model))
    figure = plot_overhead_vs(summary, "batch_size", hardware_name, row="depth")
    display(figure)
    plt.close(figure)  # shown once, here, in order
    display(overhead_table(summary, index="batch_size"))
    display(Markdown("The paper's statements, checked here:"))
    display(guarded_conclusions(batch_conclusions(summary, claims), summary, where))


# %% [markdown]
# ## Committed run records: the headline measurements
#
# Made with `attnlib bench --preset cpu|gpu --commit` and committed to `data/results/latency/`, each
# labelled with its hardware, protocol and date; shown on every build, whatever machine builds the book.

# %%
show_committed_records("fig6_batch", show)

# %% [markdown]
# ## This machine, now
#
# The same sweep, timed while this book was built (the `profile` parameter sets its size); its
# conclusions are shown only when it passes the noise check.

# %%
warning = reduced_protocol_warning(
    profile,
    hardware,
    f"{settings.trials} trials, batch sizes {list(settings.batch_sizes)}, ResNet-{list(settings.depths)}",
)
if warning:
    display(Markdown(warning))
options = EngineOptions(device=settings.device, threads=threads)
groups = batch_groups(settings.batch_sizes, settings.depths, resolution=settings.resolutions[0])
experiment = Experiment("fig6_batch", groups, settings.engines, options, settings.trials, settings.warmup)
result, record_path = run_experiment(experiment, profile, save=save_record, protocol="notebook fig6")
for engine, reason in result.skipped.items():
    display(Markdown(f"*Skipped `{engine}`: {reason}.*"))
show(result.summary, hardware, f"this machine ({hardware}), now")

# %% [markdown]
# ## Provenance of this page's measurements

# %%
provenance_table(run).style.hide(axis="index")
