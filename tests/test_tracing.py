"""Every module and network survives the tools users put them in (issue 22, item 1): ``torch.fx``
symbolic tracing, torchvision's feature extraction, ``torch.export`` with a dynamic batch — while
eager mode keeps its one clear shape error."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import fx
from torchvision.models.feature_extraction import create_feature_extractor

from attnlib import attention, build_model, retrofit

MODULES = attention.available()
NETWORKS = [("cifar_resnet8", "basic"), ("cifar_resnet11", "bottleneck"), ("resnet18", None), ("resnet50", None)]


def _network(name: str, block: str | None, module: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(name, attention=module, block=block).eval()


@pytest.mark.parametrize("module", MODULES)
def test_each_module_traces_with_fx_and_keeps_its_eager_shape_error(module: str, one_thread: None) -> None:
    layer = attention.create(module, 32).eval()
    graph = fx.symbolic_trace(layer)
    x = torch.randn(2, 32, 6, 6)
    torch.testing.assert_close(graph(x), layer(x))
    with pytest.raises(ValueError, match=r"\(N, C=32, H, W\)"):
        layer(torch.randn(2, 16, 6, 6))


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize(("name", "block"), NETWORKS)
def test_networks_trace_and_yield_torchvision_feature_maps(
    name: str, block: str | None, module: str, one_thread: None
) -> None:
    network = _network(name, block, module)
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(fx.symbolic_trace(network)(x), network(x))
    extractor = create_feature_extractor(network, {"layer1": "stage1", "layer3": "stage3"})
    features = extractor(x)
    stem = network.maxpool(network.relu(network.bn1(network.conv1(x))))
    stage1 = network.layer1(stem)
    torch.testing.assert_close(features["stage1"], stage1)
    torch.testing.assert_close(features["stage3"], network.layer3(network.layer2(stage1)))


EXPORTED = [(name, block, module) for name, block in NETWORKS[:2] for module in MODULES] + [("resnet18", None, "srm")]


@pytest.mark.parametrize(("name", "block", "module"), EXPORTED)
def test_networks_export_with_a_dynamic_batch(name: str, block: str | None, module: str, one_thread: None) -> None:
    network = _network(name, block, module)
    batch = torch.export.Dim("batch", min=1, max=64)
    program = torch.export.export(network, (torch.randn(2, 3, 32, 32),), dynamic_shapes={"x": {0: batch}})
    x = torch.randn(5, 3, 32, 32)
    torch.testing.assert_close(program.module()(x), network(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("module", MODULES)
def test_a_retrofitted_torchvision_resnet_traces_and_extracts(module: str, one_thread: None) -> None:
    torch.manual_seed(0)
    network = retrofit(torchvision.models.resnet18(), module).eval()
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(fx.symbolic_trace(network)(x), network(x))
    features = create_feature_extractor(network, {"layer2": "stage2"})(x)
    assert features["stage2"].shape == (2, 128, 4, 4)


def test_a_network_still_names_the_expected_input_in_eager_mode() -> None:
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        build_model("cifar_resnet8")(torch.randn(2, 1, 32, 32))
