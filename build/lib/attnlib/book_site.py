"""A Sphinx extension that makes the built book complete offline and lets readers take the notebooks.

* **MathJax from the site.** Sphinx loads MathJax from a CDN by default, so a book opened without
  a network shows equations as raw ``\\(X \\in \\mathbb{R}…\\)``. This serves the copy of MathJax 3
  packaged on PyPI as ``django-static-mathjax`` (the ``mathjax`` import package; pinned in
  ``requirements.txt``) from ``_static/mathjax/`` and points ``mathjax_path`` at it.
* **No console errors.** Two defects of the theme stack are mended per page: sphinx-thebe's inline
  configuration script is added twice (``const THEBE_JS_URL`` declared twice: a SyntaxError on every
  page), and the theme's colour mode is empty until a reader picks one (an error on the first page
  of a fresh browser); each page gets one copy of each script and the ``auto`` mode.
* **Download buttons for the sources.** The theme's download menu offers each chapter's executed
  ``.ipynb``; this adds the jupytext ``.py`` it was executed from (``notebooks/<name>.py``), the file
  to edit and rerun with ``attnlib notebook NAME``.

Enabled in ``_config.yml`` under ``sphinx: extra_extensions``; ``tests/test_browser.py`` checks the
result in headless Chromium with the network off.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Any

MATHJAX_BUNDLE = "tex-mml-chtml.js"
"""The MathJax 3 component Sphinx loads by default (TeX and MathML input, CommonHTML output)."""

SITE_FOLDER = "mathjax"
"""Where MathJax goes under the site's ``_static/``."""


def mathjax_source() -> Path:
    """The ``es5`` folder of the packaged MathJax 3, with one clear error when it is not installed."""
    try:
        folder = Path(str(resources.files("mathjax"))) / "static" / "mathjax" / "es5"
    except ModuleNotFoundError:
        folder = None
    if folder is None or not (folder / MATHJAX_BUNDLE).is_file():
        raise FileNotFoundError(
            "MathJax 3 for the offline book is not installed (the `mathjax` package of django-static-mathjax); "
            "run `make setup` or `pip install -r requirements.txt`"
        )
    return folder


def _skip_other_bundles(folder: str, names: list[str]) -> list[str]:
    """``copytree`` filter: of the top-level bundles keep only the one the book loads (saves ~12 MB);
    every folder (fonts, input extensions, menu, accessibility, speech) is kept, since MathJax loads
    them on demand."""
    if Path(folder).name != "es5":
        return []
    return [name for name in names if name.endswith(".js") and name != MATHJAX_BUNDLE]


def configure_mathjax(app: Any, config: Any) -> None:
    """``config-inited``: load MathJax from the site (a relative path is relative to ``_static``)."""
    mathjax_source()  # fail at the start of the build, not after it
    config.mathjax_path = f"{SITE_FOLDER}/{MATHJAX_BUNDLE}"


def copy_mathjax(app: Any, exception: Exception | None) -> None:
    """``build-finished``: copy MathJax into the built site's ``_static/mathjax``."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / SITE_FOLDER
    shutil.copytree(mathjax_source(), target, ignore=_skip_other_bundles, dirs_exist_ok=True)


def notebook_sources(docnames: Any) -> dict[str, Path]:
    """``{docname: jupytext source}`` for every page of the book executed from ``notebooks/<name>.py``."""
    from attnlib.notebooks import NOTEBOOKS, notebook_source

    return {f"notebooks/{name}": notebook_source(name) for name in NOTEBOOKS if f"notebooks/{name}" in set(docnames)}


def add_py_download(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """``html-page-context`` (after the theme's buttons): add ``.py`` to a chapter's download menu."""
    if pagename not in notebook_sources([pagename]):
        return
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].insert(
                1,
                {
                    "type": "link",
                    "url": f"{context['pathto']('_sources', 1)}/{pagename}.py",
                    "text": ".py",
                    "tooltip": "Download the jupytext source (rerun: attnlib notebook NAME)",
                    "icon": "fas fa-file-code",
                    "label": "download-py-button",
                },
            )


def copy_py_sources(app: Any, exception: Exception | None) -> None:
    """``build-finished``: put each chapter's ``.py`` beside its ``.ipynb`` in ``_sources/notebooks``."""
    if exception is not None or app.builder.format != "html":
        return
    for docname, source in notebook_sources(app.env.found_docs).items():
        target = Path(app.outdir) / "_sources" / f"{docname}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def mend_page(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """``html-page-context``: one copy of each script, and a colour mode from the start."""
    scripts = context.get("script_files")
    if scripts:
        seen, unique = set(), []
        for script in scripts:
            # the same file or inline body, whatever its priority (sphinx-thebe adds its body twice)
            # (the copy is re-added with filename '' rather than None)
            key = (getattr(script, "filename", None) or "", repr(sorted(getattr(script, "attributes", {}).items())))
            if key not in seen:
                seen.add(key)
                unique.append(script)
        context["script_files"] = unique
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


def setup(app: Any) -> dict[str, Any]:
    """Register the handlers with Sphinx."""
    app.connect("config-inited", configure_mathjax)
    app.connect("build-finished", copy_mathjax)
    app.connect("html-page-context", add_py_download, priority=600)  # the theme adds its menu at 501
    app.connect("build-finished", copy_py_sources)
    app.connect("html-page-context", mend_page, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
