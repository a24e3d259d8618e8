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
# # Fine-tuning a pretrained ResNet with new modules (Table 3)
#
# Sect. 4.2: modules are added to an ImageNet-pretrained ResNet-18 and the network is fine-tuned.
# Freshly initialised AB leaves the network's function unchanged (its weight starts at 0), while
# ECA, SE, SRM and Multi-SE scale every feature by about ½ and collapse top-1 to 3–7 % until trained.
# The paper suggests, without testing it, that a learnable scale after the sigmoid initialised to
# weight 0 and bias 1 would give the other modules AB's property. `attnlib.retrofit(...,
# identity_init=True)` implements it; the rows marked *identity-init (ours)* test it.

# %% tags=["parameters"]
profile = "default"

# %%
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.reader import reader_labels
from attnlib.reproduce import table3
from attnlib.reproduce.common import open_page, show_page_warning
from attnlib.reproduce.table3 import (
    after_finetuning,
    identity_init_summary,
    run_table3,
    table3_layout,
)
from attnlib.results import provenance_table

# Every chapter page opens alike (same shape, its own chapter): settings, provenance, warning.
page = open_page(table3, profile)
show_page_warning(page)
settings, run = page.settings, page.run

# %%
results = run_table3(profile)
layout = table3_layout(results, paper.load("table3"))
reader_labels(layout).style.format(precision=2, na_rep="—")

# %% [markdown]
# ## Does identity-init close the gap?

# %%
display(identity_init_summary(results).round(2).style.format(precision=2).hide(axis="index"))
display(Markdown("Top-1 after each fine-tuning schedule (plain vs identity-init):"))
reader_labels(after_finetuning(results).round(2))

# %%
provenance_table(run).style.hide(axis="index")
