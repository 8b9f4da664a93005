"""The schedule as people read it: per (day, group, plan) a public status — ``scheduled``
(placed, not yet handed to the guide), ``pending`` (deferred, or with the guide and not
yet confirmed), ``sent`` (WeCom's send result 1) or ``missed`` (with the reason: no room
inside its window, no guide, quiet hours, or WeCom's own result: not a friend, receiving
limit reached) — and each plan's reach over the horizon, stored or previewed.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, select

from app.clock import shanghai_day
from app.db import values_by_key
from app.extensions import db
from app.i18n import tr
from community.models import (
    ALLOCATED,
    DELIVERY_FAILED,
    DELIVERY_NOT_FRIEND,
    DELIVERY_QUOTA_USED,
    DELIVERY_SENT,
    MISSED,
    WAITING,
    GroupDelivery,
    PushPlan,
    SlotAllocation,
    WecomGroup,
)
from community.services import allocation, planner, plans
from community.services.replan_scope import target_of

SCHEDULED, PENDING, SENT = "scheduled", "pending", "sent"
PUBLIC_STATUSES = (SCHEDULED, PENDING, SENT, MISSED)
# WeCom's per-group send results that mean it did not arrive (reason in English)
RESULT_REASONS = {
    DELIVERY_NOT_FRIEND: "WeCom: not a friend (status 2)",
    DELIVERY_QUOTA_USED: "WeCom: receiving limit reached (status 3)",
    DELIVERY_FAILED: "WeCom: the send failed",
}


# a slot's per-group result, once its batch was sent
RESULT_OF_SLOT = and_(
    GroupDelivery.batch_id == SlotAllocation.batch_id,
    GroupDelivery.group_id == SlotAllocation.group_id,
)


def public_status(status: str, batch_id: int | None, result: str | None) -> tuple[str, str]:
    """(public status, extra reason) of a slot with its delivery result."""
    if status == MISSED:
        return MISSED, ""
    if status == WAITING:
        return PENDING, ""
    if batch_id is None:
        return SCHEDULED, ""
    if result == DELIVERY_SENT:
        return SENT, ""
    if result in RESULT_REASONS:
        return MISSED, RESULT_REASONS[result]
    return PENDING, ""


def rows_stmt(first: date, last: date):
    """Slots placed (or owed) from ``first`` to ``last`` with the group's name and result."""
    return (
        select(
            SlotAllocation.id,
            SlotAllocation.day,
            SlotAllocation.group_id,
            WecomGroup.name.label("group_name"),
            SlotAllocation.plan_id,
            PushPlan.name.label("plan_name"),
            SlotAllocation.post_id,
            SlotAllocation.status,
            SlotAllocation.deadline,
            SlotAllocation.batch_id,
            SlotAllocation.reason,
            SlotAllocation.reason_code,
            SlotAllocation.reason_params,
            GroupDelivery.status.label("result"),
        )
        .join(WecomGroup, WecomGroup.id == SlotAllocation.group_id)
        .join(PushPlan, PushPlan.id == SlotAllocation.plan_id)
        .outerjoin(GroupDelivery, RESULT_OF_SLOT)
        .where(SlotAllocation.day >= first, SlotAllocation.day <= last)
    )


def status_clause(status: str):
    """The SQL condition of one public status (over ``rows_stmt``'s columns)."""
    batched = SlotAllocation.batch_id.is_not(None)
    failed_set = tuple(RESULT_REASONS)
    failed = GroupDelivery.status.in_(failed_set)
    if status == MISSED:
        return (SlotAllocation.status == MISSED) | (batched & failed)
    if status == SCHEDULED:
        return (SlotAllocation.status == ALLOCATED) & SlotAllocation.batch_id.is_(None)
    if status == SENT:
        return batched & (GroupDelivery.status == DELIVERY_SENT)
    return (SlotAllocation.status == WAITING) | (
        batched
        & (SlotAllocation.status != MISSED)
        & (
            GroupDelivery.status.is_(None)
            | ~GroupDelivery.status.in_((DELIVERY_SENT, *RESULT_REASONS))
        )
    )


