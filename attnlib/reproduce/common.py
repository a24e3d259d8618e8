"""What every chapter page shares: its opening (settings, provenance, hardware) and its loud warnings.

A chapter module (``attnlib.reproduce.table1`` …) exposes ``EXPERIMENT`` (the name its records and
provenance carry), ``SETTINGS`` (a :class:`~attnlib.profiles.PerProfile`) and
``page_warning(profile, settings, hardware)``; :func:`open_page` and :func:`show_page_warning` are
then the same two calls on every page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

from attnlib.provenance import provenance


@dataclass(frozen=True)
class Page:
    """One executed chapter page: its chapter module, profile, settings, provenance, hardware and
    (timing pages) the CPU threads asked for (None: PyTorch's setting, recorded)."""

    chapter: ModuleType
    profile: str
    settings: Any
    run: dict[str, Any]
    hardware: str
    threads: int | None = None


def override(settings: Any, **values: object) -> Any:
    """``settings`` (a frozen dataclass) with the notebook parameters that were given: None keeps the
    chapter's value, lists (papermill's tuples) become tuples."""
    given = {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}
    return replace(settings, **{key: value for key, value in given.items() if value is not None})


def open_page(chapter: ModuleType, profile: str, threads: int | None = None, **overrides: object) -> Page:
    """The page of ``chapter`` at ``profile``: its settings (``chapter.SETTINGS``, with the notebook's
    ``overrides`` that are not None), the provenance of this execution, and the hardware it runs on.

    Timing pages (settings with a ``device``) name the GPU, or the CPU with its thread count — the
    numbers depend on it; training pages name the CPU.
    """
    settings = override(chapter.SETTINGS.get(profile), **overrides)
    run = provenance(profile, experiment=chapter.EXPERIMENT, settings=str(settings))
    device = getattr(settings, "device", None)
    if device == "cuda":
        hardware = str(run["gpu"])
    elif device == "cpu":
        hardware = f"{run['cpu']} ({threads or run['torch_threads']} threads)"
    else:
        hardware = str(run["cpu"])
    return Page(chapter, profile, settings, run, hardware, threads)


def show_page_warning(page: Page) -> None:
    """Display the chapter's warning for this page (synthetic data, reduced protocol), if it has one."""
    from IPython.display import Markdown, display

    warning = page.chapter.page_warning(page.profile, page.settings, page.hardware)
    if warning:
        display(Markdown(warning))


def synthetic_data_warning(title: str, body: str) -> str:
    """The red MyST admonition every accuracy page shows when it trained on generated data."""
    return f":::{{admonition}} Synthetic data — {title}\n:class: danger\n{body}\n:::"


def reduced_protocol_warning(profile: str, hardware: str, detail: str) -> str | None:
    """The loud MyST warning every latency page shows when it did not run the paper's protocol."""
    if profile == "paper":
        return None
    return (
        f":::{{warning}}\n**Profile `{profile}` — measured while building this book on {hardware}, {detail}.** "
        "The paper used 1000 trials on an RTX 2080 Ti GPU: this reduced CPU protocol shows where this machine "
        "stands, not the paper's GPU numbers. Rerun with `-p profile paper` for the full protocol.\n:::"
    )


def chapter_title(name: str) -> str:
    """The chapter's title as the book shows it: the first heading of ``notebooks/<name>.py`` (the name
    itself where the checkout has no such notebook, e.g. an installed package)."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "notebooks" / f"{name}.py"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# # "):
                return line.removeprefix("# # ").strip()
    return name
