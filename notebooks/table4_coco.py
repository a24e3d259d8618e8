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
# R-CNN with a feature pyramid. Two initialisations: **pretrained** — backbone *and* modules from the
# module network's own ImageNet run (Table 2); **scratch** — the baseline's ImageNet backbone with
# freshly initialised modules, which tests Sect. 4.2's fine-tuning hypothesis on detection. AP and
# AP@0.5 on COCO minival (5k images; the other 35k val2014 images join training — exactly COCO 2017's
# train/val split, which our loader reads by default).
#
# The paper trained with MMDetection; we use torchvision's `FasterRCNN` and `BackboneWithFPN` to
# stay in one stack (same architecture and 1× schedule: 12 epochs, batch 16, lr 0.02 ×0.1 at epochs
# 8 and 11, 500 warmup iterations, frozen BatchNorm and stem + stage 1, 800/1333 scale, flip).
# torchvision's RPN/ROI details differ from MMDetection's, so our absolute APs need not match the
# paper's; the differences between modules, under one implementation, are what the table is about.

# %% tags=["parameters"]
profile = "default"
save_records = False

# %%
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.detection.experiments import (
    detection_records,
    gains_over_baseline,
    run_table4,
    table4_layout,
    table4_settings,
)
from attnlib.results import provenance, provenance_table
from attnlib.train.experiments import synthetic_data_warning

settings = table4_settings(profile)
run = provenance(profile, experiment="table4", settings=str(settings))
if settings.scaled:
    detection, pretrain = settings.detection, settings.pretrain
    display(
        Markdown(
            synthetic_data_warning(
                "a few training iterations that prove the pipeline, not the paper's numbers",
                f"Profile `{profile}`: every backbone is a ResNet-50 pretrained for {pretrain.epochs} epoch on "
                f"{pretrain.synthetic_size[0]} **generated** 64² images, and each detector trains "
                f"{detection.epochs} epoch on {detection.synthetic_size[0]} **generated** COCO-format "
                f"{detection.image_size}² images of coloured boxes (3 classes), on {run['cpu']}, with cheaper "
                "RPN/ROI sampling and trainable BatchNorm. The *ours* columns therefore say nothing about the "
                "modules; they show that data loading, both initialisations, training, checkpoints and COCOeval "
                "work end to end. Run `-p profile paper` with COCO and the Table 2 checkpoints on GPUs for the "
                "real protocol.",
            )
        )
    )

# %% [markdown]
# ## Paper beside ours
#
# AP is COCO's AP@[0.5:0.95], AP50 is AP@0.5, both in %. The paper lists the baseline under both
# initialisations with the same numbers (it is one network); we run it once too.

# %%
results = run_table4(profile, save_records=save_records)
layout = table4_layout(results, paper.load("table4"))
layout.style.format(precision=1, na_rep="—")

# %% [markdown]
# ## What the paper concludes, and what this run can say
#
# The paper: with pretrained modules ECA, SE and Multi-SE gain 0.9–1.6 AP and AB and SRM 0.1; with
# freshly initialised modules only ECA keeps its gain (+1.0 AP), the others 0.0–0.2. So for
# detection, unlike the paper's ImageNet fine-tuning (Table 3), pretraining the modules matters.

# %%
display(Markdown("AP gain over the baseline (points), paper beside this run:"))
gains_over_baseline(layout.xs("AP", axis=1, level=1)).style.format(precision=1, na_rep="—")

# %% [markdown]
# ## Recorded runs
#
# Runs on real COCO are written with `save_records=True` (or `attnlib detect --table 4 …`) to
# `data/results/detection/` with their hardware, versions and commit.

# %%
records = detection_records("coco")
if records.empty:
    display(Markdown("No detection run records are committed yet: no COCO run has been made on real data."))
else:
    display(records)

# %%
provenance_table(run).style.hide(axis="index")
