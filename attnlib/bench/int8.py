"""8-bit inference on CPU: post-training static quantization for two engines (issue 22, item 2).

On CPUs, deployment means int8. Two engines do it for real:

- ``compile`` at ``int8``: PT2E static quantization — ``torch.export``, torchao's
  ``X86InductorQuantizer`` (per-channel int8 weights, per-tensor uint8 activations), calibration,
  ``convert_pt2e`` — then ``torch.compile`` with freezing, which lowers the quantized patterns to
  oneDNN int8 kernels. The quantizer lives in ``torchao`` since torch 2.14 no longer ships
  ``quantize_pt2e``.
- ``openvino`` at ``int8``: the converted OpenVINO model quantized by NNCF's post-training
  quantization (``nncf.quantize``), compiled with f32 for what stays in floating point.

Both calibrate on :data:`CALIBRATION_IMAGES` images: for latency, seeded N(0, 1) images of the
timed shape (the weights are random too, so there is no "real" input distribution to match); for
accuracy, real training images (:func:`attnlib.reproduce.fashion` does so). Each int8 network is
checked against fp32 before it is timed: the cosine similarity of its logits with eager fp32's must
be at least :data:`MIN_AGREEMENT` (:func:`agreement`) — int8 cannot pass an fp32 ``allclose``, but a
wrongly lowered graph lands far below 0.99.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import warnings
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

CALIBRATION_IMAGES = 32
"""Images each int8 network is calibrated on (latency: seeded random images; accuracy: training images)."""

MIN_AGREEMENT = 0.99
"""Least cosine similarity between an int8 network's logits and eager fp32's before it may be timed."""


_CALIBRATION: contextvars.ContextVar[list[torch.Tensor] | None] = contextvars.ContextVar("calibration", default=None)


@contextlib.contextmanager
def calibrated_on(batches: list[torch.Tensor]) -> Iterator[None]:
    """Within this block, int8 engines calibrate on ``batches`` (real images, each shaped like the
    example the network is prepared with) instead of seeded random images."""
    token = _CALIBRATION.set(list(batches))
    try:
        yield
    finally:
        _CALIBRATION.reset(token)


def calibration_batches(example: torch.Tensor, images: int = CALIBRATION_IMAGES, seed: int = 0) -> list[torch.Tensor]:
    """The batches an int8 engine calibrates on: those of :func:`calibrated_on` when inside it, else
    ``images`` seeded N(0, 1) images shaped like ``example``, in batches of its size (the last batch
    filled up to the full size, so static-shape graphs accept every batch)."""
    given = _CALIBRATION.get()
    if given is not None:
        if any(batch.shape != example.shape for batch in given):
            raise ValueError(f"calibration batches must be shaped like the example {tuple(example.shape)}")
        return given
    generator = torch.Generator().manual_seed(seed)
    batch = example.shape[0]
    count = max(1, math.ceil(images / batch))
    return [torch.randn(example.shape, generator=generator, dtype=torch.float32) for _ in range(count)]


def agreement(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """Cosine similarity of two outputs, flattened (1.0: same direction)."""
    a, b = actual.detach().float().flatten(), expected.detach().float().flatten()
    return float(torch.nn.functional.cosine_similarity(a, b, dim=0))


def check_agreement(actual: torch.Tensor, expected: torch.Tensor, what: str = "int8 network") -> float:
    """:func:`agreement`, raising ``AssertionError`` below :data:`MIN_AGREEMENT` so a wrong
    quantized network is never timed."""
    value = agreement(actual, expected)
    if not value >= MIN_AGREEMENT:
        raise AssertionError(
            f"{what}: its logits agree with eager fp32 by cosine {value:.4f}, below the {MIN_AGREEMENT} required"
        )
    return value


def torchao_quantizer() -> Any:
    """torchao's x86 inductor quantizer with its default static config (ImportError if torchao is absent)."""
    from torchao.quantization.pt2e.quantizer import x86_inductor_quantizer as x86

    quantizer = x86.X86InductorQuantizer()
    quantizer.set_global(x86.get_default_x86_inductor_quantization_config())
    return quantizer


def freeze_attention_batchnorms(model: nn.Module) -> nn.Module:
    """An eval-mode copy of ``model`` whose attention modules' BatchNorms (SRM's, on the style vector)
    are frozen affines (``torchvision.ops.FrozenBatchNorm2d``: the same x·scale + shift in eval mode).

    PT2E folds a BatchNorm into the convolution before it; one that follows no convolution stays a
    ``batch_norm`` node, and ``convert_pt2e`` then searches the graph for quantization-aware-training
    conv–BN patterns by exporting 96 pattern graphs — 40 s for one small SRM network, for nothing in
    post-training quantization. The frozen copy computes the same outputs and converts in a second.
    """
    import copy

    from torchvision.ops import FrozenBatchNorm2d

    from attnlib import attention

    frozen = copy.deepcopy(model).eval()
    kinds = tuple(attention.resolve(name) for name in attention.available())
    for module in [m for m in frozen.modules() if isinstance(m, kinds)]:
        for name, child in list(module.named_children()):
            if isinstance(child, nn.BatchNorm2d):
                replacement = FrozenBatchNorm2d(child.num_features, eps=child.eps)
                replacement.load_state_dict({k: v for k, v in child.state_dict().items() if k != "num_batches_tracked"})
                setattr(module, name, replacement.to(child.weight.device))
    return frozen


def quantize_pt2e(model: nn.Module, example: torch.Tensor, calibration: list[torch.Tensor]) -> nn.Module:
    """PT2E static int8 quantization of an eval-mode fp32 ``model`` for inductor on x86 CPUs.

    Exported at ``example``'s shape, calibrated on ``calibration`` (batches of that shape) and
    converted; the result is an FX ``GraphModule`` with quantize/dequantize pairs that
    ``torch.compile`` (freezing on) lowers to int8 kernels. Run eagerly it computes the same
    numbers, slowly — that is how accuracy can be measured without compiling.
    """
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        exported = torch.export.export(freeze_attention_batchnorms(model), (example,)).module()
        prepared = prepare_pt2e(exported, torchao_quantizer())
        for batch in calibration:
            prepared(batch)
        return convert_pt2e(prepared)


def quantize_openvino(converted: Any, calibration: list[torch.Tensor]) -> Any:
    """NNCF post-training int8 quantization of an OpenVINO model (``openvino.Model``) whose input
    takes one batch of ``calibration``; returns the quantized model (compile it with f32 for the
    parts that stay in floating point)."""
    import contextlib
    import io
    import logging

    import nncf

    nncf.set_log_level(logging.ERROR)
    dataset = nncf.Dataset([batch.numpy() for batch in calibration])
    # NNCF draws progress bars (rich) on stdout: a sweep prepares dozens of networks
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return nncf.quantize(converted, dataset, subset_size=len(calibration))
