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
# # Latency vs input resolution (Fig. 5)
#
# Sect. 4.3.2: attention modules have resolution-dependent parts (pooling, integration) and
# resolution-independent ones (processing). The paper timed ResNet-50 with each module, batch 1,
# square inputs from 32² to 1024² (PyTorch) and 64² to 1536² (TensorRT), and drew ResNet-101's extra
# time over ResNet-50 for reference. Its statements (the figure image is not in our copy of the paper):
# the PyTorch overhead drops drastically above 512²; ResNet-101's extra time is constant over
# resolution; TensorRT's module overhead is more constant.
#
# Here: ResNet-50 with each module and a baseline ResNet-101, interleaved in one run per resolution.

# %% tags=["parameters"]
profile = "default"
engines = None
resolutions = None
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
from attnlib.bench.latency import resolution_groups
from attnlib.bench.presets import Experiment, run_experiment
from attnlib.bench.report import (
    depth_from_model,
    guarded_conclusions,
    latency_settings,
    overhead_table,
    override,
    reduced_protocol_warning,
    resolution_conclusions,
    show_committed_records,
)
from attnlib.plots import plot_overhead_vs
from attnlib.results import provenance, provenance_table

settings = override(
    latency_settings("fig5_resolution", profile), engines=engines, resolutions=resolutions, depths=depths, trials=trials
)
run = provenance(profile, experiment="fig5_resolution", settings=str(settings))
hardware = run["gpu"] if settings.device == "cuda" else f"{run['cpu']} ({threads or run['torch_threads']} threads)"
claims = paper.load("figure_claims").query("figure == 'Fig. 5'")


def show(summary: pd.DataFrame, hardware_name: str, where: str) -> None:
    """Fig. 5, the overhead table and the paper's statements checked on one resolution sweep."""
    summary = summary.assign(depth=summary.group.map(depth_from_model))
    figure = plot_overhead_vs(
        summary, "resolution", hardware_name, row="depth" if summary.depth.nunique() > 1 else None
    )
    display(figure)
    plt.close(figure)  # shown once, here, in order
    display(overhead_table(summary, index="resolution"))
    display(Markdown("The paper's statements, checked here:"))
    display(guarded_conclusions(resolution_conclusions(summary, claims), summary, where))


# %% [markdown]
# ## Committed run records: the headline measurements
#
# Made with `attnlib bench --preset cpu|gpu --commit` and committed to `data/results/latency/`, each
# labelled with its hardware, protocol and date; shown on every build, whatever machine builds the book.

# %%
show_committed_records("fig5_resolution", show)

# %% [markdown]
# ## This machine, now
#
# The same sweep, timed while this book was built (the `profile` parameter sets its size); its
# conclusions are shown only when it passes the noise check.

# %%
warning = reduced_protocol_warning(
    profile, hardware, f"{settings.trials} trials per network, resolutions {list(settings.resolutions)}"
)
if warning:
    display(Markdown(warning))
options = EngineOptions(device=settings.device, threads=threads)
experiment = Experiment(
    "fig5_resolution",
    resolution_groups(settings.resolutions, settings.depths),
    settings.engines,
    options,
    settings.trials,
    settings.warmup,
)
result, record_path = run_experiment(experiment, profile, save=save_record, protocol="notebook fig5")
for engine, reason in result.skipped.items():
    display(Markdown(f"*Skipped `{engine}`: {reason}.*"))
show(result.summary, hardware, f"this machine ({hardware}), now")

# %% [markdown]
# ## Provenance of this page's measurements

# %%
provenance_table(run).style.hide(axis="index")
