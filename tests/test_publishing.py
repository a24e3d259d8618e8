"""The published book's metadata: the GitHub Pages workflow and the citation file validate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def test_the_workflow_validates_against_githubs_workflow_schema() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    if not checker.exists():
        pytest.skip("check-jsonschema is not installed (make setup installs it)")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_builds_with_the_readmes_commands_and_deploys_to_pages() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    jobs = workflow["jobs"]
    steps = {job: [step.get("run", "") + step.get("uses", "") for step in spec["steps"]] for job, spec in jobs.items()}
    assert any(step.startswith("make book") for step in steps["build"])
    assert any(step == "make test" for step in steps["test"])
    assert any(step.startswith("actions/upload-pages-artifact") for step in steps["build"])
    assert any(step.startswith("actions/deploy-pages") for step in steps["deploy"])
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    python = [
        s["with"]["python-version"]
        for spec in jobs.values()
        for s in spec["steps"]
        if "with" in s and "python-version" in s["with"]
    ]
    assert python and set(python) == {"3.11"}
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme


def test_citation_cff_validates_and_cites_the_paper() -> None:
    schema = json.loads((ROOT / "tests" / "data" / "citation-cff-1.2.0.schema.json").read_text())
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    jsonschema.validate(citation, schema)
    paper = citation["preferred-citation"]
    assert paper["doi"] == "10.1007/s11063-023-11161-z"
    assert [a["family-names"] for a in paper["authors"]] == ["Klomp", "Wijnhoven", "de With"]


def test_a_broken_citation_file_is_refused() -> None:
    """Guard: the validation above can fail."""
    schema = json.loads((ROOT / "tests" / "data" / "citation-cff-1.2.0.schema.json").read_text())
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    del citation["authors"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(citation, schema)


def cited_keys() -> set[str]:
    """Every key cited with {cite}`…` in the chapters and the book's pages."""
    import re

    keys: set[str] = set()
    for path in [*sorted((ROOT / "notebooks").glob("*.py")), *sorted((ROOT / "book").glob("*.md"))]:
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", path.read_text()):
            keys.update(key.strip() for key in group.split(","))
    return keys


def test_every_citation_resolves_to_an_entry_of_the_bibliography() -> None:
    import re

    bib = (ROOT / "book" / "references.bib").read_text()
    entries = set(re.findall(r"^@\w+\{([^,\s]+),", bib, flags=re.MULTILINE))
    cited = cited_keys()
    assert {"klomp2023", "hu2018se", "wang2020eca", "lee2019srm", "wang2019multise"} <= cited
    assert cited <= entries, f"cited without an entry: {sorted(cited - entries)}"
    assert "10.1007/s11063-023-11161-z" in bib
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["bibtex_bibfiles"] == ["references.bib"]
    assert "{bibliography}" in (ROOT / "book" / "references.md").read_text()


def test_the_execution_report_reads_each_pages_run_record(tmp_path: Path) -> None:
    from attnlib.notebooks import NOTEBOOKS, execution_report
    from attnlib.provenance import provenance

    record = provenance("smoke", notebook="fig2_complexity", wall_seconds=12.34)
    record["parameters"] = {"profile": "smoke", "depths": [18, 50]}
    (tmp_path / "fig2_complexity.run.json").write_text(json.dumps(record, default=str))
    report = execution_report(tmp_path).set_index("chapter")
    assert list(report.index) == [name for name in NOTEBOOKS if name != "execution_report"]
    row = report.loc["fig2_complexity"]
    assert row.profile == "smoke" and row["other parameters"] == "depths=[18, 50]"
    assert row["wall time (s)"] == 12.3 and row.attnlib == record["attnlib"]
    assert report.loc["fig1_modules"].profile == "not recorded"
