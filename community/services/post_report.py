"""The report per plan, per content and per journey step: did the post work.

Each report is built from the post's *touches* (``post_outcome``): for a plan or a
content, every group a push reached (WeCom status 1) on each day; for a journey step,
every customer who received it. Per touch: the orders it brought within N days (through
the sender's share code, ``post_outcome.attribute``) and, for a group, its owner's
activity on the send day against the average of the 7 days before — WeCom's
``groupchat/statistic`` figures read back nightly (``chat_statistics``), which WeCom counts
per group owner, not per group.

``report(kind, obj, days)`` → ``{"kind", "id", "name", "outcome_days", "totals",
"series", "rows", "statistics_read_to"}``; rows and totals are scoped to the viewer (an
owner sees their franchise's groups and customers). An owner asking for a plan, content
or step their franchise never received is answered 404 (``visible_or_404``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from app.auth.principal import current_principal
from app.auth.scope import not_found, scoped
from app.errors import NotFound
from app.extensions import db
from app.i18n import tr
from community.models import (
    SendBatch,
    SlotAllocation,
)
from community.models.journeys import Journey, JourneySend, JourneyStep
from community.services import chat_statistics, post_report_sql
from community.services.post_outcome import (
    Outcome,
    attribute,
    journey_touches,
    outcome_days,
)
from franchise.models import Customer, Guide

PLAN, CONTENT, STEP = "plan", "content", "journey_step"


def visible_or_404(kind: str, obj) -> None:
    """HQ sees every report; an owner or guide only one their scope received (404 else)."""
    principal = current_principal()
    if principal is not None and principal.is_hq:
        return
    if kind == STEP:
        stmt = scoped(select(JourneySend.id), JourneySend).where(JourneySend.step_id == obj.id)
        error = not_found(Journey)
    elif kind == PLAN:
        stmt = scoped(select(SlotAllocation.id), SlotAllocation).where(
            SlotAllocation.plan_id == obj.id
        )
        error = NotFound(tr("Plan not found."))
    else:
        stmt = scoped(select(SendBatch.id), SendBatch).where(SendBatch.post_id == obj.id)
        error = NotFound(tr("Post not found."))
    if db.session.scalar(stmt.limit(1)) is None:
        raise error


def _names(model, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    label = model.nickname if model is Customer else model.name
    return dict(db.session.execute(select(model.id, label).where(model.id.in_(ids))).all())


def _row(result: Outcome, **fields) -> dict:
    """A report row: who and when (``fields``), then what the touch brought."""
    return fields | {"orders": len(result.orders), "paid_fen": result.paid_fen,
                     "customers": len(result.customers), "_orders": result.orders,
                     "_customers": result.customers}  # fmt: skip


def _step_rows(step_id: int, days: int) -> list[dict]:
    sends = journey_touches(JourneySend.step_id == step_id)
    outcomes = attribute([t for _, t in sends], days)
    guides = _names(Guide, {s[2] for s, _ in sends})
    customers = _names(Customer, {s[3] for s, _ in sends})
    rows = []
    for (i, d, guide, customer, _), touch in sends:
        rows.append(_row(outcomes[touch.key], date=d, send_id=i, members=1,
                         customer_name=customers.get(customer, ""),
                         guide_name=guides.get(guide, "")))  # fmt: skip
    return rows


def _sum(rows: list[dict]) -> dict:
    """Sends, distinct orders / paid fen / customers, and activity added up over owners."""
    orders: dict[int, int] = {}
    customers: set[int] = set()
    for row in rows:
        orders.update(row["_orders"])
        customers |= row["_customers"]
    figures: dict[str, float | None] = {"sends": len(rows), "orders": len(orders),
               "paid_fen": sum(orders.values()),
               "customers": len(customers)}  # fmt: skip
    for key in ("messages", "messages_before"):
        values = [r[key] for r in rows if r.get(key) is not None]
        figures[key] = round(sum(values), 1) if values else None
    return figures


def _step_report(step_id: int, days: int) -> tuple[dict, list[dict], list[dict]]:
    """A journey step's totals, series and rows (per customer: computed in Python)."""
    rows = _step_rows(step_id, days)
    rows.sort(key=lambda r: (r["date"], r["customer_name"]))
    by_day: dict[date, list[dict]] = defaultdict(list)
    for row in rows:
        by_day[row["date"]].append(row)
    series = [{"date": d, **_sum(part)} for d, part in sorted(by_day.items())]
    clean = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]
    return _sum(rows) | {"groups": 0}, series, clean


def report(kind: str, obj, days: int | None = None, rows: bool = True) -> dict:
    """The report of a plan, a content post or a journey step (see the module docstring).
    A plan's or content's is computed in the database (``post_report_sql``); with
    ``rows=False`` its rows are left to the caller: ``source`` is ``(sends, bounds)`` for
    ``post_report_sql.page_rows`` and ``rows_stmt`` (None when nothing was sent)."""
    visible_or_404(kind, obj)
    days = int(days or (obj.journey.outcome_days if kind == STEP else outcome_days()))
    source: tuple | None = None
    if kind == STEP:
        totals, series, listed = _step_report(obj.id, days)
    else:
        sent = post_report_sql.sends(kind, obj.id)
        bounds = post_report_sql.bounds(sent, days)
        totals, series = post_report_sql.summary(sent, bounds)
        source = None if bounds is None else (sent, bounds)
        listed = []
        if rows and bounds is not None:
            stmt = post_report_sql.rows_stmt(sent, bounds)
            listed = [post_report_sql.as_dict(r) for r in db.session.execute(stmt)]
    name = obj.post.title if kind == STEP else (obj.name if kind == PLAN else obj.title)
    return {
        "kind": kind,
        "id": obj.id,
        "name": name,
        "outcome_days": days,
        "totals": totals,
        "series": series,
        "rows": listed,
        "source": source,
        "statistics_read_to": chat_statistics.last_read(),
    }


def get_step(step_id: int) -> JourneyStep:
    """A journey step (404 naming the journey when there is none)."""
    step = db.session.get(JourneyStep, step_id) if isinstance(step_id, int) else None
    if step is None:
        raise not_found(Journey)
    return step
