"""ResNets: blocks per depth, torchvision compatibility, module placement, builder errors."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from attnlib import attention, build_model, paper
from attnlib.models import BasicBlock, Bottleneck
from tests.reference import randomise

DEPTHS = (18, 34, 50, 101, 152)
MODULES = (None, *attention.available())


def modules_per_depth() -> dict[int, int]:
    """Sect. 4.3: 8/16/16/33/50 modules, one per residual block."""
    claims = paper.load("text").set_index("claim")
    return {depth: int(claims.loc[f"modules_resnet{depth}", "low"]) for depth in DEPTHS}


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("name", attention.available())
def test_one_module_per_block(depth, name):
    with torch.device("meta"):
        model = build_model(f"resnet{depth}", attention=name)
    modules = model.attention_modules()
    assert len(modules) == modules_per_depth()[depth]
    assert all(isinstance(m, attention.resolve(name)) for m in modules)


@pytest.mark.parametrize(("block", "blocks"), [("basic", 27), ("bottleneck", 18)])
def test_cifar_resnet56_blocks(block, blocks):
    model = build_model("cifar_resnet56", attention="se", block=block, num_classes=100)
    assert len(model.blocks()) == blocks
    assert len(model.attention_modules()) == blocks
    expected_block = BasicBlock if block == "basic" else Bottleneck
    assert all(type(b) is expected_block for b in model.blocks())
    assert model.fc.out_features == 100
    assert model.fc.in_features == (64 if block == "basic" else 256)
    assert model.eval()(torch.randn(2, 3, 32, 32)).shape == (2, 100)


@pytest.mark.parametrize(
    ("depth", "block", "per_stage"),
    [(20, "basic", 3), (110, "basic", 18), (29, "bottleneck", 3), (164, "bottleneck", 18)],
)
def test_other_cifar_depths(depth, block, per_stage):
    model = build_model(f"cifar_resnet{depth}", block=block)
    assert len(model.blocks()) == 3 * per_stage


@pytest.mark.parametrize("depth", [18, 50])
def test_torchvision_state_dict_loads_with_only_attention_missing(depth):
    reference = getattr(torchvision.models, f"resnet{depth}")()
    ours = build_model(f"resnet{depth}", attention="ab")
    result = ours.load_state_dict(reference.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert result.missing_keys and all(".attention." in key for key in result.missing_keys)
    baseline = build_model(f"resnet{depth}")
    baseline.load_state_dict(reference.state_dict(), strict=True)


@pytest.mark.parametrize("depth", [18, 50])
def test_attention_bias_leaves_torchvision_outputs_identical(depth):
    torch.manual_seed(depth)
    reference = getattr(torchvision.models, f"resnet{depth}")().eval()
    ours = build_model(f"resnet{depth}", attention="ab").eval()
    ours.load_state_dict(reference.state_dict(), strict=False)
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        assert torch.equal(ours(x), reference(x))


@pytest.mark.parametrize("name", attention.available())
@pytest.mark.parametrize("model_name", ["resnet18", "resnet50", "cifar_resnet20"])
def test_module_sits_after_last_batchnorm_before_addition(name, model_name):
    model = build_model(model_name, attention=name).eval()
    for block in model.blocks():
        randomise(block.attention, seed=7)
    block = model.blocks()[1]
    last_bn = block.bn3 if isinstance(block, Bottleneck) else block.bn2
    seen = {}
    last_bn.register_forward_hook(lambda m, i, o: seen.__setitem__("bn", o.clone()))
    block.attention.register_forward_hook(
        lambda m, i, o: seen.update(attention_in=i[0].clone(), attention_out=o.clone())
    )
    block_input = {}
    block.register_forward_hook(lambda m, i, o: block_input.update(x=i[0].clone(), out=o.clone()))
    size = 32 if model_name.startswith("cifar") else 64
    with torch.no_grad():
        model(torch.randn(2, 3, size, size))
    torch.testing.assert_close(seen["attention_in"], seen["bn"])
    identity = block_input["x"] if block.downsample is None else block.downsample(block_input["x"])
    torch.testing.assert_close(block_input["out"], torch.relu(seen["attention_out"] + identity))


def test_baseline_has_identity_slots():
    model = build_model("resnet18")
    assert all(isinstance(m, nn.Identity) for m in model.attention_modules())
    assert build_model("resnet18", attention="baseline").state_dict().keys() == model.state_dict().keys()


def test_attention_options_reach_every_module():
    model = build_model("resnet50", attention="se", attention_options={"reduction": 8})
    assert all(m.fc1.out_features == m.channels // 8 for m in model.attention_modules())


def test_attention_init_is_not_overwritten_by_backbone_init():
    model = build_model("resnet18", attention="ab")
    assert all(torch.count_nonzero(m.weight) == 0 for m in model.attention_modules())


def test_backbone_init_is_torchvisions_and_a_meta_build_has_the_same_structure():
    """Convolutions get Kaiming-normal (fan-out) weights and BatchNorms weight 1, bias 0; on the meta device
    (complexity counting) the init is skipped, which changes no shape or name."""
    torch.manual_seed(0)
    model = build_model("resnet18", attention="se")
    conv = model.layer3[0].conv1  # 128 -> 256, 3x3: fan-out 256 * 9
    assert float(conv.weight.detach().std()) == pytest.approx((2 / (256 * 9)) ** 0.5, rel=0.05)
    assert torch.equal(model.bn1.weight, torch.ones(64)) and torch.equal(model.bn1.bias, torch.zeros(64))
    with torch.device("meta"):
        meta = build_model("resnet18", attention="se")
    assert {k: v.shape for k, v in meta.state_dict().items()} == {k: v.shape for k, v in model.state_dict().items()}


def test_unknown_model_lists_valid_names():
    with pytest.raises(ValueError, match=r"resnet18.*resnet152.*cifar_resnet"):
        build_model("resnet19")


def test_unknown_attention_lists_valid_names():
    with pytest.raises(ValueError, match="ab, eca, se, srm, multise"):
        build_model("resnet18", attention="cbam")


def test_invalid_cifar_depth_names_the_rule():
    with pytest.raises(ValueError, match=r"6n\+2"):
        build_model("cifar_resnet57")
    with pytest.raises(ValueError, match=r"9n\+2"):
        build_model("cifar_resnet57", block="bottleneck")


def test_block_type_mismatch_is_rejected():
    with pytest.raises(ValueError, match="bottleneck blocks"):
        build_model("resnet50", block="basic")


def test_wrong_image_shape_names_expected_shape():
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        build_model("cifar_resnet20")(torch.randn(2, 1, 32, 32))


@pytest.mark.parametrize("name", attention.available())
def test_imagenet_resnet_at_32px_has_no_nan(name):
    model = randomise(build_model("resnet50", attention=name), seed=11).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 32, 32))
    assert torch.isfinite(out).all()
