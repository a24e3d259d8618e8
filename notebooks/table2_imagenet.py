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
# # ImageNet accuracy with complexity and latency (Table 2)
#
# Sect. 4.1.2: ResNet-18 (8 modules) and ResNet-50 (16 modules) trained from scratch on ImageNet for 90
# epochs (batch 256, lr 0.1, ×0.1 twice; the paper's code steps at 0-indexed epochs 31 and 61, the
# common recipe at 30 and 60 — `lr_milestones`), then timed single-image on an RTX 2080 Ti. This page
# joins the accuracy columns with the complexity ({doc}`fig2_complexity`) and timing
# ({doc}`fig3_latency_depth`) columns.

# %% tags=["parameters"]
profile = "default"
save_records = False

# %%
import pandas as pd
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.bench.report import committed_records
from attnlib.results import provenance, provenance_table
from attnlib.train.experiments import run_accuracy, synthetic_data_warning, table2_full, table2_settings
from attnlib.train.records import final_epochs

settings = table2_settings(profile)
run = provenance(profile, experiment="table2", settings=str(settings))
if profile != "paper":
    display(
        Markdown(
            synthetic_data_warning(
                'the "ours top-1/top-5" columns say nothing about the paper\'s claims',
                f"Profile `{profile}`: ResNet-{'/'.join(m[0][6:] for m in settings.models)} "
                "trained for a few epochs on a "
                f"**generated** 100-class, 64² dataset on {run['cpu']}, to check the ImageNet pipeline end to end. "
                "Run `-p profile paper` with ImageNet (`ATTNLIB_IMAGENET`) on GPUs for the real protocol.",
            )
        )
    )

# %%
accuracy = run_accuracy(settings, profile, save_records=save_records)
imagenet_records = final_epochs("imagenet")
if not imagenet_records.empty:
    display(Markdown("Accuracy columns use the committed **ImageNet run records** (real data)."))
    accuracy = imagenet_records
latency_records = committed_records("fig3_depth")
latency = latency_records[-1][2] if latency_records else pd.DataFrame()
timing_label = latency_records[-1][1] if latency_records else "no committed latency record"
display(Markdown(f"Timing columns: committed Fig. 3 record — {timing_label}."))

# %%
table = table2_full(accuracy, latency, paper.load("table2"))
table.style.format(precision=2, na_rep="—").hide(axis="index")

# %%
provenance_table(run).style.hide(axis="index")
