"""Inference engines behind one interface: prepare a model once, then call it on an input.

Engines: ``eager`` (PyTorch), ``compile`` (``torch.compile`` / inductor; on CPU with freezing,
which lets inductor constant-fold weights and use oneDNN weight packing), ``onnxruntime`` (CPU,
CUDA provider where installed), ``openvino`` (CPU, inference precision forced to f32 because it
defaults to bf16 on CPUs that support it) and ``tensorrt`` (torch-tensorrt when importable; it
cannot be installed on our build machines, so there it is skipped with a reason).

Every prepared engine is checked against eager PyTorch before it is timed
(:mod:`attnlib.bench.verify`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from attnlib import names
from attnlib.provenance import has_native_bf16

PRECISIONS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16, "int8": torch.float32}
"""Precision → the dtype a model and its input are placed in. ``int8`` networks start in fp32 and are
quantized by their engine (:mod:`attnlib.bench.int8`)."""

COMPILE_MODES = names.COMPILE_MODES
"""``torch.compile`` modes the ``compile`` engine takes. ``reduce-overhead`` captures CUDA graphs itself
(inductor's CUDA-graph trees); the others can be captured by attnlib (``cuda_graphs``)."""

Runner = Callable[[torch.Tensor], torch.Tensor]


class EngineUnavailable(RuntimeError):
    """The engine (or the requested device/precision on it) cannot run here; the message says why."""


@dataclass(frozen=True)
class EngineOptions:
    """How a model is run.

    Attributes:
        device: ``"cpu"`` or ``"cuda"``.
        precision: ``"fp32"``, ``"fp16"`` (CUDA), ``"bf16"`` (CPUs with native bf16, or CUDA) or
            ``"int8"`` (CPU, post-training static quantization on the ``compile`` and ``openvino``
            engines: :mod:`attnlib.bench.int8`).
        channels_last: use the NHWC memory format (eager and compile).
        cuda_graphs: replay the model (eager, or compiled) through a CUDA graph attnlib captures.
        threads: CPU threads for every engine (None: leave PyTorch's setting).
        compile_mode: the ``compile`` engine's ``torch.compile`` mode (:data:`COMPILE_MODES`);
            other engines ignore it.
    """

    device: str = "cpu"
    precision: str = "fp32"
    channels_last: bool = False
    cuda_graphs: bool = False
    threads: int | None = None
    compile_mode: str = "default"

    def __post_init__(self) -> None:
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {self.device!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be >= 1 (or None for PyTorch's setting), got {self.threads}")
        if self.compile_mode not in COMPILE_MODES:
            raise ValueError(f"compile_mode must be one of {', '.join(COMPILE_MODES)}, got {self.compile_mode!r}")
        if self.compile_mode == "reduce-overhead" and self.cuda_graphs:
            raise ValueError("compile_mode 'reduce-overhead' captures CUDA graphs itself; leave cuda_graphs off")

    def with_fixed_threads(self) -> EngineOptions:
        """These options with ``threads`` filled in (PyTorch's current count when unset), so every
        engine of a run uses, and every record states, the same number."""
        return self if self.threads else replace(self, threads=default_threads())

    @property
    def dtype(self) -> torch.dtype:
        return PRECISIONS[self.precision]


@contextlib.contextmanager
def thread_limit(threads: int | None):
    """Temporarily set PyTorch's intra-op threads (engines get ``threads`` explicitly)."""
    if threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def engine_label(engine: str, options: EngineOptions) -> str:
    """What records and figures call ``engine`` run with ``options``: the engine's name, its compile
    mode when not the default, ``+graphs`` when attnlib replays it through a CUDA graph and ``+NHWC``
    for channels-last — e.g. ``eager+graphs``, ``compile[max-autotune]+graphs``. Without those options
    the label is the engine's name, as in every CPU record."""
    label = engine
    if engine == "compile" and options.compile_mode != "default":
        label += f"[{options.compile_mode.removesuffix('-no-cudagraphs')}]"
    if options.cuda_graphs:
        label += "+graphs"
    if options.channels_last:
        label += "+NHWC"
    return label


CUDA_FP32_MATH = "IEEE fp32 while preparing, checking and timing: TF32 off (attnlib.bench.engines.cuda_math)"


@contextlib.contextmanager
def cuda_math(options: EngineOptions):
    """IEEE fp32 on CUDA while a network is prepared, checked and timed: TF32 off for convolutions
    and matrix products.

    PyTorch lets cuDNN convolve fp32 in TF32 by default; the paper's RTX 2080 Ti has no TF32, and
    TF32 results differ from fp32 eager by ~1e-3 relative, past the engines' check. Restored after.
    """
    if options.device != "cuda":
        yield
        return
    backends = torch.backends
    # PyTorch >= 2.9 has per-operator fp32_precision switches beside the legacy allow_tf32 ones, and
    # refuses a legacy read when they were set unevenly (all "ieee" included). The legacy setters keep
    # both consistent, so they set; the new switches, where present, save and restore exactly.
    switches = [
        s for s in (backends.cudnn.conv, backends.cudnn.rnn, backends.cuda.matmul) if hasattr(s, "fp32_precision")
    ]
    precisions = [switch.fp32_precision for switch in switches]
    try:
        legacy = backends.cudnn.allow_tf32, backends.cuda.matmul.allow_tf32
        backends.cudnn.allow_tf32 = backends.cuda.matmul.allow_tf32 = False
    except RuntimeError:  # the caller set the new switches unevenly: stay with them
        legacy = None
        for switch in switches:
            switch.fp32_precision = "ieee"
    try:
        yield
    finally:
        if legacy is not None:
            backends.cudnn.allow_tf32, backends.cuda.matmul.allow_tf32 = legacy
        for switch, precision in zip(switches, precisions, strict=True):
            switch.fp32_precision = precision


def capture_cuda_graph(function: Runner, example: torch.Tensor) -> Runner:
    """``function`` (eager or compiled) captured once in a CUDA graph and replayed per call.

    Warmed up on a side stream first (cuDNN picks its algorithms, compiled code loads), as PyTorch's
    CUDA-graph notes ask; each call copies the input into the graph's static input and replays.
    """
    if example.device.type != "cuda":
        raise EngineUnavailable("CUDA graphs need a CUDA device")
    static_input = example.clone()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream), torch.inference_mode():
        for _ in range(3):
            function(static_input)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph), torch.inference_mode():
        static_output = function(static_input)

    def replay(x: torch.Tensor) -> torch.Tensor:
        static_input.copy_(x)
        graph.replay()
        return static_output

    return replay


def _eager(model: nn.Module, example: torch.Tensor, options: EngineOptions) -> Runner:
    def run(x: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return model(x)

    return capture_cuda_graph(run, example) if options.cuda_graphs else run


def _own_frame(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """``model``'s forward behind a function with a code object of its own.

    TorchDynamo keeps its compiled graphs per code object: every network of a sweep shares
    ``ResNet.forward``, so after ``torch._dynamo.config.cache_size_limit`` (8) networks it stops
    compiling and runs the rest eagerly — with dynamo's overhead — which once showed timm's layers
    at +130 % on ``compile``. A fresh code object per prepared network gives each its own cache
    entry, and no network's guards are checked on another's calls.
    """
    namespace: dict[str, object] = {}
    exec("def forward(x):\n    return model(x)\n", {"model": model}, namespace)
    return namespace["forward"]  # type: ignore[return-value]


def _compile(model: nn.Module, example: torch.Tensor, options: EngineOptions) -> Runner:
    import torch._inductor.config as inductor_config

    if options.compile_mode != "default" and options.device != "cuda":
        raise EngineUnavailable(f"compile mode {options.compile_mode!r} is measured on CUDA only")
    mode = None if options.compile_mode == "default" else options.compile_mode
    freezing = options.device == "cpu"
    if options.precision == "int8":
        from attnlib.bench import int8

        model = int8.quantize_pt2e(model, example, int8.calibration_batches(example))
    # dynamic=False: one static shape per prepared network (the sweep prepares each batch size anew);
    # inductor's symbolic-batch path once miscompiled a timm layer (a size/stride assertion at run time)
    compiled = torch.compile(_own_frame(model), mode=mode, dynamic=False)

    def run(x: torch.Tensor) -> torch.Tensor:
        with inductor_config.patch(freezing=freezing), torch.inference_mode():
            return compiled(x)

    with warnings.catch_warnings():
        if options.precision == "int8":  # inductor's int8 lowering warns about its own tensor copies
            warnings.simplefilter("ignore", UserWarning)
        run(example)  # compile now, not inside the timed loop
    return capture_cuda_graph(run, example) if options.cuda_graphs else run


def _export_onnx(model: nn.Module, example: torch.Tensor, folder: Path) -> Path:
    path = folder / "model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (example,), str(path), dynamo=False, opset_version=17, input_names=["input"], output_names=["logits"]
        )
    return path


def _onnxruntime(model: nn.Module, example: torch.Tensor, options: EngineOptions) -> Runner:
    import onnxruntime

    session_options = onnxruntime.SessionOptions()
    session_options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    if options.threads:
        session_options.intra_op_num_threads = options.threads
        session_options.inter_op_num_threads = 1
    # Idle sessions must not spin: interleaved timing keeps several sessions alive at once.
    session_options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    providers = ["CUDAExecutionProvider"] if options.device == "cuda" else ["CPUExecutionProvider"]
    with tempfile.TemporaryDirectory() as folder:
        path = _export_onnx(model, example.float().cpu(), Path(folder))
        session = onnxruntime.InferenceSession(str(path), session_options, providers=providers)
    input_name = session.get_inputs()[0].name

    def run(x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(None, {input_name: x.cpu().numpy()})[0])

    return run


def _openvino(model: nn.Module, example: torch.Tensor, options: EngineOptions) -> Runner:
    import openvino

    # f32 for what runs in floating point (in int8, the layers NNCF leaves unquantized)
    config = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}
    if options.threads:
        config["INFERENCE_NUM_THREADS"] = options.threads
    # Trace once on one image, without jit's re-running check, then give the graph the batch: OpenVINO's
    # own conversion traces the whole batch three times (trace + check), which for a batch of 8 at 224²
    # cost more than converting and compiling together. The result is checked against eager by the
    # caller (``verify_against_eager``) at the full batch, as before.
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, example[:1], check_trace=False)
        converted = openvino.convert_model(traced, example_input=example[:1])
    if example.shape[0] != 1:
        converted.reshape(list(example.shape))
    if options.precision == "int8":
        from attnlib.bench import int8

        converted = int8.quantize_openvino(converted, int8.calibration_batches(example))
    compiled = openvino.Core().compile_model(converted, "CPU", config)
    precision = str(compiled.get_property("INFERENCE_PRECISION_HINT"))
    if "32" not in precision:
        raise EngineUnavailable(f"OpenVINO ignored the f32 request and compiled for {precision}")
    request = compiled.create_infer_request()

    def run(x: torch.Tensor) -> torch.Tensor:
        request.infer({0: x.numpy()})
        return torch.from_numpy(request.get_output_tensor(0).data.copy())

    return run


