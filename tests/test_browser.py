"""The built smoke book in a real browser (headless Chromium, network off): what a reader sees.

Every page must load without console errors and without requesting anything outside the site,
show every image, typeset every equation (MathJax from the site), keep code folded, number and
caption every figure, and link only to pages and anchors that exist. One screenshot per page is
saved in a temporary folder (its path is printed) as the test's artefact.

Skipped, with the reason, where Chromium is not installed: ``.ci/run`` installs Debian's
``chromium`` when it is missing.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.browser import Chromium, chromium_executable

pytestmark = pytest.mark.book

SETTLE = """Promise.all([
  window.MathJax && MathJax.startup ? MathJax.startup.promise : true,
  ...[...document.images].map(i => { i.loading = 'eager'; return i.complete ? true
      : new Promise(done => { i.addEventListener('load', done); i.addEventListener('error', done); }); }),
]).then(() => true)"""

PROBE = """(() => {
  const main = document.querySelector('main') || document.body;
  return {
    brokenImages: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 100)),
    math: main.querySelectorAll('.math').length,
    typeset: main.querySelectorAll('mjx-container').length,
    rawMath: /\\\\\\(|\\\\\\[/.test(main.innerText),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    unfoldedCode: [...main.querySelectorAll('.cell_input')].filter(e => !e.closest('details')).length,
    openFolds: [...main.querySelectorAll('details.hide')].filter(d => d.open).length,
    bareImages: [...main.querySelectorAll('img')].filter(i => {
      const figure = i.closest('figure');
      return !(figure && figure.querySelector('figcaption .caption-number'));
    }).map(i => i.alt.slice(0, 60)),
  };
})()"""


REDIRECT = re.compile(r"""<meta http-equiv=["']refresh["'] content=["']\d+;\s*url=([^"']+)["']""", re.IGNORECASE)


def site_pages(site: Path) -> list[Path]:
    """The site's pages, less the redirect stubs (``index.html`` → the root page), checked apart."""
    pages = (path for path in site.rglob("*.html") if "_static" not in path.parts and "_sources" not in path.parts)
    return sorted(path for path in pages if not REDIRECT.search(path.read_text(errors="replace")))


def broken_link(link: str, site: Path) -> str | None:
    """Why an in-site link does not resolve (None when it does); links off the site are not followed."""
    parts = urlsplit(link)
    if parts.scheme != "file":
        return None
    target = Path(unquote(parts.path))
    if not target.is_file():
        return f"{link}: no such file"
    if parts.fragment and target.suffix == ".html":
        anchor = re.escape(unquote(parts.fragment))
        if not re.search(rf"""\sid=["']{anchor}["']""", target.read_text(errors="replace")):
            return f"{link}: no element with this id"
    return None


@pytest.fixture(scope="module")
def browser():
    executable = chromium_executable()
    if executable is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")
    with Chromium(executable) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def visits(smoke_site, browser, tmp_path_factory):
    """Each page of the smoke book opened once: its visit record, and a screenshot saved."""
    shots = tmp_path_factory.mktemp("screenshots")
    print(f"\nbrowser screenshots of the smoke book: {shots}")
    found = {}
    for page in site_pages(smoke_site):
        name = str(page.relative_to(smoke_site))
        found[name] = browser.visit(page.as_uri(), PROBE, settle=SETTLE)
        browser.screenshot(shots / (name.replace("/", "__").removesuffix(".html") + ".png"))
    unopened = {name: visit.console_errors for name, visit in found.items() if visit.probe is None}
    assert not unopened, unopened
    return found


def test_the_browser_sees_every_chapter(smoke_site, visits):
    from attnlib.notebooks import NOTEBOOKS

    assert {f"notebooks/{name}.html" for name in NOTEBOOKS} | {"guide.html", "references.html"} <= set(visits)


def test_the_site_index_redirects_to_a_page_that_exists(smoke_site):
    target = REDIRECT.search((smoke_site / "index.html").read_text()).group(1)
    assert (smoke_site / target).is_file()


def test_pages_load_without_console_errors_or_outside_requests(visits):
    problems = {name: v.console_errors + v.external_requests for name, v in visits.items()}
    assert not {name: p for name, p in problems.items() if p}


def test_every_image_shows(visits):
    broken = {name: v.probe["brokenImages"] for name, v in visits.items() if v.probe["brokenImages"]}
    assert not broken


def test_equations_are_typeset_offline(visits):
    with_math = {name: v.probe for name, v in visits.items() if v.probe["math"]}
    assert with_math, "no page has an equation: the check would prove nothing"
    untypeset = {n: p for n, p in with_math.items() if p["typeset"] < p["math"] or p["rawMath"]}
    assert not untypeset


def test_internal_links_resolve(smoke_site, visits):
    broken = {}
    for name, visit in visits.items():
        reasons = [reason for link in visit.probe["links"] if (reason := broken_link(link, smoke_site))]
        if reasons:
            broken[name] = sorted(set(reasons))[:5]
    assert not broken


def test_code_is_folded_and_every_figure_is_numbered_and_captioned(visits):
    chapters = {name: v.probe for name, v in visits.items() if name.startswith("notebooks/")}
    assert not {n: p["unfoldedCode"] for n, p in chapters.items() if p["unfoldedCode"] or p["openFolds"]}
    assert not {n: p["bareImages"] for n, p in chapters.items() if p["bareImages"]}


def test_broken_link_reports_missing_files_and_anchors(tmp_path):
    """The link check itself can fail."""
    page = tmp_path / "page.html"
    page.write_text('<h1 id="here">x</h1>')
    assert broken_link(page.as_uri() + "#here", tmp_path) is None
    assert "no element" in broken_link(page.as_uri() + "#gone", tmp_path)
    assert "no such file" in broken_link((tmp_path / "missing.html").as_uri(), tmp_path)
    assert broken_link("https://doi.org/10.1007/s11063-023-11161-z", tmp_path) is None
