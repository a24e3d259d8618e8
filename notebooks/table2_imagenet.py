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
# Sect. 4.1.2: ResNet-18 (8 modules) and ResNet-50 (16 modules) trained from scratch on ImageNet
# {cite}`deng2009imagenet` for 90
# epochs (batch 256, lr 0.1, ×0.1 twice; the paper's code steps at 0-indexed epochs 31 and 61, the
# common recipe at 30 and 60 — `lr_milestones`), then timed single-image on an RTX 2080 Ti. This page
# joins the accuracy columns with the complexity ({doc}`fig2_complexity`) and timing
# ({doc}`fig3_latency_depth`) columns.
#
# Our `paper` profile runs this protocol on a GPU when one is present, with mixed precision (AMP) and
# channels_last: they change the arithmetic's precision and memory layout, not the schedule,
# batch or data. All the runs of this table are planned, launched, resumed and collected with
# `attnlib reproduce table2 --profile paper` (see the README).

# %% tags=["parameters"]
profile = "default"
save_records = False

# %%
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.reproduce import table2
from attnlib.reproduce.common import open_page, show_page_warning
from attnlib.reproduce.table2 import accuracy, run_accuracy, table2_full, timing_record
from attnlib.results import provenance_table

# Every chapter page opens alike (same shape, its own chapter): settings, provenance, warning.
page = open_page(table2, profile)
show_page_warning(page)
settings, run = page.settings, page.run

# %%
shown_accuracy, note = accuracy(run_accuracy(settings, profile, save_records=save_records))
if note:
    display(Markdown(note))
latency, timing_label = timing_record()
display(Markdown(f"Timing columns: committed Fig. 3 record — {timing_label}."))

# %%
table = table2_full(shown_accuracy, latency, paper.load("table2"))
table.style.format(precision=2, na_rep="—").hide(axis="index")

# %%
provenance_table(run).style.hide(axis="index")
