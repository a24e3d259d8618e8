"""Parameters and MACs: Table 2 reproduced, both conventions checked from first principles."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
import torchvision
from torch import nn

from attnlib import attention, build_model, paper
from attnlib.complexity import attention_roots, compare_with_table2, complexity_table, count, count_model
from tests.test_attention import per_module_parameters

DEPTHS = (18, 34, 50, 101, 152)
MODULES = (None, *attention.available())


def block_channels(depth: int) -> list[int]:
    """Output channels of every residual block of an ImageNet ResNet (one module each)."""
    with torch.device("meta"):
        model = build_model(f"resnet{depth}")
    return [(b.bn3 if hasattr(b, "bn3") else b.bn2).num_features for b in model.blocks()]


def torchvision_parameters(depth: int) -> int:
    with torch.device("meta"):
        return sum(p.numel() for p in getattr(torchvision.models, f"resnet{depth}")().parameters())


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("name", MODULES)
def test_parameters_all_30_models(depth, name):
    """torchvision's backbone plus the closed form per module, summed over the blocks."""
    expected = torchvision_parameters(depth)
    if name is not None:
        expected += sum(per_module_parameters(name, c) for c in block_channels(depth))
    assert count_model(f"resnet{depth}", name).params == expected


@pytest.mark.parametrize("depth", DEPTHS)
def test_torchvision_weight_metadata(depth):
    """Backbone parameters and MACs (exact convention) against torchvision's published metadata."""
    weights = torchvision.models.get_model_weights(f"resnet{depth}").IMAGENET1K_V1
    result = count_model(f"resnet{depth}", None, convention="exact")
    assert result.params == weights.meta["num_params"]
    assert round(result.macs / 1e9, 3) == pytest.approx(weights.meta["_ops"], abs=1e-3)


def table2_rows():
    return [(row.depth, row.module, row.flops_g) for row in paper.load("table2").itertuples()]


@pytest.mark.parametrize(("depth", "name", "printed"), table2_rows())
def test_table2_flops_paper_convention(depth, name, printed):
    result = count_model(f"resnet{depth}", None if name == "baseline" else name, convention="paper")
    assert round(result.macs / 1e9, 2) == printed


@pytest.mark.parametrize(("depth", "expected"), [(18, 1.8191), (50, 4.1115)])
def test_baselines_paper_convention_to_four_decimals(depth, expected):
    assert round(count_model(f"resnet{depth}", None).macs / 1e9, 4) == expected


def test_table2_parameters_with_documented_erratum():
    table = complexity_table((18, 50))
    comparison = compare_with_table2(table, paper.load("table2"))
    errata = paper.load("errata")
    disagreeing = {(r.depth, r.module) for r in comparison.itertuples() if not r.params_agree}
    assert disagreeing == {(18, "se"), (18, "srm")}
    assert comparison.flops_agree.all()
    swapped = comparison.set_index(["depth", "module"])
    assert swapped.loc[(18, "se"), "params_m_attnlib"] == swapped.loc[(18, "srm"), "params_m_paper"]
    assert swapped.loc[(18, "srm"), "params_m_attnlib"] == swapped.loc[(18, "se"), "params_m_paper"]
    assert {"ResNet-18 SE", "ResNet-18 SRM"} <= set(errata.row)


@pytest.mark.parametrize("depth", [18, 50])
@pytest.mark.parametrize("name", attention.available())
def test_exact_attention_macs_from_first_principles(depth, name):
    """Linear/conv MACs inside the modules at r = 16 (channel-wise products count as elementwise)."""
    per_module = {
        "ab": lambda c: 0,
        "eca": lambda c: 3 * c,
        "se": lambda c: 2 * c * c // 16,
        "srm": lambda c: 0,
        "multise": lambda c: 6 * c * c // 16 + 3 * c + 3 * c,  # branches, assigner, branch-bias mix
    }[name]
    result = count_model(f"resnet{depth}", name, convention="exact")
    assert result.attention_macs == sum(per_module(c) for c in block_channels(depth))
    baseline = count_model(f"resnet{depth}", None, convention="exact")
    assert result.macs - baseline.macs == result.attention_macs


