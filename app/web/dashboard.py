"""The HQ / franchise overview (``/admin/``): every domain's panels from one statement.

A domain adds a source with ``add_dashboard(app, source)``: a ``DashboardSource`` of

- ``figures(principal) -> Select | None``: one row of values (counts, sums; a list as one
  JSON value, ``json_rows``), written against ``principal``, a stand-in whose scope ids
  are bound parameters (``app.auth.bound_scope``), so the tenant scope helper writes the
  same SQL for every viewer of a role; ``None`` when the role sees nothing of it;
- ``panels(principal, values) -> list[dict]``: the panels made from that row's values (in
  the select's column order), as ``app.web.admin_home`` describes them; it may run a
  query of its own for what SQL cannot say (a readiness gate);
- ``parameters(common) -> dict`` (optional): the source's own bound values, computed from
  the common ones (below) so the whole view reads one clock.

The page builds, once per role and set of scope ids, one ``SELECT`` with every source's
row as a derived table (``FROM (…) AS d0 JOIN (…) AS d1 ON true …``: each aggregates its
own tables once, a one-row table joined to one-row tables is one row), then runs it once
per view with the viewer's ids: the whole overview is one round trip however many
domains count. ``panels_alone`` runs one source by itself (its statement, built once).

Parameters every figure may use (``bindparam(name)``): ``now``, ``day`` (today in
Asia/Shanghai), ``day_start`` and ``day_end`` (that day's bounds in UTC). A source's own
parameter names share the statement's one namespace: use a name with one meaning only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask
from markupsafe import Markup
from sqlalchemy import CompoundSelect, Select, func, select, true, type_coerce
from sqlalchemy.types import JSON

from app.auth.bound_scope import built_once
from app.auth.principal import Principal
from app.clock import shanghai_day, utcnow
from app.direct_read import read_rows
from app.extensions import db, registry
from app.web.attention import Attention, collect
from app.web.formatting import html_text, number
from app.web.i18n import N_, gettext_all
from app.web.shell import current_user_name, role_name
from app.web.today import day_bounds


@dataclass(frozen=True)
class DashboardSource:
    """A domain's part of the overview (see the module docstring)."""

    figures: Callable[[Principal], Select | None]
    panels: Callable[[Principal, Sequence[Any]], list[dict]]
    parameters: Callable[[dict], dict] | None = None


def add_dashboard(app: Flask, source: DashboardSource) -> None:
    """Register a domain's overview panels (shown in the order added)."""
    registry(app).dashboard.append(source)


def common_parameters() -> dict:
    """The bound values every source may use, at this moment."""
    day = shanghai_day()
    day_start, day_end = day_bounds(day)
    return {"now": utcnow(), "day": day, "day_start": day_start, "day_end": day_end}


def _joined(parts: Sequence[Select | None]) -> tuple[Select | None, list[int]]:
    """One ``SELECT`` of every part's columns over the parts as derived tables (joined
    on true), and how many columns each part has (0 for ``None``)."""
    tables = [
        part.subquery(f"d{number}") if part is not None else None
        for number, part in enumerate(parts)
    ]
    present = [table for table in tables if table is not None]
    widths = [len(table.c) if table is not None else 0 for table in tables]
    if not present:
        return None, widths
    joined = present[0]
    for table in present[1:]:
        joined = joined.join(table, true())  # type: ignore[assignment]
    return select(*[column for table in present for column in table.c]).select_from(joined), widths


def _statement(principal: Principal) -> tuple[Select | None, list[int]]:
    """Every source's figures for a stand-in of ``principal`` (``built_once`` keeps it)."""
    return _joined([source.figures(principal) for source in registry().dashboard])


def _parameters(sources: Sequence[DashboardSource]) -> dict:
    values = common_parameters()
    for source in sources:
        if source.parameters is not None:
            values.update(source.parameters(values))
    return values


def _run(stmt: Select | None, params: dict, sources) -> list[Any]:
    """The statement's one row (nothing to run: no values)."""
    if stmt is None:
        return []
    (row,) = read_rows(
        db.session.connection(), stmt, {**params, **_parameters(sources)}, alone=True
    )
    return list(row)


def overview_panels(principal: Principal) -> list[dict]:
    """Every source's panels for ``principal``, in the order the sources were added, from
    one statement (none when no source has figures for the role)."""
    sources = registry().dashboard
    (stmt, widths), params = built_once(_statement, principal)
    row = _run(stmt, params, sources)
    panels: list[dict] = []
    start = 0
    for source, width in zip(sources, widths, strict=True):
        values = row[start : start + width]
        start += width
        panels.extend(source.panels(principal, values) or [])
    return panels


def panels_alone(source: DashboardSource, principal: Principal) -> list[dict]:
    """One source's panels by itself: its figures as a statement of their own (built once
    per role), for a page or test that wants only that source."""
    stmt, params = built_once(source.figures, principal)
    values = _run(stmt, params, [source])
    return source.panels(principal, values) or []


