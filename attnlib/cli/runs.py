"""What the bodies of ``train`` and ``detect`` share: the options copied onto a run's config, and the
first line every training prints."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

# Options shared by ``train`` and ``detect``, copied onto the run's config when given.
RUN_OVERRIDES = ("epochs", "batch_size", "lr", "lr_milestones", "device", "workers", "data_root", "output", "seed")


def given_options(args: argparse.Namespace, names: Sequence[str]) -> dict[str, Any]:
    """The config fields among ``names`` that were given on the command line (lists become tuples)."""
    values = {}
    for name in names:
        value = getattr(args, name, None)
        if value is not None and value is not False:
            values[name] = tuple(value) if isinstance(value, list) else value
    return values


def announce_run(config: Any) -> None:
    """The first line of every training: what runs where, and loudly whether the data is generated."""
    data = (
        f"SYNTHETIC data ({config.dataset}: generated images, a pipeline check — not a result)"
        if config.dataset.startswith("synthetic")
        else f"dataset {config.dataset}"
    )
    print(f"attnlib: {config.run_name} on {config.device} — {data}", file=sys.stderr, flush=True)