@pytest.mark.parametrize("name", attention.available())
def test_exact_elementwise_includes_pool_and_integration(name):
    """Each module at least pools (N) and integrates (N) per block output element."""
    result = count_model("resnet18", name, convention="exact")
    outputs = 0
    with torch.device("meta"):
        model = build_model("resnet18")
    sizes = {}
    for index, block in enumerate(model.blocks()):
        block.register_forward_hook(lambda m, i, o, index=index: sizes.__setitem__(index, o.numel()))
    model(torch.zeros(1, 3, 224, 224, device="meta"))
    outputs = sum(sizes.values())
    assert result.attention_elementwise >= 2 * outputs


def test_paper_rules_scale_with_batch():
    single = count_model("resnet18", "se", input_size=(1, 3, 224, 224))
    double = count_model("resnet18", "se", input_size=(2, 3, 224, 224))
    assert double.macs == 2 * single.macs


def test_count_keeps_training_mode_and_weights():
    model = build_model("cifar_resnet20", attention="srm").train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    count(model, (1, 3, 32, 32), convention="exact")
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_user_module_needs_exact_convention():
    class Doubler(nn.Module):
        def __init__(self, channels: int) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.ones(channels))

        def forward(self, x):
            return x * self.scale.view(1, -1, 1, 1)

    model = build_model("cifar_resnet20", attention=Doubler)
    assert len(attention_roots(model)) == 9
    with pytest.raises(ValueError, match=r"no paper-convention rule.*Doubler"):
        count(model, (1, 3, 32, 32), convention="paper")
    assert count(model, (1, 3, 32, 32), convention="exact").attention_params == 16 * 3 + 32 * 3 + 64 * 3


def test_unknown_convention():
    with pytest.raises(ValueError, match="paper, exact"):
        count_model("resnet18", None, convention="thop")


def test_cli_json():
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "attnlib.cli",
            "complexity",
            "--model",
            "resnet50",
            "--attention",
            "se",
            "--convention",
            "paper",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    values = json.loads(output)
    assert (
        round(values["macs"] / 1e9, 2) == paper.load("table2").set_index(["depth", "module"]).loc[(50, "se"), "flops_g"]
    )
    assert values["params"] == count_model("resnet50", "se").params


def test_cli_unknown_attention_is_one_clear_error():
    result = subprocess.run(
        [sys.executable, "-m", "attnlib.cli", "complexity", "--attention", "cbam"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "multise" in result.stderr


def test_counts_are_kept_between_processes_keyed_by_the_counting_code(tmp_path, monkeypatch):
    """A plan or a chapter in a new process reads a count made before, unless the code changed."""
    from attnlib import complexity

    monkeypatch.setenv("ATTNLIB_CACHE", str(tmp_path))
    complexity._count_model_cached.cache_clear()
    first = count_model("cifar_resnet8", "se", input_size=(1, 3, 32, 32), convention="exact")
    stored = list((tmp_path / "complexity").glob("*.json"))
    assert len(stored) == 2  # one forward pass counted both conventions; both are kept
    complexity._count_model_cached.cache_clear()
    with monkeypatch.context() as no_counting:  # read back, never counted again
        no_counting.setattr(complexity, "count_conventions", lambda *a, **k: pytest.fail("counted again"))
        assert count_model("cifar_resnet8", "se", input_size=(1, 3, 32, 32), convention="exact") == first
        paper_count = count_model("cifar_resnet8", "se", input_size=(1, 3, 32, 32), convention="paper")
    complexity._count_model_cached.cache_clear()
    with monkeypatch.context() as uncached:
        uncached.setenv("ATTNLIB_CACHE", "off")
        assert count_model("cifar_resnet8", "se", input_size=(1, 3, 32, 32), convention="paper") == paper_count
    complexity._count_model_cached.cache_clear()
    monkeypatch.setattr(complexity, "_counting_code", lambda: "edited")
    complexity._count_model_cached.cache_clear()
    count_model("cifar_resnet8", "se", input_size=(1, 3, 32, 32), convention="exact")
    assert len(list((tmp_path / "complexity").glob("*.json"))) == 4
    monkeypatch.setenv("ATTNLIB_CACHE", "off")
    complexity._count_model_cached.cache_clear()
    assert complexity._disk_cache() is None
    complexity._count_model_cached.cache_clear()


@pytest.mark.parametrize("module", [None, *attention.available()])
def test_one_pass_counts_both_conventions_as_two_passes_do(module):
    from attnlib.complexity import count_conventions

    with torch.device("meta"):
        model = build_model("resnet50", attention=module)
    both = count_conventions(model, (1, 3, 64, 64))
    assert both == {convention: count(model, (1, 3, 64, 64), convention) for convention in ("paper", "exact")}
