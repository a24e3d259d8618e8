"""``attnlib advise``'s whole answer (:func:`advise`): resolve the request, measure, gather the accuracy
sources, decide and say it — and write the measurement as a record (:func:`record`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from attnlib.advice.accuracy import accuracy_sources
from attnlib.advice.decision import decide
from attnlib.advice.measurement import Measurement, measure
from attnlib.advice.options import resolve
from attnlib.advice.request import DEEPER, DEFAULT_BUDGET_MIN, DEFAULT_WIDTH, Request
from attnlib.advice.words import sentence
from attnlib.provenance import provenance
from attnlib.results import write_record


@dataclass
class Advice:
    """The answer: the request, the measurement, the accuracy sources, the verdict table and sentence."""

    request: Request
    measurement: Measurement
    accuracy: pd.DataFrame
    verdict: pd.DataFrame
    sentence: str

    def as_json(self) -> dict[str, Any]:
        """Everything as plain JSON types (schema 1)."""
        return {
            "schema": 1,
            "hardware": self.measurement.hardware,
            "request": {**self.request.__dict__, "engines": list(self.request.engines), "deeper": self.request.deeper},
            "stopped": self.measurement.stopped,
            "left_out": self.measurement.left_out,
            "accuracy": self.accuracy.to_dict("records"),
            "verdict": self.verdict.to_dict("records"),
            "sentence": self.sentence,
        }


def advise(model: str = "resnet50", *, progress: bool = False, **options: Any) -> Advice:
    """Which module, if any, for ``model`` on this machine: measured within the budget and decided by the
    paper's criterion (see the module docstring). ``options`` are :func:`resolve`'s (block, resolution,
    batch_size, device, engine, precision, budget_min, width). Returns the verdict as data."""
    request = resolve(model, **options)
    measurement = measure(request, progress=progress, log=print if progress else (lambda *_: None))
    if measurement.summary.empty:
        raise ValueError("no engine could run here: " + "; ".join(f"{k}: {v}" for k, v in measurement.left_out.items()))
    accuracy = accuracy_sources(request.model, request.block)
    verdict = decide(measurement.summary, accuracy)
    return Advice(
        request, measurement, accuracy, verdict, sentence(verdict, measurement.summary, request, measurement.hardware)
    )


def record(advice: Advice, commit: bool = False, root: Path | None = None) -> Path:
    """Write the measurement as a latency record (experiment ``advise``) with its provenance and the
    verdict; ``commit`` puts it under ``data/results`` (shown by the book once committed to git)."""
    request = advice.request
    table = advice.measurement.summary.assign(
        experiment="advise",
        model=lambda t: [request.deeper if v == DEEPER else request.model for v in t.variant],
        group=request.model,
        device=request.device,
        precision=request.precision,
        resolution=request.resolution,
        batch_size=request.batch_size,
    )
    # The command's own protocol is its default budget and interval width; any other is ad hoc.
    default = (request.budget_min, request.width) == (DEFAULT_BUDGET_MIN, DEFAULT_WIDTH)
    profile = "default" if default else f"ad hoc (budget {request.budget_min:g} min, width {request.width:g} points)"
    meta = provenance(
        profile,
        experiment="advise",
        protocol="attnlib advise",
        request=json.loads(json.dumps(advice.as_json()["request"])),
        stopped=advice.measurement.stopped,
        skipped_engines=advice.measurement.left_out,
        machine_load=advice.measurement.machine_load,
        sentence=advice.sentence,
    )
    return write_record("latency", f"advise-{request.device}", table, meta, root, committed=commit)
