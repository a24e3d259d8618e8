"""Plot helpers shared by the notebooks (seaborn/matplotlib), so notebook cells stay one-liners.

seaborn (and the scipy it pulls in, ~1.5 s) is imported by the figures that draw with it, not here: most
pages draw with matplotlib alone and start faster without it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import math
import warnings

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from attnlib.attention import BASELINE, compared, display_name
from attnlib.models import depth_from_model
from attnlib.names import counted

MODULE_ORDER = list(compared())
STAGE_COLOURS = {
    "input": "#e0e0e0",
    "pooling": "#9fd89f",
    "processing": "#9cc3e6",
    "gate": "#d9c2e9",
    "integration": "#f6c08c",
}

# Fig. 1 of the paper, as data: the pooling → processing → integration stages of each module.
MODULE_STAGES: dict[str, list[tuple[str, str]]] = {
    "ab": [
        ("pooling", "global avg pool\nZ (C)"),
        ("processing", "CFC: Z ∘ W\n(W ∈ ℝ^C, init 0)"),
        ("integration", "add  X + Z′"),
    ],
    "eca": [
        ("pooling", "global avg pool\nZ (C)"),
        ("processing", "Conv1D k=3\nover channels"),
        ("gate", "sigmoid"),
        ("integration", "scale  X · g"),
    ],
    "srm": [
        ("pooling", "style pool\n[mean, std] (C×2)"),
        ("processing", "CFC (C×2)\n→ BatchNorm"),
        ("gate", "sigmoid"),
        ("integration", "scale  X · g"),
    ],
    "se": [
        ("pooling", "global avg pool\nZ (C)"),
        ("processing", "FC C→C/16 → ReLU\n→ FC C/16→C"),
        ("gate", "sigmoid"),
        ("integration", "scale  X · g"),
    ],
    "multise": [
        ("pooling", "global avg pool\nZ (C)"),
        ("processing", "3 × SE FC branches\nFC C→3 → softmax\n→ weighted sum"),
        ("gate", "sigmoid"),
        ("integration", "scale  X · g"),
    ],
}


def module_palette() -> dict[str, tuple[float, float, float]]:
    """One fixed colour per module (paper spelling), identical across all figures."""
    colours = [to_rgb(COLORBLIND[i % len(COLORBLIND)]) for i in range(len(MODULE_ORDER))]
    return {display_name(m): colours[i] for i, m in enumerate(MODULE_ORDER)}


COLORBLIND = (
    "#0173B2",
    "#DE8F05",
    "#029E73",
    "#D55E00",
    "#CC78BC",
    "#CA9161",
    "#FBAFE4",
    "#949494",
    "#ECE133",
    "#56B4E9",
)
"""seaborn's "colorblind" palette (``sns.color_palette("colorblind")``), kept here so that a figure's
colours need no seaborn import; tests/test_reader.py checks it against seaborn's."""


def draw_attention_modules() -> Figure:
    """A Fig. 1 style diagram of the five modules: pooling (green), processing (blue), gate, integration (orange)."""
    order = ["ab", "eca", "srm", "se", "multise"]
    figure, axis = plt.subplots(figsize=(12, 5.2))
    axis.set_xlim(0, len(order))
    axis.set_ylim(0, 6)
    axis.axis("off")
    for column, name in enumerate(order):
        stages = [("input", "input X\n(C × H × W)")] + MODULE_STAGES[name]
        centre = column + 0.5
        axis.text(centre, 5.75, display_name(name), ha="center", va="center", fontsize=13, weight="bold")
        tops = []
        for row, (stage, text) in enumerate(stages):
            y = 4.9 - row * 1.0
            box = FancyBboxPatch(
                (centre - 0.42, y - 0.38),
                0.84,
                0.76,
                boxstyle="round,pad=0.02",
                facecolor=STAGE_COLOURS[stage],
                edgecolor="black",
                linewidth=0.8,
            )
            axis.add_patch(box)
            axis.text(centre, y, text, ha="center", va="center", fontsize=8.5)
            tops.append(y)
        for upper, lower in itertools.pairwise(tops):
            axis.add_patch(
                FancyArrowPatch((centre, upper - 0.4), (centre, lower + 0.4), arrowstyle="-|>", mutation_scale=10)
            )
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="black") for c in STAGE_COLOURS.values()]
    axis.legend(handles, list(STAGE_COLOURS), loc="lower center", ncol=5, frameon=False, bbox_to_anchor=(0.5, -0.04))
    figure.tight_layout()
    return figure


