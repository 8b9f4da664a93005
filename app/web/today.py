"""What waits for a guide today, per mobile tab, for the "Today" page (``/m/``).

Domains register a source with ``add_today``: ``figures(guide)`` returns named scalar
SQL expressions (counts, sums) written against ``guide``, a guide principal whose ids
are bound parameters, and against the parameters below; ``notes(principal, values)``
turns the figures' values into ``TodayNote``s for the tabs the domain owns. A source
whose line needs rows rather than scalars (the coming lives) gives them as ``rows``
(``TodayRows``): its statement is joined to the figures' one row (``LEFT OUTER JOIN …
ON true``), so the rows come in the same round trip and ``values["rows"]`` holds them. The
shell builds that one ``SELECT`` the first time the page is asked for, then runs it once
per page view with the guide's values: one database round trip for the whole page,
however many tabs count.

A note says how many things wait for the guide on that tab (``count``; 0 means there
is nothing to do, the line is information) and one line of what they are.

Parameters a figure may use (``bindparam(name)``): ``guide_id``, ``store_id``,
``franchisee_id`` (in ``guide``), ``day`` (today in Asia/Shanghai), ``day_start`` and
``day_end`` (that day's bounds in UTC), ``week_ago`` (``day`` minus 7 days) and ``now``.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy import Select, select, true

from app.auth.bound_scope import stand_in
from app.auth.models import GUIDE
from app.auth.principal import Principal
from app.clock import as_utc, shanghai_day, shanghai_day_bounds, utcnow
from app.direct_read import read_rows
from app.extensions import db, registry
from app.web.formatting import html_text
from app.web.shell import NavLink, icon

# The guide the figures are written against: a bind parameter stands in for each id in
# the SQL the scope helpers build.
GUIDE_PARAMS = stand_in(GUIDE, ("franchisee_id", "store_id", "guide_id"))


@dataclass(frozen=True)
class TodayNote:
    """One tab's line on the Today page."""

    endpoint: str
    text: str  # translated, one line
    count: int = 0  # things waiting for the guide; 0 means nothing to do
    due: datetime | None = None  # when the most pressing of them is due (aware UTC)


@dataclass(frozen=True)
class TodayRows:
    """A source's rows on the Today page, fetched in the page's one statement.

    ``statement()`` is written against ``GUIDE_PARAMS`` and the page's parameters (plus
    ``parameters(values)``, worked out from the page's values each view); its first
    column is never NULL (a key) and ``order`` names the columns of its own ``ORDER BY``
    (the joined statement orders by them again: a derived table's order is not kept).
    """

    statement: Callable[[], Select]
    order: tuple[str, ...]
    parameters: Callable[[dict], dict]


@dataclass(frozen=True)
class TodaySource:
    """A domain's part of the Today page (see the module docstring)."""

    figures: Callable[[Principal], dict]
    notes: Callable[[Principal, dict], list[TodayNote]]
    rows: TodayRows | None = None


def end_of_today() -> datetime:
    """When today ends in Shanghai (aware UTC): the due time of things to do today."""
    return day_bounds(shanghai_day())[1]


@lru_cache(maxsize=8)
def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A Shanghai day's UTC bounds, worked out once per day (the Today page asks ~4 times
    a view, the overview once)."""
    start, end = shanghai_day_bounds(day, day)
    assert start is not None and end is not None  # a closed range has both ends
    return start, end


def due_time(value) -> datetime | None:
    """A figure's moment as aware UTC (SQLite may hand a scalar subquery's as text)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value)


def add_today(app: Flask, figures, notes, rows: TodayRows | None = None) -> None:
    """Register a domain's figures, its rows (at most one source of the page has rows)
    and the notes made from them."""
    if rows is not None and any(source.rows for source in registry(app).today):
        raise ValueError("one Today source may have rows: two would join as a product")
    registry(app).today.append(TodaySource(figures, notes, rows))


@dataclass(frozen=True)
class _Plan:
    """The page's statement and where each source's values are in its row."""

    statement: Select | None
    figures: tuple[tuple[str, ...], ...]  # per source, its figures' names, in column order
    rows_source: int | None  # which source has rows; its columns follow every figure
    row_type: Any = None  # a named tuple of the rows' columns


def _plan() -> _Plan:
    """Every source's figures (and the one row set) as one ``SELECT``, built once per app."""
    cache = current_app.extensions.setdefault("siyu_today", {})
    plan = cache.get("plan")
    if plan is None:
        plan = cache["plan"] = _build_plan(registry().today)
    return plan


def _statement() -> Select | None:
    """The page's one statement (built once per app)."""
    return _plan().statement


