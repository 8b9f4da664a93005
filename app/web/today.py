"""What waits for a guide today, per mobile tab, for the "Today" page (``/m/``).

Domains register a source with ``add_today``: ``figures(guide)`` returns named scalar
SQL expressions (counts, sums) written against ``guide``, a guide principal whose ids
are bound parameters, and against the parameters below; ``notes(principal, values)``
turns the figures' values into ``TodayNote``s for the tabs the domain owns (and may
run a query of its own). The shell builds one ``SELECT`` of every source's figures the
first time the page is asked for, then runs it once per page view with the guide's
values: one database round trip for the whole page, however many tabs count.

A note says how many things wait for the guide on that tab (``count``; 0 means there
is nothing to do, the line is information) and one line of what they are.

Parameters a figure may use (``bindparam(name)``): ``guide_id``, ``store_id``,
``franchisee_id`` (in ``guide``), ``day`` (today in Asia/Shanghai), ``day_start`` and
``day_end`` (that day's bounds in UTC), ``week_ago`` (``day`` minus 7 days) and ``now``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext
from markupsafe import Markup, escape
from sqlalchemy import select

from app.auth.bound_scope import stand_in
from app.auth.models import GUIDE
from app.auth.principal import Principal
from app.clock import as_utc, shanghai_day, shanghai_day_bounds, utcnow
from app.extensions import db, registry
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
class TodaySource:
    """A domain's part of the Today page (see the module docstring)."""

    figures: Callable[[Principal], dict]
    notes: Callable[[Principal, dict], list[TodayNote]]


def end_of_today() -> datetime:
    """When today ends in Shanghai (aware UTC): the due time of things to do today."""
    end = shanghai_day_bounds(shanghai_day(), shanghai_day())[1]
    assert end is not None  # a closed range has an end
    return end


def due_time(value) -> datetime | None:
    """A figure's moment as aware UTC (SQLite may hand a scalar subquery's as text)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value)


def add_today(app: Flask, figures, notes) -> None:
    """Register a domain's figures and the notes made from them."""
    registry(app).today.append(TodaySource(figures, notes))


def _statement():
    """Every source's figures as one ``SELECT`` (built once per app, run per view)."""
    cache = current_app.extensions.setdefault("siyu_today", {})
    if "stmt" not in cache:
        columns = []
        for number, source in enumerate(registry().today):
            for name, expression in source.figures(GUIDE_PARAMS).items():
                columns.append(expression.label(f"s{number}_{name}"))
        cache["stmt"] = select(*columns) if columns else None
    return cache["stmt"]


def parameters(principal: Principal) -> dict:
    """The bound values for ``principal`` (a guide) at this moment."""
    day = shanghai_day()
    day_start, day_end = shanghai_day_bounds(day, day)
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
    stmt = _statement()
    row: Mapping[Any, Any] = (
        db.session.connection().execute(stmt, parameters(principal)).one()._mapping
        if stmt is not None
        else {}
    )
    notes: dict[str, TodayNote] = {}
    for number, source in enumerate(registry().today):
        prefix = f"s{number}_"
        values = {key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)}
        for note in source.notes(principal, values) or ():
            notes[note.endpoint] = note
    return notes


def card_markup(link: NavLink, note: TodayNote | None) -> Markup:
    """One tab's card on the Today page: its icon and label, the count waiting there and
    the note's line.

    Written here rather than in the page's template: a template loop over ~15 cards spent
    ~75 escapes and ~20 template calls a view on what is a few string joins."""
    todo = bool(note and note.count)
    count = ""
    if note and note.count:
        waiting = Markup(gettext("%(n)s waiting")) % {"n": note.count}
        count = f'<span class="m-count" aria-label="{waiting}">{escape(note.count)}</span>'
    line = f'<small class="m-note">{escape(note.text)}</small>' if note else ""
    return Markup(
        f'<a class="m-card{" m-card-todo" if todo else ""}" href="{escape(link.url)}" '
        f'data-endpoint="{escape(link.endpoint)}">\n'
        f'    <span class="m-card-top"><span class="icon-wrap">{icon(link.icon, 22)}</span>'
        f"{count}</span>\n"
        f"    <strong>{escape(link.label)}</strong>\n"
        f"    {line}\n"
        "  </a>"
    )
