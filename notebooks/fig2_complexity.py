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
# Table 2, for ResNet-18/34/50/101/152 with one module per residual block (8/16/16/33/50 modules).
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
# `smoke` only counts fewer depths.

# %% tags=["parameters"]
profile = "default"
depths = None
resolution = 224

# %%
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.attention import display_name
from attnlib.complexity import compare_with_table2, complexity_table
from attnlib.plots import plot_complexity_vs_depth, plot_overhead_bars, styled_comparison
from attnlib.results import provenance, provenance_table

depths = depths or ((18, 50) if profile == "smoke" else (18, 34, 50, 101, 152))
run = provenance(profile, experiment="complexity", depths=list(depths), resolution=resolution)
if profile == "smoke":
    display(
        Markdown(
            ":::{warning}\n**Smoke profile**: only ResNet-18 and -50 are counted. "
            "`make book` uses the default profile, which counts every depth.\n:::"
        )
    )
table = complexity_table(depths, resolution=resolution)
table2 = paper.load("table2")

# %% [markdown]
# ## Fig. 2: MACs and parameters versus depth
#
# Lines are attnlib's counts; black crosses are the values printed in Table 2 (ResNet-18 and -50 only).
# In the paper convention the modules barely move the MAC count; parameters grow visibly only for
# SE and Multi-SE on bottleneck networks, as the paper says.

# %%
figure = plot_complexity_vs_depth(table, "paper", paper=table2)

# %% [markdown]
# In the exact convention the attention modules' MACs all but vanish: the SE and Multi-SE rules the
# paper used count $2C^2$ and $7C^2$ per module, ignoring the reduction ratio $r = 16$.

# %%
figure = plot_complexity_vs_depth(table, "exact")

# %% [markdown]
# ## Table 2, complexity columns: paper vs attnlib
#
# `FLOPs (paper)` and `params (paper)` are Table 2 as printed (`data/paper/table2_imagenet.csv`).
# `GMACs, paper conv.` must equal them to two decimals; `GMACs, exact` is what the network computes
# in convolutions and matrix products, and `attention elementwise (M)` the elementwise work inside
# the modules that no FLOPs column shows. Rows where the paper's parameter count disagrees with the
# network are highlighted.

# %%
comparison = compare_with_table2(table, table2)
styled_comparison(comparison)

# %%
mismatches = comparison[~(comparison.flops_agree & comparison.params_agree)]
display(
    Markdown(
        f"**{int(comparison.flops_agree.sum())} of {len(comparison)}** FLOPs entries and "
        f"**{int(comparison.params_agree.sum())} of {len(comparison)}** parameter entries of Table 2 are reproduced; "
        "the rows that differ: "
        + (", ".join(f"ResNet-{r.depth} {display_name(r.module)}" for r in mismatches.itertuples()) or "none")
        + " (see the errata below)."
    )
)

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
overhead = table[table.module != "baseline"].assign(Module=lambda d: d.module.map(display_name))
figure = plot_overhead_bars(table)

# %%
pivot = overhead.pivot_table(index=["convention", "Module"], columns="depth", values="macs_overhead_pct", sort=False)
pivot.round(3).rename(columns=lambda d: f"R{d} MACs %")

# %%
claim = paper.load("text").set_index("claim").loc["flops_increase"]
paper_range = overhead[overhead.convention == "paper"].macs_overhead_pct
display(
    Markdown(
        f"Paper's claim: FLOPs increase **{claim.low}–{claim.high} %** ({claim.source}). "
        f"Paper convention here: **{paper_range.min():.2f}–{paper_range.max():.2f} %** over depths {list(depths)}; "
        f"exact convention (convolution and matrix-product MACs only): "
        f"**{overhead[overhead.convention == 'exact'].macs_overhead_pct.max():.3f} %** at most."
    )
)

# %% [markdown]
# ## Provenance
#
# Counts come from this run (deterministic; no timing involved):

# %%
provenance_table(run).style.hide(axis="index")
