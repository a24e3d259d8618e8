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
trials = None
threads = None
save_record = False

# %%
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.bench import EngineOptions
from attnlib.bench.latency import resolution_groups
from attnlib.bench.presets import Experiment, load_latency_records, run_experiment
from attnlib.bench.report import latency_settings, overhead_table, override, resolution_conclusions
from attnlib.plots import plot_overhead_vs
from attnlib.results import provenance, provenance_table

settings = override(latency_settings("fig5_resolution", profile), engines=engines, resolutions=resolutions,
                    trials=trials)
run = provenance(profile, experiment="fig5_resolution", settings=str(settings))
hardware = run["gpu"] if settings.device == "cuda" else f"{run['cpu']} ({threads or run['torch_threads']} threads)"
if profile != "paper":
    display(Markdown(
        f":::{{warning}}\n**Profile `{profile}` — measured while building this book on {hardware}, "
        f"{settings.trials} trials per network, resolutions {list(settings.resolutions)}** (the paper: 1000 trials, "
        "RTX 2080 Ti, up to 1024²/1536²). A reduced CPU protocol, not the paper's GPU numbers.\n:::"
    ))

# %%
options = EngineOptions(device=settings.device, threads=threads)
experiment = Experiment("fig5_resolution", resolution_groups(settings.resolutions), settings.engines, options,
                        settings.trials, settings.warmup)
result, record_path = run_experiment(experiment, profile, save=save_record)
summary = result.summary
for engine, reason in result.skipped.items():
    display(Markdown(f"*Skipped `{engine}`: {reason}.*"))

# %%
figure = plot_overhead_vs(summary, "resolution", hardware)

# %%
overhead_table(summary, index="resolution")

# %% [markdown]
# ## The paper's statements, checked here

# %%
claims = paper.load("figure_claims").query("figure == 'Fig. 5'")
resolution_conclusions(summary, claims).style.hide(axis="index")

# %% [markdown]
# ## Committed run records

# %%
records = load_latency_records("fig5_resolution")
if records.empty:
    display(Markdown("*No committed Fig. 5 records yet.*"))
else:
    for (hardware_name, date), record in records.groupby(["hardware", "date"]):
        display(Markdown(f"**{hardware_name}** — profile `{record.record_profile.iloc[0]}`, {date}, "
                         f"commit `{record.commit.iloc[0]}`"))
        figure = plot_overhead_vs(record, "resolution", hardware_name)

# %% [markdown]
# ## Provenance of this page's measurements

# %%
provenance_table(run).style.hide(axis="index")
