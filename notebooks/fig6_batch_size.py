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
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.bench import EngineOptions
from attnlib.bench.latency import batch_groups
from attnlib.bench.presets import Experiment, load_latency_records, run_experiment
from attnlib.bench.report import batch_conclusions, latency_settings, overhead_table, override
from attnlib.plots import plot_overhead_vs
from attnlib.results import provenance, provenance_table

settings = override(latency_settings("fig6_batch", profile), engines=engines, depths=depths,
                    batch_sizes=batch_sizes, trials=trials)
run = provenance(profile, experiment="fig6_batch", settings=str(settings))
hardware = run["gpu"] if settings.device == "cuda" else f"{run['cpu']} ({threads or run['torch_threads']} threads)"
if profile != "paper":
    display(Markdown(
        f":::{{warning}}\n**Profile `{profile}` — measured while building this book on {hardware}, "
        f"{settings.trials} trials, batch sizes {list(settings.batch_sizes)}, ResNet-{list(settings.depths)}** "
        "(the paper: TensorRT on an RTX 2080 Ti, batch 1–64). A reduced CPU protocol.\n:::"
    ))

# %%
options = EngineOptions(device=settings.device, threads=threads)
groups = batch_groups(settings.batch_sizes, settings.depths, resolution=settings.resolutions[0])
experiment = Experiment("fig6_batch", groups, settings.engines, options, settings.trials, settings.warmup)
result, record_path = run_experiment(experiment, profile, save=save_record)
summary = result.summary.assign(depth=lambda s: s.model.str.extract(r"(\d+)$")[0].astype(int))
for engine, reason in result.skipped.items():
    display(Markdown(f"*Skipped `{engine}`: {reason}.*"))

# %%
figure = plot_overhead_vs(summary, "batch_size", hardware, row="depth")

# %%
overhead_table(summary, index="batch_size")

# %% [markdown]
# ## The paper's statements, checked here

# %%
claims = paper.load("figure_claims").query("figure == 'Fig. 6'")
batch_conclusions(summary, claims).style.hide(axis="index")

# %% [markdown]
# ## Committed run records

# %%
records = load_latency_records("fig6_batch")
if records.empty:
    display(Markdown("*No committed Fig. 6 records yet.*"))
else:
    for (hardware_name, date), record in records.groupby(["hardware", "date"]):
        display(Markdown(f"**{hardware_name}** — profile `{record.record_profile.iloc[0]}`, {date}, "
                         f"commit `{record.commit.iloc[0]}`"))
        figure = plot_overhead_vs(record.assign(depth=record.model.str.extract(r"(\d+)$")[0].astype(int)),
                                  "batch_size", hardware_name, row="depth")

# %% [markdown]
# ## Provenance of this page's measurements

# %%
provenance_table(run).style.hide(axis="index")
