"""Labels on points that never pile up: placement around each point, and the check the smoke book runs."""

from __future__ import annotations

import itertools
import math

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


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
