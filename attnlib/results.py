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
import functools
import json
import os
import platform
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import torch

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


@functools.cache
def code_version() -> tuple[str | None, str | None]:
    """The commit (and uncommitted changes) of the code this process runs: read once, at its first
    record. A campaign runs for hours while the checkout may move on; every record it writes names
    the commit it started from, not the one checked out when the record happened to be written."""
    commit = _git("rev-parse", "HEAD") or os.environ.get("ATTNLIB_GIT_COMMIT")
    return commit, _git("status", "--porcelain", "--untracked-files=no")


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


DECISIVE_CPU_FEATURES = (
    "avx2",
    "avx512f",
    "avx512_bf16",
    "avx512_vnni",
    "avx_vnni",
    "amx_bf16",
    "amx_int8",
    "amx_tile",
)
"""The instruction-set extensions that decide how fast a CPU trains and infers in bf16 and int8."""


def cpu_features() -> list[str]:
    """Which of :data:`DECISIVE_CPU_FEATURES` this CPU has (its /proc/cpuinfo flags; empty elsewhere).

    bf16 autocast is fast only with AVX-512 BF16 or AMX, int8 with VNNI or AMX: a record's speed
    means little without them.
    """
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return [feature for feature in DECISIVE_CPU_FEATURES if feature in flags]
    return []


NATIVE_BF16_FEATURES = ("amx_bf16", "avx512_bf16")
"""Either gives a CPU native bf16 arithmetic: without one, bf16 autocast may run slower than fp32."""


def has_native_bf16(features: list[str] | None = None) -> bool:
    """Whether a CPU with these features (this CPU's when None) computes bf16 natively."""
    return any(feature in (cpu_features() if features is None else features) for feature in NATIVE_BF16_FEATURES)


def machine_name(cpu: str, features: list[str], cores: int | None = None) -> str:
    """``2-core Intel(R) Xeon(R) Processor with AMX``: a CPU by its model, cores and the native bf16 it has
    (or not) — what decides whether its bf16 timings carry to another machine. The one name records are
    grouped and compared by; a sentence puts "the" before it."""
    if "amx_bf16" in features:
        bf16 = " with AMX"
    elif "avx512_bf16" in features:
        bf16 = " with AVX-512 BF16"
    else:
        bf16 = " without native bf16"
    return f"{cores}-core {cpu}{bf16}" if cores else f"{cpu}{bf16}"


def gpu_details() -> dict[str, Any]:
    """The visible GPU's particulars for a record (empty without CUDA): CUDA and cuDNN versions, the
    TF32 and cuDNN-autotuning switches in force, multiprocessors and memory, and what ``nvidia-smi``
    reads (driver, clocks now and at most, power limit) where it answers within 10 s."""
    if not torch.cuda.is_available():
        return {}
    properties = torch.cuda.get_device_properties(0)
    details: dict[str, Any] = {
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "gpu_multiprocessors": properties.multi_processor_count,
        "gpu_memory_gib": round(properties.total_memory / 2**30, 1),
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
    }
    try:
        details["tf32_default"] = {
            "cudnn": torch.backends.cudnn.allow_tf32,
            "matmul": torch.backends.cuda.matmul.allow_tf32,
        }
    except RuntimeError as error:  # PyTorch >= 2.9 refuses legacy reads after mixed settings
        details["tf32_default"] = f"unreadable: {str(error)[:80]}"
    fields = "driver_version,clocks.sm,clocks.mem,clocks.max.sm,clocks.max.mem,power.limit,pstate"
    try:
        answer = subprocess.run(
            ["nvidia-smi", f"--query-gpu={fields}", "--format=csv,noheader"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return details
    if answer.returncode == 0 and answer.stdout.strip():
        values = [value.strip() for value in answer.stdout.splitlines()[0].split(",")]
        details["nvidia_smi"] = dict(zip(fields.split(","), values, strict=False))
    return details


def torchvision_version() -> str | None:
    """torchvision's ``__version__`` (e.g. ``0.29.1+cu130``) without importing it where it is not loaded yet:
    importing torchvision costs ~2 s, and every record and executed page asks for its version. Read
    from the installed package's ``version.py``; None where torchvision is not installed."""
    import importlib.util
    import re
    import sys

    loaded = sys.modules.get("torchvision")
    if loaded is not None:
        return str(loaded.__version__)
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return None
    source = Path(next(iter(spec.submodule_search_locations))) / "version.py"
    try:
        found = re.search(r"^__version__ = ['\"]([^'\"]+)['\"]", source.read_text(), re.MULTILINE)
    except OSError:  # a build without version.py
        found = None
    if found is None:  # the distribution's version, which can lack the local part (``+cu130``): say so
        import importlib.metadata

        return importlib.metadata.version("torchvision") + " (from package metadata)"
    return found.group(1)


def provenance(profile: str, **extra: Any) -> dict[str, Any]:
    """Where, when and with what a result was produced.

    Args:
        profile: the run profile (``smoke``, ``default`` or ``paper``).
        **extra: run options to record alongside (engine, trials, dataset, ...).
    """
    from attnlib import __version__

    commit, dirty = code_version()
    record = {
        "record_schema": RECORD_SCHEMA,
        "profile": profile,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": commit,
        "git_dirty": bool(dirty) if dirty is not None else None,
        "cpu": cpu_model(),
        "cpu_features": cpu_features(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        **gpu_details(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torchvision": torchvision_version(),
        "attnlib": __version__,
    }
    record.update(extra)
    return record


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