def plot_complexity_vs_depth(table: pd.DataFrame, convention: str, paper: pd.DataFrame | None = None) -> Figure:
    """Fig. 2: (a) MACs and (b) parameters vs ResNet depth, one line per module.

    Args:
        table: :func:`attnlib.complexity.complexity_table` output.
        convention: which convention's MACs to plot.
        paper: optional Table 2 rows (depth, module, flops_g, params_m) drawn as black crosses.
    """
    import seaborn as sns

    data = table[table.convention == convention].assign(
        gmacs=lambda d: d.macs / 1e9, mparams=lambda d: d.params / 1e6, Module=lambda d: d.module.map(display_name)
    )
    palette = module_palette()
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for axis, column, label in ((axes[0], "gmacs", 'GMACs ("FLOPs")'), (axes[1], "mparams", "parameters (M)")):
        sns.lineplot(
            data=data,
            x="depth",
            y=column,
            hue="Module",
            style="Module",
            markers=True,
            dashes=False,
            palette=palette,
            ax=axis,
        )
        axis.set_xticks(sorted(data.depth.unique()))
        axis.set_xlabel("ResNet depth")
        axis.set_ylabel(label)
    if paper is not None:
        axes[0].scatter(paper.depth, paper.flops_g, marker="x", color="black", zorder=5, label="paper, Table 2")
        axes[1].scatter(paper.depth, paper.params_m, marker="x", color="black", zorder=5, label="paper, Table 2")
        for axis in axes:
            axis.legend(fontsize=8)
    axes[0].set_title(f"(a) MACs at 224², {convention} convention")
    axes[1].set_title("(b) parameters")
    figure.tight_layout()
    return figure


def plot_overhead_bars(table: pd.DataFrame) -> Figure:
    """MAC overhead (%) of each module over the same-depth baseline, one panel per convention."""
    import seaborn as sns

    data = table[table.module != BASELINE].assign(
        Module=lambda d: d.module.map(display_name), depth=lambda d: "ResNet-" + d.depth.astype(str)
    )
    grid = sns.catplot(
        data=data,
        x="depth",
        y="macs_overhead_pct",
        hue="Module",
        col="convention",
        kind="bar",
        palette=module_palette(),
        height=3.6,
        aspect=1.5,
        sharey=False,
    )
    grid.set_axis_labels("", "MACs over baseline (%)")
    grid.set_titles("{col_name} convention")
    return grid.figure


def yes_no(value: object) -> str:
    """A boolean as a reader reads it."""
    return "yes" if bool(value) else "no"


def styled_comparison(comparison: pd.DataFrame) -> pd.io.formats.style.Styler:
    """Table 2 comparison (:func:`attnlib.complexity.compare_with_table2`) with disagreeing rows shaded."""
    shown = comparison.assign(module=comparison.module.map(display_name)).rename(
        columns={
            "depth": "ResNet",
            "flops_g_paper": "FLOPs (paper, G)",
            "gmacs_paper_convention": "GMACs, paper conv.",
            "gmacs_exact": "GMACs, exact",
            "attention_elementwise_m": "attention elementwise (M)",
            "params_m_paper": "params (paper, M)",
            "params_m_attnlib": "params (attnlib, M)",
            "flops_agree": "FLOPs agree",
            "params_agree": "params agree",
        }
    )

    def shade(row: pd.Series) -> list[str]:
        agree = row["FLOPs agree"] and row["params agree"]
        return ["" if agree else "background-color: #fde2c5"] * len(row)

    formats = {c: "{:.2f}" for c in shown.columns if shown[c].dtype.kind == "f"}
    formats["GMACs, exact"] = "{:.3f}"
    formats.update({"FLOPs agree": yes_no, "params agree": yes_no})
    return shown.style.apply(shade, axis=1).format(formats).hide(axis="index")


