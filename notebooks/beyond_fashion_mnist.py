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
# # The study on real images (Fashion-MNIST)
#
# Every other accuracy page of this book trains on generated images, because CIFAR, ImageNet, COCO
# and BDD100k cannot be had on the machines that build it. One real image benchmark can:
# **Fashion-MNIST** {cite}`xiao2017fashion` — Zalando's 70 000 grayscale 28×28 photos of clothing in
# 10 classes (60 000 for training, 10 000 for testing), shipped by Debian as `dataset-fashion-mnist`
# and fetched by `make data`. With it this chapter answers the paper's accuracy questions on real
# images, with nothing taken from elsewhere:
#
# * **Table 1's** — is there a best module, and do networks of bottleneck blocks gain more than
#   networks of basic blocks?
# * **Sect. 4.3.1's** — does a module beat simply using a deeper ResNet?
# * **Table 3's** — does inserting modules into a trained network and fine-tuning it help, and does
#   the paper's untested identity-init suggestion help?
#
# It is the same question on another dataset, not the paper's measurement: the verdicts here are kept
# apart from the paper's own cells in the scorecard. The runs are planned, launched, resumed across
# sittings and machines, and collected by `attnlib reproduce fashion` (logic: `attnlib.reproduce.fashion`).

# %% tags=["parameters"]
profile = "default"
campaign_shown = None  # which campaign the main sections read: None for the headline one, or "converged"/"short"

# %%
from IPython.display import Markdown, display

from attnlib.plots import (
    collapsed_table,
    plot_fashion_tradeoff,
    plot_gains,
    plot_learning_curves,
    plot_retrofit_gains,
    show_figure,
)
from attnlib.reproduce import campaign, fashion, int8
from attnlib.reproduce.claims import styled
from attnlib.reproduce.common import open_page
from attnlib.results import provenance_table

page = open_page(fashion, profile)
headline = campaign_shown or fashion.headline_campaign("default")
if headline not in fashion.CAMPAIGNS:
    raise ValueError(f"unknown campaign {headline!r}; valid campaigns are {', '.join(fashion.CAMPAIGNS)}")

# %% [markdown]
# ## Two campaigns
#
# The chapter's first campaign, the **short campaign**, trained on 7 000 of the 60 000 training images
# for 15 epochs. Its own plateau check shows its networks stopped well short of convergence, so its
# verdicts measure how fast a module learns, not what it reaches. The **converged campaign**
# (`attnlib reproduce fashion` at the default profile) trains on **all 60 000 images**, aiming at
# convergence: ResNet-8 (basic) and ResNet-11 (bottleneck), one block per stage, each block type trained
# as long as its own plateau check asks and the 24-hour budget allows (60 epochs for the basic networks,
# 30 for the bottleneck ones; the checks below say whether that reached the plateau), plateau checks on
# both networks with two seeds, and a paired fp32 check of its bf16 arithmetic. The sections from
# "Table 1's question" on read the converged campaign once its module comparison is complete, and the
# short campaign until then; the line below says which they read. Every number here comes from a
# committed record.

# %%
converged_runs = campaign.campaign_runs("fashion", "default")
converged_plan = campaign.plan(converged_runs)
display(Markdown(fashion.shown_campaign_text(headline, chosen=campaign_shown is not None)))
display(Markdown(fashion.schedule_text("default")))
machines = fashion.machines_table(converged_plan, "default")
machine_count = machines.machine.nunique() if not machines.empty else 1
display(Markdown(fashion.progress_text(converged_plan, fashion.run_hours("default"), machine_count)))
display(fashion.progress_table(converged_plan).style.hide(axis="index").format(precision=1))
if not machines.empty:
    display(
        Markdown(
            "The machines that trained the committed runs (from each record's provenance). One precision for the "
            "whole campaign: a CPU without native bf16 computes the bf16 convolutions by fp32 kernels on the same "
            "bf16 operands (`fp32_conv`: the same arithmetic at about its fp32 speed, where its own bf16 kernels "
            "are 6–10× slower; see the training settings below):"
        )
    )
    display(machines.style.hide(axis="index").format(precision=1))
