"""Dashboard panels the franchise domain adds to the admin home (``app.web.dashboard``).

Every figure goes through the tenant scope helper, so a franchise owner sees their own.
"""

from __future__ import annotations

from sqlalchemy import CompoundSelect, Select, func, literal, literal_column, select, union_all

from app.auth.scope import scoped
from app.web.charts import bar_chart
from app.web.dashboard import DashboardSource, json_rows
from app.web.i18n import N_, gettext_all
from franchise.models import Customer, Franchisee, Guide, Region, Store


def _count(principal, model, *where):
    """The scoped count of ``model``'s rows matching ``where``, as a scalar subquery."""
    stmt = scoped(select(func.count()).select_from(model), model, principal)
    for clause in where:
        stmt = stmt.where(clause)
    return stmt.scalar_subquery()


def _organisation_counts(principal) -> Select:
    """The four organisation counts, one scalar subquery each."""
    return select(
        _count(principal, Franchisee, Franchisee.status == "active"),
        _count(principal, Store, Store.is_open.is_(True)),
        _count(principal, Guide, Guide.status == "active"),
        _count(principal, Customer),
    )


def _stores_and_guides_by_region(principal) -> CompoundSelect:
    """Both series of the chart as ``(kind, region, count)`` rows, in region-name order."""
    stores = scoped(
        select(literal("store").label("kind"), Region.name.label("region"), func.count(Store.id))
        .join(Store, Store.region_id == Region.id)
        .where(Store.is_open.is_(True))
        .group_by(Region.name),
        Store,
        principal,
    )
    guides = scoped(
        select(literal("guide"), Region.name, func.count(Guide.id))
        .join(Store, Guide.store_id == Store.id)
        .join(Region, Store.region_id == Region.id)
        .where(Guide.status == "active")
        .group_by(Region.name),
        Guide,
        principal,
    )
    return union_all(stores, guides).order_by(literal_column("region"))


def organisation_figures(principal) -> Select:
    """The four organisation counts (one scalar subquery each) and both series of the
    chart as a list of ``[kind, region, count]`` in region-name order."""
    by_region = json_rows(_stores_and_guides_by_region(principal), "region")
    return _organisation_counts(principal).add_columns(by_region)


def organisation_panels(principal, values) -> list[dict]:
    """Counts of the organisation and a chart of stores and guides per region."""
    *counts, by_region = values
    words = gettext_all(
        N_("Franchisees"),
        N_("Open stores"),
        N_("Active guides"),
        N_("Customers"),
        N_("Organisation"),
        N_("Stores and guides by region"),
    )
    open_stores, active_guides = words[1], words[2]
    stats = [(label, count or 0) for label, count in zip(words[:4], counts, strict=True)]
    panels = [{"title": words[4], "stats": stats}]
    store_rows, guide_rows = [], {}
    for kind, name, count in by_region:
        if kind == "store":
            store_rows.append((name, count))
        else:
            guide_rows[name] = count
    if store_rows:
        labels = [name for name, _count_ in store_rows]
        panels.append(
            {
                "title": words[5],
                "chart": bar_chart(
                    labels,
                    {
                        open_stores: [count for _name, count in store_rows],
                        active_guides: [guide_rows.get(name, 0) for name in labels],
                    },
                ),
            }
        )
    return panels


ORGANISATION_PANEL = DashboardSource(organisation_figures, organisation_panels)
