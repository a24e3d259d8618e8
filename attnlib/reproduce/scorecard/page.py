"""The scorecard page's words, tables and figure: the headline, each part's introduction and table, and the
Fashion-MNIST section (another dataset, never counted with the paper's rows)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from attnlib.names import agreeing
from attnlib.reproduce.scorecard.card import counts
from attnlib.reproduce.scorecard.status import (
    DIFFERS,
    ERRATUM,
    FAILS_ELSEWHERE,
    HOLDS_ELSEWHERE,
    NOT_RUN,
    REPRODUCED,
    STATUSES,
    TOLERANCES,
)


def headline(card: pd.DataFrame) -> str:
    """The counts as one sentence, the paper's setting counted apart from other hardware."""
    n = counts(card)
    errata = agreeing(n[ERRATUM], "paper's erratum", "paper's errata")
    return (
        f"**{len(card)} numbers and claims of the paper. On the paper's setting: {n[REPRODUCED]} reproduced, "
        f"{agreeing(n[DIFFERS], 'differs', 'differ')}. Tested on other hardware only (a GPU statement checked on "
        f"a CPU record): {agreeing(n[HOLDS_ELSEWHERE], 'holds', 'hold')} there, "
        f"{agreeing(n[FAILS_ELSEWHERE], 'does not', 'do not')}. {errata}; "
        f"{n[NOT_RUN]} not run here** (they need data, a GPU or TensorRT)."
    )


def by_part(card: pd.DataFrame) -> pd.DataFrame:
    """Status counts per part of the paper (rows in the paper's order)."""
    table = pd.crosstab(pd.Categorical(card.part, categories=list(dict.fromkeys(card.part))), card.status)
    return table.reindex(columns=list(STATUSES), fill_value=0).rename_axis(index="part", columns=None)


def tolerance_table() -> pd.DataFrame:
    """The tolerances, as the page states them."""
    return pd.DataFrame(
        [{"kind": name, "within": f"{t.within:g} {t.unit}".strip(), "why": t.why} for name, t in TOLERANCES.items()]
    )


STATUS_COLOURS = {
    REPRODUCED: "#9fd89f",
    DIFFERS: "#f4a582",
    HOLDS_ELSEWHERE: "#d9f0d3",
    FAILS_ELSEWHERE: "#fddbc7",
    ERRATUM: "#c2a5cf",
    NOT_RUN: "#e0e0e0",
}


def plot_status(card: pd.DataFrame) -> Any:
    """Horizontal stacked bars: per part of the paper, how many rows have each status."""
    import matplotlib.pyplot as plt

    table = by_part(card).iloc[::-1]
    figure, axis = plt.subplots(figsize=(10, 0.45 * len(table) + 1.6))
    left = pd.Series(0, index=table.index)
    for status in STATUSES:
        axis.barh(table.index, table[status], left=left, color=STATUS_COLOURS[status], edgecolor="grey", label=status)
        left = left + table[status]
    axis.set_xlabel("numbers and claims of the paper")
    axis.legend(ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    figure.tight_layout()
    return figure


SHARED_NOTE = 3  # a note on this many rows of a part or more is stated once above its table


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def _verdict_cell(row: Any, shared: set[str]) -> str:
    """The status in words, the difference when both values are numbers, a note folded under it
    (unless the part states it once above its table)."""
    text = row.status
    if not _is_missing(row.difference):
        text += f" ({row.difference:+.2f})"
    if row.note and row.note not in shared:
        text += f"<details><summary>why</summary>{row.note}</details>"
    return text


def shared_notes(card: pd.DataFrame, part: str) -> list[str]:
    """The notes repeated on many rows of ``part``, stated once above its table."""
    notes = card[card.part == part].note.value_counts()
    return [note for note, count in notes.items() if note and count >= SHARED_NOTE]


def part_intro(card: pd.DataFrame, part: str) -> str:
    """What the compact table of ``part`` leaves out, in sentences: the chapters that decide its rows
    and the notes its rows share."""
    rows = card[card.part == part]
    chapters = [name for name in dict.fromkeys(rows.chapter) if name]
    from attnlib.reproduce.common import chapter_title

    links = ", ".join(f"{{doc}}`{chapter_title(name)} <{name}>`" for name in chapters)
    text = f"Decided by the chapter{'s' if len(chapters) > 1 else ''} {links}." if chapters else ""
    for note in shared_notes(card, part):
        statuses = ", ".join(dict.fromkeys(rows[rows.note == note].status))
        text += f"\n\n*{statuses[0].upper()}{statuses[1:]}:* {note}"
    return text


def part_table(card: pd.DataFrame, part: str) -> Any:
    """One part's rows as a compact table — item, paper, ours, verdict — the verdict coloured by status,
    a row's own note folded under its verdict (shared notes are stated by :func:`part_intro`)."""
    rows = card[card.part == part]
    shared = set(shared_notes(card, part))
    shown = pd.DataFrame(
        {
            "item": rows["item"],
            "paper": rows.paper.map(lambda v: "" if _is_missing(v) else f"{v:g}" if isinstance(v, float) else str(v)),
            "ours": rows.ours.map(lambda v: "" if _is_missing(v) else f"{v:g}" if isinstance(v, float) else str(v)),
            "verdict": [_verdict_cell(row, shared) for row in rows.itertuples()],
        }
    )
    colours = [f"background-color: {STATUS_COLOURS.get(status, '')}" for status in rows.status]
    return (
        shown.style.apply(lambda _: colours, subset=["verdict"])
        .hide(axis="index")
        .set_properties(**{"text-align": "left", "vertical-align": "top"})
    )


def real_data_section() -> pd.DataFrame:
    """The Fashion-MNIST study's verdicts: the paper's accuracy statements re-tested on real images.

    Kept apart from the paper's own cells (same question, another dataset), never counted in the
    headline; computed from the committed campaign records like every other row.
    """
    from attnlib.reproduce import fashion

    chosen = fashion.headline_campaign("default")  # the converged campaign once its comparison is complete
    finals = fashion.committed_finals("default", campaign=chosen)
    # the checks its verdicts rest on: the plateau (and, for the converged campaign, the basic baseline's
    # level and the fp32 precision check)
    checks = fashion.convergence_statements if chosen == fashion.CONVERGED else fashion.plateau_statements
    statements = checks(finals, "default", campaign=chosen) if not finals.empty else []
    statements += fashion.chapter_statements(finals, "default", campaign=chosen)
    latency, _ = fashion.cost_records(chosen)
    if not latency.empty and not finals.empty:
        points = fashion.tradeoff_points(finals, latency, "openvino", 1, campaign=chosen)
        statements += fashion.deeper_tradeoff_statements(points, "OpenVINO", 1) if not points.empty else []
    return fashion.statements_table([s for s in statements if s is not None], chosen)
