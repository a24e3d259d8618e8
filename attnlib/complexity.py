"""Parameters and multiply-accumulates (MACs) of networks with attention modules.

Two conventions, because the paper's "FLOPs" are not what the modules compute:

``paper``
    Reproduces Table 2's FLOPs column. Klomp et al. counted with thop: convolution and linear
    MACs (bias ignored), BatchNorm 2 ops per element, ReLU and max-pool 0, global average pool 1
    op per input element, residual additions not counted, and one fixed rule per attention module
    (N = numel of the block output, C = its channels, per image)::

        AB        (N+C) + C + N
        ECA       (N+C) + 3C + N + 4C
        SE        (N+C) + 2C² + N + 4C
        SRM       (N+C) + (4N+C) + 3C + 2C + 4C + N
        Multi-SE  (N+C) + 7C² + 8C + N

    The SE and Multi-SE rules ignore the reduction ratio r = 16, so they overstate those modules'
    cost (R50: 4.16 and 4.26 G in the paper). thop is unmaintained and has no notion of these
    per-module rules, so this convention is a small set of forward hooks written here.

``exact``
    What the implementation really computes, counted by PyTorch's maintained
    ``torch.utils.flop_counter.FlopCounterMode``: MACs of every convolution and matrix product
    (attention modules included, at r = 16), and, reported separately, elementwise work
    (pooling reductions, gates, rescaling, bias adds, BatchNorm, activations) through custom
    formulas for those ATen ops. Linear-layer bias additions are not counted (as in thop).
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode, flop_registry

from attnlib import attention as attention_registry
from attnlib import names
from attnlib.attention import BASELINE
from attnlib.files import atomic_write_text
from attnlib.models import build_model

CONVENTIONS = names.CONVENTIONS

if TYPE_CHECKING:
    import pandas as pd

aten = torch.ops.aten


@dataclass(frozen=True)
class Complexity:
    """Complexity of one network on one input size.

    Attributes:
        convention: ``"paper"`` or ``"exact"``.
        params: trainable parameters of the whole network.
        macs: paper: all counted ops (Table 2's "FLOPs"); exact: MACs of convolutions and matrix
            products.
        attention_params: parameters inside the attention modules.
        attention_macs: share of ``macs`` inside the attention modules.
        elementwise: exact only: elementwise ops of the whole network (0 for ``paper``).
        attention_elementwise: exact only: elementwise ops inside the attention modules.
        input_size: the (N, C, H, W) input the network was counted on.
    """

    convention: str
    params: int
    macs: int
    attention_params: int
    attention_macs: int
    elementwise: int
    attention_elementwise: int
    input_size: tuple[int, ...]

    def as_dict(self) -> dict[str, object]:
        """Plain dict, e.g. for JSON output."""
        return asdict(self)


def attention_roots(model: nn.Module) -> dict[str, nn.Module]:
    """Qualified names and modules of the attention modules in ``model`` (outermost only).

    A module counts as attention if it is an instance of a registered attention class or sits
    in a residual block's ``attention`` slot (so user-defined classes are found too).
    """
    registered = tuple(attention_registry.resolve(name) for name in attention_registry.available())
    roots: dict[str, nn.Module] = {}
    for name, module in model.named_modules():
        if any(name.startswith(root + ".") for root in roots):
            continue
        slot = name.rsplit(".", 1)[-1] == "attention" and not isinstance(module, nn.Identity)
        if slot or isinstance(module, registered):
            roots[name] = module
    return roots


# --- paper convention ----------------------------------------------------------------------

PAPER_MODULE_RULES: dict[type[nn.Module], Callable[[int, int], int]] = {
    attention_registry.AttentionBias: lambda n, c: (n + c) + c + n,
    attention_registry.EfficientChannelAttention: lambda n, c: (n + c) + 3 * c + n + 4 * c,
    attention_registry.SqueezeExcitation: lambda n, c: (n + c) + 2 * c * c + n + 4 * c,
    attention_registry.StyleRecalibration: lambda n, c: (n + c) + (4 * n + c) + 3 * c + 2 * c + 4 * c + n,
    attention_registry.MultiSqueezeExcitation: lambda n, c: (n + c) + 7 * c * c + 8 * c + n,
}


def _paper_layer_ops(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> int:
    """thop's count for one built-in layer."""
    if isinstance(module, (nn.Conv1d, nn.Conv2d)):
        kernel = math.prod(module.kernel_size)
        return output.numel() * (module.in_channels // module.groups) * kernel
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return 2 * output.numel()
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AvgPool2d)):
        return inputs[0].numel()
    return 0


