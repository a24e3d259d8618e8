"""Execute every notebook at profile=smoke with papermill and build the book from them with -W."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from attnlib.notebooks import NOTEBOOKS, execute_all

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def smoke_book(tmp_path_factory) -> Path:
    """A scratch copy of the book whose notebooks were executed at the smoke profile."""
    scratch = tmp_path_factory.mktemp("book")
    shutil.copy(ROOT / "_config.yml", scratch / "_config.yml")
    shutil.copytree(ROOT / "book", scratch / "book", ignore=shutil.ignore_patterns("_build", "notebooks"))
    report = execute_all("smoke", scratch / "book" / "notebooks")
    failures = {name: outcome for name, outcome in report.items() if not outcome.startswith("ok")}
    assert not failures, failures
    return scratch


@pytest.mark.book
@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_notebook_executes_at_smoke(smoke_book, name):
    import nbformat

    notebook = nbformat.read(smoke_book / "book" / "notebooks" / f"{name}.ipynb", as_version=4)
    errors = [
        o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors
    assert notebook.metadata["papermill"]["parameters"]["profile"] == "smoke"


@pytest.mark.book
def test_book_builds_with_warnings_as_errors(smoke_book):
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(smoke_book / "book"), "-W", "--keep-going"],
        capture_output=True,
        text=True,
        cwd=smoke_book,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    html = smoke_book / "_build" / "html"
    for name in NOTEBOOKS:
        page = (html / "notebooks" / f"{name}.html").read_text()
        assert "Traceback" not in page
    assert "Smoke profile" in (html / "notebooks" / "fig2_complexity.html").read_text()
    for name in ("table1_cifar", "table2_imagenet", "table3_finetune", "table4_coco", "table5_bdd100k"):
        assert "Synthetic data" in (html / "notebooks" / f"{name}.html").read_text()
    report = (html / "notebooks" / "execution_report.html").read_text()
    chapters = [name for name in NOTEBOOKS if name != "execution_report"]
    assert all(name in report for name in chapters)
    assert report.count(">smoke</td>") == len(chapters)  # every page's profile, from its run record
    references = (html / "references.html").read_text()
    assert "squeeze-and-excitation networks" in references.lower() and "Neural Processing Letters" in references
    assert "references.html#" in (html / "intro.html").read_text()  # the intro's citation links there
    for name in ("fig3_latency_depth", "fig5_resolution", "fig6_batch_size"):
        assert "Profile <code" in (html / "notebooks" / f"{name}.html").read_text()
