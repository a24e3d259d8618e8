"""Run the book's notebooks with papermill: one table maps each notebook to its parameters.

Notebooks live in ``notebooks/`` as jupytext percent-format ``.py`` files with one cell tagged
``parameters``. :func:`execute` converts one to ``.ipynb``, injects ``profile`` and any other
parameters with papermill, executes it and writes the executed notebook where the book expects it
(``book/notebooks/<name>.ipynb``). Rerunning one figure at another profile or on other hardware is
``attnlib notebook fig2_complexity -p profile paper``.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Any

PROFILES = ("smoke", "default", "paper")

# Notebook name -> extra parameters per profile (beyond ``profile`` itself, which every notebook
# takes and from which it derives its own defaults). Book order.
NOTEBOOKS: dict[str, dict[str, dict[str, Any]]] = {
    "fig1_modules": {},
    "fig2_complexity": {},
    "fig3_latency_depth": {},
    "fig5_resolution": {},
    "fig6_batch_size": {},
    "table1_cifar": {},
    "table2_imagenet": {},
    "fig4_tradeoff": {},
    "table3_finetune": {},
    "table4_coco": {},
    "table5_bdd100k": {},
}

log = logging.getLogger(__name__)


def project_root() -> Path:
    """The checkout holding ``notebooks/`` and ``book/``."""
    return Path(__file__).resolve().parents[1]


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
) -> Path:
    """Execute notebook ``name`` at ``profile`` and return the executed ``.ipynb`` path.

    Raises papermill's ``PapermillExecutionError`` (with the failing cell) if a cell fails; the
    partially executed notebook is still written for inspection.
    """
    import jupytext
    import papermill

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles are {', '.join(PROFILES)}")
    source = notebook_source(name)
    output_dir = Path(output_dir or project_root() / "book" / "notebooks")
    output_dir.mkdir(parents=True, exist_ok=True)
    values = {"profile": profile, **NOTEBOOKS[name].get(profile, {}), **(parameters or {})}
    with tempfile.TemporaryDirectory() as scratch:
        unexecuted = Path(scratch) / f"{name}.ipynb"
        jupytext.write(jupytext.read(source), unexecuted)
        output = output_dir / f"{name}.ipynb"
        papermill.execute_notebook(
            str(unexecuted),
            str(output),
            parameters=values,
            kernel_name=kernel_name,
            cwd=str(project_root()),
            progress_bar=False,
        )
    return output


def execute_all(
    profile: str = "default", output_dir: Path | None = None, names: list[str] | None = None
) -> dict[str, str]:
    """Execute every notebook (or ``names``); keep going past failures and report each one.

    Returns ``{name: "ok (12.3 s)" | "FAILED: <reason>"}``.
    """
    report = {}
    for name in names or list(NOTEBOOKS):
        start = time.perf_counter()
        try:
            execute(name, profile, output_dir)
            report[name] = f"ok ({time.perf_counter() - start:.1f} s)"
        except Exception as error:
            report[name] = (
                f"FAILED: {type(error).__name__}: {str(error).strip().splitlines()[-1] if str(error).strip() else ''}"
            )
            log.error("notebook %s failed: %s", name, error)
    return report