def json_rows(rows: Select | CompoundSelect, order_by: str) -> Any:
    """``rows`` as one JSON value, a list of each row's values as a list, in the order of
    its column ``order_by``: a figure that is a list (a chart's series) inside a one-row
    ``figures`` select. Empty: ``[]``.

    PostgreSQL aggregates with ``json_agg(json_build_array(…) ORDER BY …)``; SQLite
    (before 3.44 no ``ORDER BY`` inside an aggregate) with ``json_group_array`` over the
    rows ordered in their subquery, which the aggregate reads in that order: SQLite does
    not flatten an ordered subquery into an aggregate query, and keeps a FROM
    subquery's ``ORDER BY`` when it is the only term of a FROM with no ``ORDER BY`` of
    its own (this shape). Both order by the database's own collation, as an ``ORDER BY``
    of the rows themselves would (``tests/web/test_dashboard.py`` holds them together).
    """
    from sqlalchemy.dialects.postgresql import aggregate_order_by

    aggregate: Any
    if db.engine.dialect.name == "postgresql":
        table = rows.order_by(None).subquery("json_rows")
        items = func.json_build_array(*table.c)
        aggregate = func.coalesce(
            func.json_agg(aggregate_order_by(items, table.c[order_by])), func.json_build_array()
        )
    else:
        table = rows.order_by(None).order_by(order_by).subquery("json_rows")
        aggregate = func.json_group_array(func.json_array(*table.c))
    return type_coerce(select(aggregate).select_from(table).scalar_subquery(), JSON)


HQ_INTRO = N_(
    "Run groups, content and push plans, livestream campaigns and same-day settlement for "
    "every franchise from here."
)
OWNER_INTRO = N_("See your stores, guides, customers, orders and today's settlement statement.")


def page_context(principal: Principal) -> dict:
    """What ``web/admin_home.html`` shows: the page's words, translated together (one
    catalogue lookup; as the template's ``_()`` made them, a translation is markup), the
    attention items and the panels, drawn."""
    todo, panels = collect(overview_panels(principal))
    overview, welcome, intro, needs, clear = gettext_all(
        N_("Overview"),
        N_("Welcome back, %(name)s"),
        HQ_INTRO if principal.is_hq else OWNER_INTRO,
        N_("Needs attention"),
        N_("Nothing waits for you right now."),
    )
    words = {
        "overview": Markup(overview) % {},
        "welcome": Markup(welcome) % {"name": current_user_name()},
        "intro": Markup(intro) % {},
        "role": role_name(principal.role),
        "needs_attention": Markup(needs) % {},
        "all_clear": Markup(clear) % {},
    }
    return {
        "words": words,
        "waiting": any(item.count for item in todo),
        "attention_items": attention_markup(todo),
        "panels": panels_markup(panels),
    }


# The overview's two lists are drawn here rather than by template loops: the loops spent
# ~280 template yields and ~110 escapes a view on what is a few string joins. The
# markup is byte for byte what the loops drew (tests/web/test_dashboard.py holds them
# together), whitespace included.


def attention_markup(items: Sequence[Attention]) -> Markup:
    """The "needs attention" card's list items: each count, linking to its list."""
    parts = []
    for item in items:
        count = item.count
        badge = ("badge-danger" if item.level == "critical" else "badge-warn") if count else ""
        parts.append(
            f'\n    <li class="attention-item level-{html_text(item.level)}'
            f'{"" if count else " is-clear"}" data-count="{html_text(count)}">\n'
            f'      <a href="{html_text(item.url)}"><span class="badge {badge}">'
            f"{html_text(number(count))}</span>\n"
            f"        <span>{html_text(item.label)}</span></a></li>\n    "
        )
    return Markup("".join(parts))


def _stat_markup(stat: Sequence[Any]) -> str:
    """One figure of a panel: a link to the list it counts when it has a URL."""
    label, value = html_text(stat[0]), html_text(stat[1])
    figure = f'<span class="stat-value">{value}</span><span class="stat-label">{label}</span>'
    if len(stat) > 2 and stat[2]:
        return f'\n      <a class="stat" href="{html_text(stat[2])}">{figure}</a>\n      \n      '
    return f'\n      <div class="stat">{figure}</div>\n      '


def panels_markup(panels: Sequence[dict]) -> Markup:
    """The overview's panels: a card each with its title, its figures and its chart."""
    parts = []
    for panel in panels:
        stats = panel.get("stats")
        chart = panel.get("chart")
        figures = (
            '\n    <div class="stat-grid">\n      '
            + "".join(_stat_markup(stat) for stat in stats)
            + "\n    </div>\n    "
            if stats
            else ""
        )
        parts.append(
            '\n  <section class="card dashboard-panel">\n'
            f'    <div class="card-head"><h2>{html_text(panel.get("title"))}</h2></div>\n'
            f"    {figures}\n    {html_text(chart) if chart else ''}\n  </section>\n  "
        )
    return Markup("".join(parts))