converged_finals = fashion.committed_finals("default")
short_finals = fashion.committed_finals("default", campaign=fashion.SHORT)
finals = converged_finals if headline == fashion.CONVERGED else short_finals
if not converged_finals.empty and headline != fashion.CONVERGED:  # else Table 1's section shows it
    display(
        Markdown(
            "The converged campaign's module comparison so far: test top-1 (%) after its schedule, mean ± "
            "standard deviation over the seeds committed (the sections below read the short campaign until it "
            "is complete):"
        )
    )
    display(fashion.comparison_table(converged_finals))
    flagged = fashion.flagged_runs(converged_finals)
    if not flagged.empty:
        display(Markdown("**Runs to look at twice** (a diverged loss, or a top-1 far from its siblings'):"))
        display(flagged.style.hide(axis="index"))
    else:
        display(
            Markdown(
                "**No run to look at twice**: no training loss diverged, and no run's top-1 lies more than "
                f"{fashion.OUTLIER_STDS:g} standard deviations from its siblings' (the other runs of its network "
                "and part; for a fine-tuning, the other seeds of the same module and schedule)."
            )
        )

# %% [markdown]
# ### Converged, and unchanged by bf16?
#
# The checks this campaign's verdicts rest on, decided by criteria set before the runs: training each
# network's baseline twice as long adds less than half a point (two seeds each), the basic baseline
# reaches 92 %, and training in fp32 instead of bf16 moves the top-1 less than the seeds do.

# %%
convergence = fashion.convergence_statements(converged_finals, "default")
display(styled(fashion.statements_table(convergence)))
explanations = [fashion.schedule_choice_text(fashion.schedule_trials("default"), "default")]
explanations.append(fashion.plateau_decisions(convergence, "default"))
for text in filter(None, explanations):  # each is empty where there is nothing to explain
    display(Markdown(text))
converged_curves = fashion.learning_curves("default")
if not converged_curves.empty:
    show_figure(
        plot_learning_curves(converged_curves),
        "Test top-1 of each plateau check's baseline, per network and seed, during the campaign's schedule and "
        "trained twice as long (committed records of the converged campaign, evaluated every few epochs).",
        "fashion-converged-learning-curves",
    )

# %% [markdown]
# ### Verdicts that changed
#
# The same questions asked of both campaigns: what the short campaign said of networks far from their
# plateau, and what the converged campaign says of networks at it.

# %%
if fashion.headline_campaign("default") == fashion.CONVERGED:
    display(
        styled(
            fashion.regime_changes(
                fashion.chapter_statements(short_finals, "default", campaign=fashion.SHORT),
                fashion.chapter_statements(converged_finals, "default"),
            )
        )
    )
else:
    done = int((converged_plan.state == "done").sum())
    display(
        Markdown(
            f"*Shown once the converged campaign's module comparison is complete ({done} of "
            f"{len(converged_plan)} runs of the whole campaign committed so far).*"
        )
    )

# %% [markdown]
# ### Training at the speed this CPU allows
#
# The campaign trains in bf16 autocast over fp32 weights, with channels_last and `torch.compile`. This
# setting was chosen by measurement: a committed record of `attnlib bench train --settings campaign`
# times one training step of each network in each setting, interleaved in one run, on the machine that
# runs the campaign. The record keeps the CPU's instruction-set features, and bf16 is fast only where
# AVX-512 BF16 or AMX are present. The campaign runs in sittings on whatever machine a session gets: each
# machine that ran a sitting measured itself, and its record is shown below. The plan stays sized by the
# first record; a launcher's `--hours` scales its estimates by its own machine's record, so a slower
# machine starts only the runs it can finish. A CPU without native bf16 runs PyTorch's generic bf16
# convolution, 6–10× slower than fp32 (its first record below); it trains the campaign's bf16 runs with
# the convolutions computed by fp32 kernels on the same bf16 operands instead (`fp32_conv`, run eagerly,
# without `torch.compile`; its second record): the same arithmetic — bf16 operands, exact products, an
# fp32 sum rounded to bf16, tested against a float64 computation — at about its fp32 speed.

# %%
settings_records = fashion.training_settings_by_machine()
if not settings_records:
    display(Markdown("*No committed training-settings record yet (`attnlib bench train --settings campaign`).*"))
for settings_text, settings_table in settings_records:
    display(Markdown(settings_text))
    display(settings_table.style.hide(axis="index"))

# %% [markdown]
# ### What a module costs on these networks
#
# Inference (eager PyTorch and OpenVINO, batch 1 and 16) and a training step of the campaign's networks,
# each module timed interleaved with its network's baseline and the deeper baseline (`attnlib bench
# fashion --commit`, made while nothing else ran): the time axis of Fig. 4 for the converged campaign.

# %%
converged_latency, converged_training = fashion.cost_records()
if converged_latency.empty:
    display(Markdown("*No committed timing of this campaign's networks yet (`attnlib bench fashion --commit`).*"))
