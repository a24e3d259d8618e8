"""Every notebook executes at profile=smoke with papermill and the book builds from them with -W.

The executed scratch book and its HTML are session fixtures (``tests/conftest.py``), shared with the
browser test."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from attnlib.notebooks import NOTEBOOKS

ROOT = Path(__file__).resolve().parents[1]


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
def test_book_builds_with_warnings_as_errors(smoke_site):
    html = smoke_site
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
    assert "references.html#" in (html / "notebooks" / "intro.html").read_text()  # the front page cites the paper
    for name in ("fig3_latency_depth", "fig5_resolution", "fig6_batch_size"):
        assert "Profile <code" in (html / "notebooks" / f"{name}.html").read_text()


EXTERNAL_ASSET = re.compile(
    r"""<script[^>]*\ssrc=["'](?:https?:)?//|<link[^>]*\shref=["'](?:https?:)?//[^"']*["'][^>]*>|"""
    r"""url\(\s*["']?(?:https?:)?//|@import\s+["'](?:https?:)?//""",
    re.IGNORECASE,
)


@pytest.mark.book
def test_no_page_loads_anything_from_outside_the_site(smoke_site):
    """Scripts, style sheets and fonts all come from the built site (MathJax included): the book
    works offline. Links a reader may follow (the paper's DOI) are fine; assets are not."""
    offending = {}
    for path in [*smoke_site.rglob("*.html"), *smoke_site.joinpath("_static").rglob("*.css")]:
        found = [m.group(0)[:120] for m in EXTERNAL_ASSET.finditer(path.read_text(errors="replace"))]
        found = [text for text in found if "<link" not in text or "stylesheet" in text or "preload" in text]
        if found:
            offending[str(path.relative_to(smoke_site))] = found
    assert not offending, offending
    assert (smoke_site / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()
    assert "_static/mathjax/tex-mml-chtml.js" in (smoke_site / "notebooks" / "fig2_complexity.html").read_text()


@pytest.mark.book
@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_each_chapter_offers_its_ipynb_and_py(smoke_site, name):
    page = (smoke_site / "notebooks" / f"{name}.html").read_text()
    for suffix in (".ipynb", ".py"):
        assert f'href="../_sources/notebooks/{name}{suffix}"' in page
        assert (smoke_site / "_sources" / "notebooks" / f"{name}{suffix}").is_file()
    source = (smoke_site / "_sources" / "notebooks" / f"{name}.py").read_text()
    assert source == (ROOT / "notebooks" / f"{name}.py").read_text()


@pytest.mark.book
@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_reader_view_folds_code_and_keeps_the_parameters(smoke_book, name):
    """Every code cell of an executed page is folded (hide-input) or, without output, left out of the
    page (remove-cell); both parameters cells are folded, never removed."""
    import nbformat

    notebook = nbformat.read(smoke_book / "book" / "notebooks" / f"{name}.ipynb", as_version=4)
    for cell in (c for c in notebook.cells if c.cell_type == "code"):
        tags = cell.metadata.get("tags", [])
        if {"parameters", "injected-parameters"} & set(tags):
            assert "hide-input" in tags and "remove-cell" not in tags, tags
        else:
            assert ("hide-input" in tags) == bool(cell.outputs) and ("remove-cell" in tags) != bool(cell.outputs)


@pytest.mark.book
def test_every_executed_page_records_the_inputs_a_rebuild_compares(smoke_book: Path, monkeypatch) -> None:
    from attnlib import notebooks

    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # as the smoke book's kernels ran (conftest.smoke_book)
    pages = smoke_book / "book" / "notebooks"
    for name in notebooks.NOTEBOOKS:
        recorded = json.loads((pages / f"{name}.run.json").read_text())["inputs"]
        assert set(recorded) >= {"notebook", "attnlib", "records", "environment", "datasets", "machine"}
        if name == notebooks.REPORT:  # always executed again (it reads the other pages), outside their threads
            continue
        now = notebooks.page_inputs(name, "smoke", {})
        # records may be committed while the suite runs (a campaign on this machine); all else is as executed
        assert {k: v for k, v in recorded.items() if k != "records"} == {k: v for k, v in now.items() if k != "records"}


# What a reader must never see in a page's prose or tables: internal claim keys, Python booleans, nan.
UNREADABLE = re.compile(r"\b(True|False|nan|NaN|None)\b")
# a float in pandas' default six decimals ("4.100000"): a table shown without its precision
UNROUNDED = re.compile(r"(?<![\w.])\d+\.\d{6}(?![\w.])")


OBJECT_REPR = re.compile(r"<[\w.]+ object(?: at 0x[0-9a-f]+)?>")


@pytest.mark.book
def test_pages_speak_in_words_not_keys_booleans_or_nan(smoke_site):
    """Every chapter's text and tables (folded code cells excluded: they are code) are free of claim
    keys, booleans, nan and floats in pandas' default six decimals, and no figure was drawn with
    overlapping labels."""
    import nbformat
    from bs4 import BeautifulSoup

    from attnlib import paper

    keys = set(paper.load("figure_claims").claim) | set(paper.load("text").claim)
    found = {}
    for name in NOTEBOOKS:
        soup = BeautifulSoup((smoke_site / "notebooks" / f"{name}.html").read_text(), "html.parser")
        article = soup.find("article") or soup
        # an object's repr where a display was meant (an empty Markdown shows "<IPython…Markdown object>")
        bad_reprs = sorted(set(OBJECT_REPR.findall(article.get_text(" "))))
        for code in article.select("div.cell_input, .highlight, pre, code"):
            code.decompose()
        text = article.get_text(" ")
        bad = sorted(set(UNREADABLE.findall(text)) | {key for key in keys if re.search(rf"\b{key}\b", text)})
        bad += sorted(set(UNROUNDED.findall(text)))[:3] + bad_reprs
        if bad:
            found[name] = bad
        notebook = nbformat.read(smoke_site.parents[1] / "book" / "notebooks" / f"{name}.ipynb", as_version=4)
        streams = " ".join(o.get("text", "") for c in notebook.cells for o in c.get("outputs", []) if "text" in o)
        assert "LabelOverlapWarning" not in streams, name
    assert not found, found


NETWORK_KEY = re.compile(r"(cifar_|faster_rcnn_|ssd512_)?resnet\d+")


def _table_problems(html: str) -> list[str]:
    """A page's tables that show pandas' row numbers (a first column 0, 1, 2, … of header cells) or name
    an engine or a network by its key (a cell that is exactly ``eager``, ``openvino``, ``cifar_resnet8`` …)
    instead of the words the figures use."""
    from bs4 import BeautifulSoup

    from attnlib.names import ENGINES

    problems = []
    for table in BeautifulSoup(html, "html.parser").find_all("table"):
        rows = table.find("tbody").find_all("tr") if table.find("tbody") else []
        firsts = [row.find(["th", "td"]) for row in rows]
        if len(rows) > 1 and all(cell is not None and cell.name == "th" for cell in firsts):
            if [cell.get_text(strip=True) for cell in firsts] == [str(i) for i in range(len(rows))]:
                problems.append(
                    "row numbers: "
                    + " | ".join(c.get_text(" ", strip=True) for c in rows[0].find_all(["th", "td"]))[:120]
                )
        cells = {cell.get_text(strip=True) for cell in table.find_all("td")}
        if cells & set(ENGINES):
            problems.append(f"engine keys {sorted(cells & set(ENGINES))}")
        networks = sorted(cell for cell in cells if NETWORK_KEY.fullmatch(cell))
        if networks:
            problems.append(f"network keys {networks[:5]}")
    return problems


def test_the_table_check_finds_row_numbers_and_engine_keys() -> None:
    """The check below can fail: pandas' plain HTML shows row numbers; a key left in a cell is found."""
    plain = pd.DataFrame({"engine": ["eager", "OpenVINO"], "network": ["cifar_resnet8", "ResNet-8"]}).to_html()
    assert len(_table_problems(plain)) == 3
    styled = pd.DataFrame({"engine": ["eager PyTorch", "OpenVINO"], "ms": [1.0, 2.0]}).style.hide(axis="index")
    assert _table_problems(styled.to_html()) == []


@pytest.mark.book
def test_no_table_shows_row_numbers_or_engine_keys(smoke_site):
    found = {}
    for page in sorted(smoke_site.rglob("*.html")):
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        problems = _table_problems(page.read_text())
        if problems:
            found[str(page.relative_to(smoke_site))] = problems
    assert not found, found


@pytest.mark.book
def test_the_front_page_states_findings_from_the_records_and_links_every_chapter(smoke_site):
    """Every number in the front page's findings is one of the numbers their committed records, the
    scorecard or the paper's tables hold (link texts, which name chapters, left out); every finding
    links its chapter, and the page links every chapter of the book."""
    from bs4 import BeautifulSoup

    from attnlib import findings

    found = findings.findings()
    soup = BeautifulSoup((smoke_site / "notebooks" / "intro.html").read_text(), "html.parser")
    section = soup.find("section", id="what-the-book-found")
    for code in section.select("div.cell_input, details, .highlight, pre"):
        code.decompose()
    hrefs = {a.get("href", "").split("#")[0] for a in soup.find_all("a")}
    for link in section.find_all("a"):
        link.decompose()
    text = section.get_text(" ").replace("\u2019", "'")  # Sphinx's smart quotes, back to the source's
    assert all(finding.title in text for finding in found) and len(found) >= 2
    typed = findings.numbers_in(text) - findings.allowed_numbers(found)
    assert not typed, typed
    chapters = {f"{name}.html" for name in NOTEBOOKS if name != "intro"} | {"../guide.html", "../api.html"}
    assert chapters <= hrefs, chapters - hrefs


def test_a_number_that_no_record_holds_is_caught() -> None:
    from attnlib.findings import Finding, allowed_numbers, numbers_in

    evidence = pd.DataFrame({"ms": [30.639845], "note": ["ResNet-50 at 224², 2 threads"]})
    finding = Finding("t", "ResNet-50 takes 30.6 ms on 2 threads, 12.5 % more than 224² suggests", "c", (evidence,))
    assert numbers_in(finding.text) - allowed_numbers([finding]) == {"12.5"}


def test_the_front_page_gives_one_line_per_machine_that_left_a_record(scratch_data: Path) -> None:
    """A second machine's committed records (here: copies of the first's, relabelled) add a line each to
    the engines, int8 and zoo findings instead of being passed over."""
    from attnlib import findings

    latency = scratch_data / "results" / "latency"
    for experiment in ("fig3_depth", "int8", "zoo"):
        for path in sorted(latency.glob(f"{experiment}-cpu-*.json")):
            record = json.loads(path.read_text())
            record.update(cpu="Second Test CPU", date="2026-12-31T00:00:00+00:00", session="second-machine")
            twin = path.with_name(path.stem.replace("-cpu-", "-cpu-twin-"))
            twin.with_suffix(".json").write_text(json.dumps(record))
            twin.with_suffix(".csv").write_text(path.with_suffix(".csv").read_text())
    for make in (findings.engines_finding, findings.int8_finding, findings.zoo_finding):
        found = make()
        assert found is not None and "AMD EPYC" in found.text and "Second Test CPU" in found.text, make.__name__
        assert not findings.numbers_in(found.text) - findings.allowed_numbers([found])


def test_the_real_image_finding_says_the_converged_campaign_is_under_way_until_it_is_quoted(monkeypatch) -> None:
    from attnlib import findings
    from attnlib.reproduce import fashion

    monkeypatch.setattr(fashion, "headline_campaign", lambda *a, **k: fashion.SHORT)
    finding = findings.real_images_finding()
    assert finding is not None and "The converged campaign (all 60 000 training images" in finding.text
    planned = len(fashion.runs("default"))
    assert f"of {planned} runs committed" in finding.text
    assert not findings.numbers_in(finding.text) - findings.allowed_numbers([finding])
    gains = fashion.gains(fashion.committed_finals("default"))
    if len(gains):  # the committed comparison so far, per network, with no verdict
        assert "too few seeds to decide anything yet" in finding.text
        assert all(network in finding.text for network in gains.network.unique())
    monkeypatch.setattr(fashion, "headline_campaign", lambda *a, **k: fashion.CONVERGED)
    assert "under way" not in findings.real_images_finding().text


def test_the_converged_comparison_so_far_gives_each_networks_span_of_gains_and_its_seeds() -> None:
    import pandas as pd

    from attnlib.findings import _gains_so_far

    gains = pd.DataFrame({"network": ["ResNet-8 (basic)"] * 2 + ["ResNet-11 (bottleneck)"] * 2,
                          "gain": [-0.25, 0.5, 0.75, 1.0], "seeds": [2, 3, 1, 1]})  # fmt: skip
    assert _gains_so_far(gains) == (
        " So far its modules' top-1 gains over their network's baseline span -0.25 to +0.50 points on ResNet-8 "
        "(basic) (2–3 seeds) and +0.75 to +1.00 points on ResNet-11 (bottleneck) (1 seed) — too few seeds to "
        "decide anything yet."
    )
    assert _gains_so_far(pd.DataFrame()) == ""