def _with_module_labels(summary: pd.DataFrame) -> pd.DataFrame:
    if "depth" in summary.columns:
        depth = summary.depth
    else:
        depth = (summary["group"] if "group" in summary.columns else summary.model).map(depth_from_model)
    return summary.assign(
        Module=summary.variant.map(lambda v: display_name(v) if v in MODULE_ORDER else v),
        depth=depth,
        setting=summary.engine.map(_engine_words) + " " + summary.precision,
    )


def _engine_words(label: str) -> str:
    """An engine label for a figure: "OpenVINO", "torch.compile (CUDA graphs)" (:func:`label_words`)."""
    from attnlib.names import label_words

    return label_words(label)


def plot_latency_vs_depth(summary: pd.DataFrame, hardware: str) -> Figure:
    """Fig. 3: minimum single-image time vs ResNet depth, one panel per engine and precision."""
    import seaborn as sns

    # The seaborn calls of the figures share keyword shapes (data, x, y, hue, col, palette), not logic.
    data = _with_module_labels(summary)
    grid = sns.relplot(
        data=data,
        x="depth",
        y="min_ms",
        hue="Module",
        style="Module",
        col="setting",
        col_wrap=min(3, data.setting.nunique()),  # a GPU record has up to a dozen engine settings
        kind="line",
        markers=True,
        dashes=False,
        palette=module_palette(),
        height=3.8,
        aspect=1.1,
        facet_kws={"sharey": False},
    )
    grid.set_axis_labels("ResNet depth", "time (ms, min)")
    grid.set_titles("{col_name}")
    for axis in grid.axes.flat:
        axis.set_xticks(sorted(data.depth.unique()))
    grid.figure.suptitle(f"Measured on {hardware}", y=1.03, fontsize=10)
    return grid.figure


def plot_overhead_vs(summary: pd.DataFrame, x: str, hardware: str, row: str | None = None) -> Figure:
    """Figs. 5 and 6: overhead over the baseline (%, min-based) vs ``x`` (resolution or batch_size)."""
    import seaborn as sns

    data = _with_module_labels(summary[summary.variant != BASELINE])
    palette = {**module_palette(), **{v: (0.2, 0.2, 0.2) for v in data.Module.unique() if v not in module_palette()}}
    grid = sns.relplot(
        data=data,
        x=x,
        y="overhead_min_pct",
        hue="Module",
        style="Module",
        col="setting",
        row=row,
        kind="line",
        markers=True,
        dashes=False,
        palette=palette,
        height=3.6,
        aspect=1.15,
        facet_kws={"sharey": False},
    )
    for axis in grid.axes.flat:
        axis.axhline(0, color="grey", linewidth=0.6)
        axis.set_xscale("log", base=2)
        axis.set_xticks(sorted(data[x].unique()))
        axis.set_xticklabels([str(v) for v in sorted(data[x].unique())])
    grid.set_axis_labels(x.replace("_", " "), "overhead over baseline (%, min)")
    grid.figure.suptitle(f"Measured on {hardware}", y=1.03, fontsize=10)
    return grid.figure


