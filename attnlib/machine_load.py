"""How busy the machine was while something was timed: other processes' share of the CPUs and the load
averages, measured around a block and kept as columns of its timing table.

A timing that shared its CPUs is not the machine's speed; the records say how busy it was, so a reader
(and :mod:`attnlib.reproduce.latency`'s noise check) can tell.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


def cpu_snapshot() -> dict[str, float] | None:
    """The machine's and this process's CPU time so far, and the load average: one end of
    :func:`machine_load`. None where ``/proc/stat`` does not exist (not Linux)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    ticks = [int(value) for value in fields]
    hertz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    own = os.times()
    return {
        "busy_s": (sum(ticks[:8]) - idle) / hertz,  # user … steal; guest time is counted within user
        "own_s": own.user + own.system + own.children_user + own.children_system,
        "wall_s": time.monotonic(),
        "load_average": os.getloadavg()[0],
        "cpus": os.cpu_count() or 1,
    }


def machine_load(before: dict[str, float] | None, after: dict[str, float] | None) -> dict[str, float | None]:
    """How busy the machine was between two :func:`cpu_snapshot`: the 1-minute load average at each
    end, and the share of all CPUs that *other* processes used (%), which a timing must not share."""
    if before is None or after is None or after["wall_s"] <= before["wall_s"]:
        return {"load_average_before": None, "load_average_after": None, "others_cpu_pct": None}
    others = (after["busy_s"] - before["busy_s"]) - (after["own_s"] - before["own_s"])
    capacity = (after["wall_s"] - before["wall_s"]) * after["cpus"]
    return {
        "load_average_before": round(before["load_average"], 2),
        "load_average_after": round(after["load_average"], 2),
        "others_cpu_pct": round(max(0.0, 100 * others / capacity), 1),
    }


LOAD_FIELDS = ("others_cpu_pct", "load_average_before", "load_average_after")
"""What :func:`machine_load` reports, and the columns :func:`with_load` adds to a timing table."""


@contextmanager
def watching_load() -> Iterator[dict[str, float | None]]:
    """Watch how busy the machine is while the block runs (a timing must not share its CPUs).

    Yields a dict that :func:`machine_load` fills when the block ends::

        with watching_load() as load:
            samples = time_interleaved(...)
        table = with_load(summarize(samples), load)
    """
    load: dict[str, float | None] = {}
    before = cpu_snapshot()
    try:
        yield load
    finally:
        load.update(machine_load(before, cpu_snapshot()))


def with_load(table: pd.DataFrame, load: dict[str, float | None]) -> pd.DataFrame:
    """``table`` with the machine's load while it was measured as columns (:data:`LOAD_FIELDS`), so that
    tables joined with ``pd.concat`` keep each measurement's own load (:func:`table_load`)."""
    if table.empty:
        return table
    return table.assign(**{name: load.get(name) for name in LOAD_FIELDS})


def table_load(table: pd.DataFrame) -> dict[str, float | None]:
    """The load a record states for a table of one or several measurements: the busiest row's
    (:func:`with_load` columns; every field None where the table has none)."""
    empty: dict[str, float | None] = dict.fromkeys(LOAD_FIELDS)
    if table.empty or "others_cpu_pct" not in table or table.others_cpu_pct.isna().all():
        return empty
    row = table.loc[table.others_cpu_pct.astype(float).idxmax()]
    return {name: (None if name not in row or pd.isna(row[name]) else float(row[name])) for name in LOAD_FIELDS}
