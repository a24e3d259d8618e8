"""Run records: results tables with the provenance that makes them citable.

A record is a tidy CSV plus a JSON sidecar with its provenance (hardware, versions, profile,
date, git commit). Records are written atomically (temporary file + ``os.replace``) under a new,
time-stamped name, so an interrupted run never leaves a half-written file and nothing is ever
overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from attnlib.paper import data_root


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=Path(__file__).resolve().parent, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def cpu_model() -> str:
    """The CPU's marketing name (from /proc/cpuinfo on Linux), else what ``platform`` reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def provenance(profile: str, **extra: Any) -> dict[str, Any]:
    """Where, when and with what a result was produced.

    Args:
        profile: the run profile (``smoke``, ``default`` or ``paper``).
        **extra: run options to record alongside (engine, trials, dataset, ...).
    """
    import torchvision

    from attnlib import __version__

    commit = _git("rev-parse", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    record = {
        "profile": profile,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": commit,
        "git_dirty": bool(dirty) if dirty is not None else None,
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "attnlib": __version__,
    }
    record.update(extra)
    return record


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a synced temporary file and ``os.replace``: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_record(
    kind: str,
    name: str,
    table: pd.DataFrame,
    record_provenance: dict[str, Any],
    root: Path | None = None,
) -> Path:
    """Write ``table`` and its provenance as ``<root>/<kind>/<name>-<UTC time>.{csv,json}``.

    Returns the CSV path. Raises ``FileExistsError`` rather than overwrite an existing record.
    """
    folder = (root or data_root() / "results") / kind
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    csv_path = folder / f"{name}-{stamp}.csv"
    json_path = csv_path.with_suffix(".json")
    if csv_path.exists() or json_path.exists():
        raise FileExistsError(f"refusing to overwrite the run record {csv_path}")
    atomic_write_text(json_path, json.dumps(record_provenance, indent=2, sort_keys=True, default=str) + "\n")
    atomic_write_text(csv_path, table.to_csv(index=False))
    return csv_path


def read_records(kind: str, root: Path | None = None) -> list[tuple[pd.DataFrame, dict[str, Any]]]:
    """All complete records of ``kind`` (CSV with its JSON), oldest first."""
    folder = (root or data_root() / "results") / kind
    records = []
    for csv_path in sorted(folder.glob("*.csv")):
        json_path = csv_path.with_suffix(".json")
        if json_path.is_file():
            records.append((pd.read_csv(csv_path), json.loads(json_path.read_text())))
    return records


def provenance_table(record_provenance: dict[str, Any]) -> pd.DataFrame:
    """A two-column table of a provenance record, for display under a result."""
    return pd.DataFrame({"field": list(record_provenance), "value": [str(v) for v in record_provenance.values()]})
