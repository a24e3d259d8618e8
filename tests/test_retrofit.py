"""Retrofitting attention into existing ResNets (Sect. 4.2) and the identity-init extension."""

from __future__ import annotations

import copy

import pytest
import torch
import torchvision
from torch import nn

from attnlib import attention, build_model, load_pretrained, retrofit
from tests.reference import REFERENCES, randomise

SIGMOID_MODULES = ("eca", "se", "srm", "multise")


def networks() -> dict[str, callable]:
    return {
        "torchvision_resnet18": lambda: torchvision.models.resnet18(),
        "torchvision_resnet50": lambda: torchvision.models.resnet50(),
        "attnlib_cifar_resnet20": lambda: build_model("cifar_resnet20"),
    }


def input_for(name: str) -> torch.Tensor:
    torch.manual_seed(1)
    return torch.randn(2, 3, 32, 32) if "cifar" in name else torch.randn(2, 3, 64, 64)


def trained_like(model: nn.Module) -> nn.Module:
    """Non-trivial BatchNorm statistics, as in a pretrained network."""
    generator = torch.Generator().manual_seed(0)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.copy_(torch.randn(module.num_features, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
    return model.eval()


@pytest.mark.parametrize("network", list(networks()))
@pytest.mark.parametrize(("name", "identity_init"), [("ab", False)] + [(m, True) for m in SIGMOID_MODULES])
def test_identity_modules_leave_outputs_unchanged(network, name, identity_init):
    original = trained_like(networks()[network]())
    x = input_for(network)
    with torch.no_grad():
        expected = original(x)
        model = retrofit(copy.deepcopy(original), name, identity_init=identity_init).eval()
        assert (model(x) - expected).abs().max() <= 1e-6


@pytest.mark.parametrize("network", list(networks()))
@pytest.mark.parametrize("name", SIGMOID_MODULES)
def test_plain_sigmoid_modules_change_outputs(network, name):
    original = trained_like(networks()[network]())
    x = input_for(network)
    with torch.no_grad():
        expected = original(x)
        model = retrofit(copy.deepcopy(original), name).eval()
        assert (model(x) - expected).abs().max() > 1e-3


@pytest.mark.parametrize("network", list(networks()))
@pytest.mark.parametrize("name", attention.available())
def test_existing_parameters_untouched_and_keys_kept(network, name):
    original = networks()[network]()
    before = {k: v.clone() for k, v in original.state_dict().items()}
    model = retrofit(original, name, identity_init=True)
    after = model.state_dict()
    for key, value in before.items():
        assert torch.equal(after[key], value), key
    added = set(after) - set(before)
    assert added and all(".attention." in key for key in added)
    expected_blocks = {"torchvision_resnet18": 8, "torchvision_resnet50": 16, "attnlib_cifar_resnet20": 9}[network]
    assert len({key.split(".attention.")[0] for key in added}) == expected_blocks


@pytest.mark.parametrize("name", attention.available())
def test_gradients_reach_new_parameters(name):
    model = retrofit(torchvision.models.resnet18(), name, identity_init=True).train()
    model(torch.randn(2, 3, 64, 64)).square().mean().backward()
    new = [(k, p) for k, p in model.named_parameters() if ".attention." in k]
    assert new
    for key, parameter in new:
        assert parameter.grad is not None, key
    assert any(p.grad.abs().sum() > 0 for _, p in new)


@pytest.mark.parametrize("name", SIGMOID_MODULES)
def test_identity_init_gate_matches_affine_reference(name):
    module = randomise(attention.create(name, 32, identity_init=True), seed=3).eval()
    x = torch.randn(2, 32, 5, 5)
    plain = copy.deepcopy(module)
    plain.gate_scale, plain.gate_shift = None, None
    with torch.no_grad():
        gated = module(x)
        # x·(a·σ + b) = a·(x·σ) + b·x, with x·σ from the reference written from the equations
        reference = REFERENCES[name](plain, x)
        a, b = module.gate_scale.view(1, -1, 1, 1).double(), module.gate_shift.view(1, -1, 1, 1).double()
        torch.testing.assert_close(gated.double(), a * reference + b * x.double(), rtol=1e-5, atol=1e-5)


def test_identity_init_adds_two_parameters_per_channel():
    plain = sum(p.numel() for p in attention.create("se", 64).parameters())
    identity = sum(p.numel() for p in attention.create("se", 64, identity_init=True).parameters())
    assert identity - plain == 2 * 64
    assert "gate_scale" not in attention.create("se", 64).state_dict()


def test_unsupported_model_is_a_clear_error():
    with pytest.raises(ValueError, match=r"VGG.*has none"):
        retrofit(torchvision.models.vgg11(), "se")


def test_double_retrofit_is_refused():
    model = retrofit(torchvision.models.resnet18(), "ab")
    with pytest.raises(ValueError, match="already has an attention module"):
        retrofit(model, "se")


def test_retrofitted_attnlib_model_equals_built_model_structure():
    built = build_model("resnet18", attention="eca")
    retrofitted = retrofit(build_model("resnet18"), "eca")
    assert built.state_dict().keys() == retrofitted.state_dict().keys()


def test_load_pretrained_from_path_and_missing_weights(tmp_path):
    source = torchvision.models.resnet18()
    path = tmp_path / "weights.pt"
    torch.save(source.state_dict(), path)
    model = load_pretrained(retrofit(build_model("resnet18"), "ab"), path)
    assert torch.equal(model.conv1.weight, source.conv1.weight)
    with pytest.raises(FileNotFoundError, match="not found"):
        load_pretrained(build_model("resnet18"), tmp_path / "absent.pt")


def test_offline_torchvision_weights_name_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    weights = torchvision.models.ResNet18_Weights.IMAGENET1K_V1

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(FileNotFoundError, match="checkpoints"):
        load_pretrained(build_model("resnet18"), weights)


def test_table3_protocol_smoke(tmp_path):
    from attnlib.reproduce.table3 import run_table3

    rows = [("baseline", False), ("ab", False), ("se", False), ("se", True)]
    results = run_table3("smoke", cache=tmp_path, rows=rows)
    initial = results[results.schedule == "initialized"].set_index(["module", "identity_init"]).top1
    assert initial[("ab", False)] == initial[("baseline", False)]
    assert initial[("se", True)] == initial[("baseline", False)]
    assert set(results.schedule) == {"initialized", "2ep_lr0.001", "20ep_lr0.01+20ep_lr0.001"}
    assert len(results) == len(rows) * 3
