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
# # Complexity: FLOPs and parameters (Fig. 2, Table 2)
#
# Sect. 4.3 of the paper argues that attention modules *look* almost free when counted in FLOPs
# (0.2–3 % more) and parameters, but cost far more inference time. This chapter reproduces the
# counting half: Fig. 2 (FLOPs and parameters versus depth) and the FLOPs and parameter columns of
# Table 2, for ResNet-18/34/50/101/152 {cite}`he2016resnet` with one module per residual block (8/16/16/33/50 modules).
#
# The paper's "FLOPs" are multiply-accumulates (MACs) counted with thop, plus fixed per-module rules.
# We count in two conventions (see `attnlib.complexity`):
#
# * **paper** — the paper's own rules; must reproduce Table 2 exactly;
# * **exact** — what our implementation really computes, measured with PyTorch's
#   `FlopCounterMode`: convolution and matrix-product MACs (attention included, at $r = 16$), and the
#   elementwise work (pooling, gates, rescaling) reported separately.
#
# Counting is deterministic and hardware-independent, so every profile gives the same numbers;
# `smoke` only counts fewer depths (settings in `attnlib.reproduce.fig2`).

# %% tags=["parameters"]
profile = "default"
depths = None
resolution = 224

# %%
from IPython.display import Markdown

from attnlib import paper
from attnlib.plots import plot_complexity_vs_depth, plot_overhead_bars, show_figure, styled_comparison
from attnlib.reproduce import fig2
from attnlib.reproduce.common import open_page, show_page_warning
from attnlib.results import provenance_table

page = open_page(fig2, profile, depths=depths, resolution=resolution)
show_page_warning(page)
settings = page.settings
table = fig2.complexity_table(settings.depths, resolution=settings.resolution)
table2 = paper.load("table2")

# %% [markdown]
# ## Fig. 2: MACs and parameters versus depth
#
# Lines are attnlib's counts; black crosses are the values printed in Table 2 (ResNet-18 and -50 only).
# In the paper convention the modules barely move the MAC count; parameters grow visibly only for
# SE and Multi-SE on bottleneck networks, as the paper says.

# %%
show_figure(
    plot_complexity_vs_depth(table, "paper", paper=table2),
    "Fig. 2 of the paper, recounted: MACs (left) and parameters (right) against depth in the paper's "
    "convention; black crosses are Table 2's printed values.",
    name="fig-complexity-paper",
)

# %% [markdown]
# In the exact convention the attention modules' MACs all but vanish: the SE and Multi-SE rules the
# paper used count $2C^2$ and $7C^2$ per module, ignoring the reduction ratio $r = 16$.

# %%
show_figure(
    plot_complexity_vs_depth(table, "exact"),
    "The same networks counted exactly (`FlopCounterMode`: convolution and matrix-product MACs, r = 16).",
    name="fig-complexity-exact",
)

# %% [markdown]
# ## Table 2, complexity columns: paper vs attnlib
#
# `FLOPs (paper)` and `params (paper)` are Table 2 as printed (`data/paper/table2_imagenet.csv`).
# `GMACs, paper conv.` must equal them to two decimals; `GMACs, exact` is what the network computes
# in convolutions and matrix products, and `attention elementwise (M)` the elementwise work inside
# the modules that no FLOPs column shows. Rows where the paper's parameter count disagrees with the
# network are highlighted.

# %%
comparison = fig2.compare_with_table2(table, table2)
styled_comparison(comparison)

# %%
Markdown(fig2.reproduced_summary(comparison))

# %% [markdown]
# ## Errata
#
# The disagreements above, and the other inconsistencies we found while reproducing the paper
# (`data/paper/errata.csv`):

# %%
paper.load("errata").style.hide(axis="index")

# %% [markdown]
# ## Relative overhead of the modules
#
# The paper states that attention modules add 0.2–3 % FLOPs. Overhead over the same-depth baseline,
# in both conventions:

# %%
show_figure(
    plot_overhead_bars(table),
    "MAC and parameter overhead of each module over the same-depth baseline (%), in both conventions.",
    name="fig-complexity-overhead",
)

# %%
fig2.overhead_pivot(table)

# %%
Markdown(fig2.claim_summary(table, settings.depths))

# %% [markdown]
# ## Provenance
#
# Counts come from this run (deterministic; no timing involved):

# %%
provenance_table(page.run).style.hide(axis="index")