def _build_plan(sources: list[TodaySource]) -> _Plan:
    columns: list[Any] = []
    names: list[tuple[str, ...]] = []
    rows_source, rows = None, None
    for number, source in enumerate(sources):
        figures = source.figures(GUIDE_PARAMS)
        names.append(tuple(figures))
        columns.extend(expr.label(f"s{number}_{name}") for name, expr in figures.items())
        if source.rows is not None:
            rows_source, rows = number, source.rows
    if rows is None:
        return _Plan(select(*columns) if columns else None, tuple(names), None)
    lines = rows.statement().subquery("today_rows")
    one = columns or [true().label("today_one")]  # a row to join to, even with no figures
    figures_row = select(*one).subquery("today_figures")
    statement = (
        select(*(figures_row.c[column.name] for column in columns), *lines.c)
        .select_from(figures_row.outerjoin(lines, true()))
        .order_by(*(lines.c[name] for name in rows.order))
    )
    row_type = namedtuple("TodayRow", [column.key for column in lines.c])  # type: ignore[misc]
    return _Plan(statement, tuple(names), rows_source, row_type)


def parameters(principal: Principal) -> dict:
    """The bound values for ``principal`` (a guide) at this moment."""
    day = shanghai_day()
    day_start, day_end = day_bounds(day)
    return {
        "guide_id": principal.guide_id,
        "store_id": principal.store_id,
        "franchisee_id": principal.franchisee_id,
        "day": day,
        "day_start": day_start,
        "day_end": day_end,
        "week_ago": day - timedelta(days=7),
        "now": utcnow(),
    }


def notes_for(principal: Principal) -> dict[str, TodayNote]:
    """Every source's notes for a guide, by endpoint; nothing for a guide without a store."""
    if principal.role != GUIDE or principal.guide_id is None or principal.store_id is None:
        return {}
    plan = _plan()
    sources = registry().today
    bound = parameters(principal)
    if plan.rows_source is not None:
        rows_parameters = sources[plan.rows_source].rows
        assert rows_parameters is not None
        bound.update(rows_parameters.parameters(bound))
    result: Sequence[Any] = (
        read_rows(db.session.connection(), plan.statement, bound, alone=True)
        if plan.statement is not None
        else [()]
    )
    first = result[0]
    notes: dict[str, TodayNote] = {}
    position = 0
    for number, source in enumerate(sources):
        names = plan.figures[number]
        end = position + len(names)
        values: dict[str, Any] = dict(zip(names, first[position:end], strict=True))
        position = end
        if number == plan.rows_source:
            values["rows"] = _rows(plan, result)
        for note in source.notes(principal, values) or ():
            notes[note.endpoint] = note
    return notes


def _rows(plan: _Plan, result: Sequence[Any]) -> list:
    """The row source's rows out of the joined result (none: one row of NULLs)."""
    start = sum(len(names) for names in plan.figures)
    return [plan.row_type._make(row[start:]) for row in result if row[start] is not None]


def card_markup(link: NavLink, note: TodayNote | None, waiting_format: str | None = None) -> Markup:
    """One tab's card on the Today page: its icon and label, the count waiting there and
    the note's line (``waiting_format``: "%(n)s waiting" translated, when the caller has
    it already).

    Written here rather than in the page's template: a template loop over ~15 cards spent
    ~75 escapes and ~20 template calls a view on what is a few string joins; the link's
    own part (URL, endpoint, icon, label) is drawn once per link and kept."""
    todo = bool(note and note.count)
    count = ""
    if note and note.count:
        if waiting_format is None:
            waiting_format = gettext("%(n)s waiting")
        waiting = Markup(waiting_format) % {"n": note.count}
        count = f'<span class="m-count" aria-label="{waiting}">{html_text(note.count)}</span>'
    line = f'<small class="m-note">{html_text(note.text)}</small>' if note else ""
    top, label = _card_link(link.url, link.endpoint, link.icon, link.label)
    return Markup(
        f'<a class="m-card{" m-card-todo" if todo else ""}"{top}{count}{label}{line}\n  </a>'
    )


def cards_markup(cards: Sequence[tuple[NavLink, TodayNote | None]]) -> Markup:
    """The page's cards one after the other, spaced as the template's loop over them
    spaced them (empty when there is none: the page says nothing waits). "%(n)s waiting"
    is translated once for all the cards."""
    waiting_format = (
        gettext("%(n)s waiting") if any(note and note.count for _, note in cards) else None
    )
    return Markup(
        "".join(f"\n  {card_markup(link, note, waiting_format)}\n  " for link, note in cards)
    )


@lru_cache(maxsize=1024)
def _card_link(url: str, endpoint: str, icon_name: str, label: str) -> tuple[str, str]:
    """A card's markup around its count: up to it, and from it to the note's line."""
    return (
        f' href="{html_text(url)}" data-endpoint="{html_text(endpoint)}">\n'
        f'    <span class="m-card-top"><span class="icon-wrap">{icon(icon_name, 22)}</span>',
        f"</span>\n    <strong>{html_text(label)}</strong>\n    ",
    )