def plot_tradeoff(points: pd.DataFrame, hardware: str) -> Figure:
    """Fig. 4: top-1 vs relative inference time; modules on ResNet-18/50 and baselines of every depth.

    One panel per engine, two panels a row, so that each stays readable at the book's text width.
    """
    engines = list(points.engine.unique())
    columns = min(2, len(engines))
    rows = math.ceil(len(engines) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(6.5 * columns, 5.2 * rows), squeeze=False)
    for axis in axes.flat[len(engines) :]:
        axis.set_visible(False)
    palette = module_palette()
    labels: dict[plt.Axes, list[tuple[float, float, str]]] = {}
    for axis, engine in zip(axes.flat, engines, strict=False):
        part = points[points.engine == engine]
        baselines = part[part.module == "Baseline"].sort_values("ResNet")
        axis.plot(baselines["relative time"], baselines["top-1"], color="black", linewidth=1, zorder=1)
        labels[axis] = [(item[4], item[5], f"R{item.ResNet}") for item in baselines.itertuples()]
        for depth, marker in ((18, "o"), (50, "s")):
            rows = part[part.ResNet == depth]
            for item in rows.itertuples():
                axis.scatter(
                    item[4],
                    item[5],
                    color=palette.get(item.module, "grey"),
                    marker=marker,
                    zorder=3,
                    label=f"{item.module}" if depth == 50 else None,
                    edgecolor="black",
                    linewidth=0.4,
                )
        axis.set_xlabel("inference time relative to baseline ResNet-50 (min)")
        axis.set_ylabel("ImageNet top-1 (%)")
        axis.set_title(f"{_engine_words(engine)} — {hardware}", fontsize=9)
    axes[0][0].legend(fontsize=9, title="module (○ R18, □ R50)", title_fontsize=9)
    figure.tight_layout()
    for axis, baseline_labels in labels.items():
        place_labels(axis, baseline_labels, fontsize=8)
    return figure


class LabelOverlapWarning(UserWarning):
    """A book figure draws two labels on top of each other (the smoke book's test fails on it)."""


# points between a point and its label, tried in order
LABEL_GAPS = (2.0, 6.0, 11.0, 17.0, 24.0, 32.0, 42.0, 54.0, 68.0, 84.0, 100.0, 120.0)
LABEL_DIRECTIONS = 16  # angles tried per gap, starting up-right
LEADER_GAP = 10.0  # a label placed farther than this gets a thin line to its point


def _text_box(artist: plt.Text, renderer: object) -> object:
    """The window extent of a text or annotation's text alone (not its leader line)."""
    from matplotlib.text import Annotation, Text

    if isinstance(artist, Annotation):
        artist.update_positions(renderer)  # an annotation's offset transform is set when it is drawn
    return Text.get_window_extent(artist, renderer)


