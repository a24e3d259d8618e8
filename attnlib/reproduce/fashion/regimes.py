"""The chapter's questions in one list, keyed so that the two campaigns (short and converged) can be set
side by side, and which verdicts change when the networks converge."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from attnlib.reproduce.claims import CANNOT_TELL, DOES_NOT_HOLD, HOLDS, NOT_TESTABLE
from attnlib.reproduce.fashion.retrofit_verdicts import RETROFIT_KEYS, retrofit_statements
from attnlib.reproduce.fashion.settings import CONVERGED, settings_of
from attnlib.reproduce.fashion.statements import (
    Statement,
    best_module_statement,
    bottleneck_statement,
    deeper_statements,
    gains,
)


def chapter_statements(finals: pd.DataFrame, profile: str, campaign: str = CONVERGED) -> list[Statement]:
    """Every statement the chapter re-tests, in its order, each with its question's key (see
    :func:`regime_changes`): the deeper-network question is keyed by block type, the networks' depths
    being the campaign's own."""
    if finals.empty:
        finals = pd.DataFrame(columns=["part", "network", "model", "block", "attention", "seed", "top1"])
    table = gains(finals)
    blocks = [block for _, block in settings_of(profile, campaign).compared]
    deeper = deeper_statements(finals, profile, campaign=campaign)
    retrofit = retrofit_statements(finals, profile, campaign=campaign)
    return [
        replace(best_module_statement(table, finals), key="best-module"),
        replace(bottleneck_statement(table, finals), key="bottleneck-gain"),
        *(replace(statement, key=f"deeper/{block}") for statement, block in zip(deeper, blocks, strict=True)),
        *(replace(statement, key=key) for statement, key in zip(retrofit, RETROFIT_KEYS, strict=True)),
    ]


def verdict_word(verdict: str) -> str:
    """A verdict's word (holds, does not hold, cannot tell, not testable here) without its reason."""
    for word in sorted((HOLDS, DOES_NOT_HOLD, CANNOT_TELL, NOT_TESTABLE), key=len, reverse=True):
        if verdict.startswith(word):
            return word
    return verdict


def regime_changes(short: list[Statement], converged: list[Statement]) -> pd.DataFrame:
    """The chapter's questions asked of both campaigns, side by side: what the short campaign (networks
    far from their plateau) said, what the converged one says, and whether the verdict changed.

    Both lists are :func:`chapter_statements` of their campaign; statements are paired by their ``key``,
    in the converged campaign's order. A question one campaign did not ask reads so; an unkeyed or
    repeated key is an error (it could pair the wrong questions).
    """
    for name, statements in (("short", short), ("converged", converged)):
        keys = [statement.key for statement in statements]
        if "" in keys or len(set(keys)) != len(keys):
            raise ValueError(f"the {name} campaign's statements need one distinct key each to be paired: {keys}")
    before_of = {statement.key: statement for statement in short}
    rows = []
    for after in converged:
        before = before_of.get(after.key)
        was = verdict_word(before.verdict) if before else ""
        now = verdict_word(after.verdict)
        rows.append(
            {
                "The question (on the converged campaign's networks)": after.claim,
                "Short campaign (7 000 images, 15 epochs)": before.verdict if before else "not asked of this campaign",
                "Converged campaign (all images, at the plateau)": after.verdict,
                "Changed": "cannot compare" if not before else ("no" if was == now else f"yes: {was} → {now}"),
            }
        )
    return pd.DataFrame(rows)
