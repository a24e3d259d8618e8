"""Run records of detection runs: one row per epoch (AP, AP50, loss…) with provenance and config."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from attnlib.detection.task import DetectionConfig
from attnlib.provenance import provenance
from attnlib.results import read_records, record_labels, write_record
from attnlib.train.loop import TrainResult


def write_detection_record(config: DetectionConfig, result: TrainResult, committed: bool = False) -> Path:
    """One row per epoch under ``data/runs/detection/`` (``data/results/`` if ``committed``)."""
    history = pd.DataFrame(result.history).assign(run=config.run_name)
    record = provenance(config.profile, config=config.as_dict(), **result.dataset)
    return write_record("detection", config.run_name, history, record, committed=committed)


def detection_records(dataset: str | None = None) -> pd.DataFrame:
    """The final epoch of every committed detection run record (of ``dataset``), with its provenance."""
    rows = []
    for table, record in read_records("detection"):
        last = table.iloc[-1].to_dict()
        config = record.get("config") or {}
        if dataset is not None and config.get("dataset") != dataset:
            continue
        labels = record_labels(record)
        rows.append(
            {
                "run": last.get("run"),
                "AP": last.get("AP"),
                "AP50": last.get("AP50"),
                "epochs": int(last.get("epoch", -1)) + 1,
                "profile": labels["profile"],
                "hardware": labels["hardware"],
                "date": labels["date"],
                "commit": labels["commit"],
                "dataset": config.get("dataset"),
            }
        )
    return pd.DataFrame(rows)
