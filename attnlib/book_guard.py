"""A Sphinx extension that refuses to build a book from missing or failed notebooks.

``jupyter-book build book`` renders notebooks that papermill executed beforehand (``make book``);
the book itself never executes them. Without this guard a fresh clone builds an almost empty book
with a screenful of warnings, and a notebook whose execution failed is published with its
traceback. At the start of every build (``builder-inited``) this checks each notebook in the table
of contents: it must exist under ``book/notebooks/`` and hold no error output. Otherwise the build
stops with one message naming the notebooks and the command to run first.

Enabled in ``_config.yml`` under ``sphinx: extra_extensions``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

RUN_FIRST = (
    "The book renders notebooks executed beforehand: run `make book` (or `attnlib notebooks`, then "
    "`jupyter-book build book`), or rerun one with `attnlib notebook NAME`."
)


class NotebooksNotReady(Exception):
    """Executed notebooks are missing or hold errors; the message says which and what to run."""


def _toc_files(entries: Any) -> Iterator[str]:
    if isinstance(entries, dict):
        if "file" in entries:
            yield str(entries["file"])
        for value in entries.values():
            yield from _toc_files(value)
    elif isinstance(entries, list):
        for item in entries:
            yield from _toc_files(item)


def notebook_problems(book: Path) -> list[str]:
    """One line per table-of-contents notebook that is missing or holds an error output."""
    import yaml

    toc = yaml.safe_load((book / "_toc.yml").read_text())
    problems = []
    for entry in [toc.get("root", ""), *_toc_files(toc)]:  # the root is a notebook too (the front page)
        if not entry.startswith("notebooks/"):
            continue
        path = book / f"{entry}.ipynb"
        if not path.is_file():
            problems.append(f"{path} is missing (not executed yet)")
            continue
        cells = json.loads(path.read_text()).get("cells", [])
        for index, cell in enumerate(cells):
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors:
                problems.append(
                    f"{path} holds an error in cell {index}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
                )
                break
    return problems


def check_notebooks(app: Any) -> None:
    """``builder-inited`` handler: stop the build when a notebook is missing or failed."""
    problems = notebook_problems(Path(app.srcdir))
    if problems:
        from sphinx.errors import ExtensionError

        raise ExtensionError("the book cannot be built:\n  " + "\n  ".join(problems) + "\n" + RUN_FIRST)


def setup(app: Any) -> dict[str, Any]:
    """Register the check with Sphinx."""
    app.connect("builder-inited", check_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
