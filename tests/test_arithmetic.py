"""bf16 convolutions by fp32 kernels (:mod:`attnlib.arithmetic`) against the arithmetic they stand for:
bf16 operands, exact products, the sum rounded to bf16 — computed here in float64 on the same operands."""

from __future__ import annotations

import contextlib

import pytest
import torch
import torch.nn.functional as F

from attnlib.arithmetic import Fp32Convolutions, forward_autocast, step_convolutions
from attnlib.names import TrainingSetting
from attnlib.provenance import has_native_bf16
from attnlib.train import TrainConfig

BF16 = torch.bfloat16
SHAPES = [  # (images, weight, groups): a 3×3 convolution, a strided 1×1, a depthwise one, ECA's 1-D one
    ((4, 8, 10, 10), (16, 8, 3, 3), 1),
    ((4, 16, 8, 8), (8, 16, 1, 1), 1),
    ((4, 8, 10, 10), (8, 1, 3, 3), 8),
    ((4, 1, 32), (1, 1, 5), 1),
]


def _convolution(images: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, groups: int) -> torch.Tensor:
    function = F.conv1d if images.dim() == 3 else F.conv2d
    padding = weight.shape[-1] // 2
    return function(images, weight, bias, padding=padding, groups=groups)


def _step(images, weight, bias, groups, mode):
    """A bf16 convolution under autocast, forward and backward, in ``mode``: output, dx, dw, db."""
    leaves = [tensor.detach().clone().requires_grad_() for tensor in (images, weight, bias)]
    with mode:
        with torch.autocast("cpu", dtype=BF16):
            output = _convolution(*leaves, groups)
        (output.float() * torch.linspace(-1, 1, output.numel()).view_as(output)).sum().backward()
    return [output.detach(), *(leaf.grad for leaf in leaves)]


def _exact(images, weight, bias, groups):
    """The same forward and backward in float64 on the bf16 operands (and bf16 output gradient),
    each result rounded to bf16: what a bf16 kernel with an fp32 (or better) sum returns."""
    wide = [tensor.to(BF16).double().requires_grad_() for tensor in (images, weight, bias)]
    output = _convolution(*wide, groups)
    upstream = torch.linspace(-1, 1, output.numel(), dtype=torch.float32).view_as(output).to(BF16).double()
    output.backward(upstream)
    return [output.detach().to(BF16), *(leaf.grad.to(BF16) for leaf in wide)]


def _within_rounding(result: torch.Tensor, exact: torch.Tensor, ulps: int = 1, share: float = 0.02) -> bool:
    """Equal to the exact bf16 result but for the last bit (``ulps``) of a few elements (at most ``share``
    of them): fp32 sums in another order."""
    result, exact = result.float(), exact.float()
    scale = exact.abs().max().item()
    bound = exact.abs() * ulps * 2**-7 + scale * 2**-16  # bf16 ulps, and fp32 cancellation near zero
    close = bool(((result - exact).abs() <= bound).all())
    return close and (result != exact).float().mean().item() < share


@pytest.mark.parametrize("shape", SHAPES, ids=["3x3", "1x1", "depthwise", "eca-1d"])
def test_fp32_kernels_compute_the_bf16_convolution_forward_and_backward(shape):
    torch.manual_seed(0)
    images_shape, weight_shape, groups = shape
    images, weight, bias = torch.randn(images_shape), torch.randn(weight_shape), torch.randn(weight_shape[0])
    emulated = _step(images, weight, bias, groups, Fp32Convolutions())
    exact = _exact(images, weight, bias, groups)
    assert emulated[0].dtype == BF16, "a bf16 convolution returns bf16, as the native kernel does"
    for name, result, reference in zip(("output", "dx", "dw", "db"), emulated, exact, strict=True):
        assert _within_rounding(result, reference), f"{name} differs from the exact bf16 result"


@pytest.mark.skipif(not has_native_bf16(), reason="this CPU has no native bf16 (AMX or AVX-512 BF16) kernels")
@pytest.mark.parametrize("shape", SHAPES[:2], ids=["3x3", "1x1"])
def test_the_native_bf16_kernels_compute_the_same_convolution(shape):
    torch.manual_seed(0)
    images_shape, weight_shape, groups = shape
    images, weight, bias = torch.randn(images_shape), torch.randn(weight_shape), torch.randn(weight_shape[0])
    native = _step(images, weight, bias, groups, contextlib.nullcontext())
    exact = _exact(images, weight, bias, groups)
    for name, result, reference in zip(("output", "dx", "dw", "db"), native, exact, strict=True):
        # another CPU's kernels block their sums their own way: allow two last bits on a few more elements
        assert _within_rounding(result, reference, ulps=2, share=0.05), f"native {name} differs from exact bf16"


