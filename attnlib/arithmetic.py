"""The arithmetic of a training step: fp32, or bf16 autocast — with the CPU's own bf16 convolutions, or
with the same bf16 convolutions computed by fp32 kernels where the CPU has no bf16 instructions.

A bf16 convolution (what oneDNN computes on a CPU with AMX or AVX-512 BF16, and what a GPU's tensor cores
compute) multiplies bf16 operands, sums the products in fp32 and rounds the sum to bf16. The product of
two bf16 numbers (8 significant bits each) is exact in fp32 (24), so an fp32 convolution of the
bf16-rounded operands, rounded to bf16, computes the same thing; only the order of the fp32 sums
differs, as it differs between any two CPUs' kernels. A CPU without bf16 instructions (AMD EPYC Zen 3,
AVX2 only) has no fast bf16 convolution: PyTorch falls back to a slow generic one, measured 6–10× slower
than fp32 there (and its backward does not even sum in fp32). :class:`Fp32Convolutions` lets such a CPU
train a bf16 campaign at about its fp32 speed, with the campaign's arithmetic unchanged.

Everything else in the step (BatchNorm, activations, the attention modules, the loss, the linear layer)
runs as bf16 autocast runs it, on the CPU's own kernels: only convolutions, forward and backward, are
replaced. ``tests/test_arithmetic.py`` holds both against a float64 computation on the same bf16 operands.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from attnlib.names import BF16_CONVOLUTIONS


class Fp32Convolutions(TorchDispatchMode):
    """A dispatch mode that computes every bf16 convolution (forward and both gradients) by an fp32
    convolution of its bf16 operands and rounds the results to bf16, as a bf16 kernel returns them.

    Active around a whole training step (forward *and* ``backward()``): the gradients' convolutions run
    in the backward pass. Convolutions of other dtypes pass through unchanged. Not for ``torch.compile``
    (a dispatch mode is Python, below what the compiler traces).
    """

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        kwargs = kwargs or {}
        bf16 = torch.bfloat16
        if func is torch.ops.aten.convolution.default and args[0].dtype == bf16:
            images, weight, bias, *rest = args
            wide = func(images.float(), weight.float(), None if bias is None else bias.float(), *rest, **kwargs)
            return wide.to(bf16)
        if func is torch.ops.aten.convolution_backward.default and args[0].dtype == bf16:
            gradient, images, weight, *rest = args
            wide = func(gradient.float(), images.float(), weight.float(), *rest, **kwargs)
            return tuple(None if part is None else part.to(bf16) for part in wide)
        return func(*args, **kwargs)


def require_bf16_convolutions(value: str) -> None:
    """Refuse an unknown ``bf16_convolutions`` value, naming the valid ones."""
    if value not in BF16_CONVOLUTIONS:
        raise ValueError(
            f"unknown bf16 convolutions {value!r}; valid are {', '.join(BF16_CONVOLUTIONS)} "
            "(native: the CPU's own bf16 kernels; fp32: fp32 kernels on the bf16 operands)"
        )


def forward_autocast(device: str, precision: str, fp16: bool = False) -> AbstractContextManager[Any]:
    """The autocast a training step's forward pass (and loss) runs in: CUDA's fp16 with ``fp16`` (AMP),
    bf16 for ``precision="bf16"``, else none (fp32). The backward pass runs outside it, as PyTorch asks."""
    if fp16:
        return torch.autocast("cuda", dtype=torch.float16)
    if precision == "bf16":
        return torch.autocast(device, dtype=torch.bfloat16)
    return nullcontext()


def step_convolutions(precision: str, convolutions: str = "native") -> AbstractContextManager[Any]:
    """What a whole training step (forward *and* backward) runs in so that its bf16 convolutions are
    computed as ``convolutions`` says: :class:`Fp32Convolutions` for ``"fp32"`` in a bf16 step, else
    nothing (the kernels PyTorch picks)."""
    require_bf16_convolutions(convolutions)
    return Fp32Convolutions() if precision == "bf16" and convolutions == "fp32" else nullcontext()
