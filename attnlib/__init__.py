"""attnlib: channel attention modules for ResNets, reproducing Klomp et al. (2023).

Klomp, Wijnhoven, de With, "Performance-Efficiency Comparisons of Channel Attention Modules for
ResNets", Neural Processing Letters, 2023.

The builders are imported on first use (PEP 562), so that ``import attnlib.cli`` — and with it
``attnlib --help`` — does not wait for torch. The face hands on the lowest layer's builders only;
``attnlib advise`` lives one floor up, in :mod:`attnlib.advice` (``from attnlib.advice import advise``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"  # the one place the version is stated (pyproject.toml reads it)
__all__ = ["__version__", "build_model", "load_pretrained", "retrofit"]

if TYPE_CHECKING:
    from attnlib.models import build_model, load_pretrained, retrofit


def __getattr__(name: str) -> Any:
    if name in ("build_model", "load_pretrained", "retrofit"):
        from attnlib import models

        return getattr(models, name)
    raise AttributeError(f"module 'attnlib' has no attribute {name!r}")
