"""``attnlib advise``'s options checked and filled in (:func:`resolve`): one clear error per bad value.

It needs torch (is there a CUDA GPU?) and the model builders (does the depth fit the block?), so it is
apart from :mod:`attnlib.advice.request`, the plain data it returns.
"""

from __future__ import annotations

import re

import torch

from attnlib.advice.request import DEFAULT_BUDGET_MIN, DEFAULT_WIDTH, Request
from attnlib.bench.engines import EngineOptions, engine_status
from attnlib.models import available_models, build_model
from attnlib.names import ENGINES, PRECISIONS

OPTIMISING = {"cpu": ("openvino", "onnxruntime"), "cuda": ("tensorrt", "compile")}


def resolve(
    model: str = "resnet50",
    block: str | None = None,
    resolution: int | None = None,
    batch_size: int = 1,
    device: str = "auto",
    engine: str | tuple[str, ...] = "auto",
    precision: str = "fp32",
    budget_min: float = DEFAULT_BUDGET_MIN,
    width: float = DEFAULT_WIDTH,
) -> Request:
    """Check the options and fill in the defaults; one clear error per bad value (ValueError)."""
    if not (re.fullmatch(r"resnet(18|34|50|101|152)", model) or re.fullmatch(r"cifar_resnet\d+", model)):
        raise ValueError(f"unknown model {model!r}; valid names are {', '.join(available_models())}")
    if model.startswith("cifar_"):
        build_model(model, block=block or "basic", attention=None)  # a depth that does not fit the block fails here
        block = block or "basic"
    elif block is not None:
        raise ValueError(f"--block is for CIFAR ResNets only; {model} has its own block type")
    if not budget_min > 0:
        raise ValueError(f"the budget must be a positive number of minutes, got {budget_min:g}")
    if not width > 0:
        raise ValueError(f"the interval width must be positive, got {width:g}")
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; valid ones are {', '.join(PRECISIONS)}")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: PyTorch sees no CUDA GPU on this machine (use --device cpu)")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {device!r}; valid ones are auto, cpu, cuda")
    if precision == "fp16" and device == "cpu":
        raise ValueError("fp16 is timed on CUDA only; on a CPU use fp32 or bf16")
    engines: tuple[str, ...]
    if engine == "auto":
        engines = ("eager", *auto_engine(device))
    else:
        engines = (engine,) if isinstance(engine, str) else tuple(engine)
        unknown = [e for e in engines if e not in ENGINES]
        if unknown:
            raise ValueError(f"unknown engine {unknown[0]!r}; valid ones are auto, {', '.join(ENGINES)}")
    default_resolution = 32 if model.startswith("cifar_") else 224
    return Request(
        model, block, resolution or default_resolution, batch_size, device, engines, precision, budget_min, width
    )


def auto_engine(device: str) -> tuple[str, ...]:
    """The optimising engine ``auto`` adds to eager: the first installed of OpenVINO, ONNX Runtime (CPU)
    or TensorRT, ``torch.compile`` (CUDA) — the fastest kinds on the book's records."""
    for name in OPTIMISING[device]:
        if engine_status(name, EngineOptions(device=device))[0]:
            return (name,)
    return ()
