"""One way to state a checked claim, on every page: the paper's words, our evidence, a verdict in words.

The chapters check the paper's statements on their records (``depth_conclusions`` in
:mod:`attnlib.reproduce.fig3`, Fig. 5's and Fig. 6's, the Fashion-MNIST study's). Internally a check is
a row with the statement's key (``claim``, read by the scorecard) and a boolean (``holds``); a reader
sees neither. :func:`claims_table` turns those rows into the shared four columns — *The paper says*,
*Here*, *Verdict*, *Checked on* — with verdicts in words (:data:`VERDICTS`) and no missing value shown
as ``nan``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

VERDICTS = ("holds", "does not hold", "not testable here")
HOLDS, DOES_NOT_HOLD, NOT_TESTABLE = VERDICTS
CANNOT_TELL = "cannot tell"
"""The verdict where a statement is testable but its 95 % interval allows both answers."""
COLUMNS = ("The paper says", "Here", "Verdict", "Checked on")


def verdict(holds: bool | None, reason: str = "") -> str:
    """A check's outcome in words: ``holds``, ``does not hold``, or ``not testable here (reason)``.

    ``holds`` is None (or a missing value) when the record cannot test the statement; ``reason`` says why.
    """
    if holds is None or (isinstance(holds, float) and pd.isna(holds)):
        return f"{NOT_TESTABLE} ({reason})" if reason else NOT_TESTABLE
    return HOLDS if bool(holds) else DOES_NOT_HOLD


def _text(value: Any) -> str:
    """A cell as text: missing values become an empty string, never ``nan``."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a depth read from a column with gaps
    return str(value)


def claims_table(conclusions: pd.DataFrame, hardware: str) -> pd.DataFrame:
    """The shared claim format of ``conclusions`` checked on ``hardware``.

    ``conclusions`` holds one row per check: ``paper says``, ``here`` and ``holds`` (bool, or None when
    not testable, with ``why``), and optionally ``claim`` (the statement's key; an empty key marks a
    row shown beside the scored one, e.g. another engine than the paper's), ``engine`` and ``ResNet``.
    The key and the boolean are dropped; the engine and depth join the evidence.
    """
    rows = []
    for row in conclusions.to_dict("records"):
        context = [f"ResNet-{_text(row['ResNet'])}"] if _text(row.get("ResNet")) else []
        context += [_text(row.get("engine"))] if _text(row.get("engine")) else []
        here = _text(row.get("here"))
        outcome = verdict(row.get("holds"), _text(row.get("why")))
        if "claim" in row and not _text(row.get("claim")):
            outcome += " (shown beside the paper's setting, not scored)"
        rows.append(
            {
                "The paper says": _text(row.get("paper says")),
                "Here": f"{', '.join(context)}: {here}" if context else here,
                "Verdict": outcome,
                "Checked on": hardware,
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def styled(table: pd.DataFrame) -> Any:
    """A claim table (or any table of sentences) as the book shows it: no index, text left-aligned,
    numbers as their producer rounded them (not pandas' six decimals), nothing for a missing value."""
    return (
        table.style.hide(axis="index")
        .format(lambda value: f"{value:.10g}" if isinstance(value, float) else value, na_rep="")
        .set_properties(**{"text-align": "left", "vertical-align": "top"})
        .set_table_styles([{"selector": "th", "props": [("text-align", "left")]}])
    )