def test_other_dtypes_and_operations_pass_through_unchanged():
    torch.manual_seed(0)
    images, weight = torch.randn(2, 3, 6, 6), torch.randn(4, 3, 3, 3)
    with Fp32Convolutions():
        fp32 = F.conv2d(images, weight, padding=1)
        other = torch.relu(images).sum()
    torch.testing.assert_close(fp32, F.conv2d(images, weight, padding=1), rtol=0, atol=0)
    torch.testing.assert_close(other, torch.relu(images).sum(), rtol=0, atol=0)


@pytest.mark.parametrize("attention", ["baseline", "se", "eca", "srm"])
def test_a_training_step_with_fp32_kernels_follows_the_bf16_step(attention):
    """A whole network's step: loss and gradients as bf16 autocast computes them (the native kernels of
    a CPU without bf16 do not even sum in fp32, so the reference is fp32, to within bf16's precision:
    the loss within 3 %, the gradient pointing the same way)."""
    from attnlib import build_model

    torch.manual_seed(0)
    model = build_model("cifar_resnet8", attention=attention, in_channels=1).train()
    images, labels = torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,))

    def gradients(precision: str, convolutions: str) -> tuple[float, list[torch.Tensor]]:
        model.zero_grad(set_to_none=True)
        with step_convolutions(precision, convolutions):
            with forward_autocast("cpu", precision):
                loss = F.cross_entropy(model(images), labels)
            loss.backward()
        return loss.item(), [p.grad.clone() for p in model.parameters()]

    loss32, grads32 = gradients("fp32", "native")
    loss16, grads16 = gradients("bf16", "fp32")
    assert loss16 == pytest.approx(loss32, rel=0.03)
    assert all(grad.dtype == torch.float32 for grad in grads16), "the weights' gradients stay fp32, as autocast keeps"
    fp32_all, bf16_all = torch.cat([g.flatten() for g in grads32]), torch.cat([g.flatten() for g in grads16])
    assert F.cosine_similarity(fp32_all, bf16_all, dim=0).item() > 0.99, "the step goes the same way as fp32's"


def test_the_setting_and_the_config_refuse_what_cannot_be_combined():
    assert TrainingSetting.parse("bf16+fp32_conv+channels_last").train_config()["bf16_convolutions"] == "fp32"
    assert TrainingSetting.parse("bf16 + fp32_conv + channels_last").name == "bf16 + fp32_conv + channels_last"
    with pytest.raises(ValueError, match="needs precision bf16"):
        TrainingSetting.parse("fp32+fp32_conv")
    with pytest.raises(ValueError, match="cannot be combined with compile"):
        TrainingSetting.parse("bf16+fp32_conv+compile")
    with pytest.raises(ValueError, match="valid are native, fp32"):
        TrainConfig(precision="bf16", bf16_convolutions="fp16")
    with pytest.raises(ValueError, match="needs precision bf16 and no compile"):
        TrainConfig(precision="bf16", bf16_convolutions="fp32", compile=True)


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        (["avx2"], "bf16 + fp32_conv + channels_last"),
        (["avx512_bf16"], "bf16 + channels_last + compile"),
        (["amx_bf16", "amx_tile"], "bf16 + channels_last + compile"),
    ],
)
def test_a_campaign_on_a_cpu_without_native_bf16_keeps_its_precision_with_fp32_kernels(features, expected):
    from attnlib.reproduce import fashion

    setting = fashion.campaign_setting()
    assert setting.name == "bf16 + channels_last + compile"
    assert fashion.machine_setting(setting, features).name == expected
    assert fashion.machine_setting(TrainingSetting(), features).name == "fp32", "an fp32 run stays fp32"
    config = fashion.machine_config(fashion.settings_of("default").base, features)
    assert config.precision == "bf16"
    assert (config.bf16_convolutions, config.compile) == (("fp32", False) if features == ["avx2"] else ("native", True))
