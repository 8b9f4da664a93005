"""The reasons a post was placed late, deferred or missed, the plan-target rule, and
``allocate(day)``: the planner (``community.services.planner``) over one day.

Reasons are stored as English text (CSV, API) plus a code and params the pages translate
through gettext (``reason_label``).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext
from sqlalchemy import func, select

from app.extensions import db
from community.models import (
    ALLOCATED,
    WAITING,
    PushPlan,
    SlotAllocation,
)
from community.services import plans as plan_rules

CHUNK = 5000


NO_GUIDE, QUOTA_TAKEN = "no_guide", "quota_taken"
NO_ROOM, NO_ROOM_ANY, DEFERRED, WINDOW_PASSED = "no_room", "no_room_any", "deferred", "passed"
# reason code → msgid: ``reason`` keeps the English text (CSV, API), the pages translate
# ``reason_code`` + ``reason_params`` through gettext (``reason_label``)
REASONS = {
    NO_GUIDE: "group has no guide (owner not linked to a guide)",
    QUOTA_TAKEN: "group's daily quota taken by plan %(plan)s (priority %(priority)s)",
    NO_ROOM: "no room by %(deadline)s under the %(policy)s limit and %(cap)s a day: "
    "taken by plan %(plan)s (priority %(priority)s)",
    NO_ROOM_ANY: "no room by %(deadline)s under the %(policy)s limit and %(cap)s a day",
    DEFERRED: "no room inside the horizon yet; due by %(deadline)s",
    WINDOW_PASSED: "its window ended before it was sent",
    **plan_rules.SEND_TIME_REASONS,
}


def reason_text(message: str, **params) -> str:
    """Reasons are stored in English (msgids; the pages translate the fixed parts)."""
    return message % params if params else message


def set_reason(row: dict, code: str, params: dict | None = None) -> None:
    params = params or {}
    row["reason_code"], row["reason_params"] = code, params
    row["reason"] = reason_text(REASONS[code], **params)[:255] if code else ""


def reason_label(code: str | None, params: dict | None, fallback: str = "") -> str:
    """A stored reason in the current language (the English ``fallback`` for unknown codes)."""
    if not code or code not in REASONS:
        return fallback or ""
    params = dict(params or {})
    if "policy" in params:  # the receiving-limit word (month / week / day) translated too
        params["policy"] = gettext(str(params["policy"]))
    return gettext(REASONS[code], **params)


def targets(plan: PushPlan, g) -> bool:
    """Whether group row ``g`` is in the plan's target (every non-empty filter must hold)."""
    if plan.group_ids and g.id not in plan._group_set:
        return False
    if plan.stages and g.stage not in plan.stages:
        return False
    if plan.segments and g.segment not in plan.segments:
        return False
    if plan.region_ids and g.region_id not in plan.region_ids:
        return False
    if plan.franchisee_ids and g.franchisee_id not in plan.franchisee_ids:
        return False
    return not (plan.store_ids and g.store_id not in plan.store_ids)


def allocate(day: date) -> dict:
    """Plan ``day`` alone (the planner with a one-day horizon); returns counts. Safe to run
    again: it adds only what is new and moves only what is not yet handed to a guide."""
    from community.services import planner

    result = planner.replan(day, 1)
    return {"day": day.isoformat(), **result}


def day_summary(day: date, stmt_filter=None) -> list[dict]:
    """Per plan: allocated and waiting counts for ``day``."""
    stmt = (
        select(
            SlotAllocation.plan_id,
            PushPlan.name,
            SlotAllocation.status,
            func.count(),
        )
        .join(PushPlan, PushPlan.id == SlotAllocation.plan_id)
        .where(SlotAllocation.day == day)
        .group_by(SlotAllocation.plan_id, PushPlan.name, SlotAllocation.status)
    )
    if stmt_filter is not None:
        stmt = stmt.where(stmt_filter)
    plans: dict[int, dict] = {}
    for plan_id, name, status, count in db.session.execute(stmt):
        entry = plans.setdefault(
            plan_id, {"plan_id": plan_id, "name": name, ALLOCATED: 0, WAITING: 0}
        )
        entry[status] = count
    return sorted(plans.values(), key=lambda e: -e[ALLOCATED])