def _overlap(a: object, b: object) -> float:
    """The area two display boxes share (0 when apart)."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(width, 0.0) * max(height, 0.0)


def place_labels(axis: plt.Axes, points: list[tuple[float, float, str]], fontsize: float = 7) -> None:
    """Label ``points`` (data x, y, text) so that no two labels overlap and no label covers a point.

    Each label tries positions around its point, nearest first (:data:`LABEL_GAPS` ×
    :data:`LABEL_DIRECTIONS`), and takes the first that overlaps no placed label, no marker and stays
    inside the axes; where none does, the least-overlapping one. A label away from its point gets a
    thin leader line. Call it after the figure's layout is final (``tight_layout``): positions are
    measured in display space, which a later layout change would move.
    """
    from matplotlib.transforms import Bbox

    figure = axis.figure
    axis.get_xlim(), axis.get_ylim()  # final (autoscaled) limits, hence final data transforms
    renderer = figure.canvas.get_renderer()
    frame = axis.get_window_extent(renderer)
    per_point = figure.dpi / 72
    radius = 3.5 * per_point
    centres = [axis.transData.transform((x, y)) for x, y, _ in points]
    markers = [Bbox.from_extents(cx - radius, cy - radius, cx + radius, cy + radius) for cx, cy in centres]
    placed: list[object] = []
    order = sorted(range(len(points)), key=lambda i: (-centres[i][1], centres[i][0]))
    for index in order:
        x, y, text = points[index]
        label = axis.annotate(
            text, (x, y), textcoords="offset points", xytext=(0, 0), ha="center", va="center", fontsize=fontsize
        )
        size = _text_box(label, renderer)  # laid out once: a centred label's box moves with its offset
        half_w, half_h = size.width / 2 / per_point, size.height / 2 / per_point
        (cx, cy), (w, h) = centres[index], (size.width, size.height)

        def box_at(offset: tuple[float, float], cx: float = cx, cy: float = cy, w: float = w, h: float = h) -> Bbox:
            ox, oy = cx + offset[0] * per_point, cy + offset[1] * per_point
            return Bbox.from_extents(ox - w / 2, oy - h / 2, ox + w / 2, oy + h / 2)

        best, best_cost = (half_w + LABEL_GAPS[0], half_h + LABEL_GAPS[0]), math.inf
        for gap in LABEL_GAPS:
            for step in range(LABEL_DIRECTIONS):
                angle = math.pi / 4 + 2 * math.pi * step / LABEL_DIRECTIONS
                offset = (math.cos(angle) * (gap + half_w), math.sin(angle) * (gap + half_h))
                box = box_at(offset)
                outside = box.width * box.height - _overlap(box, frame)
                cost = sum(_overlap(box, other) for other in placed + markers) + 4 * outside
                if cost < best_cost:
                    best, best_cost = offset, cost
                if cost == 0:
                    break
            if best_cost == 0:
                break
        label.xyann = best
        if math.hypot(*best) - math.hypot(half_w, half_h) > LEADER_GAP:  # far: redraw it with a leader line
            label.remove()
            label = axis.annotate(
                text,
                (x, y),
                textcoords="offset points",
                xytext=best,
                ha="center",
                va="center",
                fontsize=fontsize,
                arrowprops={"arrowstyle": "-", "color": "grey", "linewidth": 0.5, "shrinkA": 0, "shrinkB": 3},
            )
        placed.append(box_at(best))


def label_overlaps(figure: Figure, drawn: bool = False) -> list[tuple[str, str]]:
    """Pairs of texts drawn inside the same axes (labels, annotations) whose boxes overlap — what a
    reader would see piled up. Empty when every label stands alone.

    ``drawn``: the figure was just drawn (e.g. saved), so its layout and limits are final and the
    texts are measured without drawing it once more.
    """
    if not drawn:
        figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    found = []
    for axis in figure.axes:
        texts = [t for t in axis.texts if t.get_visible() and t.get_text().strip()]
        boxes = [_text_box(t, renderer) for t in texts]
        for (a, box_a), (b, box_b) in itertools.combinations(zip(texts, boxes, strict=True), 2):
            if _overlap(box_a, box_b) > 0:
                found.append((a.get_text(), b.get_text()))
    return found


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


OVERHEAD_FLOOR_PCT = 0.1
"""Overheads below this (noise, or a module that costs nothing measurable) are drawn at it, hollow."""


def plot_zoo(data: pd.DataFrame, hardware: str, batch: int) -> Figure:
    """Beyond the paper: latency overhead (%, min) against MAC overhead (% of the network), log–log,
    one point per module, one panel per engine (columns) and depth (rows), at one batch size."""
    part = data[data.batch_size == batch]
    engines = list(dict.fromkeys(part.engine))
    depths = sorted(part.depth.unique())
    figure, axes = plt.subplots(
        len(depths), len(engines), figsize=(5.2 * len(engines), 4.6 * len(depths)), squeeze=False
    )
    colours = {"attnlib": "#d62728", "timm": "#1f77b4"}
    labels: dict[tuple[int, int], list[tuple[float, float, str]]] = {}
    for (row, depth), (column, engine) in itertools.product(enumerate(depths), enumerate(engines)):
        axis = axes[row][column]
        cell = part[(part.engine == engine) & (part.depth == depth)]
        for item in cell.itertuples():
            clipped = item.overhead_min_pct < OVERHEAD_FLOOR_PCT
            y = max(item.overhead_min_pct, OVERHEAD_FLOOR_PCT)
            x = max(item.macs_pct, 1e-4)  # AB and SRM: no matrix MACs (their products are elementwise)
            colour = colours.get(item.source, "grey")
            axis.scatter(x, y, color="white" if clipped else colour, edgecolor=colour, zorder=3, s=36)
            labels.setdefault((row, column), []).append((x, y, item.display))
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("module MACs (% of the network, exact)")
        axis.set_ylabel("latency overhead (%, min)")
        axis.set_title(f"{_engine_words(engine)} — ResNet-{depth}, batch {batch}", fontsize=9)
        axis.grid(True, which="major", linewidth=0.4, alpha=0.5)
    handles = [
        plt.Line2D(
            [], [], marker="o", linestyle="", color=c, label="the paper's (attnlib)" if s == "attnlib" else "timm"
        )
        for s, c in colours.items()
    ]
    axes[0][0].legend(handles=handles, fontsize=8, loc="upper left")
    figure.suptitle(f"Measured on {hardware} (hollow: overhead ≤ {OVERHEAD_FLOOR_PCT} %)", fontsize=10)
    figure.tight_layout()
    for (row, column), points in labels.items():
        place_labels(axes[row][column], points)
    return figure


def plot_gains(table: pd.DataFrame) -> Figure:
    """Each module's top-1 gain over its network's baseline with its 95 % interval, one panel per network.

    ``table``: :func:`attnlib.reproduce.fashion.gains` (network, attention, gain, low, high, seeds).
    Modules are rows (labels on the y axis, never on the points), zero is drawn, so a gain whose
    interval crosses the line is not distinguishable from no gain.
    """
    networks = list(dict.fromkeys(table.network))
    figure, axes = plt.subplots(1, len(networks), figsize=(4.2 * len(networks), 3.2), sharey=True, squeeze=False)
    palette = module_palette()
    modules = [m for m in MODULE_ORDER if m != BASELINE and m in set(table.attention)]
    for axis, network in zip(axes.flat, networks, strict=True):
        part = table[table.network == network].set_index("attention")
        for position, module in enumerate(modules):
            if module not in part.index:
                continue
            row = part.loc[module]
            colour = palette[display_name(module)]
            if not math.isnan(row.low):
                axis.plot([row.low, row.high], [position, position], color=colour, linewidth=2.2)
            axis.scatter([row.gain], [position], color=colour, edgecolor="black", linewidth=0.5, zorder=3, s=36)
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set_yticks(range(len(modules)), [display_name(m) for m in modules])
        axis.set_ylim(len(modules) - 0.5, -0.5)  # the book's order from the top (invert_yaxis on shared axes toggles)
        axis.set_xlabel("top-1 gain over the baseline (points)")
        seeds = int(part.seeds.max()) if len(part) else 0
        axis.set_title(f"{network}, {counted(seeds, 'seed')}", fontsize=9)
    figure.tight_layout()
    return figure


def plot_retrofit_gains(table: pd.DataFrame) -> Figure:
    """The retrofit study: each module's top-1 over the baseline fine-tuned alone, inserted plainly (filled)
    and with identity-init (open), with 95 % intervals (paired by seed, or over the
    test images where one seed ran); one panel per fine-tuning schedule.

    ``table``: :func:`attnlib.reproduce.fashion.retrofit_gains`. Modules are rows (labels on the y axis),
    the two insertions sit just above and below a module's row, and zero is drawn.
    """
    schedules = list(dict.fromkeys(table.schedule))
    figure, axes = plt.subplots(1, len(schedules), figsize=(3.6 * len(schedules), 3.4), sharey=True, squeeze=False)
    palette = module_palette()
    modules = [m for m in MODULE_ORDER if m != BASELINE and m in set(table.attention)]
    for axis, schedule in zip(axes.flat, schedules, strict=True):
        part = table[table.schedule == schedule]
        for row in part.itertuples():
            position = modules.index(row.attention) + (0.18 if row.identity_init else -0.18)
            colour = palette[display_name(row.attention)]
            if not math.isnan(row.low):
                axis.plot([row.low, row.high], [position, position], color=colour, linewidth=2)
            axis.scatter(
                [row.gain],
                [position],
                color="white" if row.identity_init else colour,
                edgecolor=colour if row.identity_init else "black",
                linewidth=1.4 if row.identity_init else 0.5,
                zorder=3,
                s=34,
            )
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set_yticks(range(len(modules)), [display_name(m) for m in modules])
        axis.set_ylim(len(modules) - 0.5, -0.5)
        axis.set_xlabel("top-1 over fine-tuning alone (points)")
        axis.set_title(schedule, fontsize=9)
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", color="grey", markeredgecolor="black", label="inserted plainly"),
        plt.Line2D([], [], marker="o", linestyle="", color="white", markeredgecolor="grey", label="with identity-init"),
    ]
    figure.legend(handles=handles, loc="lower center", ncol=2, fontsize=9, frameon=False)
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    return figure


def plot_learning_curves(curves: pd.DataFrame) -> Figure:
    """Top-1 against epoch for the campaign's schedule and the twice-as-long plateau check."""
    keys = [key for key in ("network", "seed", "run") if key in curves]
    lines = curves.dropna(subset=["top1"]).groupby(keys, sort=False).ngroups if keys else 1
    # the legend goes below the axes, two columns: inside, it covered the early epochs' curves
    figure, axis = plt.subplots(figsize=(7.8, 3.4 + 0.2 * math.ceil(lines / 2)))
    for index, (key, part) in enumerate(curves.dropna(subset=["top1"]).groupby(keys, sort=False)):
        label = ", ".join(
            f"seed {value}" if name == "seed" else str(value) for name, value in zip(keys, key, strict=True)
        )
        axis.plot(part.epoch, part.top1, marker="os^vD<>"[index % 7], markersize=4, label=label)
    axis.set_xlabel("epoch")
    axis.set_ylabel("test top-1 (%)")
    axis.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def plot_fashion_tradeoff(points: pd.DataFrame, setting: str) -> Figure:
    """Fig. 4 on real data: top-1 against inference time over the network's baseline, one panel per network.

    Modules are coloured as everywhere in the book; the deeper baseline is a black star. Horizontal
    bars are the timing's 95 % interval, vertical bars one standard deviation over seeds. Names are in
    the legend, never on the points, so nothing overlaps.
    """
    networks = list(dict.fromkeys(points.network))
    figure, axes = plt.subplots(1, len(networks), figsize=(4.6 * len(networks), 3.8), squeeze=False)
    palette = module_palette()
    for axis, network in zip(axes.flat, networks, strict=True):
        for row in points[points.network == network].itertuples():
            deeper = row.variant.startswith("deeper")
            colour = "black" if deeper else palette.get(row.variant, "grey")
            axis.errorbar(
                row.overhead_pct,
                row.top1,
                xerr=[[row.overhead_pct - row.ci_low_pct], [row.ci_high_pct - row.overhead_pct]],
                yerr=row.top1_std,
                fmt="*" if deeper else "o",
                markersize=11 if deeper else 7,
                color=colour,
                markeredgecolor="black",
                markeredgewidth=0.5,
                elinewidth=1,
                capsize=2,
                label=row.variant,
            )
        axis.set_title(network, fontsize=9)
        axis.set_xlabel(f"inference time over the baseline (%, {setting})")
        axis.set_ylabel("Fashion-MNIST test top-1 (%)")
        axis.grid(alpha=0.3)
        # below the panel, never over a point or an error bar
        axis.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, frameon=False)
    figure.tight_layout()
    return figure
