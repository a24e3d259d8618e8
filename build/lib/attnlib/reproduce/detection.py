"""What Tables 4 and 5 share: their settings' shape, running one detector, and gains over the baseline."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from attnlib.detection.records import detection_records, write_detection_record
from attnlib.detection.task import DetectionConfig
from attnlib.train import TrainConfig, train


@dataclass(frozen=True)
class DetectionSettings:
    """One table at one profile: the detection run template, the pretraining (Table 4) and rows."""

    detection: DetectionConfig
    pretrain: TrainConfig | None
    rows: tuple[tuple, ...]
    scaled: bool


def run_detector(config: DetectionConfig, output: Path | None, save_records: bool) -> dict[str, object]:
    """Train (or resume, or just reload) one run; ``output=None`` keeps ``data/checkpoints/<run name>``."""
    if output is not None:
        config = replace(config, output=str(output / config.run_name))
    result = train(config, progress=False, resume=True)
    if save_records:
        write_detection_record(config, result)
    last = result.final
    return {
        "AP": last["AP"],
        "AP50": last["AP50"],
        "epochs": last["epoch"] + 1,
        "train_images": result.dataset["train_size"],
        "val_images": result.dataset["val_size"],
        "train_loss": last["train_loss"],
    }


def detection_output(settings: DetectionSettings, output: Path | None, scratch: str) -> Path | None:
    """Offline profiles train into a temporary folder; ``paper`` into ``data/checkpoints/<run name>``,
    where ``attnlib detect`` runs of the same cell are found and reused (finished) or resumed."""
    if output is not None:
        return Path(output)
    return Path(scratch) if settings.scaled else None


def gains_over_baseline(layout: pd.DataFrame) -> pd.DataFrame:
    """Every cell of a Table 4/5 layout minus the Baseline row's cell of the same column (points)."""
    return layout.drop(index="Baseline") - layout.loc["Baseline"]


def show_detection_records(dataset: str, label: str) -> None:
    """Display the committed detection records of ``dataset`` (``coco``, ``bdd100k``), or say there are none."""
    from IPython.display import Markdown, display

    records = detection_records(dataset)
    if records.empty:
        display(Markdown(f"No detection run records are committed yet: no {label} run has been made on real data."))
    else:
        display(records)
