"""One sweep of ``attnlib bench``: its experiments run one after another as one session.

Each experiment builds on the networks built before it, stops starting groups when the budget is
spent, writes its record and says what it took. A step that raises is named and skipped when there
are several — a sweep on a lent GPU is one shot, and one broken step must not cost the steps after it.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attnlib.bench.experiment import Experiment, run_experiment
from attnlib.bench.latency import BuiltModels
from attnlib.reproduce.presets import step_title


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _step_row(index: int, experiment: Experiment, seconds: float | None, timed: int, record: str) -> dict[str, Any]:
    return {
        "step": index + 1,
        "experiment": step_title(experiment),
        "seconds": seconds,
        "networks timed": timed,
        "record": record,
    }


# Keyword options in the shape of bench's other runners (measure_train_steps, run_experiment).
def run_steps(
    experiments: Sequence[Experiment],
    profile: str,
    *,
    protocol: str,
    root: Path | None = None,
    save: bool = True,
    committed: bool = False,
    session: str | None = None,
    budget_min: float | None = None,
) -> tuple[list[Any], list[dict[str, Any]], list[str]]:
    """Run ``experiments`` in order as one session (named by ``session``, else the start time), within
    ``budget_min`` minutes if given. Returns each step's summary, one row per step (what it took, its
    record) and the failures in words."""
    summaries, steps, failed = [], [], []
    session = session or dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    began = time.monotonic()
    deadline = None if budget_min is None else began + 60 * budget_min
    models = BuiltModels()  # every experiment of this call builds each network once
    for index, experiment in enumerate(experiments):
        _say(f"attnlib: experiment {index + 1}/{len(experiments)}: {step_title(experiment)}")
        start = time.monotonic()
        try:
            result, path = run_experiment(
                experiment,
                profile,
                save=save,
                root=root,
                progress=sys.stderr.isatty(),
                committed=committed,
                protocol=protocol,
                models=models,
                deadline=deadline,
                session=session,
            )
        except Exception as error:
            if len(experiments) == 1:
                raise
            lines = str(error).strip().splitlines() or [""]
            failed.append(f"experiment {index + 1} ({step_title(experiment)}): {type(error).__name__}: {lines[-1]}")
            _say(f"attnlib: {failed[-1]}")
            steps.append(_step_row(index, experiment, None, 0, f"FAILED: {type(error).__name__}"))
            continue
        seconds = time.monotonic() - start
        for engine, reason in result.skipped.items():
            _say(f"skipped {engine}: {reason}")
        _say(
            f"attnlib: experiment {index + 1} took {seconds:.1f} s ({time.monotonic() - began:.0f} s in all)"
            + (f"; wrote {path}" if path is not None else "")
        )
        summaries.append(result.summary.assign(experiment=experiment.name))
        steps.append(_step_row(index, experiment, round(seconds, 1), len(result.summary), path.name if path else "—"))
    return summaries, steps, failed
