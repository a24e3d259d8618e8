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
# # Which module for your hardware?
#
# The paper's question is practical: a channel attention module costs little arithmetic but real time,
# and whether it is worth it depends on the hardware and the engine. Its criterion (Fig. 4) is whether
# a module **beats simply using the next deeper ResNet** — more accurate for less time. This page
# answers that question for ResNet-50 on every machine that left a committed record, one verdict per
# machine and engine, and shows how to get the answer for yours.
#
# How each verdict is made (`attnlib.advice`): the modules' overheads over the baseline are medians
# with paired 95 % bootstrap intervals from an interleaved measurement; the accuracy gains are the
# paper's Table 2 (ImageNet top-1; our own committed ImageNet records would replace them), and the
# ResNet-101 baseline's gain over ResNet-50 is torchvision's published top-1 of its V1 weights. A module
# *beats the deeper baseline* when its time is below ResNet-101's (intervals apart) and its gain at least
# as large; it is *Pareto-optimal* when no other choice is both cheaper and more accurate. The
# accuracy side is the paper's and torchvision's, not measured here; the time side is each machine's.

# %% tags=["parameters"]
profile = "default"
model = "resnet50"

# %%
from IPython.display import Markdown, display

from attnlib.advice import committed_verdicts, reader_table
from attnlib.plots import collapsed_table
from attnlib.provenance import provenance
from attnlib.reproduce.claims import styled
from attnlib.results import provenance_table

run = provenance(profile, experiment="advise_page")
verdicts = committed_verdicts(model)
if not verdicts:
    display(Markdown("*No committed record can answer for this network yet: run `attnlib advise --commit`.*"))

# %% [markdown]
# ## The verdicts, machine by machine

# %%
import pandas as pd

overview = pd.DataFrame(
    [{"machine": found.hardware, "record": found.label.split(":")[0], "verdict": found.sentence} for found in verdicts]
)
styled(overview) if len(overview) else None

# %% [markdown]
# Each record in detail (the columns: the module's time over the baseline with its 95 % interval, its
# top-1 gain and where that number comes from, the gain per percent of time, and the two criteria):

# %%
for found in verdicts:
    display(Markdown(found.label))
    table = reader_table(found.verdict)
    display(collapsed_table(styled(table), f"Verdict table, {found.hardware}", len(found.verdict)))

# %% [markdown]
# ## On your machine
#
# ```bash
# .venv/bin/attnlib advise --model resnet50 --plot advice.png    # about 2 minutes; --json for the data
# ```
#
# It times the baseline, the five modules and the next deeper ResNet interleaved on your device (CUDA
# when present), eager and the fastest optimising engine installed, in rounds until every overhead's
# 95 % interval is narrower than `--width` points or the `--budget` (minutes, preparation included) is
# spent, and prints the table above and one sentence. `--commit` writes the measurement as a record
# under `data/results/latency/`; committed, it joins this page on the next build.

# %% [markdown]
# ## Provenance

# %%
provenance_table(run).style.hide(axis="index")