else:
    where = converged_latency.iloc[0]
    display(Markdown(f"Time over each network's baseline, median of interleaved trials, on {where.hardware} "
                     f"({where.threads} threads, {str(where.date)[:10]}):"))  # fmt: skip
    display(fashion.cost_table(converged_latency, converged_training))

# %% [markdown]
# ## The data
#
# Each of the four idx files is checked against the SHA-256 of the file as Debian ships it (or of its
# decompressed content, for torchvision's download of the same images); a damaged or truncated file is
# refused by name. Images are normalised with the training set's mean and standard deviation, and
# augmented as in the paper's CIFAR protocol: padded by 4 pixels, randomly cropped back, flipped
# horizontally.

# %%
display(Markdown(fashion.data_text()))
collapsed_table(fashion.checksum_display(), "The four files and their SHA-256 as shipped", 4)

# %% [markdown]
# ## How the CPU campaigns were sized
#
# The paper trains CIFAR ResNet-56s for 164 epochs; 36 such runs are far out of reach of the 2-core CPU
# that builds this book (one epoch of ResNet-56 on 60 000 images takes about 5 minutes there). Both
# campaigns were sized by measurement instead: the training throughput of each network, measured on the
# CPU that ran the campaign, sets how many images × epochs fit in the hours the campaign was given (6
# for the short one, 24 for the converged one). The `paper` profile of the campaign runs the paper's
# full recipe on all 60 000 images at 32² for a GPU.

# %%
display(Markdown(f"The converged campaign's networks, from {fashion.rates_of(fashion.CONVERGED).source}:"))
display(fashion.throughput_table(fashion.CONVERGED).style.hide(axis="index"))
display(Markdown(fashion.schedule_text("default", campaign=fashion.SHORT)))
display(fashion.throughput_table(fashion.SHORT).style.hide(axis="index"))

# %%
short_runs = fashion.describe_runs("default", fashion.SHORT)["runs"]
short_hours = fashion.run_hours("default", campaign=fashion.SHORT)
display(
    Markdown(
        f"**The short campaign**: {short_runs} runs, all committed. Their records' epoch times add up to "
        f"{short_hours:.1f} hours of one-thread runs."
    )
)

# %% [markdown]
# ### Was the short campaign's schedule long enough?
#
# A short schedule measures how fast a module converges, not what it reaches, and penalises modules
# that start slowly. The short campaign therefore trained its basic baseline once for twice as many
# epochs: had that added less than half a point, its schedule would have been near the plateau.

# %%
curves = fashion.learning_curves("default", campaign=fashion.SHORT)
if curves.empty:
    display(Markdown("*The baseline's learning curve appears here once its record is committed.*"))
else:
    show_figure(
        plot_learning_curves(curves),
        "Test top-1 of the basic baseline (seed 0) during the campaign's schedule and during the plateau check "
        "twice as long (committed records, evaluated every few epochs).",
        "fashion-learning-curve",
    )
plateau = fashion.plateau_statement(short_finals, "default", campaign=fashion.SHORT)
display(styled(fashion.statements_table([plateau], fashion.SHORT)))
decision = fashion.plateau_decision(plateau, "default", fashion.SHORT)
if decision:
    display(Markdown(decision))

# %% [markdown]
# ## Table 1's question on real images
#
# Top-1 on the 10 000 test images after the campaign's schedule, mean ± standard deviation over seeds,
# and each module's gain over the baseline of the same network, **paired by seed** (same initial
# weights for the backbone, same data order) with a 95 % t-interval. An interval that crosses zero is
# a gain these runs cannot tell from none.

# %%
display(Markdown(f"*Read from the {headline} campaign: {fashion.checked_on_text(headline)}.*"))
if finals.empty:
    display(Markdown("*No committed campaign record yet: run `attnlib reproduce fashion --commit`.*"))
else:
    display(fashion.comparison_table(finals))
    table = fashion.gains(finals)
    if not table.empty:
        show_figure(
            plot_gains(table),
            "Top-1 gain of each module over the baseline of its network on Fashion-MNIST (points), with 95 % "
            f"intervals paired by seed (committed records of the {headline} campaign).",
            "fashion-gains",
        )
        display(fashion.gains_display(table))

# %% [markdown]
# ### The paper's statements, re-tested

# %%
statements = fashion.chapter_statements(finals, "default", campaign=headline)
display(styled(fashion.statements_table(statements, headline)))

