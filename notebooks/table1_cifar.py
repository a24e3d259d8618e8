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
# # CIFAR accuracy (Table 1)
#
# Sect. 4.1.1: ResNet-56 with basic blocks (27 modules) and with bottleneck blocks (18 modules),
# trained from scratch on CIFAR-10 and CIFAR-100 {cite}`krizhevsky2009cifar` for 164 epochs (batch 128,
# lr 0.2, ×0.1 at epochs 81 and 122, SGD momentum 0.9, weight decay 1e-4), mean over 3 seeds. The paper finds
# no single best
# module, and much larger gains with bottleneck blocks (≈3 points on CIFAR-100) than with basic
# blocks (≈1 point).
#
# Our `paper` profile runs this protocol on a GPU when one is present, with mixed precision (AMP) and
# channels_last, and CIFAR's random crop and flip done per batch on the GPU (same distribution): they change
# the arithmetic's precision and memory layout, not the schedule,
# batch or data. All the runs of this table are planned, launched, resumed and collected with
# `attnlib reproduce table1 --profile paper` (see the README).

# %% tags=["parameters"]
profile = "default"
save_records = False

# %%
# The accuracy chapters call their module in the same order (the same shape as table3's cells).
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.reader import reader_labels
from attnlib.reproduce import table1
from attnlib.reproduce.common import open_page, show_page_warning
from attnlib.reproduce.table1 import (
    aggregate_seeds,
    committed_comparison,
    paper_table1,
    run_accuracy,
    table1_style,
)
from attnlib.results import provenance_table

# Every chapter page opens alike (same shape, its own chapter): settings, provenance, warning.
page = open_page(table1, profile)
show_page_warning(page)
settings, run = page.settings, page.run

# %%
finals = run_accuracy(settings, profile, save_records=save_records)
summary = aggregate_seeds(finals)

# %% [markdown]
# ## This run, in Table 1's layout
#
# Mean ± standard deviation over seeds; as in the paper, the best module of each column is **bold** and
# those within one standard deviation of it are underlined.

# %%
table1_style(summary)

# %% [markdown]
# ## The paper's Table 1
#
# From `data/paper/table1_cifar.csv`; `*` marks the best value of each column. Differences to the
# paper are shown only for runs on the real datasets (committed records below).

# %%
reader_labels(paper_table1(paper.load("table1")))

# %% [markdown]
# ## Committed run records on real CIFAR
#
# Runs made with `attnlib train --profile paper --commit` (`data/results/cifar/`), once committed to git, with the
# difference to the paper per cell.

# %%
comparison = committed_comparison()
if comparison.empty:
    display(
        Markdown(
            "*No committed CIFAR run records yet: Table 1 has not been run on real data here "
            "(no GPU and no dataset download on the machines that build this book).*"
        )
    )
else:
    display(reader_labels(comparison.round(2)))

# %%
provenance_table(run).style.hide(axis="index")
