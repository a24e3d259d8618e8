"""Figures and long tables as the book shows them: numbered, captioned figures and folded tables."""

from __future__ import annotations

import base64
import hashlib
import io
import warnings

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from attnlib.plots.labels import LabelOverlapWarning, label_overlaps


def figure_markdown(figure: Figure, caption: str, name: str | None = None) -> str:
    """MyST for ``figure`` as a numbered, captioned book figure (the PNG inlined as a data URI).

    A notebook output in MyST Markdown is parsed by the book (``nb_render_markdown_format: myst``),
    so a figure shown this way is a real ``{figure}``: numbered ("Fig. 3"), captioned, referable by
    ``name`` (default: derived from the caption and the image, unique in the book), at full text
    width. The figure is closed, so the notebook does not show it a second time.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    overlaps = label_overlaps(figure, drawn=True) if any(axis.texts for axis in figure.axes) else []
    if overlaps:
        shown = "; ".join(f"{a!r} on {b!r}" for a, b in overlaps[:5])
        warnings.warn(f"overlapping labels in the figure {caption[:60]!r}: {shown}", LabelOverlapWarning, stacklevel=2)
    plt.close(figure)
    png = buffer.getvalue()
    name = name or "fig-" + hashlib.sha1(caption.encode() + png).hexdigest()[:12]
    alt = " ".join(caption.replace("`", "").replace("*", "").split())[:200]
    data = base64.b64encode(png).decode()
    return f"```{{figure}} data:image/png;base64,{data}\n:name: {name}\n:alt: {alt}\n:width: 100%\n\n{caption}\n```\n"


def show_figure(figure: Figure, caption: str, name: str | None = None) -> None:
    """Display ``figure`` as a numbered, captioned book figure (:func:`figure_markdown`)."""
    from IPython.display import Markdown, display

    display(Markdown(figure_markdown(figure, caption, name)))


def collapsed_table(table: object, summary: str, rows: int | None = None) -> object:
    """A long table folded under a one-line ``summary`` the reader clicks to open (HTML ``<details>``).

    ``table`` is a DataFrame or a pandas Styler; ``rows`` (its length, for a Styler) goes in the
    summary. Short tables read better open: callers fold only what would push the page's story down.
    """
    from IPython.display import HTML

    html = table.to_html() if hasattr(table, "to_html") else str(table)
    count = rows if rows is not None else len(table) if hasattr(table, "__len__") else None
    label = f"{summary} ({count} rows)" if count is not None else summary
    return HTML(f'<details class="attnlib-table"><summary>{label}</summary>\n{html}\n</details>')
