"""``attnlib advise``'s verdict for a reader: the page's table (:func:`reader_table`) and one plain
sentence per engine (:func:`sentence`)."""

from __future__ import annotations

import pandas as pd

from attnlib.advice.decision import separated
from attnlib.advice.request import Request
from attnlib.attention import display_name
from attnlib.names import label_words, network_words

READER_COLUMNS = (
    "engine", "module", "overhead %", "95 % interval", "gain", "gain source", "gain per % time",
    "Pareto-optimal", "beats the deeper baseline",
)  # fmt: skip


def reader_table(verdict: pd.DataFrame) -> pd.DataFrame:
    """:func:`decide`'s verdict for a page: the engines and modules named in words, the reader's columns."""
    table = verdict.assign(engine=verdict.engine.map(label_words), module=verdict.module.map(display_name))
    return table[list(READER_COLUMNS)]


def sentence(verdict: pd.DataFrame, summary: pd.DataFrame, request: Request, hardware: str) -> str:
    """The verdict in one plain sentence per engine."""
    deeper = network_words(request.deeper) if request.deeper else ""
    parts = []
    for engine, part in verdict.groupby("engine", sort=False):
        setting = f"{request.precision}, batch {request.batch_size}, {request.resolution}²"
        where = f"On {hardware} with {label_words(engine)} ({setting})"
        winners = part[part["beats the deeper baseline"].str.startswith("yes")]
        known = part[~part.gain.str.startswith("no ")]
        times = summary[summary.engine == engine].set_index("variant")
        if len(winners):
            best = winners.loc[winners.gain.astype(float).idxmax()]
            others = [display_name(m) for m in winners.module if m != best.module]
            also = f"; {', '.join(others)} also do" if others else ""
            apart = (
                " timed in its own group (a point, without a paired interval)"
                if best["beats the deeper baseline"] != "yes"
                else ""
            )
            parts.append(
                f"{where}, {display_name(best.module)} gives {best.gain} top-1 for {best['overhead %']:+.1f} % time "
                f"and beats a {deeper} baseline{apart}{also}."
            )
        elif len(known):
            best = known.loc[known.gain.astype(float).idxmax()]
            why = best["beats the deeper baseline"]
            parts.append(
                f"{where}, no module is shown to beat a {deeper} baseline; the most accurate, "
                f"{display_name(best.module)} ({best.gain} top-1 for {best['overhead %']:+.1f} % time): {why}."
            )
        else:
            cheapest = part.loc[part["overhead %"].idxmin()]
            tied = [
                display_name(m)
                for m in part.module
                if m != cheapest.module and not separated(times.loc[m], times.loc[cheapest.module])
            ]
            tie = f"; it cannot be told apart in time from {', '.join(tied)} here" if tied else ""
            parts.append(
                f"{where}, no accuracy source covers this network, so modules are ranked by time alone: "
                f"the cheapest is {display_name(cheapest.module)} ({cheapest['overhead %']:+.1f} %){tie}."
            )
    return " ".join(parts)
