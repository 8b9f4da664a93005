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
from datetime import date, timedelta

from sqlalchemy import select

from app.auth.principal import current_principal
from app.auth.scope import not_found, scoped
from app.clock import as_utc
from app.errors import NotFound
from app.extensions import db
from app.i18n import tr
from community.models import (
    DELIVERY_SENT,
    GroupChatStat,
    GroupDelivery,
    SendBatch,
    SlotAllocation,
    WecomGroup,
)
from community.models.journeys import Journey, JourneySend, JourneyStep
from community.services import chat_statistics
from community.services.post_outcome import (
    Outcome,
    Touch,
    attribute,
    journey_touches,
    members_on,
    outcome_days,
    present,
)
from franchise.models import Customer, Guide

PLAN, CONTENT, STEP = "plan", "content", "journey_step"
BEFORE_DAYS = 7


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


def _group_sends(kind: str, obj_id: int) -> list:
    """``(group, day, guide, franchisee, batch created, group name, owner)`` per delivery."""
    stmt = (
        select(
            GroupDelivery.group_id,
            GroupDelivery.day,
            GroupDelivery.guide_id,
            GroupDelivery.franchisee_id,
            SendBatch.created_at,
            WecomGroup.name,
            WecomGroup.owner_userid,
        )  # fmt: skip
        .join(SendBatch, SendBatch.id == GroupDelivery.batch_id)
        .join(WecomGroup, WecomGroup.id == GroupDelivery.group_id)
        .where(GroupDelivery.status == DELIVERY_SENT)
    )
    if kind == PLAN:
        stmt = stmt.join(
            SlotAllocation,
            (SlotAllocation.batch_id == GroupDelivery.batch_id)
            & (SlotAllocation.group_id == GroupDelivery.group_id),
        ).where(SlotAllocation.plan_id == obj_id)
    else:
        stmt = stmt.where(SendBatch.post_id == obj_id)
    return list(db.session.execute(scoped(stmt, GroupDelivery).distinct()).all())


def _activity(owner_days: set[tuple[str, date]]) -> dict[tuple[str, date], dict]:
    """Per (owner, send day): messages and members who spoke that day, and their averages
    over the 7 days before (None when nothing was read for those days)."""
    if not owner_days:
        return {}
    owners = {o for o, _ in owner_days}
    first = min(d for _, d in owner_days) - timedelta(days=BEFORE_DAYS)
    last = max(d for _, d in owner_days)
    stats = {
        (s.owner_userid, s.day): s
        for s in db.session.scalars(
            select(GroupChatStat).where(
                GroupChatStat.owner_userid.in_(owners), GroupChatStat.day.between(first, last)
            )
        )
    }
    out = {}
    for owner, day in owner_days:
        on = stats.get((owner, day))
        before = [stats[(owner, day - timedelta(days=n))] for n in range(1, BEFORE_DAYS + 1)
                  if (owner, day - timedelta(days=n)) in stats]  # fmt: skip
        out[(owner, day)] = {
            "messages": on.msg_total if on else None,
            "active_members": on.member_has_msg if on else None,
            "messages_before": _mean([s.msg_total for s in before]),
            "active_before": _mean([s.member_has_msg for s in before]),
        }
    return out


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


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


def _group_rows(kind: str, obj_id: int, days: int) -> list[dict]:
    sends = _group_sends(kind, obj_id)
    members = members_on({s[0] for s in sends})
    touches = [
        Touch((g, d), d, as_utc(since), guide, franchisee, present(members.get(g, []), d))
        for g, d, guide, franchisee, since, _, _ in sends
    ]
    outcomes = attribute(touches, days)
    activity = _activity({(s[6], s[1]) for s in sends})
    guides = _names(Guide, {s[2] for s in sends})
    rows = []
    for (g, d, guide, _, _, name, owner), touch in zip(sends, touches, strict=True):
        rows.append(_row(outcomes[touch.key], date=d, group_id=g, group_name=name,
                         guide_name=guides.get(guide, ""), members=len(touch.customers),
                         **activity.get((owner, d), {})))  # fmt: skip
    return rows


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


def report(kind: str, obj, days: int | None = None) -> dict:
    """The report of a plan, a content post or a journey step (see the module docstring)."""
    visible_or_404(kind, obj)
    days = int(days or (obj.journey.outcome_days if kind == STEP else outcome_days()))
    rows = _step_rows(obj.id, days) if kind == STEP else _group_rows(kind, obj.id, days)
    rows.sort(key=lambda r: (r["date"], r.get("group_name") or r.get("customer_name") or ""))
    by_day: dict[date, list[dict]] = defaultdict(list)
    for row in rows:
        by_day[row["date"]].append(row)
    series = [{"date": d, **_sum(part)} for d, part in sorted(by_day.items())]
    name = obj.post.title if kind == STEP else (obj.name if kind == PLAN else obj.title)
    return {
        "kind": kind,
        "id": obj.id,
        "name": name,
        "outcome_days": days,
        "totals": _sum(rows) | {"groups": len({r["group_id"] for r in rows if "group_id" in r})},
        "series": series,
        "rows": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
        "statistics_read_to": chat_statistics.last_read(),
    }


def get_step(step_id: int) -> JourneyStep:
    """A journey step (404 naming the journey when there is none)."""
    step = db.session.get(JourneyStep, step_id) if isinstance(step_id, int) else None
    if step is None:
        raise not_found(Journey)
    return step
