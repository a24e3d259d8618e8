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
# # The five attention modules (Fig. 1)
#
# Every module maps a feature map $X \in \mathbb{R}^{C \times H \times W}$ to one of the same shape
# in three steps — **pooling** (green), **processing** (blue) and **integration** (orange) — and sits
# after the last BatchNorm of each residual block, before the residual addition. With
# $z = \frac{1}{HW}\sum_{i,j} X_{:,i,j}$ (Eq. 1), $\sigma$ the sigmoid and $r = 16$:
#
# | module | output | parameters per block |
# |---|---|---|
# | AB (Sect. 3) | $X + z \circ w$, $\; w \in \mathbb{R}^C$ initialised to 0 (Eq. 2) | $C$ |
# | ECA | $X \cdot \sigma(\mathrm{conv1d}_{k=3}(z))$ | $3$ |
# | SE | $X \cdot \sigma(W_2\,\mathrm{ReLU}(W_1 z + b_1) + b_2)$ | $2C^2/r + C/r + C$ |
# | SRM | $X \cdot \sigma(\mathrm{BN}(\mu \circ w_0 + \mathrm{std} \circ w_1))$ | $4C$ |
# | Multi-SE | $X \cdot \sigma(\sum_{b=1}^{3} a_b\, s_b(z))$, $a = \mathrm{softmax}(A z)$ | $6C^2/r + 3C/r + 6C$ |
#
# AB is the paper's own module {cite}`klomp2023`; ECA {cite}`wang2020eca`, SE {cite}`hu2018se`, SRM
# {cite}`lee2019srm` and Multi-SE {cite}`wang2019multise` are re-implemented from their papers.
#
# The diagram below is drawn by `attnlib.plots.draw_attention_modules()`; the table under it is
# measured on the modules themselves, not typed in.

# %% tags=["parameters"]
profile = "default"
channels = 256

# %%
import pandas as pd
import torch

from attnlib import attention
from attnlib.plots import draw_attention_modules, show_figure

show_figure(
    draw_attention_modules(),
    "Fig. 1 of the paper, redrawn from `attnlib.plots.MODULE_STAGES`: each module's pooling → processing → "
    "(gate) → integration stages applied to a residual block's output X (C channels).",
    name="fig-modules",
)

# %% [markdown]
# ## Parameters per module, measured against the closed forms
#
# Each module is built for a block with `channels` output channels; its parameter count is read off
# the module and compared with the formula from the table above.

# %%
C, r = channels, 16
closed_form = {
    "ab": C,
    "eca": 3,
    "se": 2 * C * C // r + C // r + C,
    "srm": 4 * C,
    "multise": 6 * C * C // r + 3 * C // r + 6 * C,
}
rows = []
for name in attention.available():
    module = attention.create(name, C)
    measured = sum(p.numel() for p in module.parameters())
    rows.append(
        {
            "module": attention.display_name(name),
            "class": type(module).__name__,
            "parameters (measured)": measured,
            "closed form": closed_form[name],
            "agree": "yes" if measured == closed_form[name] else "no",
        }
    )
pd.DataFrame(rows).style.hide(axis="index")

# %% [markdown]
# ## What each module does at initialisation
#
# AB's zero-initialised weight makes it an exact identity, which is why it can be inserted into a
# pretrained network without changing its predictions (Sect. 3.3, Table 3). The sigmoid-gated modules
# start by scaling features by roughly one half.

# %%
torch.manual_seed(0)
x = torch.randn(4, C, 14, 14)
rows = []
for name in attention.available():
    module = attention.create(name, C).eval()
    with torch.no_grad():
        y = module(x)
    rows.append(
        {
            "module": attention.display_name(name),
            "max |out − in|": float((y - x).abs().max()),
            "mean out / in (on |x| > 1)": float((y / x)[x.abs() > 1].mean()),
        }
    )
pd.DataFrame(rows).style.format(precision=4).hide(axis="index")
