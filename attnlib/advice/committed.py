"""The book's page "Which module for your hardware?": a verdict for every committed record that can
answer — ``attnlib advise --commit`` records and the Fig. 3 depth sweeps (:func:`committed_verdicts`)."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from attnlib.advice.accuracy import accuracy_sources
from attnlib.advice.decision import decide
from attnlib.advice.request import DEEPER, Request, deeper_model
from attnlib.advice.words import sentence
from attnlib.names import BASELINE
from attnlib.reproduce.latency import by_setting, committed_records


def from_depth_record(record: pd.DataFrame, model: str = "resnet50") -> pd.DataFrame:
    """A committed Fig. 3 record (every depth, batch 1) as :func:`decide`'s measurement for ``model``.

    The modules and the baseline come from ``model``'s interleaved group (with their paired 95 %
    intervals); the deeper baseline was timed in its own group, so its overhead (ratio of medians) has
    no paired interval: it is a point (``paired`` false), and "beats the deeper baseline" says so.
    """
    data = by_setting(record[(record.batch_size == 1)])
    deeper = deeper_model(model)
    rows = []
    for engine, part in data.groupby("engine", sort=False):
        group = part[part.model == model]
        if BASELINE not in set(group.variant):
            continue
        base = float(group[group.variant == BASELINE].median_ms.iloc[0])
        for row in group.itertuples():
            rows.append(
                {
                    "engine": engine,
                    "variant": row.variant,
                    "median_ms": row.median_ms,
                    "overhead_median_pct": row.overhead_median_pct,
                    "ci_low_pct": row.ci_low_pct,
                    "ci_high_pct": row.ci_high_pct,
                    "paired": True,
                }
            )
        other = part[(part.model == deeper) & (part.variant == BASELINE)]
        if len(other):
            overhead = 100 * (float(other.median_ms.iloc[0]) / base - 1)
            rows.append(
                {
                    "engine": engine,
                    "variant": DEEPER,
                    "median_ms": float(other.median_ms.iloc[0]),
                    "overhead_median_pct": overhead,
                    "ci_low_pct": overhead,
                    "ci_high_pct": overhead,
                    "paired": False,
                }
            )
    return pd.DataFrame(rows)


class CommittedVerdict(NamedTuple):
    """One committed record's answer: its machine, a label, the verdict table, the sentence, and the
    request (resolution, batch, precision) the record was timed at — what the sentence states besides the table."""

    hardware: str
    label: str
    verdict: pd.DataFrame
    sentence: str
    request: Request


def committed_verdicts(model: str = "resnet50") -> list[CommittedVerdict]:
    """For every committed record that can answer for ``model`` — ``attnlib advise --commit`` records of
    that model, and the Fig. 3 depth sweeps — its :class:`CommittedVerdict`."""
    accuracy = accuracy_sources(model)
    found = []
    sources = (("advise", "attnlib advise record"), ("fig3_depth", "Fig. 3 depth sweep"))
    for experiment, kind in sources:
        for hardware, label, record in committed_records(experiment):
            if experiment == "advise":
                record = record[record.group == model]
                summary = record[["engine", "variant", "median_ms", "overhead_median_pct", "ci_low_pct", "ci_high_pct"]]
            else:
                summary = from_depth_record(record, model)
            if summary.empty:
                continue
            first = record.iloc[0]
            request = Request(
                model,
                resolution=int(first.resolution),
                batch_size=int(first.batch_size),
                precision=str(first.precision),
            )
            verdict = decide(summary, accuracy)
            words = sentence(verdict, summary, request, hardware)
            found.append(CommittedVerdict(hardware, f"{kind}: {label}", verdict, words, request))
    return found