def _paper_hooks(model: nn.Module, roots: dict[str, nn.Module]) -> tuple[list[Any], dict[str, int]]:
    """thop-style forward hooks that add the paper convention's ops of a forward pass into the returned
    totals (``all``, ``attention``); the caller removes the returned handles."""
    total = {"all": 0, "attention": 0}
    handles = []

    def layer_hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        total["all"] += _paper_layer_ops(module, inputs, output)

    def attention_hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        rule = PAPER_MODULE_RULES.get(type(module))
        if rule is None:
            raise ValueError(
                f"no paper-convention rule for attention module {type(module).__name__}; use convention='exact'"
            )
        batch, channels = output.shape[:2]
        ops = batch * rule(math.prod(output.shape[1:]), channels)  # shapes only: no op for the exact counter
        total["all"] += ops
        total["attention"] += ops

    root_ids = {id(root) for root in roots.values()}
    inside_attention = {id(m) for root in roots.values() for m in root.modules()}
    for module in model.modules():
        if id(module) in root_ids:
            handles.append(module.register_forward_hook(attention_hook))
        elif id(module) not in inside_attention and not list(module.children()):
            handles.append(module.register_forward_hook(layer_hook))
    return handles, total


# --- exact convention ----------------------------------------------------------------------


def _numel(shape: object) -> int:
    if isinstance(shape, (tuple, list)) and shape and isinstance(shape[0], (tuple, list, torch.Size)):
        shape = shape[0]
    return math.prod(shape) if isinstance(shape, (tuple, list, torch.Size)) else 1


def _per_output(ops_per_element: int) -> Callable[..., int]:
    def formula(*args: object, out_shape: object = None, **kwargs: object) -> int:
        return ops_per_element * _numel(out_shape)

    return formula


def _per_input(ops_per_element: int) -> Callable[..., int]:
    def formula(input_shape: object, *args: object, out_shape: object = None, **kwargs: object) -> int:
        return ops_per_element * _numel(input_shape)

    return formula


# Elementwise ATen ops and their cost per element: reductions per input element (a sum is one
# add per element; var_mean subtracts and squares-accumulates), maps per output element.
ELEMENTWISE_FORMULAS: dict[object, Callable[..., int]] = {
    aten.add: _per_output(1),
    aten.add_: _per_output(1),
    aten.mul: _per_output(1),
    aten.mul_: _per_output(1),
    aten.div: _per_output(1),
    aten.sigmoid: _per_output(1),
    aten.relu: _per_output(1),
    aten.relu_: _per_output(1),
    aten.sqrt: _per_output(1),
    aten._softmax: _per_output(2),
    aten.mean: _per_input(1),
    aten.sum: _per_input(1),
    aten.var_mean: _per_input(2),
    aten.native_batch_norm: _per_input(2),
    aten._native_batch_norm_legit_no_training: _per_input(2),
    # used by SRM's two-pass statistics and by timm's attention layers (attnlib.bench.zoo)
    aten.sub: _per_output(1),
    aten.amax: _per_input(1),
    aten.linalg_vector_norm: _per_input(2),
    aten.hardsigmoid: _per_output(1),
    aten.hardswish: _per_output(1),
    aten.silu: _per_output(1),
    aten.native_layer_norm: _per_input(4),
    aten.native_group_norm: _per_input(4),
}
MATMUL_OPS = frozenset(flop_registry)
DATA_MOVEMENT_OPS = frozenset(
    {
        aten.empty,
        aten.new_empty,
        aten.zeros,
        aten.fill_,
        aten.copy_,
        aten.clone,
        aten.cat,
        aten.constant_pad_nd,
        aten._to_copy,
        aten._unsafe_view,
        aten.detach,
    }
)
"""ATen operators that move or allocate data and are counted as 0 operations by design; every other
non-view operator a counted module runs must be in :data:`MATMUL_OPS` or :data:`ELEMENTWISE_FORMULAS`
(``tests/test_zoo.py`` checks the zoo's layers against this)."""


def _exact_split(counter: FlopCounterMode, model: nn.Module, roots: dict[str, nn.Module]) -> tuple[int, int, int, int]:
    """(MACs, attention MACs, elementwise ops, attention elementwise ops) from a counter that saw a forward pass."""
    counts = counter.get_flop_counts()
    prefix = type(model).__name__

    def split(per_op: dict[object, int]) -> tuple[int, int]:
        macs = sum(v for op, v in per_op.items() if op in MATMUL_OPS and op not in ELEMENTWISE_FORMULAS) // 2
        elementwise = sum(v for op, v in per_op.items() if op in ELEMENTWISE_FORMULAS)
        return macs, elementwise

    macs, elementwise = split(counts.get("Global", {}))
    attention_macs = attention_elementwise = 0
    for name in roots:
        m, e = split(counts.get(f"{prefix}.{name}", {}))
        attention_macs += m
        attention_elementwise += e
    return macs, attention_macs, elementwise, attention_elementwise


