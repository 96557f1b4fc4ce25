"""Small server-side SVG charts for reports and pages: a horizontal bar chart and a
histogram, as accessible markup (``role="img"``, a ``<title>`` and ``<desc>``, every bar
labelled in text), with no script and every text escaped.

Pure: strings in, a string out; nothing is read or written. The markup is meant to be
embedded in an HTML page (``{{ chart | safe }}`` in an autoescaped template: the text in it
is already escaped here).
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart", "histogram"]

_WIDTH = 640
_ROW = 22
_LABEL_W = 170
_VALUE_W = 110
_PAD = 8
_FONT = 'font-family="sans-serif" font-size="12"'
_POSITIVE = "#c0392b"
_NEGATIVE = "#2471a3"
_BAR = "#5d6d7e"


def _number(value: float) -> str:
    """A figure as a person reads it: grouped thousands, at most two decimals."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> str:
    # A stable id (the same chart gives the same markup), unique enough within one page.
    uid = "c" + hashlib.sha1(f"{title}\0{desc}".encode()).hexdigest()[:10]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{uid}-t {uid}-d">'
        f'<title id="{uid}-t">{escape(title)}</title>'
        f'<desc id="{uid}-d">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, unit_label: str) -> str:
    """Horizontal bars, one per ``(label, value)`` in the order given, with the value
    written beside each bar followed by ``unit_label``. Negative values extend left of a
    zero line (and are drawn in another colour), so a chart of changes reads both ways.
    An empty ``items`` gives a chart saying there is nothing to show."""
    if not items:
        return _svg(_WIDTH, 40, title, "No data.", [_text(_PAD, 24, "No data.")])
    values = [float(v) for _, v in items]
    lo, hi = min(0.0, *values), max(0.0, *values)
    span = (hi - lo) or 1.0
    plot_x0, plot_w = _LABEL_W + _PAD, _WIDTH - _LABEL_W - _VALUE_W - 2 * _PAD
    zero_x = plot_x0 + plot_w * (0.0 - lo) / span
    top = 30
    body = [_text(_PAD, 18, title, weight="bold")]
    for i, (label, value) in enumerate(zip((lab for lab, _ in items), values, strict=True)):
        y = top + i * _ROW
        x_end = plot_x0 + plot_w * (value - lo) / span
        x, w = min(zero_x, x_end), abs(x_end - zero_x)
        colour = _BAR if lo >= 0 else (_POSITIVE if value > 0 else _NEGATIVE)
        text = f"{_number(value)} {unit_label}".strip()
        body.append(_text(_LABEL_W, y + 14, _clip(label, 26), anchor="end"))
        body.append(
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 0.5):.1f}" height="{_ROW - 6}" '
            f'fill="{colour}"><title>{escape(label)}: {escape(text)}</title></rect>'
        )
        body.append(_text(plot_x0 + plot_w + _PAD, y + 14, text))
    bottom = top + len(items) * _ROW
    body.append(
        f'<line x1="{zero_x:.1f}" y1="{top}" x2="{zero_x:.1f}" y2="{bottom}" '
        'stroke="#333" stroke-width="1"/>'
    )
    desc = "; ".join(f"{lab}: {_number(v)} {unit_label}".strip() for lab, v in items)
    return _svg(_WIDTH, bottom + _PAD, title, desc, body)


def histogram(
    values: Sequence[float], bins: int | Sequence[float], *, title: str, x_label: str
) -> str:
    """Counts of ``values`` per bin, as vertical bars with each bin's count above it and
    its range below. ``bins`` is a number of equal bins over the values' range or the bin
    edges (ascending; a value on an inner edge counts in the bin to its right, the last
    bin includes its upper edge, values outside the edges are not counted)."""
    edges = _edges(values, bins)
    counts = _counts(values, edges)
    n = len(counts)
    height, top, base = 260, 30, 210
    plot_x0, plot_w = 40, _WIDTH - 40 - _PAD
    bar_w = plot_w / n
    peak = max(counts) or 1
    body = [_text(_PAD, 18, title, weight="bold")]
    labels: list[str] = []
    for i, count in enumerate(counts):
        x = plot_x0 + i * bar_w
        h = (base - top - 14) * count / peak
        label = f"{_number(edges[i])} to {_number(edges[i + 1])}"
        labels.append(f"{label}: {count}")
        body.append(
            f'<rect x="{x + 1:.1f}" y="{base - h:.1f}" width="{max(bar_w - 2, 0.5):.1f}" '
            f'height="{h:.1f}" fill="{_BAR}"><title>{escape(label)}: {count}</title></rect>'
        )
        body.append(_text(x + bar_w / 2, base - h - 3, str(count), anchor="middle"))
        if n <= 12 or i % math.ceil(n / 12) == 0:
            body.append(_text(x + 1, base + 14, _number(edges[i]), size=10))
    body.append(_text(plot_x0 + plot_w, base + 14, _number(edges[-1]), anchor="end", size=10))
    body.append(
        f'<line x1="{plot_x0}" y1="{base}" x2="{plot_x0 + plot_w}" y2="{base}" stroke="#333"/>'
    )
    body.append(_text(plot_x0 + plot_w / 2, base + 36, x_label, anchor="middle"))
    desc = f"{len(values)} values by {x_label}: " + "; ".join(labels)
    return _svg(_WIDTH, height, title, desc, body)


def _edges(values: Sequence[float], bins: int | Sequence[float]) -> list[float]:
    if isinstance(bins, int):
        if bins < 1:
            raise ValueError("bins: need at least one bin")
        lo = min(values, default=0.0)
        hi = max(values, default=1.0)
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        return [lo + (hi - lo) * i / bins for i in range(bins + 1)]
    edges = [float(e) for e in bins]
    if len(edges) < 2 or any(b <= a for a, b in itertools.pairwise(edges)):
        raise ValueError("bins: edges must be at least two and strictly increase")
    return edges


def _counts(values: Sequence[float], edges: list[float]) -> list[int]:
    counts = [0] * (len(edges) - 1)
    for v in values:
        if v == edges[-1]:
            counts[-1] += 1
        elif edges[0] <= v < edges[-1]:
            counts[bisect.bisect_right(edges, v) - 1] += 1
    return counts


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    weight: str = "normal",
    size: int = 12,
) -> str:
    font = _FONT.replace('font-size="12"', f'font-size="{size}"')
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-weight="{weight}" '
        f'{font} fill="#222">{escape(content)}</text>'
    )
