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
# trained from scratch on CIFAR-10 and CIFAR-100 for 164 epochs (batch 128, lr 0.2, ×0.1 at epochs 81
# and 122, SGD momentum 0.9, weight decay 1e-4), mean over 3 seeds. The paper finds no single best
# module, and much larger gains with bottleneck blocks (≈3 points on CIFAR-100) than with basic
# blocks (≈1 point).

# %% tags=["parameters"]
profile = "default"
save_records = False

# %%
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.results import provenance, provenance_table
from attnlib.train import aggregate_seeds
from attnlib.train.experiments import (
    paper_table1,
    run_accuracy,
    synthetic_data_warning,
    table1_settings,
    table1_style,
)
from attnlib.train.records import final_epochs

settings = table1_settings(profile)
run = provenance(profile, experiment="table1", settings=str(settings))
if profile != "paper":
    display(
        Markdown(
            synthetic_data_warning(
                "these numbers say nothing about the paper's claims",
                f"Profile `{profile}`: small CIFAR-shaped ResNets "
                f"({', '.join(f'{m} ({b})' for m, b in settings.models)}) "
                f"trained for a few epochs on a **generated** 10-class dataset, seeds {list(settings.seeds)}, on "
                f"{run['cpu']}. This checks that the training pipeline runs end to end for every module and "
                "block type; "
                "it is not CIFAR, and its accuracies must not be compared with the paper's. "
                "Run `-p profile paper` (with CIFAR available) for the real protocol.",
            )
        )
    )

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
paper_table1(paper.load("table1"))

# %% [markdown]
# ## Committed run records on real CIFAR
#
# Runs made with `attnlib train --profile paper` and committed to `data/results/cifar/`, with the
# difference to the paper per cell.

# %%
records = final_epochs("cifar")
if records.empty:
    display(
        Markdown(
            "*No committed CIFAR run records yet: Table 1 has not been run on real data here "
            "(no GPU and no dataset download on the machines that build this book).*"
        )
    )
else:
    ours = aggregate_seeds(records)
    reference = paper.load("table1").rename(columns={"module": "attention", "top1": "paper_top1", "top5": "paper_top5"})
    merged = ours.merge(reference, on=["dataset", "block", "attention"], how="left")
    merged["top1_diff"] = merged.top1_mean - merged.paper_top1
    display(merged.round(2))

# %%
provenance_table(run).style.hide(axis="index")
