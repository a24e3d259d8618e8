"""Run the book's notebooks with papermill: one table maps each notebook to its parameters.

Notebooks live in ``notebooks/`` as jupytext percent-format ``.py`` files with one cell tagged
``parameters``. :func:`execute` converts one to ``.ipynb``, injects ``profile`` and any other
parameters with papermill, executes it and writes the executed notebook where the book expects it
(``book/notebooks/<name>.ipynb``), in the reader's view (:func:`reader_view`: code folded). Rerunning
one figure at another profile or on other hardware is ``attnlib notebook fig2_complexity -p profile paper``.

A failed run never replaces a good page: the notebook executes into a temporary file that replaces
the page only on success; a failure is kept beside it as ``<name>.failed.ipynb`` (outside the
book's table of contents) and raised as :class:`NotebookFailed` with the reason on one line.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attnlib import names
from attnlib.errors import NotebookFailed
from attnlib.profiles import require_profile
from attnlib.results import atomic_write, atomic_write_text, provenance

if TYPE_CHECKING:
    import pandas as pd

# The book's notebooks, in book order. Each takes ``profile`` and derives its settings from its
# chapter module (``attnlib.reproduce.<chapter>.SETTINGS``); other parameters are the notebook's own.
NOTEBOOKS: tuple[str, ...] = names.NOTEBOOKS
REPORT = "execution_report"

log = logging.getLogger(__name__)



def _papermill_value(value: Any) -> Any:
    """A parameter papermill can write as a literal: tuples become lists (papermill would quote them)."""
    if isinstance(value, tuple | list):
        return [_papermill_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _papermill_value(item) for key, item in value.items()}
    return value


def project_root() -> Path:
    """The checkout holding ``notebooks/`` and ``book/``."""
    return Path(__file__).resolve().parents[1]


def _local_kernel(folder: Path) -> Any:
    """Kernel-manager config: talk to the kernel over Unix sockets in ``folder``, not TCP.

    Nothing leaves the machine, and the kernel no longer warns on every run that it is "running over
    TCP without encryption"; the sockets live in the run's temporary folder, so concurrent runs never
    share them.
    """
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(folder / "kernel")
    return config


def notebook_source(name: str) -> Path:
    """Path of the jupytext source of notebook ``name``, with a clear error for unknown names."""
    path = project_root() / "notebooks" / f"{name}.py"
    if name not in NOTEBOOKS or not path.is_file():
        raise ValueError(f"unknown notebook {name!r}; valid names are {', '.join(NOTEBOOKS)}")
    return path


def execute(
    name: str,
    profile: str = "default",
    output_dir: Path | None = None,
    parameters: dict[str, Any] | None = None,
    kernel_name: str = "python3",
    progress: bool = False,
) -> Path:
    """Execute notebook ``name`` at ``profile`` and return the executed ``.ipynb`` path.

    The page is replaced only when every cell succeeded. Raises :class:`NotebookFailed` (cell,
    exception, path of the kept ``<name>.failed.ipynb``) if a cell fails; the previous page stays.
    ``progress`` shows papermill's per-cell progress bar.

    Beside each page it writes ``<name>.run.json``: the provenance of this execution (machine,
    threads, versions, commit, date), its profile and parameters and its wall time, which the
    execution report page shows. The report itself is told where the pages are (``pages``).
    """
    import jupytext
    import papermill
    from papermill.exceptions import PapermillExecutionError

    parameters = dict(parameters or {})
    profile = require_profile(parameters.pop("profile", profile))
    source = notebook_source(name)
    output_dir = Path(output_dir or project_root() / "book" / "notebooks")
    output_dir.mkdir(parents=True, exist_ok=True)
    if name == REPORT:
        parameters.setdefault("pages", str(output_dir))
    values = {"profile": profile, **parameters}
    values = {key: _papermill_value(value) for key, value in values.items()}
    output = output_dir / f"{name}.ipynb"
    failed = output_dir / f"{name}.failed.ipynb"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        unexecuted = Path(scratch) / f"{name}.ipynb"
        executed = Path(scratch) / f"{name}.executed.ipynb"
        jupytext.write(jupytext.read(source), unexecuted)
        try:
            papermill.execute_notebook(
                str(unexecuted),
                str(executed),
                parameters=values,
                kernel_name=kernel_name,
                cwd=str(project_root()),
                progress_bar=progress,
                config=_local_kernel(Path(scratch)),
            )
        except PapermillExecutionError as error:
            if executed.is_file():  # copied, not renamed: the scratch folder may be on another filesystem
                atomic_write(failed, lambda stream: stream.write(executed.read_bytes()))
            reason = f"{error.ename}: {str(error.evalue).strip().splitlines()[-1] if str(error.evalue).strip() else ''}"
            raise NotebookFailed(
                f"notebook {name} failed in cell {error.exec_count} — {reason}. The page "
                f"{output} is unchanged; the failed notebook is kept at {failed}"
            ) from None
        page = reader_view(executed.read_bytes())
        atomic_write(output, lambda stream: stream.write(page))
    record = provenance(profile, notebook=name, parameters=values, wall_seconds=time.perf_counter() - started)
    atomic_write_text(output_dir / f"{name}.run.json", json.dumps(record, indent=2, default=str) + "\n")
    failed.unlink(missing_ok=True)
    return output


HIDE_INPUT, REMOVE_CELL = "hide-input", "remove-cell"
PARAMETER_TAGS = ("parameters", "injected-parameters")


def reader_view(notebook: bytes) -> bytes:
    """The executed notebook as the book shows it: no code in the reader's way.

    Readers come for the figures and tables. A code cell with outputs keeps them and folds its source
    under "Show code cell source" (``hide-input``); the parameters cells (ours and papermill's
    injected one) are folded the same way, never removed, so rerunning stays obvious; a code cell
    with no output (imports, set-up) is left out of the page (``remove-cell``) — it is in the
    ``.ipynb`` and ``.py`` the page's download menu offers. Outputs are untouched.
    """
    data = json.loads(notebook)
    for cell in data.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        shown = cell.get("outputs") or any(tag in tags for tag in PARAMETER_TAGS)
        tag = HIDE_INPUT if shown else REMOVE_CELL
        if tag not in tags:
            tags.append(tag)
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode()


def execution_report(pages: Path | None = None) -> pd.DataFrame:
    """How each page of the book was produced: one row per notebook with its ``<name>.run.json``.

    Columns: the chapter, its profile and other parameters, the machine (GPU, else CPU and threads),
    the wall time, the date (UTC) and commit of the execution, and the attnlib and torch versions.
    A page executed before these records existed is listed as "not recorded".
    """
    import pandas as pd

    folder = Path(pages or project_root() / "book" / "notebooks")
    rows = []
    for name in NOTEBOOKS:
        if name == REPORT:
            continue
        path = folder / f"{name}.run.json"
        if not path.is_file():
            rows.append({"chapter": name, "profile": "not recorded"})
            continue
        record = json.loads(path.read_text())
        others = {k: v for k, v in record.get("parameters", {}).items() if k not in ("profile", "pages")}
        machine = record.get("gpu") or f"{record.get('cpu')} ({record.get('torch_threads')} threads)"
        rows.append(
            {
                "chapter": name,
                "profile": record.get("profile"),
                "other parameters": ", ".join(f"{k}={v}" for k, v in others.items()) or "—",
                "machine": machine,
                "wall time (s)": round(float(record.get("wall_seconds", float("nan"))), 1),
                "executed (UTC)": record.get("date"),
                "commit": str(record.get("git_commit"))[:10] + (" (dirty)" if record.get("git_dirty") else ""),
                "attnlib": record.get("attnlib"),
                "torch": record.get("torch"),
            }
        )
    return pd.DataFrame(rows)


def execute_all(
    profile: str = "default",
    output_dir: Path | None = None,
    names: list[str] | None = None,
    on_progress: Callable[[int, str, str | None], None] | None = None,
) -> dict[str, str]:
    """Execute every notebook (or ``names``); keep going past failures and report each one.

    An unknown profile is refused before anything runs.

    ``on_progress(index, name, outcome)`` is called before each notebook (``outcome`` None) and after
    it, so a caller can show what runs now. Returns ``{name: "ok (12.3 s)" | "FAILED: <reason>"}``.
    """
    require_profile(profile)
    report = {}
    for index, name in enumerate(names or list(NOTEBOOKS)):
        if on_progress is not None:
            on_progress(index, name, None)
        start = time.perf_counter()
        try:
            execute(name, profile, output_dir)
            report[name] = f"ok ({time.perf_counter() - start:.1f} s)"
        except Exception as error:
            lines = str(error).strip().splitlines()
            report[name] = f"FAILED: {type(error).__name__}: {lines[-1] if lines else ''}"
            log.error("notebook %s failed: %s", name, error)
        if on_progress is not None:
            on_progress(index, name, report[name])
    return report
