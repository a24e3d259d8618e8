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
# # Latency vs depth (Fig. 3, Table 2's timing columns)
#
# The paper's central claim (Sect. 4.3.1): attention modules add 0.2–3 % FLOPs but 5–50 % single-image
# inference time. It timed ResNet-18 … 152 with each module, batch 1, 224², on an RTX 2080 Ti in
# PyTorch {cite}`paszke2019pytorch` and TensorRT {cite}`tensorrt` (fp32 and fp16), reporting the minimum
# of 1000 trials. We add ONNX Runtime {cite}`onnxruntime`, OpenVINO {cite}`openvino`, `torch.compile`
# and timm's modules {cite}`wightman2019timm`.
#
# The page leads with **committed run records** — careful measurements made with `attnlib bench --preset`,
# labelled with their hardware — and checks the paper's statements on them. Below, **this machine,
# now**: the same sweep timed while the book was built, shown with a noise check that withholds
# conclusions when the measurement cannot support them. In both, all six networks of a depth are
# **interleaved round-robin** in one run (so drift hits all alike); we report the minimum (the paper's
# statistic), and the median with a bootstrap 95 % interval. Every engine's output is checked against
# eager PyTorch before it is timed.
#
# The paper's Fig. 3 image is not part of our copy of the paper, so no values are read off it; its
# exact numbers are Table 2's (ResNet-18/50), compared below, and its statements are checked at the end.

# %% tags=["parameters"]
# The latency chapters take the same knobs (None keeps the profile's value); papermill needs them here.
profile = "default"
engines = None
depths = None
trials = None
threads = None
save_record = False

# %%
from IPython.display import display

from attnlib.reproduce import fig3, int8
from attnlib.reproduce.common import open_page, show_page_warning
from attnlib.reproduce.latency import (
    engine_availability,
    measure,
    module_comparison,
    show_committed_records,
    show_measurement,
)
from attnlib.results import provenance_table

page = open_page(fig3, profile, threads, engines=engines, depths=depths, trials=trials)
settings = page.settings

# %% [markdown]
# ## Committed run records: the headline measurements
#
# Made with `attnlib bench --preset cpu|gpu|gpu-compile --commit`, committed to `data/results/latency/`, each
# labelled with its hardware, protocol and date. They are shown on every build, whatever machine
# builds the book. Absolute times are not comparable across hardware; the overhead columns (% over
# the same engine's baseline) are the quantity to compare with the paper. A GPU record (one
# `--session` of `--preset gpu` and `gpu-compile`) holds eager PyTorch in fp32 and fp16, the same
# replayed as CUDA graphs (`eager+graphs`), channels-last (`+NHWC`) and `torch.compile` (`compile…`);
# fp32 there is IEEE fp32 (TF32 off), as on the paper's RTX 2080 Ti. Its Table 2 compares the paper's
# TensorRT columns with the fastest optimising engine that ran — a stand-in, since TensorRT cannot be
# installed here — and "the engines' floor" shows how far each engine takes the baseline below eager.

# %%
show_committed_records(fig3.EXPERIMENT, fig3.show)

# %% [markdown]
# ## This machine, now
#
# The same sweep, timed while this book was built (the `profile` parameter sets its size). On a
# shared or busy machine it is noisy: its conclusions are shown only when it passes the noise check.

# %%
show_page_warning(page)
engine_availability(settings.engines, settings.device).style.hide(axis="index")

# %%
show_measurement(page, measure(page, save_record))

# %% [markdown]
# ## Fast modules: attnlib vs plain reference vs timm
#
# `attnlib bench modules` times, interleaved in one run, the same ResNet-50 (224², batch 1) with
# attnlib's modules, with plain implementations written the way the public reference code writes them
# (`attnlib.bench.plain`: `AdaptiveAvgPool2d`, `expand_as`, separate Multi-SE branches, SRM's
# `var` over a flattened map), and with timm's SE and ECA. Same weights, same function; only the
# implementation differs. Committed records:

# %%
show_committed_records("modules", lambda record, *_: display(module_comparison(record)))

# %% [markdown]
# ## Beyond the paper: what a module costs in training
#
# `attnlib bench train` times a full training step (forward, loss, backward, SGD with momentum; AMP and
# channels-last on a GPU, as the paper profile trains) of each network, interleaved. Batches are random
# tensors already on the device, so data loading is not timed. The rate (TMAC/s, 3 × forward MACs per
# image) is what `attnlib reproduce … --plan` offers beside its stated `--tmacs`. Committed records:

# %%
show_committed_records("train_step", lambda record, *_: display(fig3.train_step_table(record).style.hide(axis="index")))

# %% [markdown]
# ## Beyond the paper: 8-bit on CPU (Fig. 3c's counterpart)
#
# The paper timed 16-bit TensorRT on its GPU and found the modules' *relative* overhead higher at the
# lower precision: the convolutions get faster, the memory-bound gates much less. On a CPU, deployment
# means int8. `attnlib bench int8` times ResNet-18 and -50 (Table 2's depths) with each module at 224²,
# batch 1 and 16, on the two CPU engines that run int8 for real — `torch.compile` after PT2E static
# quantization (torchao's x86 inductor quantizer) and OpenVINO after NNCF's post-training quantization —
# first in fp32, then in int8, each precision's networks timed interleaved. Every int8 network is
# calibrated on 32 seeded random images (its weights are random too) and must agree with eager fp32
# (cosine similarity of the logits ≥ 0.99) before it is timed. Committed records:

# %%
show_committed_records(int8.EXPERIMENT, int8.show)

# %% [markdown]
# **Does a module survive quantization?** The Fashion-MNIST study's trained networks (seed 0 of every
# variant, committed under `data/models/fashion/`) evaluated on the 10 000 test images in fp32 and in
# int8 on both engines, calibrated on 500 training images (`attnlib bench int8-accuracy`):

# %%
int8.show_accuracy()

# %% [markdown]
# ## Provenance of this page's measurements

# %%
provenance_table(page.run).style.hide(axis="index")
