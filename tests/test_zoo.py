"""The attention zoo (Beyond the paper): which layers, how they are counted, and the cost model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from attnlib.bench import zoo
from attnlib.complexity import DATA_MOVEMENT_OPS, ELEMENTWISE_FORMULAS, MATMUL_OPS, count

MODULES = zoo.zoo_modules()
NAMES = [m.name for m in MODULES]


def test_the_zoo_has_the_paper_modules_and_timms_channel_layers():
    assert NAMES[:5] == ["paper/ab", "paper/eca", "paper/se", "paper/srm", "paper/multise"]
    timm_names = {m.key for m in MODULES if m.source == "timm"}
    assert {"se", "eca", "cbam", "gc", "coord"} <= timm_names
    _, left_out = zoo.zoo()
    accounted = timm_names | {name.split("/", 1)[1] for name in left_out.module}
    assert accounted == set(zoo.TIMM_CANDIDATES) | set(zoo.TIMM_LEFT_OUT)  # every create_attn type, once
    assert left_out.reason.str.len().gt(20).all()


@pytest.mark.parametrize("attn_type", sorted(set(zoo.TIMM_CANDIDATES) | set(zoo.TIMM_LEFT_OUT)))
def test_every_listed_type_is_one_of_timms_create_attn_types(attn_type):
    from timm.layers import get_attn

    assert get_attn(attn_type) is not None


def test_unknown_zoo_module_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown zoo module.*valid names are paper/ab"):
        zoo.zoo_modules(["timm/nope"])


@pytest.mark.parametrize("depth", [18, 50])
@pytest.mark.parametrize("name", NAMES)
def test_every_module_builds_keeps_the_map_and_is_counted(name, depth):
    module = zoo.zoo_modules([name])[0]
    network = module.network(f"resnet{depth}").eval()
    shapes = []
    hooks = [
        m.register_forward_hook(lambda _m, i, o: shapes.append((tuple(i[0].shape), tuple(o.shape))))
        for n, m in network.named_modules()
        if n.endswith(".attention")
    ]
    with torch.no_grad():
        logits = network(torch.randn(1, 3, 64, 64))
    for hook in hooks:
        hook.remove()
    assert logits.shape == (1, 1000)
    assert len(shapes) == {18: 8, 50: 16}[depth] and all(i == o for i, o in shapes)
    counted = count(network, (1, 3, 64, 64), "exact")
    assert counted.attention_elementwise > 0, "the module's pooling and gate are not counted"
    layer = module.layer_class()(64)
    if any(isinstance(m, torch.nn.Conv1d | torch.nn.Conv2d | torch.nn.Linear) for m in layer.modules()):
        assert counted.attention_macs > 0, "the module's convolutions or linear layers are not counted"
    else:  # AB's and SRM's channel-wise products are elementwise: no matrix MACs to count
        assert module.key in ("ab", "srm") and counted.attention_macs == 0


class _Operators(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.seen: set[object] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if not func.is_view:
            self.seen.add(func.overloadpacket)
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("name", NAMES)
def test_no_operator_of_a_module_is_silently_counted_as_nothing(name):
    """Every operator a module runs is either counted (matrix MACs or an elementwise formula) or declared
    data movement; a new operator in a timm release fails here instead of vanishing from the counts."""
    layer = zoo.zoo_modules([name])[0].layer_class()(64).eval()
    x = torch.randn(1, 64, 8, 8)
    operators = _Operators()
    with torch.no_grad(), operators:
        layer(x)
    unknown = {str(op) for op in operators.seen} - {
        str(op) for op in (*MATMUL_OPS, *ELEMENTWISE_FORMULAS, *DATA_MOVEMENT_OPS)
    }
    assert not unknown


# Passes over the block output, counted by hand from each module's code:
#   SE:   mean over H×W (squeeze), x · gate                                  → 2
#   ECA:  mean over H×W, x · gate                                            → 2
#   SRM:  mean, x − mean, the norm of the centred map (std), x · gate        → 4
#   CBAM: channel gate: mean and amax over H×W, x · gate;
#         spatial gate: mean and amax over C, x · gate                       → 6
BY_HAND = {"paper/se": 2, "paper/eca": 2, "paper/srm": 4, "timm/se": 2, "timm/eca": 2, "timm/cbam": 6}


@pytest.mark.parametrize(("name", "passes"), sorted(BY_HAND.items()))
def test_passes_match_the_count_by_hand(name, passes):
    module = zoo.zoo_modules([name])[0]
    assert zoo.count_passes(module) == passes
    assert zoo.count_passes(module, channels=64, size=16) == passes  # structural: any size


def test_cbam_passes_are_the_expected_operators():
    layer = zoo.zoo_modules(["timm/cbam"])[0].layer_class()(128)
    assert zoo.pass_operators(layer, 128) == ["mean", "amax", "mul", "mean", "amax", "mul"]


def test_feature_elements_sum_the_block_outputs():
    # ResNet-18 at 224²: two blocks per stage, outputs 64×56², 128×28², 256×14², 512×7²
    assert zoo.feature_elements("resnet18") == 2 * (64 * 56**2 + 128 * 28**2 + 256 * 14**2 + 512 * 7**2)


def _synthetic(seed: int = 0, n: int = 18) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    macs = rng.uniform(1e4, 1e7, n)
    pass_elements = rng.integers(2, 7, n) * 7.5e5
    overhead = 0.05 + 2e-8 * macs + 4e-7 * pass_elements  # ms, known exactly
    return pd.DataFrame({"macs": macs, "pass_elements": pass_elements, "overhead_ms": overhead})


def test_cost_model_recovers_a_known_answer():
    data = _synthetic()
    both = zoo.fit_cost_model(data, ("macs", "pass_elements"))
    assert both.r2 == pytest.approx(1.0, abs=1e-9) and both.loo_mae < 1e-9
    assert both.coefficients == pytest.approx((0.05, 2e-8, 4e-7), rel=1e-6)
    flops = zoo.fit_cost_model(data, ("macs",))
    assert flops.r2 < 0.5 and flops.loo_mae > 0.1  # the passes carry most of the variance here
    with pytest.raises(ValueError, match="needs at least 4 modules"):
        zoo.fit_cost_model(data.head(3), ("macs", "pass_elements"))


def test_overhead_data_ranked_and_cheapest_on_a_synthetic_summary():
    from attnlib.reproduce import zoo as chapter

    structure = zoo.zoo_structure((18,), resolution=64)
    variants = ["baseline", *NAMES]
    rows = []
    for engine in ("eager", "openvino"):
        for index, variant in enumerate(variants):
            rows.append(
                {
                    "variant": variant,
                    "group": "resnet18",
                    "engine": engine,
                    "batch_size": 1,
                    "resolution": 64,
                    "baseline": "baseline",
                    "min_ms": 10.0 + 0.1 * index,
                    "overhead_min_pct": float(index),
                    "overhead_median_pct": float(index),
                    "ci_low_pct": 0.0,
                    "ci_high_pct": 0.0,
                }
            )
    data = zoo.overhead_data(pd.DataFrame(rows), structure)
    assert len(data) == 2 * len(NAMES) and data.overhead_ms.gt(0).all()
    table = zoo.ranked(data, "eager", 18, 1)
    assert table["rank"].tolist() == list(range(1, len(NAMES) + 1)) and table.module.iloc[0] == "AB"
    cheapest = chapter.cheapest(data)
    assert (cheapest.cheapest == "AB").all() and (cheapest["AB's rank"] == 1).all()
    fits = zoo.cost_model_table(data)
    assert set(fits.engine) == {"eager PyTorch", "OpenVINO"} and "R² passes + FLOPs" in fits  # named in words


class _Broken(torch.nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("this layer cannot run")


def test_a_variant_an_engine_fails_on_is_left_out_and_named_not_fatal():
    from attnlib import build_model
    from attnlib.bench.latency import Variant, measure_group

    variants = [
        Variant("resnet18", "baseline"),
        Variant("resnet18", "se"),
        Variant("resnet18", "broken", label="broken", factory=lambda: build_model("resnet18", attention=_Broken)),
    ]
    failures: dict[str, str] = {}
    summary, _ = measure_group(variants, "eager", 32, 1, trials=1, warmup=0, failures=failures)
    assert list(summary.variant) == ["baseline", "se"]
    assert list(failures.values()) == ["RuntimeError: this layer cannot run"]
    with pytest.raises(RuntimeError, match="cannot run"):
        measure_group(variants, "eager", 32, 1, trials=1, warmup=0)


@pytest.mark.parametrize("depth", [18, 50])
def test_a_modules_cost_counted_per_slot_equals_counting_the_whole_network(depth: int) -> None:
    """The zoo's structure counts each distinct attention slot once, on the module alone; the sum must be
    what counting the whole network finds inside its attention modules (every zoo layer, basic and
    bottleneck blocks)."""
    model = f"resnet{depth}"
    with torch.device("meta"):
        base = count(zoo.build_model(model), (1, 3, 32, 32), "exact")
    for module in zoo.zoo_modules():
        with torch.device("meta"):
            whole = count(module.network(model), (1, 3, 32, 32), "exact")
        params, macs, elementwise = zoo._module_cost(module, model, 32)
        assert (params, macs, elementwise) == (
            whole.params - base.params,
            whole.attention_macs,
            whole.attention_elementwise,
        ), module.name
