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
# # Execution report
#
# How each page of this book was produced: the profile and parameters its notebook ran with, the
# machine, the wall time, and the date and commit of the execution. Every notebook is executed by
# papermill through `attnlib notebook(s)`, which writes these facts beside the page when — and only
# when — the page is replaced by a successful run, so a rerun of one figure on other hardware shows
# up here. Pages at the `smoke` or `default` profile are reduced protocols; `paper` is the paper's.

# %% tags=["parameters"]
profile = "default"
pages = None

# %%
from attnlib.notebooks import execution_report

report = execution_report(pages)
report.style.hide(axis="index").format(precision=1, na_rep="—")

# %% [markdown]
# The committed run records that the chapters lead with carry their own hardware, date and commit,
# shown where they are used; this table is about the executions that rendered the pages.
