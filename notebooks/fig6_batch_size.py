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
# # Latency vs batch size (Fig. 6)
#
# Sect. 4.3.2: at fixed 224², larger batches let a GPU run the modules' small matrix products in
# parallel, while their resolution-dependent parts grow linearly with the batch; the paper (TensorRT,
# ResNet-18/50/152, batch 1–64) concludes that complex modules such as Multi-SE become attractive
# above batch 16 and high resolutions, and simple ones (ECA, AB) are preferred for single images.
# The figure image is not in our copy of the paper; its statements are checked below.

# %% tags=["parameters"]
# The latency chapters take the same knobs (None keeps the profile's value); papermill needs them here.
profile = "default"
engines = None
depths = None
batch_sizes = None
trials = None
threads = None
save_record = False

# %%
from attnlib.reproduce import fig6
from attnlib.reproduce.common import open_page, show_page_warning
from attnlib.reproduce.latency import measure, show_committed_records, show_measurement
from attnlib.results import provenance_table

page = open_page(fig6, profile, threads, engines=engines, depths=depths, batch_sizes=batch_sizes, trials=trials)

# %% [markdown]
# ## Committed run records: the headline measurements
#
# Made with `attnlib bench --preset cpu|gpu|gpu-compile --commit`, committed to `data/results/latency/`, each
# labelled with its hardware, protocol and date; shown on every build, whatever machine builds the book.

# %%
show_committed_records(fig6.EXPERIMENT, fig6.show)

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
