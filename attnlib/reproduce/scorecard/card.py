"""The whole card: every row, the errata that are no table cell, and the counts per status."""

from __future__ import annotations

import pandas as pd

from attnlib import paper
from attnlib.reproduce.scorecard.claims import (
    figure_claim_entries,
    text_claim_entries,
)
from attnlib.reproduce.scorecard.status import (
    ERRATUM,
    STATUSES,
    entry,
)
from attnlib.reproduce.scorecard.tables import (
    table1_entries,
    table2_entries,
    table3_entries,
    table4_entries,
    table5_entries,
)

# --- The card -------------------------------------------------------------------------------------


def errata_entries(errata: pd.DataFrame, card: pd.DataFrame) -> list[dict]:
    """Errata that are no table cell of the card (a header, a FLOPs rule) get a row of their own."""
    rows = []
    for item in errata.itertuples():
        name = f"{item.row} · {item.column}"
        if card.item.eq(name).any():
            continue
        rows.append(entry(item.table, name, item.printed, item.corrected, ERRATUM, item.evidence))
    return rows


def scorecard() -> pd.DataFrame:
    """Every row of the card (see the module docstring), in the paper's order."""
    errata = paper.load("errata")
    rows = table1_entries() + table2_entries(errata) + table3_entries() + table4_entries() + table5_entries()
    rows += figure_claim_entries() + text_claim_entries()
    card = pd.DataFrame(rows)
    return pd.concat([card, pd.DataFrame(errata_entries(errata, card))], ignore_index=True)


def counts(card: pd.DataFrame) -> dict[str, int]:
    """How many rows have each status, in :data:`STATUSES` order."""
    return {status: int((card.status == status).sum()) for status in STATUSES}