def _forward_counts(
    model: nn.Module, example: torch.Tensor, roots: dict[str, nn.Module], conventions: Sequence[str]
) -> dict[str, tuple[int, int, int, int]]:
    """Each convention's (MACs, attention MACs, elementwise, attention elementwise) from **one** forward
    pass: the paper's hooks and the exact counter watch the same pass (a network on the meta device
    still costs ~1 ms of Python per operator, so a second pass would double a count's time)."""
    handles, paper = _paper_hooks(model, roots) if "paper" in conventions else ([], {})
    counter = FlopCounterMode(display=False, custom_mapping=ELEMENTWISE_FORMULAS) if "exact" in conventions else None
    try:
        with counter if counter is not None else contextlib.nullcontext():
            model(example)
    finally:
        for handle in handles:
            handle.remove()
    found = {}
    if "paper" in conventions:
        found["paper"] = (paper["all"], paper["attention"], 0, 0)
    if counter is not None:
        found["exact"] = _exact_split(counter, model, roots)
    return found


def count(
    model: nn.Module,
    input_size: Sequence[int] = (1, 3, 224, 224),
    convention: str = "paper",
) -> Complexity:
    """Count parameters and MACs of ``model`` on an input of ``input_size``.

    The model runs one forward pass in eval mode without gradients on zeros placed on the
    model's device (a model built under ``torch.device("meta")`` costs no compute at all); its
    training mode is restored afterwards.
    """
    return count_conventions(model, input_size, (convention,))[convention]


def _check_conventions(conventions: Sequence[str]) -> None:
    """One clear error for a convention that does not exist, naming the valid ones."""
    unknown = [c for c in conventions if c not in CONVENTIONS]
    if unknown:
        raise ValueError(f"unknown convention {unknown[0]!r}; valid conventions are {', '.join(CONVENTIONS)}")