def _tensorrt(model: nn.Module, example: torch.Tensor, options: EngineOptions) -> Runner:
    import torch_tensorrt

    compiled = torch_tensorrt.compile(model, inputs=[example], enabled_precisions={options.dtype})

    def run(x: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return compiled(x)

    return run


@dataclass(frozen=True)
class Engine:
    """Everything attnlib knows about one engine, in one record.

    Attributes:
        name: what ``--engine`` and the records call it.
        prepare: builds the engine's runner for a placed model and example.
        devices: where it is measured (``cpu``, ``cuda``); elsewhere ``device_reason`` says why not.
        precisions: which precisions it is measured in.
        package: the import name it needs (None: part of PyTorch); its ``__version__`` is recorded.
        install_hint: added to the "not installed" reason.
        device_reason: why it is not measured on a device outside ``devices``.
        check: an extra availability check, returning the reason it cannot run (or None).
    """

    name: str
    prepare: Callable[[nn.Module, torch.Tensor, EngineOptions], Runner]
    devices: tuple[str, ...]
    precisions: tuple[str, ...]
    package: str | None = None
    install_hint: str = ""
    device_reason: str = ""
    check: Callable[[Any, EngineOptions], str | None] | None = None

    def words(self, precision: str = "fp32") -> str:
        """The engine for a reader (:data:`attnlib.names.ENGINE_TITLES`), and in int8 what quantized the
        network (:data:`attnlib.names.ENGINE_QUANTIZERS`)."""
        title = names.ENGINE_TITLES.get(self.name, self.name)
        quantizer = names.ENGINE_QUANTIZERS.get(self.name) if precision == "int8" else None
        return f"{title} ({quantizer})" if quantizer else title


def _onnxruntime_providers(module: Any, options: EngineOptions) -> str | None:
    if options.device == "cuda" and "CUDAExecutionProvider" not in module.get_available_providers():
        return "onnxruntime has no CUDAExecutionProvider (install onnxruntime-gpu)"
    return None


def _int8_needs(package: str) -> Callable[[Any, EngineOptions], str | None]:
    """An availability check: int8 on this engine needs ``package`` (the quantizer) as well."""

    def check(module: Any, options: EngineOptions) -> str | None:
        if options.precision != "int8":
            return None
        try:
            importlib.import_module(package)
        except ImportError:
            return f"int8 on this engine needs {package} (pip install 'attnlib[bench]' or pip install {package})"
        return None

    return check


_ENGINE_LIST = (
    Engine("eager", _eager, ("cpu", "cuda"), ("fp32", "fp16", "bf16")),
    Engine(
        "compile",
        _compile,
        ("cpu", "cuda"),
        tuple(PRECISIONS),
        check=_int8_needs("torchao"),
    ),
    Engine(
        "onnxruntime",
        _onnxruntime,
        ("cpu", "cuda"),
        ("fp32",),
        "onnxruntime",
        check=_onnxruntime_providers,
    ),
    Engine(
        "openvino",
        _openvino,
        ("cpu",),
        ("fp32", "int8"),
        "openvino",
        device_reason="the OpenVINO engine is measured on CPU only",
        check=_int8_needs("nncf"),
    ),
    Engine(
        "tensorrt",
        _tensorrt,
        ("cuda",),
        ("fp32", "fp16"),
        "torch_tensorrt",
        install_hint=" (TensorRT cannot be installed on CPU-only machines; install torch-tensorrt on a GPU host)",
        device_reason="TensorRT needs a CUDA device",
    ),
)
ENGINES: dict[str, Engine] = {engine.name: engine for engine in _ENGINE_LIST}
"""The engine registry: name → :class:`Engine`, in the order the book lists them."""

INT8_ENGINES = tuple(engine.name for engine in _ENGINE_LIST if "int8" in engine.precisions)
"""The engines that quantize to int8 (on CPU): those whose precisions include it."""

GRAPH_ENGINES = ("eager", "compile")  # the engines ``cuda_graphs`` applies to


def get_engine(name: str) -> Engine:
    """The :class:`Engine` called ``name``; an unknown name is a ValueError listing the valid ones."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; valid engines are {', '.join(ENGINES)}")
    return ENGINES[name]


@functools.cache
def engine_status(engine: str, options: EngineOptions | None = None) -> tuple[bool, str]:
    """Whether ``engine`` can run with ``options`` here, and its version or the reason it cannot.

    Computed once per (engine, options) and process: what is installed does not change while a
    sweep runs, and every group, variant and record asks.
    """
    options = options or EngineOptions()
    spec = get_engine(engine)
    if options.device == "cuda" and not torch.cuda.is_available():
        return False, "no CUDA device is visible to PyTorch"
    if options.precision == "fp16" and options.device == "cpu":
        return False, "fp16 inference is only measured on CUDA"
    if options.cuda_graphs and options.device != "cuda":
        return False, "CUDA graphs need a CUDA device"
    if options.cuda_graphs and engine not in GRAPH_ENGINES:
        return False, f"attnlib captures CUDA graphs for {' and '.join(GRAPH_ENGINES)} only"
    if options.precision == "int8" and options.device != "cpu":
        return False, "int8 is measured on CPU only (TensorRT's int8 needs a calibrator attnlib does not ship)"
    if options.precision == "int8" and engine not in INT8_ENGINES:
        return False, "int8 is measured on the compile (PT2E, x86 inductor) and openvino (NNCF) engines only"
    if options.precision == "bf16" and options.device == "cpu" and not has_native_bf16():
        return False, "this CPU has no native bf16 (avx512_bf16/amx_bf16)"
    if spec.package is None:
        reason = spec.check(torch, options) if spec.check is not None else None
        return (False, reason) if reason else (True, torch.__version__)
    try:
        imported = importlib.import_module(spec.package)
    except ImportError as error:
        return False, f"{spec.package} is not installed: {error}{spec.install_hint}"
    if options.device not in spec.devices:
        return False, spec.device_reason or f"{engine} is measured on {', '.join(spec.devices)} only"
    reason = spec.check(imported, options) if spec.check is not None else None
    if reason:
        return False, reason
    if options.precision not in spec.precisions:
        return False, f"{engine} is measured in {', '.join(spec.precisions)} only"
    return True, getattr(imported, "__version__", "unknown")


def place(model: nn.Module, example: torch.Tensor, options: EngineOptions) -> tuple[nn.Module, torch.Tensor]:
    """Move an eval-mode model and its input to the device, precision and memory format asked for."""
    model = model.eval().to(device=options.device, dtype=options.dtype)
    example = example.to(device=options.device, dtype=options.dtype)
    if options.channels_last:
        model = model.to(memory_format=torch.channels_last)
        example = example.contiguous(memory_format=torch.channels_last)
    return model, example


@dataclass(frozen=True)
class PreparedModel:
    """A model ready to time: ``run(example)`` is one inference on the engine."""

    engine: str
    run: Runner
    example: torch.Tensor


def prepare(
    engine: str, model: nn.Module, example: torch.Tensor, options: EngineOptions | None = None
) -> PreparedModel:
    """Build ``engine``'s runner for ``model`` and place ``example`` where it expects it.

    The model is moved in place to the device, precision and memory format of ``options``; compute
    :func:`attnlib.bench.verify.reference_output` first if you need fp32 eager outputs. Raises
    :class:`EngineUnavailable` with the reason when the engine cannot run here.
    """
    options = options or EngineOptions()
    ok, reason = engine_status(engine, options)
    if not ok:
        raise EngineUnavailable(f"{engine}: {reason}")
    model, example = place(model, example, options)
    with thread_limit(options.threads):
        return PreparedModel(engine, get_engine(engine).prepare(model, example, options), example)


def default_threads() -> int:
    """Threads used when none are given: all cores PyTorch sees (recorded with every result)."""
    return int(os.environ.get("ATTNLIB_THREADS", torch.get_num_threads()))
