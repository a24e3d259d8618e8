"""Validation at the library's boundary: one clear error for bad numbers and unusable devices.

The CLI's argument types and the public functions (``count_model``, ``train``, the latency runs)
call these, so a negative batch size, zero trials or ``--device cuda`` on a machine without a GPU
is refused in one line naming the option and the accepted values, never deep inside torch.
"""

from __future__ import annotations

import argparse


def require_positive(name: str, value: int | float) -> None:
    """Raise ``ValueError`` unless ``value`` > 0."""
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")


def require_non_negative(name: str, value: int | float) -> None:
    """Raise ``ValueError`` unless ``value`` >= 0."""
    if not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")


def require_device(device: str) -> None:
    """Raise ``ValueError`` when ``device`` is unknown or (``cuda``) no GPU is visible to PyTorch."""
    if device not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {device!r}; valid devices are cpu, cuda")
    import torch  # here, not at the top: the CLI's argument types come from this module

    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device 'cuda' was asked for, but PyTorch sees no CUDA GPU here (torch.cuda.is_available() is False); "
            "run on a machine with a GPU and a CUDA build of torch, or use --device cpu"
        )


def _number(kind: type, minimum: float, strict: bool):
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            expected = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"must be {'>' if strict else '>='} {minimum}, got {text}")
        return value

    parse.__name__ = f"{'positive' if strict else 'non-negative'} {kind.__name__}"
    return parse


positive_int = _number(int, 0, strict=True)
"""argparse type: an integer >= 1."""
non_negative_int = _number(int, 0, strict=False)
"""argparse type: an integer >= 0."""
positive_float = _number(float, 0.0, strict=True)
"""argparse type: a number > 0."""
