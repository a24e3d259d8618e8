"""Run records: results tables with the provenance that makes them citable.

A record is a tidy CSV plus a JSON sidecar with its provenance (hardware, versions, profile,
date, git commit). Records are written atomically (temporary file + ``os.replace``) under a new,
time-stamped name, so an interrupted run never leaves a half-written file and nothing is ever
overwritten.

Two folders, so that an ad-hoc run never changes what the book shows:

* ``data/runs/<kind>/`` (ignored by git): where every run writes its record by default — yours
  to inspect, never rendered by the book.
* ``data/results/<kind>/`` (committed): the records the book renders. A run writes here only when
  asked (``--commit`` on the command line, ``committed=True`` in Python); commit the files to git.

Every record states its ``record_schema``. Readers accept every schema ever committed:
:func:`read_records` upgrades older records (schema 1 had no ``record_schema`` field, and its latency
tables no ``group`` column) to the current one.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from attnlib.files import atomic_write_text
from attnlib.paper import data_root

REPOSITORY = Path(__file__).resolve().parents[1]
"""The checkout attnlib runs from (records name paths relative to it)."""

RECORD_SCHEMA = 2
"""Version of the record format written now. 1: no ``record_schema`` field and no latency ``group``
column; 2: ``record_schema`` in the JSON, ``group`` (the group's baseline model) in latency tables."""

COMMITTED, AD_HOC = "results", "runs"


def records_root(committed: bool = False) -> Path:
    """``data/results`` (committed records, shown by the book) or ``data/runs`` (ad-hoc, git-ignored)."""
    return data_root() / (COMMITTED if committed else AD_HOC)


_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.~-])/(?:[\w.+-]+/)*[\w.+-]+/?")
"""An absolute path inside a text: a slash that no word, URL scheme, path or ``~`` precedes."""


