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
# # Object detection on COCO: Faster R-CNN + FPN, ResNet-50 (Table 4)
#
# Sect. 4.4: the modules go into the ResNet-50 backbone only (one per block, 16 in all) of a Faster
# R-CNN {cite}`ren2015fasterrcnn` with a feature pyramid {cite}`lin2017fpn`, on COCO {cite}`lin2014coco`.
# Two initialisations: **pretrained** — backbone *and* modules from the module network's own ImageNet run
# (Table 2); **scratch** — the baseline's ImageNet backbone with
# freshly initialised modules, which tests Sect. 4.2's fine-tuning hypothesis on detection. AP and
# AP@0.5 on COCO minival (5k images; the other 35k val2014 images join training — exactly COCO 2017's
# train/val split, which our loader reads by default).
#
# The paper trained with MMDetection {cite}`chen2019mmdetection`; we use torchvision's `FasterRCNN` and
# `BackboneWithFPN` to stay in one stack (same architecture and 1× schedule: 12 epochs, batch 16, lr 0.02 ×0.1
# at epochs
# 8 and 11, 500 warmup iterations, frozen BatchNorm and stem + stage 1, 800/1333 scale, flip).
# torchvision's RPN/ROI details differ from MMDetection's, so our absolute APs need not match the
# paper's; the differences between modules, under one implementation, are what the table is about.

# %% tags=["parameters"]
profile = "default"
save_records = False

# %%
# The detection chapters are one thin sequence of cells over their own module (the same shape as table5).
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.reader import reader_labels
from attnlib.reproduce import table4
from attnlib.reproduce.common import open_page, show_page_warning
from attnlib.reproduce.table4 import gains_over_baseline, run_table4, show_detection_records, table4_layout
from attnlib.results import provenance_table

# Every chapter page opens alike (same shape, its own chapter): settings, provenance, warning.
page = open_page(table4, profile)
show_page_warning(page)

# %% [markdown]
# ## Paper beside ours
#
# AP is COCO's AP@[0.5:0.95], AP50 is AP@0.5, both in %. The paper lists the baseline under both
# initialisations with the same numbers (it is one network); we run it once too.

# %%
results = run_table4(profile, save_records=save_records)
layout = table4_layout(results, paper.load("table4"))
reader_labels(layout).style.format(precision=1, na_rep="—")

# %% [markdown]
# ## What the paper concludes, and what this run can say
#
# The paper: with pretrained modules ECA, SE and Multi-SE gain 0.9–1.6 AP and AB and SRM 0.1; with
# freshly initialised modules only ECA keeps its gain (+1.0 AP), the others 0.0–0.2. So for
# detection, unlike the paper's ImageNet fine-tuning (Table 3), pretraining the modules matters.

# %%
display(Markdown("AP gain over the baseline (points), paper beside this run:"))
reader_labels(gains_over_baseline(layout.xs("AP", axis=1, level=1))).style.format(precision=1, na_rep="—")

# %% [markdown]
# ## Recorded runs
#
# Runs on real COCO made with `attnlib detect --table 4 … --commit` are written to
# `data/results/detection/` with their hardware, versions and commit, and listed here once committed
# to git (`save_records=True` and runs without `--commit` go to the ignored `data/runs/`).

# %%
show_detection_records("coco", "COCO")

# %%
provenance_table(page.run).style.hide(axis="index")
