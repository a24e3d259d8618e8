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
# # Accuracy–latency trade-off (Fig. 4)
#
# Sect. 4.3.1: is adding a module better than going deeper? The paper plots ImageNet top-1 against
# relative inference time for ResNet-18/50 with each module and for the baseline ResNets of every
# depth, in PyTorch and TensorRT: for bottleneck ResNets a module usually beats a deeper network
# in both speed and accuracy; for basic-block ResNets it does not.
#
# Here the **times are measured** (committed Fig. 3 records: eager and the optimising engines of that
# machine), and the **accuracies are not ours** unless an ImageNet run record exists: they are the
# paper's Table 2 values (ResNet-18/50) and torchvision's published accuracy of its V1 weights for
# baseline ResNet-34/101/152, which Table 2 does not list. The `accuracy source` column labels each.

# %% tags=["parameters"]
profile = "default"

# %%
from IPython.display import Markdown, display

from attnlib import paper
from attnlib.names import label_words
from attnlib.plots import collapsed_table, plot_tradeoff, show_figure
from attnlib.provenance import provenance
from attnlib.reproduce.fig4 import committed_records, final_epochs, tradeoff_points
from attnlib.results import provenance_table

run = provenance(profile, experiment="fig4")
records = committed_records("fig3_depth")
accuracy = final_epochs("imagenet")
if not records:
    display(Markdown("*No committed Fig. 3 latency record: run `attnlib bench --preset cpu` or `--preset gpu`.*"))

# %%
for hardware_name, label, latency in records:
    display(Markdown(label))
    points = tradeoff_points(latency, paper.load("table2"), accuracy)
    show_figure(
        plot_tradeoff(points, hardware_name),
        f"Fig. 4 of the paper, with times measured on {hardware_name}: ImageNet top-1 against inference time "
        "relative to baseline ResNet-50 (minimum of the trials), one panel per engine; modules on ResNet-18 (○) "
        "and ResNet-50 (□), baselines of every depth on the black line. Accuracy sources in the table below.",
    )
    display(
        collapsed_table(
            points.assign(engine=points.engine.map(label_words)).style.format(precision=3).hide(axis="index"),
            "Plotted points",
            len(points),
        )
    )

# %% [markdown]
# With accuracies taken from the paper, the question this page can answer on our hardware is the
# speed half: how far right each module moves a ResNet-18/50 compared with the next deeper baseline.

# %%
provenance_table(run).style.hide(axis="index")
