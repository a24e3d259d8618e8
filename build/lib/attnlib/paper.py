"""The paper's reported values, read from ``data/paper/*.csv``.

Every "paper" column in the book comes from these files, so a number printed in the paper is
typed exactly once. Module names use the registry spelling (``baseline``, ``ab``, ``eca``, ``se``,
``srm``, ``multise``); :func:`attnlib.attention.display_name` gives the paper's spelling.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

TABLES = {
    "table1": "table1_cifar.csv",
    "table2": "table2_imagenet.csv",
    "table3": "table3_finetune.csv",
    "table4": "table4_coco.csv",
    "table5": "table5_bdd100k.csv",
    "text": "text_claims.csv",
    "figure_claims": "figure_claims.csv",
    "errata": "errata.csv",
}


def data_root() -> Path:
    """The project's ``data/`` folder (override with the ``ATTNLIB_DATA`` environment variable)."""
    override = os.environ.get("ATTNLIB_DATA")
    return Path(override) if override else Path(__file__).resolve().parents[1] / "data"


def load(table: str) -> pd.DataFrame:
    """One of the paper's tables as a tidy DataFrame.

    Args:
        table: ``table1`` … ``table5``, ``text`` (numbers stated in the text), ``figure_claims``
            (what the text says the figures show; the figure images are not in our copy of the
            paper, so no values are read off them) or ``errata``.
    """
    if table not in TABLES:
        raise ValueError(f"unknown paper table {table!r}; valid names are {', '.join(TABLES)}")
    path = data_root() / "paper" / TABLES[table]
    if not path.is_file():
        raise FileNotFoundError(f"paper values not found at {path}; run from a checkout of attnlib or set ATTNLIB_DATA")
    return pd.read_csv(path)
