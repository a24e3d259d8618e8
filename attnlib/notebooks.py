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
from attnlib.files import atomic_write, atomic_write_text
from attnlib.profiles import require_profile
from attnlib.provenance import provenance

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
    # before the run: a record committed while the page executes must make the next build rerun it
    inputs = page_inputs(name, profile, {k: v for k, v in values.items() if k not in ("profile", "pages")})
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
    record = provenance(
        profile,
        notebook=name,
        parameters=values,
        wall_seconds=time.perf_counter() - started,
        inputs=inputs,
    )
    atomic_write_text(output_dir / f"{name}.run.json", json.dumps(record, indent=2, default=str) + "\n")
    failed.unlink(missing_ok=True)
    return output


# The committed record kinds (folders of data/results) each page reads; a page not listed reads them all.
RECORDS_READ: dict[str, tuple[str, ...]] = {
    "fig1_modules": (),
    "fig2_complexity": (),
    "fig3_latency_depth": ("latency",),
    "fig5_resolution": ("latency",),
    "fig6_batch_size": ("latency",),
    "table1_cifar": ("cifar",),
    "table3_finetune": ("cifar", "imagenet"),
    "table4_coco": ("detection",),
    "table5_bdd100k": ("detection",),
    "beyond_attention_zoo": ("latency",),
    "beyond_fashion_mnist": ("fashion", "latency"),
}


def _digest(paths: list[Path], root: Path) -> str:
    """SHA-256 over the relative names and bytes of ``paths`` (sorted)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(paths):
        name = path.relative_to(root) if path.is_relative_to(root) else path.name
        digest.update(str(name).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def page_inputs(name: str, profile: str, parameters: dict[str, Any]) -> dict[str, str]:
    """What determines a page, each as a digest: its notebook source, parameters and profile, the attnlib
    code it runs, the committed records it reads, the paper's data, the pinned environment, the datasets
    present and the machine (pages that time this machine depend on it; it is cheap to key them all).

    Two builds with equal inputs produce the same page (up to timing noise), so ``make book`` reuses it.
    """
    import hashlib
    import os
    import platform

    from attnlib.paper import data_root

    root = project_root()
    data = data_root()
    kinds = RECORDS_READ.get(name)
    results = data / "results"
    folders = [results / kind for kind in kinds] if kinds is not None else [results]
    records = [path for folder in folders if folder.is_dir() for path in folder.rglob("*") if path.is_file()]
    fashion_files = ["absent"]
    try:
        from attnlib.train import fashion

        folder = fashion.find_folder()
        fashion_files = [f"{folder / file}:{(folder / file).stat().st_size}" for file in fashion.FILES]
    except (OSError, ImportError):
        pass
    machine = [platform.machine(), platform.processor(), str(os.cpu_count()), os.environ.get("OMP_NUM_THREADS", "")]
    try:
        machine.append(Path("/proc/cpuinfo").read_text().split("model name")[1].splitlines()[0])
    except (OSError, IndexError):
        pass
    text = {
        "parameters": json.dumps({"profile": profile, **parameters}, sort_keys=True, default=str),
        "datasets": "\n".join(fashion_files),
        "machine": "\n".join(machine),
    }
    inputs = {
        "notebook": _digest([notebook_source(name)], root),
        "attnlib": _digest(list((root / "attnlib").rglob("*.py")), root),
        "records": _digest(records, data) if records else "none",
        "paper_data": _digest([p for p in (data / "paper").glob("*") if p.is_file()], data),
        "environment": _digest([root / "requirements.txt"], root),
        **{key: hashlib.sha256(value.encode()).hexdigest() for key, value in text.items()},
    }
    return inputs


def reusable(name: str, output_dir: Path, inputs: dict[str, str]) -> dict[str, Any] | None:
    """The run record of the page in ``output_dir`` when it was made from exactly ``inputs``, else None."""
    page, run = output_dir / f"{name}.ipynb", output_dir / f"{name}.run.json"
    if not page.is_file() or not run.is_file():
        return None
    try:
        record = json.loads(run.read_text())
    except ValueError:
        return None
    return record if record.get("inputs") == inputs else None


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


def _build_states(folder: Path) -> dict[str, str]:
    """Per page, what the last ``attnlib notebooks`` did with it: "executed", or "reused" (its inputs
    had not changed since the date in "executed (UTC)")."""
    path = folder / BUILD_STATE
    try:
        states = json.loads(path.read_text()) if path.is_file() else {}
    except ValueError:
        return {}
    return {
        name: "reused: inputs unchanged" if item.get("state") == "reused" else "executed"
        for name, item in states.items()
    }


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
                "last build": _build_states(folder).get(name, "executed"),
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
    force: bool = False,
) -> dict[str, str]:
    """Execute every notebook (or ``names``); keep going past failures and report each one.

    An unknown profile is refused before anything runs. A page whose inputs (:func:`page_inputs`)
    are those it was made from is reused, not re-executed, unless ``force``; the execution report
    (always re-executed: it reads the others) names the reused pages and when they were executed.

    ``on_progress(index, name, outcome)`` is called before each notebook (``outcome`` None) and after
    it, so a caller can show what runs now. Returns ``{name: "ok (12.3 s)" | "reused (executed …)" |
    "FAILED: <reason>"}``.
    """
    require_profile(profile)
    folder = Path(output_dir or project_root() / "book" / "notebooks")
    report = {}
    for index, name in enumerate(names or list(NOTEBOOKS)):
        if on_progress is not None:
            on_progress(index, name, None)
        start = time.perf_counter()
        try:
            kept = None if force or name == REPORT else reusable(name, folder, page_inputs(name, profile, {}))
            if kept is not None:
                report[name] = f"reused (executed {kept.get('date')})"
                _write_build_state(folder, name, "reused", kept.get("date"))
                if on_progress is not None:
                    on_progress(index, name, report[name])
                continue
            execute(name, profile, output_dir)
            report[name] = f"ok ({time.perf_counter() - start:.1f} s)"
            _write_build_state(folder, name, "executed", None)
        except Exception as error:
            lines = str(error).strip().splitlines()
            report[name] = f"FAILED: {type(error).__name__}: {lines[-1] if lines else ''}"
            log.error("notebook %s failed: %s", name, error)
        if on_progress is not None:
            on_progress(index, name, report[name])
    return report


BUILD_STATE = "build.json"


def _write_build_state(folder: Path, name: str, state: str, executed: str | None) -> None:
    """Note in ``<pages>/build.json`` whether the last build executed or reused ``name`` (the report shows it)."""
    path = folder / BUILD_STATE
    try:
        states = json.loads(path.read_text()) if path.is_file() else {}
    except ValueError:
        states = {}
    states[name] = {"state": state, "executed": executed}
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(states, indent=1) + "\n")