def item(row) -> dict:
    """A schedule row as the API and pages show it."""
    status, extra = public_status(row.status, row.batch_id, row.result)
    return {
        "date": row.day,
        "group_id": row.group_id,
        "group_name": row.group_name,
        "plan_id": row.plan_id,
        "plan_name": row.plan_name,
        "content_id": row.post_id,
        "status": status,
        "reason": extra or row.reason or "",
        "reason_label": tr(extra)
        if extra
        else allocation.reason_label(row.reason_code, row.reason_params, row.reason or ""),
    }


def _at_risk(status: str, value: dict) -> bool:
    """Placed on the last day of its window (one more loss and it is missed), or deferred."""
    return value["status"] == WAITING or (
        status == SCHEDULED
        and value.get("deadline") is not None
        and value["day"] >= value["deadline"]
    )


def reach_of(values: list[dict]) -> dict:
    """``{"groups", "occurrences", "scheduled", "at_risk", "missed", "sent", "pending"}``."""
    counts = dict.fromkeys(PUBLIC_STATUSES, 0)
    at_risk = 0
    for value in values:
        status = public_status(value["status"], value.get("batch_id"), value.get("result"))[0]
        counts[status] += 1
        at_risk += _at_risk(status, value)
    return {
        "groups": len({v["group_id"] for v in values}),
        "occurrences": len(values),
        "scheduled": counts[SCHEDULED],
        "at_risk": at_risk,
        "missed": counts[MISSED],
        "sent": counts[SENT],
        "pending": counts[PENDING],
    }


def _span() -> list[date]:
    return planner.horizon(shanghai_day())


def reach(plan: PushPlan) -> dict:
    """The plan's stored schedule over the horizon (from today)."""
    span = _span()
    stmt = rows_stmt(span[0], span[-1]).where(SlotAllocation.plan_id == plan.id)
    values = [row._asdict() for row in db.session.execute(stmt)]
    db.session.commit()
    return reach_of(values) | {"from": span[0], "days": len(span)}


def preview(data: dict, plan: PushPlan | None = None, limit: int = 50) -> dict:
    """What the plan ``data`` (new, or an edit of ``plan``) would get over the horizon
    under the current policy, without saving: its reach and the occurrences it would miss
    (``limit`` of them, with the group's name and the reason). 422 on invalid input.
    Only the groups the plan would target are decided (``replan_scope``: a group's
    decision depends only on the plans, the policy and its own rows), so previewing a
    plan for one stage or a few stores does not plan every group."""
    clean = plans.load_plan(data)
    candidate = PushPlan(**{k: clean.get(k) for k in plans.PLAN_COLUMNS})
    candidate.id = plan.id if plan is not None else 0
    span = _span()
    targets = [target_of(candidate)]
    try:
        with planner.without_cyclic_gc():
            desired, _existing, _rows = planner.compute(span, candidate, targets=targets)
    finally:
        db.session.rollback()
    mine = [v for (plan_id, _g, _o), v in desired.items() if plan_id == candidate.id]
    names = values_by_key(
        db.session,
        WecomGroup.id,
        WecomGroup.name,
        {v["group_id"] for v in mine if v["status"] == MISSED},
    )
    db.session.commit()
    missed = [
        {
            "date": v["occurrence"],
            "group_id": v["group_id"],
            "group_name": names.get(v["group_id"], ""),
            "reason": v["reason"],
            "reason_label": allocation.reason_label(v["reason_code"], v["reason_params"]),
        }
        for v in sorted(mine, key=lambda v: (v["occurrence"], v["group_id"]))
        if v["status"] == MISSED
    ]
    return reach_of(mine) | {"from": span[0], "days": len(span), "missed_items": missed[:limit]}


def save_after_preview(data: dict, plan: PushPlan | None = None, user_id: int | None = None):
    """Save a plan (``plans.save_plan``) unless its preview shows occurrences it would miss
    and ``confirm_missed`` is not set: then 422 naming ``confirm_missed`` with how many and
    the first reason, so the operator sees them before saving."""
    if not data.get("confirm_missed"):
        shown = preview(data, plan, limit=1)
        if shown["missed"]:
            first = shown["missed_items"][0]
            message = tr(
                "%(count)s occurrences would be missed (first: %(group)s on %(day)s: "
                "%(reason)s). Check the preview, then confirm.",
                count=shown["missed"],
                group=first["group_name"],
                day=first["date"].isoformat(),
                reason=first["reason_label"],
            )
            raise plans.PlanInvalid(message, errors={"confirm_missed": [message]})
    return plans.save_plan(data, plan, user_id=user_id)
