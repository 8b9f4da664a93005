"""Server-drawn SVG charts: grouped bars, lines and a progress bar. No JavaScript.

Charts are drawn at a fixed pixel size (the page scrolls a chart sideways rather than
shrinking it), every text at least 11 px. Long category names turn a bar chart
horizontal (names at the left, the chart as tall as its rows); a name still too long
for its room is cut with "…" and shown whole on hover (SVG ``<title>``). Every label is
escaped; no data or all-zero series draw only the "No data" note, no axes, in a short
box. Values show on hover through ``<title>``. Money series are integer fen; ticks and
hover labels are shown in yuan.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup

from app.kept import kept_in
from app.web.formatting import html_text, number, number_compact, yuan, yuan_compact

PALETTE = ("#1f2a44", "#c9a45c", "#6b8aa8", "#b9736b", "#5f8f7b", "#8a7fb5", "#9aa3b2")
MARGIN_TOP, MARGIN_RIGHT, MARGIN_BOTTOM = 16, 12, 34
TICK_FONT_WIDTH = 6.6  # approximate px per character at 11px for the left margin
FONT_PX = 11  # the smallest text a chart draws
EMPTY_HEIGHT = 72  # an empty chart is a short box with its note
HBAR_LABEL_CHARS = 7  # a category name longer than this (or crowded) turns bars horizontal
HBAR_ROW = 14  # px per bar in a horizontal bar chart
HBAR_LABEL_MAX = 168  # px of name column at most


def text_width(text: str) -> float:
    """Approximate drawn width at 11 px: a CJK character ~11 px, anything else ~6.6 px."""
    return sum(FONT_PX if ord(ch) > 0x2E80 else TICK_FONT_WIDTH for ch in text)


def fit_label(text: str, room: float) -> str:
    """``text`` cut with "…" to fit ``room`` px (whole when it fits)."""
    if text_width(text) <= room:
        return text
    cut = text
    while cut and text_width(cut + "…") > room:
        cut = cut[:-1]
    return cut + "…"


def _label(x: float, y: float, text: str, room: float, anchor: str, css: str = "chart-label"):
    """A category name cut to ``room`` px; the whole name on hover when cut."""
    shown = fit_label(text, room)
    tip = f"<title>{html_text(text)}</title>" if shown != text else ""
    return (
        f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" '
        f'font-size="{FONT_PX}">{tip}{html_text(shown)}</text>'
    )


def nice_ticks(max_value: float, min_value: float = 0.0, count: int = 5) -> list[float]:
    """Round tick values from ``min_value`` (≤ 0) to at least ``max_value``: 0, 20, 40…"""
    low, high = min(0.0, min_value), max(0.0, max_value)
    if high == low:
        high = low + 1
    raw_step = (high - low) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw_step))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw_step)
    start = math.floor(low / step) * step
    ticks, value = [], start
    while value < high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _fmt_tick(value: float, money: bool) -> str:
    return yuan_compact(value) if money else number_compact(value)


def _fmt_value(value: float, money: bool) -> str:
    return yuan(int(value)) if money else number(value)


def _no_data_text() -> str:
    try:
        from flask_babel import gettext

        return gettext("No data")
    except (RuntimeError, KeyError):  # outside a request / app
        return "No data"


class _Frame:
    """Plot area geometry and the value → y mapping shared by bar and line charts."""

    def __init__(self, values: list[float], width: int, height: int, money: bool, legend: bool):
        self.money = money
        self.ticks = nice_ticks(max(values, default=0), min(values, default=0))
        label_width = max(len(_fmt_tick(t, money)) for t in self.ticks) * TICK_FONT_WIDTH
        self.left = int(label_width + 14)
        self.top = MARGIN_TOP + (22 if legend else 0)
        self.right = width - MARGIN_RIGHT
        self.bottom = height - MARGIN_BOTTOM
        self.low, self.high = self.ticks[0], self.ticks[-1]

    @property
    def plot_height(self) -> float:
        return self.bottom - self.top

    def y(self, value: float) -> float:
        span = (self.high - self.low) or 1
        return self.bottom - (value - self.low) / span * self.plot_height

    def axis(self) -> list[str]:
        parts = []
        for tick in self.ticks:
            y = self.y(tick)
            cls = "chart-grid zero" if tick == 0 else "chart-grid"
            parts.append(
                f'<line class="{cls}" x1="{self.left}" x2="{self.right}" y1="{y:.1f}" '
                f'y2="{y:.1f}"/>'
                f'<text class="chart-tick" x="{self.left - 8}" y="{y + 4:.1f}" '
                f'text-anchor="end" font-size="{FONT_PX}">'
                f"{html_text(_fmt_tick(tick, self.money))}</text>"
            )
        return parts


def _legend(names: list[str], width: int) -> list[str]:
    parts, x = [], 0.0
    for i, name in enumerate(names):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<g class="chart-legend-item" transform="translate({x:.0f},0)">'
            f'<rect width="10" height="10" rx="2" y="1" fill="{colour}"/>'
            f'<text x="15" y="10" font-size="12">{html_text(name)}</text></g>'
        )
        x += 15 + len(name) * 12 + 18
    return [
        f'<g class="chart-legend" transform="translate({max(0, width - x - 8):.0f},6)">',
        *parts,
        "</g>",
    ]


def _open_svg(kind: str, width: int, height: int, title: str | None, css: str = "") -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}{css}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'preserveAspectRatio="xMidYMid meet">'
    ]
    if title:
        parts.append(f"<title>{html_text(title)}</title>")
    return parts


def _clean(labels: Sequence, series: dict[str, Sequence]) -> tuple[list[str], dict]:
    labels = [str(label) for label in labels]
    cleaned = {}
    for name, values in series.items():
        vals = [float(v or 0) for v in list(values)[: len(labels)]]
        cleaned[str(name)] = vals + [0.0] * (len(labels) - len(vals))
    return labels, cleaned


def _x_labels(labels: list[str], frame: _Frame, slot: float, centre) -> list[str]:
    step = max(1, math.ceil(len(labels) * 48 / max(1, frame.right - frame.left)))
    room = slot * step - 4
    return [
        _label(centre(i), frame.bottom + 18, label, room, "middle")
        for i, label in enumerate(labels)
        if i % step == 0
    ]


def _empty(kind: str, width: int, title: str | None) -> Markup:
    """The chart of nothing: its note in a short box, no axes (no ¥0.01 ticks)."""
    parts = _open_svg(kind, width, EMPTY_HEIGHT, title, " chart-empty-box")
    parts.append(
        f'<text class="chart-empty" x="{width / 2:.0f}" y="{EMPTY_HEIGHT / 2 + 4:.0f}" '
        f'text-anchor="middle" font-size="13">{html_text(_no_data_text())}</text></svg>'
    )
    return Markup("".join(parts))


def _drawn_values(labels: list[str], series: dict) -> list[float]:
    """Every value of ``series``; empty when there is nothing to draw (no labels, no
    series or only zeros), which gets the "no data" chart."""
    values = [v for vals in series.values() for v in vals]
    return values if labels and series and any(values) else []


# The most drawings kept; a chart is a pure function of its cleaned inputs (text, floats,
# sizes; no URL, no language once it has values), so equal inputs draw the same markup.
KEPT_DRAWINGS = 256
_DRAWN: dict[tuple, Markup] = {}


def _kept_drawing(kind: str, labels: list[str], series: dict, settings: tuple, draw) -> Markup:
    """``draw()``, kept per the chart's cleaned labels, series and settings: the overview
    draws its region chart (~0.1 ms of SVG) from figures that change when a store or a
    guide does. A chart with nothing to draw ("No data", in the viewer's language) or a
    title that is not plain text is drawn every time."""
    if not _drawn_values(labels, series) or type(settings[-1]) not in (str, type(None)):
        return draw()  # (a Markup title equals its text but draws unescaped)
    key = (kind, tuple(labels), *((name, tuple(vals)) for name, vals in series.items()), *settings)
    return kept_in(_DRAWN, key, draw, KEPT_DRAWINGS)


def _tip(series_name: str, label: str, value: float, money: bool) -> str:
    """A mark's hover text: ``series · label: value``."""
    return f"{series_name} · {label}: {_fmt_value(value, money)}"


def _close(parts: list[str], series: dict, width: int) -> Markup:
    """The legend (when there is more than one series), the end of the SVG."""
    if len(series) > 1:
        parts += _legend(list(series), width)
    parts.append("</svg>")
    return Markup("".join(parts))


def _start(kind: str, labels, series, width, height, money, title):
    """Open the SVG and draw the axis; the "no data" chart when there is nothing to draw.

    Returns that Markup, or ``(parts, values, frame, slot)`` for the caller to draw on.
    """
    values = _drawn_values(labels, series)
    if not values:
        return _empty(kind, width, title)
    parts = _open_svg(kind, width, height, title)
    frame = _Frame(values, width, height, money, legend=len(series) > 1)
    parts += frame.axis()
    return parts, values, frame, (frame.right - frame.left) / len(labels)


def bar_chart(
    labels: Sequence,
    series: dict[str, Sequence[float]],
    *,
    width: int = 640,
    height: int = 260,
    money: bool = False,
    title: str | None = None,
) -> Markup:
    """Grouped vertical bars: one group per label, one bar per series (with a legend);
    horizontal bars when the category names are long or many. Drawn once per its
    inputs and kept (``_kept_drawing``)."""
    labels, series = _clean(labels, series)
    settings = (width, height, money, title)
    return _kept_drawing("bar", labels, series, settings, lambda: _bars(labels, series, *settings))


def _bars(labels, series, width, height, money, title) -> Markup:
    if labels and series and _wants_horizontal(labels, width):
        return hbar_chart(labels, series, width=width, money=money, title=title)
    start = _start("bar", labels, series, width, height, money, title)
    if isinstance(start, Markup):
        return start
    parts, values, frame, slot = start
    group_width = slot * 0.72
    bar_width = group_width / len(series)
    for s, (name, vals) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
        for i, value in enumerate(vals):
            x = frame.left + slot * i + (slot - group_width) / 2 + bar_width * s
            y0, y1 = frame.y(0), frame.y(value)
            top, bar_height = min(y0, y1), abs(y0 - y1)
            tip = _tip(name, labels[i], value, money)
            parts.append(
                f'<rect class="chart-bar" x="{x + 1:.2f}" y="{top:.2f}" '
                f'width="{max(1.0, bar_width - 2):.2f}" height="{bar_height:.2f}" rx="2" '
                f'fill="{colour}" data-value="{value:g}"><title>{html_text(tip)}</title></rect>'
            )
    parts += _x_labels(labels, frame, slot, lambda i: frame.left + slot * (i + 0.5))
    return _close(parts, series, width)


def _wants_horizontal(labels: list[str], width: int) -> bool:
    """Long or crowded category names read better down the side than under the bars."""
    longest = max(len(label) for label in labels)
    slot = (width - 60) / len(labels)
    return longest > HBAR_LABEL_CHARS or max(text_width(lb) for lb in labels) > slot * 1.6


def hbar_chart(
    labels: Sequence,
    series: dict[str, Sequence[float]],
    *,
    width: int = 640,
    money: bool = False,
    title: str | None = None,
) -> Markup:
    """Horizontal grouped bars: names at the left (cut with a hover title when too long),
    values along the top, as tall as the rows need."""
    labels, series = _clean(labels, series)
    values = _drawn_values(labels, series)
    if not values:
        return _empty("hbar", width, title)
    legend = len(series) > 1
    group = HBAR_ROW * len(series) + 10
    top = MARGIN_TOP + 14 + (22 if legend else 0)
    height = int(top + group * len(labels) + 8)
    name_room = min(HBAR_LABEL_MAX, max(text_width(label) for label in labels) + 4)
    left, right = name_room + 14, width - MARGIN_RIGHT - 8
    ticks = nice_ticks(max(values), min(values), count=4)
    low, high = ticks[0], ticks[-1]

    def x(value: float) -> float:
        return left + (value - low) / ((high - low) or 1) * (right - left)

    parts = _open_svg("hbar", width, height, title)
    for tick in ticks:
        parts.append(
            f'<line class="chart-grid{" zero" if tick == 0 else ""}" x1="{x(tick):.1f}" '
            f'x2="{x(tick):.1f}" y1="{top - 4}" y2="{height - 8}"/>'
            f'<text class="chart-tick" x="{x(tick):.1f}" y="{top - 8}" text-anchor="middle" '
            f'font-size="{FONT_PX}">{html_text(_fmt_tick(tick, money))}</text>'
        )
    for i, name in enumerate(labels):
        y0 = top + group * i + 5
        parts.append(_label(left - 8, y0 + group / 2, name, name_room, "end"))
        for s, (series_name, vals) in enumerate(series.items()):
            value = vals[i]
            x0, x1 = x(0), x(value)
            tip = _tip(series_name, name, value, money)
            parts.append(
                f'<rect class="chart-bar" x="{min(x0, x1):.2f}" y="{y0 + HBAR_ROW * s:.2f}" '
                f'width="{abs(x1 - x0):.2f}" height="{HBAR_ROW - 3}" rx="2" '
                f'fill="{PALETTE[s % len(PALETTE)]}" data-value="{value:g}">'
                f"<title>{html_text(tip)}</title></rect>"
            )
    return _close(parts, series, width)


def line_chart(
    labels: Sequence,
    series: dict[str, Sequence[float]],
    *,
    width: int = 640,
    height: int = 260,
    money: bool = False,
    title: str | None = None,
) -> Markup:
    """One line per series over the labels (dates, sessions…), points with hover values."""
    labels, series = _clean(labels, series)
    start = _start("line", labels, series, width, height, money, title)
    if isinstance(start, Markup):
        return start
    parts, _values, frame, slot = start

    def centre(i: int) -> float:
        return frame.left + slot * (i + 0.5)

    for s, (name, vals) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
        points = " ".join(f"{centre(i):.1f},{frame.y(v):.1f}" for i, v in enumerate(vals))
        parts.append(
            f'<polyline class="chart-line" fill="none" stroke="{colour}" stroke-width="2.2" '
            f'stroke-linejoin="round" stroke-linecap="round" points="{points}"/>'
        )
        for i, value in enumerate(vals):
            tip = _tip(name, labels[i], value, money)
            parts.append(
                f'<circle class="chart-point" cx="{centre(i):.1f}" cy="{frame.y(value):.1f}" '
                f'r="3.2" fill="#fff" stroke="{colour}" stroke-width="2" '
                f'data-value="{value:g}"><title>{html_text(tip)}</title></circle>'
            )
    parts += _x_labels(labels, frame, slot, centre)
    return _close(parts, series, width)


def progress_bar(
    value: float | None, target: float | None, *, money: bool = False, label: str | None = None
) -> Markup:
    """A horizontal progress bar towards a target, e.g. GMV against its goal.

    Over 100 % is drawn full with the real percentage shown; no target shows a dash.
    """
    value = float(value or 0)
    target = float(target or 0)
    if target > 0:
        percent = value / target * 100
        percent_text = f"{percent:.0f}%"
    else:
        percent, percent_text = 0.0, "—"
    width = max(0.0, min(100.0, percent))
    state = "done" if percent >= 100 else ("low" if percent < 50 else "mid")
    figures = f"{_fmt_value(value, money)} / {_fmt_value(target, money) if target else '—'}"
    head = f'<span class="progress-label">{html_text(label)}</span>' if label else ""
    return Markup(
        f'<div class="progress progress-{state}">'
        f'<div class="progress-head">{head}<span class="progress-figures">{html_text(figures)}'
        f'</span><strong class="progress-percent">{percent_text}</strong></div>'
        f'<div class="progress-track" role="progressbar" aria-valuemin="0" aria-valuemax="100" '
        f'aria-valuenow="{width:.0f}"><span style="width:{width:.1f}%"></span></div></div>'
    )
