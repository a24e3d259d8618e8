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
# # attnlib: channel attention modules for ResNets
#
# This book reproduces, table by table, *Performance-Efficiency Comparisons of Channel Attention
# Modules for ResNets* (S. R. Klomp, R. G. J. Wijnhoven, P. H. N. de With, Neural Processing Letters,
# 2023) {cite}`klomp2023`, with the paper's numbers beside ours, and goes past it: more inference
# engines, CPU and GPU, the paper's errata shown, and the provenance of every number.
#
# Channel attention modules reweight whole feature maps from global statistics. They add almost no
# FLOPs, yet single-image inference slows down far more. The paper compares five modules under
# identical conditions — its own **Attention Bias (AB)**, **ECA**, **SE**, **SRM** and **Multi-SE** —
# on CIFAR, ImageNet, fine-tuning of pretrained networks and object detection, and asks when a module
# is worth its time compared with simply using a deeper ResNet.
#
# ## What the book found
#
# Computed from the committed run records, the scorecard and the paper's own tables each time the
# book is built (`attnlib.findings`): when a record is committed, these sentences change by
# themselves. Each ends with the chapter that shows it.

# %% tags=["parameters"]
profile = "default"

# %%
from IPython.display import Markdown, display

from attnlib.findings import findings

for finding in findings():
    display(Markdown(finding.markdown()))

# %% [markdown]
# ## The chapters
#
# * **Overview** — {doc}`scorecard`: every table cell and claim of the paper with our value and a
#   verdict; {doc}`../guide`: where the numbers come from, rerunning a figure, reproducing a table and
#   using the modules in your own networks.
# * **Modules and complexity** — {doc}`fig1_modules` (the modules, their equations and a Fig. 1 style
#   diagram) and {doc}`fig2_complexity` (Fig. 2 and Table 2's FLOPs and parameters).
# * **Latency** — depth ({doc}`fig3_latency_depth`, with Table 2's timing columns, the module
#   implementation benchmark and int8), resolution ({doc}`fig5_resolution`) and batch size
#   ({doc}`fig6_batch_size`), on every engine the building machine has, with committed GPU and CPU run
#   records beside.
# * **Accuracy** — CIFAR ({doc}`table1_cifar`), ImageNet with complexity and timing
#   ({doc}`table2_imagenet`) and the accuracy–latency trade-off ({doc}`fig4_tradeoff`).
# * **Fine-tuning** — {doc}`table3_finetune`: modules retrofitted into a pretrained ResNet (Table 3),
#   and the paper's untested identity-init suggestion.
# * **Detection** — Faster R-CNN + FPN on COCO ({doc}`table4_coco`) and SSD512 on BDD100k, day → night
#   ({doc}`table5_bdd100k`).
# * **Beyond the paper** — {doc}`beyond_attention_zoo` (the paper's five beside timm's channel-attention
#   layers, with a cost model), {doc}`beyond_fashion_mnist` (the accuracy questions on real images that
#   every machine here can have) and {doc}`beyond_advise` (which module for your hardware).
# * **Back matter** — {doc}`execution_report` (how each page was produced), {doc}`../api` and
#   {doc}`../references`.