# %% [markdown]
# ## Fig. 4 for real: accuracy against time, both measured here
#
# The paper's trade-off (its Fig. 4 and Sect. 4.3.1): is a module worth its time, and does it beat
# simply using a deeper ResNet? Here both axes are ours. The accuracy is the campaign's; the time is a
# committed record of `attnlib bench fashion --commit` — every campaign network (grayscale, 28²) timed
# **interleaved** with its baseline and its deeper baseline, for inference on eager PyTorch and on
# OpenVINO (the fastest CPU engine of the Fig. 3 records) at batch 1 and 16, and for a training step at
# the campaign's batch — made while no training ran. Training time is never taken from the runs' own
# images per second, which ran at different times beside other work.

# %%
latency, training = fashion.cost_records(headline)
if latency.empty:
    display(
        Markdown(
            "*No committed timing of the campaign's networks yet (`attnlib bench fashion --commit`, made while "
            "nothing else runs): the time axis is missing, and the deeper-baseline question is answered on "
            "accuracy alone above.*"
        )
    )
else:
    hardware = f"{latency.hardware.iloc[0]}, {latency.threads.iloc[0]} threads, {str(latency.date.iloc[0])[:10]}"
    points = fashion.tradeoff_points(finals, latency, "openvino", 1, campaign=headline)
    if not points.empty:
        show_figure(
            plot_fashion_tradeoff(points, "OpenVINO, batch 1"),
            f"Fashion-MNIST top-1 (mean ± std over seeds) against inference time over the network's baseline "
            f"(median, 95 % interval; OpenVINO, batch 1, {hardware}): each module, and the deeper baseline (star).",
            "fashion-tradeoff",
        )
        tradeoff = fashion.deeper_tradeoff_statements(points, "OpenVINO", 1)
        display(styled(fashion.statements_table(tradeoff, headline)))
    display(Markdown(f"Time over each network's baseline, median of interleaved trials, on {hardware}:"))
    display(fashion.cost_table(latency, training, campaign=headline))

# %% [markdown]
# ## Retrofitting modules into the trained network (Table 3's question)
#
# The basic baseline of seed 0 is the pretrained network. Each module is inserted into every block
# (`attnlib.retrofit`), plain and with identity-init (gate a·σ(·) + b with a = 0, b = 1, so the network
# starts unchanged), and fine-tuned with the paper's three schedules scaled to this pretraining's length;
# the baseline fine-tuned alone on the same schedules is the comparison. The pretrained network is the
# same for all; a seed sets the inserted modules' initial weights and the order of the training images,
# so a difference paired by seed is the module's own. The short campaign fine-tuned with three seeds; the
# converged one with one, as the paper's Table 3 does (to fit its 24 hours). With one seed, a difference's
# 95 % interval is over the 10 000 test images: each run's record keeps which of them its network gets
# right, so two runs compare image by image. That interval holds the test set's noise, not the seed's: a
# verdict it decides is one of this seed.

# %%
retrofits = fashion.retrofit_table(finals, "default", campaign=headline)
if retrofits.empty:
    display(Markdown("*The retrofit runs are not committed yet (they follow the comparison in the campaign).*"))
else:
    display(retrofits)
    show_figure(
        plot_retrofit_gains(fashion.retrofit_gains(finals, "default", campaign=headline)),
        "Top-1 of the trained basic baseline with each module inserted and fine-tuned, over the same network "
        "fine-tuned alone on the same schedule (points; 95 % intervals paired by seed, or over the test images where "
        "one seed ran), inserted plainly and with "
        "identity-init, for each of the paper's fine-tuning schedules scaled to this pretraining (committed records).",
        "fashion-retrofit",
    )
    retrofit_checks = fashion.retrofit_statements(finals, "default", campaign=headline)
    display(styled(fashion.statements_table(retrofit_checks, headline)))

# %% [markdown]
# ## Does a module survive int8?
#
# The trained networks (seed 0 of every variant, committed under `data/models/fashion/`) evaluated on
# the 10 000 test images in fp32 and in int8 on the two CPU engines that run int8 for real, calibrated on
# 500 training images (`attnlib bench int8-accuracy --commit`); the newest record of each campaign.

# %%
int8.show_accuracy()

# %% [markdown]
# ## This machine, now: a live run
#
# A few modules trained while this page was built, so that the page proves the pipeline on the machine
# that builds it. It is far too small to decide anything; the committed campaign above is the result.

# %%
live = fashion.live_config(profile)
display(Markdown(fashion.live_warning(live, page.hardware)))
fashion.run_live(live).style.hide(axis="index")

# %% [markdown]
# ## Provenance of this page

# %%
provenance_table(page.run).style.hide(axis="index")
