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
# # The attention zoo: is every channel-attention design dearer in time than in FLOPs?
#
# The paper's headline — channel attention costs far more inference time than its FLOPs suggest — is
# shown for five modules. Practitioners choose among many more: timm {cite}`wightman2019timm` alone
# ships SE, effective SE, ECA, CECA, global context, CBAM, coordinate attention and more. This chapter
# puts **all of them under one protocol**: each in every residual block of attnlib's ResNet-18 and
# ResNet-50 (after the block's last BatchNorm, before the residual addition, where the paper puts its
# modules), built through timm's own factory with timm's defaults, timed **interleaved** with the
# baseline and the paper's five on each engine (eager PyTorch, `torch.compile`, OpenVINO
# {cite}`openvino`), minimum and median with bootstrap intervals.
#
# Why time and FLOPs disagree, as a number: a gate is cheap arithmetic but **reads and writes the
# whole block output several times** — global pooling, the gate multiply, a second statistic, a
# spatial gate. We count those passes from each module's structure (every non-view ATen operator its
# forward runs on a tensor as large as the map) and fit two cost models to the measured overhead:
# MACs alone, and MACs plus the elements the passes touch. Their R² and leave-one-module-out error
# say how much of the overhead FLOPs explain, and how much the passes add. Logic:
# `attnlib.bench.zoo` and `attnlib.reproduce.zoo`; the measurement is `attnlib bench zoo`.

# %% tags=["parameters"]
# The latency chapters take the same knobs (None keeps the profile's value); papermill needs them here.
profile = "default"
engines = None
depths = None
trials = None
threads = None
save_record = False

# %%
from IPython.display import Markdown, display

from attnlib.reproduce import zoo
from attnlib.reproduce.common import open_page, show_page_warning
from attnlib.reproduce.latency import measure, show_committed_records
from attnlib.results import provenance_table

page = open_page(zoo, profile, threads, engines=engines, depths=depths, trials=trials)
modules, left_out = zoo.zoo()
display(Markdown(f"**{len(modules)} modules** ({zoo.timm_version()}); left out: {len(left_out)}."))

# %% [markdown]
# ## Committed run records: the headline measurement
#
# Made with `attnlib bench zoo --profile paper --commit` on the machine named above each, shown on
# every build. Absolute times are not comparable across machines; overheads over the same engine's
# baseline are.

# %%
show_committed_records(zoo.EXPERIMENT, zoo.show)

# %% [markdown]
# ## The modules and their structure
#
# Included modules with their parameters and MACs added to the network (exact convention,
# `attnlib.complexity`), elementwise work, and passes over the block output per module; then the
# layers left out and why.

# %%
display(zoo.structure_table())
left_out.style.hide(axis="index")

# %% [markdown]
# ## This machine, now
#
# The same study, timed while this book was built (the `profile` parameter sets its size). On a shared
# or busy machine it is noisy; read the committed record above for conclusions.

# %%
show_page_warning(page)
summary = measure(page, save_record)
zoo.show(summary, page.hardware, f"this machine ({page.hardware}), now")

# %% [markdown]
# ## Provenance of this page's measurements

# %%
provenance_table(page.run).style.hide(axis="index")
