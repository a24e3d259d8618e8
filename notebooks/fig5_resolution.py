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
# # Latency vs input resolution (Fig. 5)
#
# Sect. 4.3.2: attention modules have resolution-dependent parts (pooling, integration) and
# resolution-independent ones (processing). The paper timed ResNet-50 with each module, batch 1,
# square inputs from 32² to 1024² (PyTorch) and 64² to 1536² (TensorRT), and drew ResNet-101's extra
# time over ResNet-50 for reference. Its statements (the figure image is not in our copy of the paper):
# the PyTorch overhead drops drastically above 512²; ResNet-101's extra time is constant over
# resolution; TensorRT's module overhead is more constant.
#
# Here: ResNet-50 with each module and a baseline ResNet-101, interleaved in one run per resolution
# (the committed records). The small live run ("This machine, now") times ResNet-18 with a ResNet-34
# reference instead at the default profile, to fit the book's build time; its settings are listed with it.

# %% tags=["parameters"]
# The latency chapters take the same knobs (None keeps the profile's value); papermill needs them here.
profile = "default"
engines = None
resolutions = None
depths = None
trials = None
threads = None
save_record = False

# %%
# The latency chapters are one thin sequence of cells over their own module (the same shape as fig6).
from attnlib.reproduce import fig5
from attnlib.reproduce.common import open_page, show_page_warning
from attnlib.reproduce.latency import measure, show_committed_records, show_measurement
from attnlib.results import provenance_table

page = open_page(fig5, profile, threads, engines=engines, resolutions=resolutions, depths=depths, trials=trials)

# %% [markdown]
# ## Committed run records: the headline measurements
#
# Made with `attnlib bench --preset cpu|gpu|gpu-compile --commit`, committed to `data/results/latency/`, each
# labelled with its hardware, protocol and date; shown on every build, whatever machine builds the book.

# %%
show_committed_records(fig5.EXPERIMENT, fig5.show)

# %% [markdown]
# ## This machine, now
#
# The same sweep, timed while this book was built (the `profile` parameter sets its size); its
# conclusions are shown only when it passes the noise check.

# %%
show_page_warning(page)
show_measurement(page, measure(page, save_record))

# %% [markdown]
# ## Provenance of this page's measurements

# %%
provenance_table(page.run).style.hide(axis="index")
