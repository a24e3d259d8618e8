"""Project hygiene: pinned environments agree, notebooks are parameterised, paper data loads, lint."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from attnlib import paper
from attnlib.notebooks import NOTEBOOKS, notebook_source

ROOT = Path(__file__).resolve().parents[1]


def requirement_pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_environment_yml_matches_requirements():
    requirements = requirement_pins((ROOT / "requirements.txt").read_text().splitlines())
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert requirement_pins(pip_section) == requirements
    assert requirements["torch"] == "2.14.1" and requirements["torchvision"] == "0.29.1"
    assert requirements["jupyter-book"].startswith("1.")


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_notebook_has_one_parameters_cell_with_profile(name):
    import jupytext

    notebook = jupytext.read(notebook_source(name))
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert re.search(r"^profile\s*=\s*\"default\"", tagged[0].source, re.MULTILINE)


def test_every_notebook_file_is_registered_and_in_the_toc():
    files = {p.stem for p in (ROOT / "notebooks").glob("*.py")}
    assert files == set(NOTEBOOKS)
    toc = (ROOT / "book" / "_toc.yml").read_text()
    for name in NOTEBOOKS:
        assert f"notebooks/{name}" in toc


@pytest.mark.parametrize("table", list(paper.TABLES))
def test_paper_tables_load_with_sources(table):
    frame = paper.load(table)
    assert len(frame) > 0
    if table != "errata":
        assert frame["source"].notna().all()


def test_unknown_paper_table():
    with pytest.raises(ValueError, match="table1"):
        paper.load("table9")


def test_readme_starts_with_the_two_commands():
    head = "\n".join((ROOT / "README.md").read_text().splitlines()[:15])
    assert "make book" in head and "make test" in head
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(), reason="ruff not installed"
)
def test_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run([ruff, "check", "attnlib", "tests", "notebooks"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