def portable(value: Any) -> Any:
    """``value`` (a record's provenance, nested dicts and lists) with no path of this machine in it.

    A record travels (committed, read on other machines): the data root becomes ``data`` and the
    repository's own folder is dropped, so ``/home/me/attnlib/data/datasets/fashion-mnist`` reads
    ``data/datasets/fashion-mnist``; the home folder becomes ``~``; any other absolute path keeps its
    last part only, as ``…/fashion-mnist``.
    """
    if isinstance(value, dict):
        return {key: portable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [portable(item) for item in value]
    if not isinstance(value, str) or "/" not in value:
        return value
    text = value
    replacements = [(str(data_root().resolve()), "data"), (str(data_root()), "data")]
    replacements += [(str(REPOSITORY) + "/", ""), (str(REPOSITORY), "."), (str(Path.home()), "~")]
    for prefix, replacement in replacements:
        if prefix not in ("/", ".", ""):
            text = text.replace(prefix, replacement)
    return _ABSOLUTE_PATH.sub(lambda match: "…/" + match.group(0).rstrip("/").rsplit("/", 1)[-1], text)


def write_record(
    kind: str,
    name: str,
    table: pd.DataFrame,
    record_provenance: dict[str, Any],
    root: Path | None = None,
    committed: bool = False,
) -> Path:
    """Write ``table`` and its provenance as ``<root>/<kind>/<name>-<UTC time>.{csv,json}``.

    ``root`` defaults to :func:`records_root`: ``data/runs`` (ad hoc), or ``data/results`` with
    ``committed`` (what the book shows). Returns the CSV path. Raises ``FileExistsError`` rather
    than overwrite an existing record.
    """
    folder = (root or records_root(committed)) / kind
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    csv_path = folder / f"{name}-{stamp}.csv"
    json_path = csv_path.with_suffix(".json")
    if csv_path.exists() or json_path.exists():
        raise FileExistsError(f"refusing to overwrite the run record {csv_path}")
    text = json.dumps(portable(json.loads(json.dumps(record_provenance, default=str))), indent=2, sort_keys=True)
    atomic_write_text(json_path, text + "\n")
    atomic_write_text(csv_path, table.to_csv(index=False))
    return csv_path


def read_records(kind: str, root: Path | None = None) -> list[tuple[pd.DataFrame, dict[str, Any]]]:
    """All complete records of ``kind`` (CSV with its JSON), oldest first, upgraded to the current schema.

    ``root`` defaults to the committed records (``data/results``), the only ones the book shows.
    """
    folder = (root or records_root(committed=True)) / kind
    pairs = [(c, c.with_suffix(".json")) for c in sorted(folder.glob("*.csv")) if c.with_suffix(".json").is_file()]
    # Read once per state of each folder (a campaign plan asks for the same records once per run; one page
    # reads the Fashion records for its table, its schedule evidence and its int8 rows); callers get
    # copies, so none can change what another reads.
    place = (str(folder.resolve()), kind)
    stamp = tuple((c.name, *_stat(c), *_stat(j)) for c, j in pairs)
    cached = _READ_CACHE.pop(place, None)
    if cached is None or cached[0] != stamp:
        cached = (stamp, [upgrade_record(kind, pd.read_csv(c), json.loads(j.read_text())) for c, j in pairs])
    _READ_CACHE[place] = cached  # newest last: the least recently read folder is dropped first
    while len(_READ_CACHE) > READ_CACHE_FOLDERS:
        del _READ_CACHE[next(iter(_READ_CACHE))]
    return [(table.copy(), copy.deepcopy(record)) for table, record in cached[1]]


READ_CACHE_FOLDERS = 8
"""How many (folder, kind) reads :func:`read_records` keeps: the committed kinds a page reads in turn
fit, while the temporary folders of a test session do not pile up for the life of the process."""

# One entry per (folder, kind): reading another kind of record does not drop this one.
_READ_CACHE: dict[tuple[str, str], tuple[tuple[Any, ...], list[tuple[pd.DataFrame, dict[str, Any]]]]] = {}


def _stat(path: Path) -> tuple[int, int]:
    """What tells a changed file: its size and modification time (ns)."""
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def upgrade_record(kind: str, table: pd.DataFrame, record: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A record of any committed schema in the current one (:data:`RECORD_SCHEMA`)."""
    schema = int(record.get("record_schema", 1))
    if schema > RECORD_SCHEMA:
        raise ValueError(f"record schema {schema} is newer than this attnlib reads ({RECORD_SCHEMA}); update attnlib")
    record = {**record, "record_schema": RECORD_SCHEMA, "read_from_schema": schema}
    if schema < 2 and kind == "latency":
        if "group" not in table.columns and "model" in table.columns:
            # Schema 1 grouped by the baseline model only implicitly: each group was one model's variants.
            table = table.assign(group=table["model"])
        if record.get("profile") == "paper" and int(record.get("trials", 0)) < 1000:
            # Schema 1's `attnlib bench` labelled every run `paper` by default; the paper used 1000 trials.
            record["profile"] = f"ad hoc ({record.get('trials')} trials; schema 1 recorded bench's old default 'paper')"
    return table, record


def record_labels(record: dict[str, Any]) -> dict[str, Any]:
    """What a shown record is labelled with: its profile, hardware (GPU, else CPU), CPU threads,
    date and short commit — one spelling for every table of records."""
    return {
        "profile": record.get("profile"),
        "hardware": record.get("gpu") or record.get("cpu"),
        "threads": record.get("torch_threads"),
        "date": record.get("date"),
        "commit": str(record.get("git_commit"))[:10],
    }


def provenance_table(record_provenance: dict[str, Any]) -> pd.DataFrame:
    """A two-column table of a provenance record, for display under a result: booleans in words,
    missing values as "none", and the chapter's settings (a Python repr) as code."""
    import html

    def shown(field: str, value: Any) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if value is None:
            return "none"
        if field == "settings":
            return f"<code>{html.escape(str(value))}</code>"
        return str(value)

    return pd.DataFrame(
        {"field": list(record_provenance), "value": [shown(k, v) for k, v in record_provenance.items()]}
    )
