"""A table in its chapter's layout, from the finished runs of its campaign."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from attnlib.attention import BASELINE
from attnlib.reproduce.campaign.plan import run_states
from attnlib.reproduce.campaign.runs import CampaignRun, table3_root
from attnlib.train import aggregate_seeds

# --- the table, from the runs -------------------------------------------------------------------------


def aggregate(table: str, profile: str, runs: Sequence[CampaignRun], runs_root: Path | None = None) -> pd.DataFrame:
    """The table in the chapter's layout, from the runs' folders (every run must be done)."""
    from attnlib import paper

    if table == "fashion":
        from attnlib.reproduce import fashion

        finals = pd.concat([fashion.committed_finals(profile), fashion.folder_finals(profile, runs_root)])
        return fashion.comparison_table(finals.drop_duplicates("key", keep="last") if len(finals) else finals)
    missing = [run.key for run, state in zip(runs, run_states(runs), strict=True) if state != "done"]
    if missing:
        raise ValueError(f"{len(missing)} run(s) of {table} are not done yet (first: {missing[0]}); launch them first")
    if table == "table3":
        from attnlib.reproduce.table3 import run_table3, table3_layout

        root = table3_root(profile, runs_root)
        return table3_layout(run_table3(profile, cache=root, output=root), paper.load("table3"))
    finals = [(run, json.loads((run.run_dir / "record.json").read_text())["history"][-1]) for run in runs]
    if table in ("table1", "table2"):
        from attnlib.reproduce.accuracy import final_row

        accuracy = pd.DataFrame([final_row(run.config, [last]) for run, last in finals])
        if table == "table1":
            from attnlib.reproduce.table1 import table1_layout

            return table1_layout(aggregate_seeds(accuracy))
        from attnlib.reproduce.table2 import table2_full, timing_record

        return table2_full(accuracy, timing_record()[0], paper.load("table2"))
    if table == "table4":
        from attnlib.reproduce.table4 import table4_layout

        rows = [
            {"module": run.config.attention or BASELINE, "initialization": run.config.init, **last}
            for run, last in finals
        ]
        rows += [{**row, "initialization": "scratch"} for row in rows if row["module"] == BASELINE]
        return table4_layout(pd.DataFrame(rows), paper.load("table4"))
    from attnlib.reproduce.table5 import table5_layout

    rows = [
        {
            "split": run.config.split,
            "module": run.config.attention or BASELINE,
            "method": run.config.method or "",
            **last,
        }
        for run, last in finals
    ]
    return table5_layout(pd.DataFrame(rows), paper.load("table5"))
