"""The attention zoo: the paper's five modules beside timm's channel-attention layers, and a cost model.

Which layers (:func:`zoo`): every layer of ``timm.layers.create_attn`` that can sit where the paper
puts its modules — on a residual block's output, after its last BatchNorm and before the residual
addition, as a gate ``X → f(X)`` of the same shape — built through timm's own factory
(``timm.layers.get_attn``) with timm's defaults. Layers that replace the block's convolution
(selective kernel, split attention, the self-attention layers) or attend over positions (non-local)
are left out with the reason (:data:`TIMM_LEFT_OUT`); a candidate that does not build or does not keep
the map's shape in the installed timm is left out with its error.

Why a module costs more time than its FLOPs (:func:`count_passes`): a channel gate is cheap in
arithmetic but reads (and writes) the whole block output several times — global pooling, the gate
multiply, a second statistic, a spatial gate. :func:`count_passes` counts those passes from the
module's structure (every non-view ATen operator its forward runs on a tensor as large as the map);
:func:`fit_cost_model` then predicts the measured overhead from MACs alone, and from MACs plus
passes, with R² and leave-one-module-out error.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from attnlib import build_model
from attnlib.attention import BASELINE, available, display_name
from attnlib.bench.latency import Variant
from attnlib.names import label_words

TIMM_CANDIDATES: dict[str, str] = {
    "se": "squeeze-and-excitation (SEModule, r = 16)",
    "ese": "effective SE: one 1×1 conv, hard-sigmoid gate",
    "eca": "ECA, kernel size adapted to C",
    "ecam": "ECA with an MLP on the pooled vector",
    "ceca": "ECA with circular padding",
    "ge": "gather-excite, global extent",
    "gc": "global context: attention pooling, scale fusion",
    "gca": "global context: attention pooling, add fusion",
    "cbam": "CBAM: channel gate (avg + max) then spatial gate",
    "lcbam": "light CBAM",
    "coord": "coordinate attention: H and W pooling",
    "scoord": "simple coordinate attention",
    "ela": "efficient local attention: 1-D convs along H and W",
    "strip": "strip attention",
}
"""timm layers that gate a block's output in place: the candidates of the study."""

TIMM_LEFT_OUT: dict[str, str] = {
    "sk": "selective kernel: replaces the block's convolution (it takes a stride); it does not gate an output",
    "splat": "split attention (ResNeSt): replaces the block's convolution",
    "lambda": "lambda layer: self-attention that replaces the convolution",
    "bottleneck": "bottleneck self-attention: replaces the convolution",
    "halo": "halo self-attention: replaces the convolution",
    "nl": "non-local block: self-attention over positions, cost grows with (H·W)²; not a channel gate",
    "bat": "non-local with a bilinear attentional transform: self-attention over positions",
}
"""timm's other ``create_attn`` types, and why they are not in the study."""


@dataclass(frozen=True)
class ZooModule:
    """One module of the study: ``paper/<name>`` (attnlib) or ``timm/<attn_type>``."""

    source: str
    key: str
    description: str

    @property
    def name(self) -> str:
        return f"{'paper' if self.source == 'attnlib' else 'timm'}/{self.key}"

    @property
    def display(self) -> str:
        return display_name(self.key) if self.source == "attnlib" else f"timm {self.key.upper()}"

    def layer_class(self) -> type[nn.Module]:
        """The class that goes into each residual block's attention slot (channels → module)."""
        if self.source == "attnlib":
            from attnlib.attention import resolve

            return resolve(self.key)
        return timm_layer_class(self.key)

    def network(self, model: str) -> nn.Module:
        """``model`` (an attnlib ResNet) with this module in every residual block."""
        return build_model(model, attention=self.layer_class())

    def variant(self, model: str) -> Variant:
        """This module in ``model``, as a timing variant."""
        return Variant(model, self.key, label=self.name, factory=functools.partial(self.network, model))