def count_conventions(
    model: nn.Module, input_size: Sequence[int] = (1, 3, 224, 224), conventions: Sequence[str] = CONVENTIONS
) -> dict[str, Complexity]:
    """:func:`count` in each of ``conventions``, from one forward pass."""
    _check_conventions(conventions)
    if len(input_size) != 4 or not all(isinstance(size, int) and size > 0 for size in input_size):
        raise ValueError(f"input_size must be (N, C, H, W) of positive ints, got {tuple(input_size)}")
    roots = attention_roots(model)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    attention_params = sum(p.numel() for root in roots.values() for p in root.parameters() if p.requires_grad)
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    example = torch.zeros(tuple(input_size), device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            found = _forward_counts(model, example, roots, conventions)
    finally:
        model.train(was_training)
    shared = {"params": params, "attention_params": attention_params, "input_size": tuple(input_size)}
    return {
        convention: Complexity(
            convention=convention,
            macs=macs,
            attention_macs=attention_macs,
            elementwise=elementwise,
            attention_elementwise=attention_elementwise,
            **shared,
        )
        for convention, (macs, attention_macs, elementwise, attention_elementwise) in found.items()
    }


def count_model(
    name: str,
    attention: str | None = None,
    *,
    input_size: Sequence[int] = (1, 3, 224, 224),
    convention: str = "paper",
    **model_options: object,
) -> Complexity:
    """Build ``name`` with ``attention`` on the meta device (no memory, no compute) and count it.

    Counts are a pure function of the arguments, so they are kept for the process: the scorecard, the
    complexity chapter and the zoo ask for the same networks many times (ResNet-152 takes seconds).
    One forward pass counts both conventions; with the disk cache (:func:`_disk_cache`) the other
    convention is kept too, so asking for it later costs no pass.
    """
    _check_conventions((convention,))
    try:
        options = tuple(sorted(model_options.items()))
        hash(options)
    except TypeError:  # an unhashable option (e.g. a dict of module options): count afresh
        return _count_model(name, attention, tuple(input_size), (convention,), model_options)[convention]
    return _count_model_cached(name, attention, tuple(input_size), convention, options)


@functools.cache
def _count_model_cached(
    name: str, attention: str | None, input_size: tuple[int, ...], convention: str, options: tuple
) -> Complexity:
    folder = _disk_cache()
    if folder is None:
        return _count_model(name, attention, input_size, (convention,), dict(options))[convention]
    import json

    def path(of: str) -> Path:
        import hashlib

        key = repr((name, attention, input_size, of, options, torch.__version__, _counting_code()))
        return folder / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    try:
        stored = json.loads(path(convention).read_text())
        return Complexity(**{**stored, "input_size": tuple(stored["input_size"])})
    except (OSError, ValueError, TypeError):
        pass
    # one forward pass counts every convention; each is kept, so asking for the other one reads it
    try:
        results = _count_model(name, attention, input_size, CONVENTIONS, dict(options))
    except ValueError:  # a module without a paper-convention rule: the asked convention alone
        results = _count_model(name, attention, input_size, (convention,), dict(options))
    for each, result in results.items():
        try:
            atomic_write_text(path(each), json.dumps(result.as_dict()))
        except OSError:  # a read-only cache is only slower
            pass
    return results[convention]


def _disk_cache() -> Path | None:
    """Where counts are kept between processes: ``$ATTNLIB_CACHE/complexity`` (default
    ``~/.cache/attnlib``); ``ATTNLIB_CACHE=off`` keeps them for the process only.

    A campaign's ``--plan``, the complexity chapter and the scorecard each count the same networks
    in a new process (a CIFAR ResNet-164 takes a second); a count is a pure function of its arguments
    and of the counting code, which the cache key includes (:func:`_counting_code`), so an edit to the
    networks, the modules or the counting rules never reads an old count.
    """
    import os

    setting = os.environ.get("ATTNLIB_CACHE", "")
    if setting.lower() == "off":
        return None
    return Path(setting or Path.home() / ".cache" / "attnlib") / "complexity"


@functools.cache
def _counting_code() -> str:
    """A digest of every source file a count depends on: this module, the networks and the modules."""
    import hashlib

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([package / "complexity.py", *package.glob("models/*.py"), *package.glob("attention/*.py")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _count_model(
    name: str, attention: str | None, input_size: tuple[int, ...], conventions: Sequence[str], options: dict
) -> dict[str, Complexity]:
    with torch.device("meta"):
        model = build_model(name, attention=attention, **options)
    return count_conventions(model, input_size, conventions)


def complexity_table(
    depths: Iterable[int] = (18, 34, 50, 101, 152),
    modules: Iterable[str | None] = (None, *attention_registry.available()),
    conventions: Iterable[str] = CONVENTIONS,
    resolution: int = 224,
) -> pd.DataFrame:
    """Tidy table: one row per (depth, module, convention) for ImageNet ResNets.

    Columns: depth, module (``baseline`` or a registry name), convention, params, macs,
    attention_params, attention_macs, elementwise, attention_elementwise, and the overheads
    relative to the same depth's baseline (``macs_overhead_pct``, ``params_overhead_pct``).
    """
    import pandas as pd  # the tables are the book's (the [train] extra); counting needs torch only

    rows = []
    for depth in depths:
        for module in modules:
            for convention in conventions:
                result = count_model(
                    f"resnet{depth}", module, input_size=(1, 3, resolution, resolution), convention=convention
                )
                row = result.as_dict()
                row.pop("input_size")
                rows.append({"depth": depth, "module": module or BASELINE, "resolution": resolution, **row})
    table = pd.DataFrame(rows)
    baseline = table[table.module == BASELINE].set_index(["depth", "convention"])
    keys = list(zip(table.depth, table.convention, strict=True))
    table["macs_overhead_pct"] = 100 * (table.macs.to_numpy() / baseline.loc[keys, "macs"].to_numpy() - 1)
    table["params_overhead_pct"] = 100 * (table.params.to_numpy() / baseline.loc[keys, "params"].to_numpy() - 1)
    return table


def compare_with_table2(table: pd.DataFrame, table2: pd.DataFrame) -> pd.DataFrame:
    """Table 2's FLOPs and parameter columns beside attnlib's counts in both conventions.

    Args:
        table: :func:`complexity_table` output holding both conventions.
        table2: the paper's Table 2 (:func:`attnlib.paper.load` ``("table2")``).

    Returns one row per Table 2 row whose depth was counted, with ``flops_agree`` and
    ``params_agree`` true where attnlib reproduces the printed value to two decimals.
    """
    import pandas as pd

    paper_counts = table[table.convention == "paper"].set_index(["depth", "module"])
    exact_counts = table[table.convention == "exact"].set_index(["depth", "module"])
    printed = table2.set_index(["depth", "module"])
    keys = printed.index.intersection(paper_counts.index)
    printed = printed.loc[keys]
    result = pd.DataFrame(
        {
            "flops_g_paper": printed.flops_g,
            "gmacs_paper_convention": (paper_counts.loc[keys, "macs"] / 1e9).round(2),
            "gmacs_exact": (exact_counts.loc[keys, "macs"] / 1e9).round(3),
            "attention_elementwise_m": (exact_counts.loc[keys, "attention_elementwise"] / 1e6).round(2),
            "params_m_paper": printed.params_m,
            "params_m_attnlib": (paper_counts.loc[keys, "params"] / 1e6).round(2),
        }
    )
    result["flops_agree"] = result.gmacs_paper_convention == result.flops_g_paper
    result["params_agree"] = result.params_m_attnlib == result.params_m_paper
    return result.reset_index()
