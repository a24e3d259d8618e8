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
# # Reproduction scorecard
#
# Every number of the paper {cite}`klomp2023` that this book addresses — each cell of its five
# tables, each statement about its figures and each number stated in its text (`data/paper/*.csv`) —
# with our value and a verdict. The verdicts keep apart what was *repeated* from what was only *tested
# elsewhere*:
#
# * **On the paper's setting** — the same kind of measurement as the paper's (a count, a setting of the
#   protocol, an accuracy on the paper's dataset, a GPU latency claim on a GPU record): **reproduced**
#   when our value is within the stated tolerance (table below), **differs** when it is not, with both
#   numbers.
# * **On other hardware** — a statement the paper made from its RTX 2080 Ti, tested on a CPU record:
#   it **holds on other hardware** or **does not hold on other hardware**. This is evidence about the
#   statement's generality, not a repetition of the paper's measurement.
# * **Paper's erratum**: the printed value is wrong (`data/paper/errata.csv`, with the evidence).
# * **Not run here**: nothing on the paper's protocol is committed yet, with the reason (ImageNet, COCO
#   and BDD100k cannot be downloaded on the machines that build this book; the paper's latency is a GPU
#   measurement; TensorRT cannot be installed here).
#
# The Fashion-MNIST study re-tests the accuracy statements on another dataset; its verdicts are a
# section of their own at the end and are not counted here.
#
# Our values come from counting (`attnlib.complexity`), from the `paper` profile's settings and from
# **committed run records** only (`data/results/`; synthetic and short-profile runs never count). The page
# is computed on every build, so it changes by itself when a run record is committed — whatever the
# profile the book is built with. Logic: `attnlib.reproduce.scorecard`.

# %% tags=["parameters"]
profile = "default"

# %%
from IPython.display import Markdown, display

from attnlib.plots import collapsed_table, show_figure
from attnlib.provenance import provenance
from attnlib.reproduce import scorecard
from attnlib.reproduce.claims import styled
from attnlib.results import provenance_table

run = provenance(profile, experiment="scorecard")
card = scorecard.scorecard()
display(Markdown(scorecard.headline(card)))
show_figure(
    scorecard.plot_status(card),
    "Status of every number and claim of the paper that the book addresses, per part of the paper, computed "
    "from counts, the paper profile's settings and the committed run records.",
    name="fig-scorecard",
)

# %% [markdown]
# ## Per part of the paper
#
# Counts per part, then each part's rows: the item, the paper's value, ours and the verdict (with the
# difference, ours − paper, where both are numbers; *why* unfolds a row's own note). Tolerances:

# %%
display(scorecard.by_part(card))
scorecard.tolerance_table().style.hide(axis="index")

# %%
for part in dict.fromkeys(card.part):
    rows = card[card.part == part]
    numbers = scorecard.counts(rows)
    summary = f"{part}: " + ", ".join(f"{count} {status}" for status, count in numbers.items() if count)
    display(Markdown(f"### {part}\n\n{scorecard.part_intro(card, part)}"))
    table = scorecard.part_table(card, part)
    display(collapsed_table(table, summary, len(rows)) if len(rows) > 12 else table)

# %% [markdown]
# ## Checked on another dataset: the study on real images (Fashion-MNIST)
#
# The paper's accuracy statements re-tested on real images that every machine here can have
# (Fashion-MNIST, `attnlib reproduce fashion`); the chapter
# {doc}`beyond_fashion_mnist` shows the runs behind each verdict. Same
# question, another dataset: these verdicts are kept apart from the paper's own cells and are not
# counted above.

# %%
styled(scorecard.real_data_section())

# %% [markdown]
# ## Provenance

# %%
provenance_table(run).style.hide(axis="index")