def import_timm():
    """``import timm`` without tqdm's notebook warning ("IProgress not found"), which timm's import of
    ``tqdm.auto`` raises in a kernel without ipywidgets and which would print on the book's page."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import timm
        import timm.layers
    return timm


@functools.cache
def timm_layer_class(attn_type: str) -> type[nn.Module]:
    """timm's ``attn_type`` layer with timm's defaults, as a class taking the channel count only.

    ``timm.layers.get_attn`` returns a class or a ``functools.partial`` (``ecam``, ``gca``), so the
    layer is wrapped; the wrapper is transparent (``forward`` is the layer's).
    """
    factory = import_timm().layers.get_attn(attn_type)

    class TimmAttention(nn.Module):
        def __init__(self, channels: int) -> None:
            super().__init__()
            self.layer = factory(channels)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.layer(x)

    TimmAttention.__name__ = TimmAttention.__qualname__ = f"timm_{attn_type}"
    return TimmAttention


def _build_problem(module: ZooModule, channels: int = 64, size: int = 8) -> str | None:
    """Why ``module`` cannot sit in the slot (does not build, or changes the map's shape), or None."""
    try:
        layer = module.layer_class()(channels).eval()
        with torch.no_grad():
            out = layer(torch.randn(2, channels, size, size))
    except Exception as error:  # any failure of a third-party layer is reported
        return f"does not build or run here: {type(error).__name__}: {str(error).splitlines()[0][:120]}"
    if tuple(out.shape) != (2, channels, size, size):
        return f"changes the feature map's shape ({tuple(out.shape)})"
    return None


@functools.cache
def zoo() -> tuple[tuple[ZooModule, ...], pd.DataFrame]:
    """The study's modules (the paper's five, then timm's that build) and a table of those left out."""
    timm = import_timm()

    paper = tuple(ZooModule("attnlib", name, "the paper's module (attnlib)") for name in available())
    included, left_out = [], [{"module": f"timm/{k}", "reason": v} for k, v in TIMM_LEFT_OUT.items()]
    for key, description in TIMM_CANDIDATES.items():
        module = ZooModule("timm", key, description)
        problem = _build_problem(module)
        if problem is None:
            included.append(module)
        else:
            left_out.append({"module": module.name, "reason": f"{problem} (timm {timm.__version__})"})
    return paper + tuple(included), pd.DataFrame(left_out)


def zoo_modules(names: Sequence[str] | None = None) -> tuple[ZooModule, ...]:
    """The included modules, or those named (``paper/se``, ``timm/cbam``…; one clear error otherwise)."""
    modules, _ = zoo()
    if names is None:
        return modules
    by_name = {m.name: m for m in modules}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"unknown zoo module(s) {', '.join(unknown)}; valid names are {', '.join(by_name)}")
    return tuple(by_name[n] for n in names)


def zoo_groups(
    depths: Sequence[int], batch_sizes: Sequence[int], resolution: int = 224, names: Sequence[str] | None = None
) -> list[tuple[list[Variant], int, int]]:
    """Timing groups: per depth and batch size, the baseline then every module, interleaved."""
    modules = zoo_modules(names)
    groups = []
    for depth in depths:
        model = f"resnet{depth}"
        variants = [Variant(model, BASELINE, label=BASELINE), *(m.variant(model) for m in modules)]
        groups += [(variants, resolution, batch) for batch in batch_sizes]
    return groups


# --- passes over the feature map ------------------------------------------------------------------


class _PassCounter(TorchDispatchMode):
    """Records every non-view ATen operator that reads or writes a tensor at least as large as the
    feature map (the module's own parameters and buffers are not the map and never count)."""

    def __init__(self, full: int, weights: set[int]) -> None:
        super().__init__()
        self.full = full
        self.weights = weights
        self.passes: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        tensors = [
            t
            for t in tree_leaves((args, kwargs, out))
            if isinstance(t, torch.Tensor) and id(t) not in self.weights and t.numel() >= self.full
        ]
        if tensors and not func.is_view:
            self.passes.append(func.overloadpacket.__name__)
        return out


def pass_operators(layer: nn.Module, channels: int, size: int = 32) -> list[str]:
    """The ATen operators of ``layer``'s forward that read or write a whole (1, C, size, size) map,
    in order: one pass over the block output each (a pooling, a gate multiply, a statistic…)."""
    x = torch.randn(1, channels, size, size)
    weights = {id(t) for t in (*layer.parameters(), *layer.buffers())}
    counter = _PassCounter(x.numel(), weights)
    with torch.no_grad(), counter:
        layer.eval()(x)
    return counter.passes


def count_passes(module: ZooModule, channels: int = 256, size: int = 32) -> int:
    """How many times ``module`` reads or writes the block's output map (pooling, gate multiply…)."""
    return len(pass_operators(module.layer_class()(channels), channels, size))


def feature_elements(model: str, resolution: int = 224) -> int:
    """Σ over the residual blocks of ``model`` of the numel of the block output (batch 1): the elements
    one pass of a module in every block reads."""
    return sum(c * h * w * blocks for (c, h, w), blocks in slot_shapes(model, resolution))


def zoo_structure(depths: Sequence[int] = (18, 50), resolution: int = 224) -> pd.DataFrame:
    """Per module and depth: parameters and MACs (exact convention; the module's share of the
    network), elementwise operations, passes per block and elements read by them (batch 1).

    Counted on the meta device (no memory, no compute), once per process and set of depths.
    """
    return _zoo_structure(tuple(depths), resolution).copy()


@functools.cache
def slot_shapes(model: str, resolution: int = 224) -> tuple[tuple[tuple[int, int, int], int], ...]:
    """The (channels, height, width) of ``model``'s attention slots at batch 1, each with how many blocks
    have it: a module's cost in the network is the sum of its cost at each slot (shapes only: meta)."""
    with torch.device("meta"):
        network = build_model(model)
    shapes: dict[tuple[int, int, int], int] = {}

    def seen(_module: nn.Module, inputs: tuple, _output: object) -> None:
        shape = tuple(inputs[0].shape[1:])
        shapes[shape] = shapes.get(shape, 0) + 1

    hooks = [m.register_forward_hook(seen) for name, m in network.named_modules() if name.endswith(".attention")]
    with torch.no_grad():
        network.eval()(torch.zeros(1, 3, resolution, resolution, device="meta"))
    for hook in hooks:
        hook.remove()
    return tuple(shapes.items())


def _module_cost(module: ZooModule, model: str, resolution: int) -> tuple[int, int, int]:
    """Parameters, MACs and elementwise operations of ``module`` in every residual block of ``model``.

    Each distinct slot is counted once, on the module alone, and multiplied by its blocks: the same
    numbers as counting the whole network and taking the attention modules' share
    (``tests/test_zoo.py`` checks it), for a fraction of the time.
    """
    from attnlib.complexity import count
    from attnlib.models import attention_factory

    make = attention_factory(module.layer_class())
    params = macs = elementwise = 0
    for (channels, height, width), blocks in slot_shapes(model, resolution):
        with torch.device("meta"):
            alone = count(make(channels), (1, channels, height, width), "exact")
        params += blocks * alone.params
        macs += blocks * alone.macs
        elementwise += blocks * alone.elementwise
    return params, macs, elementwise


@functools.cache
def _zoo_structure(depths: tuple[int, ...], resolution: int) -> pd.DataFrame:
    from attnlib.complexity import count

    rows = []
    modules = zoo_modules()
    passes = {m.name: count_passes(m) for m in modules}
    for depth in depths:
        model = f"resnet{depth}"
        with torch.device("meta"):
            base = count(build_model(model), (1, 3, resolution, resolution), "exact")
        for module in modules:
            params, macs, elementwise = _module_cost(module, model, resolution)
            rows.append(
                {
                    "module": module.name,
                    "display": module.display,
                    "source": module.source,
                    "depth": depth,
                    "params": params,
                    "params_pct": 100 * params / base.params,
                    "macs": macs,
                    "macs_pct": 100 * macs / base.macs,
                    "elementwise": elementwise,
                    "passes": passes[module.name],
                    "pass_elements": passes[module.name] * feature_elements(model, resolution),
                }
            )
    return pd.DataFrame(rows)


# --- the cost model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostFit:
    """A least-squares fit of overhead (ms) on features, with its R² and leave-one-out error."""

    features: tuple[str, ...]
    coefficients: tuple[float, ...]  # intercept first
    r2: float
    loo_mae: float  # mean absolute leave-one-module-out error (same unit as the target)
    n: int


def _lstsq(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    design = np.column_stack([np.ones(len(x)), x])
    return np.linalg.lstsq(design, y, rcond=None)[0]


def fit_cost_model(data: pd.DataFrame, features: Sequence[str], target: str = "overhead_ms") -> CostFit:
    """Fit ``target ≈ a + Σ b_i · feature_i`` over the rows (one per module); R² in sample and the mean
    absolute error of each module predicted by a fit without it."""
    x = data[list(features)].to_numpy(dtype=float)
    y = data[target].to_numpy(dtype=float)
    if len(y) < len(features) + 2:
        raise ValueError(
            f"a fit on {len(features)} feature(s) needs at least {len(features) + 2} modules, got {len(y)}"
        )
    scale = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)  # conditioning only; R² and errors are unaffected
    coefficients = _lstsq(x / scale, y)
    predicted = np.column_stack([np.ones(len(x)), x / scale]) @ coefficients
    total = ((y - y.mean()) ** 2).sum()
    r2 = 1 - ((y - predicted) ** 2).sum() / total if total > 0 else float("nan")
    errors = []
    for left in range(len(y)):
        keep = np.arange(len(y)) != left
        fit = _lstsq(x[keep] / scale, y[keep])
        errors.append(abs(fit[0] + (x[left] / scale) @ fit[1:] - y[left]))
    unscaled = (float(coefficients[0]), *(float(c) for c in coefficients[1:] / scale))
    return CostFit(tuple(features), unscaled, float(r2), float(np.mean(errors)), len(y))


MODELS = {"FLOPs alone": ("macs",), "passes + FLOPs": ("macs", "pass_elements")}
"""The two cost models compared: MACs only, and MACs plus elements read by the passes."""


def overhead_data(summary: pd.DataFrame, structure: pd.DataFrame) -> pd.DataFrame:
    """Measured overhead (ms over the group's baseline, minimum of the trials) joined with each
    module's MACs and pass elements scaled to the batch."""
    from attnlib.models import depth_from_model

    rows = summary[summary.variant != summary.baseline].copy()
    base = summary[summary.variant == summary.baseline].set_index(["engine", "group", "batch_size", "resolution"])
    rows["overhead_ms"] = rows.min_ms - rows.apply(
        lambda r: base.loc[(r.engine, r.group, r.batch_size, r.resolution), "min_ms"], axis=1
    )
    rows["depth"] = rows.group.map(depth_from_model)
    merged = rows.merge(structure, left_on=["variant", "depth"], right_on=["module", "depth"], how="inner")
    for column in ("macs", "pass_elements"):
        merged[column] = merged[column] * merged.batch_size
    return merged


def cost_model_table(data: pd.DataFrame) -> pd.DataFrame:
    """Per engine, depth and batch size: R² and leave-one-out error of each cost model."""
    rows = []
    for (engine, depth, batch), part in data.groupby(["engine", "depth", "batch_size"]):
        row = {"engine": label_words(engine), "ResNet": depth, "batch": batch, "modules": len(part)}
        for label, features in MODELS.items():
            try:
                fit = fit_cost_model(part, features)
            except ValueError:
                continue
            row[f"R² {label}"] = fit.r2
            row[f"LOO error {label} (ms)"] = fit.loo_mae
        rows.append(row)
    return pd.DataFrame(rows)


def ranked(data: pd.DataFrame, engine: str, depth: int, batch: int) -> pd.DataFrame:
    """Modules from cheapest to dearest on one engine, depth and batch size (overhead, min of trials)."""
    part = data[(data.engine == engine) & (data.depth == depth) & (data.batch_size == batch)]
    table = part.sort_values("overhead_min_pct")[
        [
            "display",
            "source",
            "overhead_min_pct",
            "overhead_median_pct",
            "ci_low_pct",
            "ci_high_pct",
            "macs_pct",
            "passes",
        ]
    ]
    table.insert(0, "rank", range(1, len(table) + 1))
    return table.rename(
        columns={
            "display": "module",
            "overhead_min_pct": "overhead % (min)",
            "overhead_median_pct": "overhead % (median)",
            "ci_low_pct": "CI low",
            "ci_high_pct": "CI high",
            "macs_pct": "MACs % of network",
        }
    )
