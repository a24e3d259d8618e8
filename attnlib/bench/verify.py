"""An engine is checked against eager fp32 before it is timed, so a wrong engine is never measured.

:func:`prepare_verified` is how every timing path prepares a network: :func:`attnlib.bench.engines.prepare`,
then the output compared with :func:`reference_output` (rtol 1e-4 in fp32, 5e-2 in fp16/bf16, the
logits' agreement in int8). Eager fp32 on the CPU is the reference itself and runs once.
"""

from __future__ import annotations

import torch
from torch import nn

from attnlib.bench.engines import EngineOptions, PreparedModel, cuda_math, prepare


def reference_output(model: nn.Module, example: torch.Tensor, device: str = "cpu") -> torch.Tensor:
    """Eager fp32 output of an eval-mode copy of ``model`` on ``device``, returned on the CPU (the
    model itself is not touched).

    On CUDA it runs in IEEE fp32 (:func:`cuda_math`): a ResNet-152 at batch 64 is seconds of CPU time
    per network, milliseconds on the GPU, and the check stays as strict.
    """
    import copy

    reference = copy.deepcopy(model).eval().float().to(device)
    with cuda_math(EngineOptions(device=device)), torch.inference_mode():
        return reference(example.float().to(device)).cpu()


def verify_against_eager(prepared: PreparedModel, expected: torch.Tensor, precision: str = "fp32") -> float:
    """Check an engine's output against :func:`reference_output`; return the max abs difference.

    Tolerance: rtol 1e-4 in fp32 (atol 1e-4 of the output's scale), 5e-2 in fp16/bf16; in int8 the
    logits' cosine similarity with fp32's must reach :data:`attnlib.bench.int8.MIN_AGREEMENT`. Raises
    ``AssertionError`` naming the mismatch, so a wrong engine is never timed.
    """
    actual = prepared.run(prepared.example).float().cpu()
    if precision == "int8":
        from attnlib.bench import int8

        int8.check_agreement(actual, expected, f"{prepared.engine} int8")
        return float((actual - expected).abs().max())
    rtol = 1e-4 if precision == "fp32" else 5e-2
    scale = float(expected.abs().max()) or 1.0
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=rtol * scale)
    return float((actual - expected).abs().max())


def is_reference_computation(engine: str, options: EngineOptions) -> bool:
    """Whether ``engine`` with ``options`` runs exactly what :func:`reference_output` runs: eager, fp32,
    on the CPU, in the default memory format, without a CUDA graph."""
    return (
        engine == "eager"
        and options.device == "cpu"
        and options.precision == "fp32"
        and not options.channels_last
        and not options.cuda_graphs
    )


def prepare_verified(
    engine: str, model: nn.Module, example: torch.Tensor, options: EngineOptions | None = None
) -> tuple[PreparedModel, float]:
    """:func:`prepare` ``model`` for ``engine`` and check it against eager fp32 before anything is timed.

    Returns the prepared model and the max abs difference of its output (see
    :func:`verify_against_eager`, which raises on a mismatch). Every timing path prepares this way.
    Eager fp32 on the CPU in the default memory format *is* the reference computation (the same
    module, the same input, inference mode): comparing it with a copy of itself would find nothing,
    so it runs once (a network that cannot run still fails here, before anything is timed), with a
    difference of 0, saving the copy and the second forward pass.
    """
    options = options or EngineOptions()
    if is_reference_computation(engine, options):
        prepared = prepare(engine, model, example, options)
        prepared.run(prepared.example)
        return prepared, 0.0
    expected = reference_output(model, example, options.device)
    prepared = prepare(engine, model, example, options)
    return prepared, verify_against_eager(prepared, expected, options.precision)
