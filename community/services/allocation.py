"""The daily slot allocator: per Asia/Shanghai day, per group, the most important due post.

Set-based: one query loads the active groups (columns only), one loads the day's existing
allocations; plans are matched in memory and the new rows are inserted in chunks with
INSERT … ON CONFLICT DO NOTHING on (plan, group, day), so a second run (or a second
scheduler) adds nothing. Per group the due posts are ranked by priority (higher first),
then plan id (stable tie-break); the first ``WECOM_GROUP_DAILY_QUOTA`` (counting slots an
earlier run already allocated) are ``allocated``, every other due post is ``waiting`` with
the reason.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.clock import utcnow
from app.db import is_postgres
from app.extensions import db
from community.models import (
    ALLOCATED,
    GROUP_ACTIVE,
    SCHEDULE_RELATIVE,
    WAITING,
    PushPlan,
    SlotAllocation,
    WecomGroup,
)
from community.services import plans as plan_rules
from community.services import send_metrics

CHUNK = 5000


NO_GUIDE, QUOTA_TAKEN = "no_guide", "quota_taken"
# reason code → msgid: ``reason`` keeps the English text (CSV, API), the pages translate
# ``reason_code`` + ``reason_params`` through gettext (``reason_label``)
REASONS = {
    NO_GUIDE: "group has no guide (owner not linked to a guide)",
    QUOTA_TAKEN: "group's daily quota taken by plan %(plan)s (priority %(priority)s)",
    **plan_rules.SEND_TIME_REASONS,
}


def reason_text(message: str, **params) -> str:
    """Reasons are stored in English (msgids; the pages translate the fixed parts)."""
    return message % params if params else message


def _set_reason(row: dict, code: str, params: dict | None = None) -> None:
    params = params or {}
    row["reason_code"], row["reason_params"] = code, params
    row["reason"] = reason_text(REASONS[code], **params)[:255] if code else ""


def reason_label(code: str | None, params: dict | None, fallback: str = "") -> str:
    """A stored reason in the current language (the English ``fallback`` for unknown codes)."""
    if not code or code not in REASONS:
        return fallback or ""
    return gettext(REASONS[code], **(params or {}))


def plan_targets(plan: PushPlan, g) -> bool:
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


def due_rows(day: date) -> list[dict]:
    """Every (plan, group) due on ``day`` as row dicts (not yet ranked)."""
    plans = [
        p
        for p in db.session.scalars(select(PushPlan).where(PushPlan.status == "active"))
        if plan_rules.is_active_on(p, day)
    ]
    if not plans:
        return []
    groups = db.session.execute(
        select(
            WecomGroup.id,
            WecomGroup.stage,
            WecomGroup.segment,
            WecomGroup.region_id,
            WecomGroup.franchisee_id,
            WecomGroup.store_id,
            WecomGroup.guide_id,
            WecomGroup.wecom_created_at,
            WecomGroup.created_at,
        ).where(WecomGroup.status == GROUP_ACTIVE)
    ).all()
    rows: list[dict] = []
    for plan in plans:
        plan._group_set = set(plan.group_ids or [])
        relative = plan.schedule_kind == SCHEDULE_RELATIVE
        if not relative and not plan_rules.schedule_matches(plan, day):
            continue
        at, code, params = plan_rules.send_time_decision(plan)
        send_at = plan_rules.send_at_utc(day, at) if at else None
        for g in groups:
            if not plan_targets(plan, g):
                continue
            if relative:
                created = plan_rules.shanghai_day(g.wecom_created_at or g.created_at)
                if not plan_rules.schedule_matches(plan, day, created):
                    continue
            rows.append(
                {
                    "day": day,
                    "plan_id": plan.id,
                    "plan_name": plan.name,
                    "post_id": plan.post_id,
                    "group_id": g.id,
                    "guide_id": g.guide_id,
                    "store_id": g.store_id,
                    "franchisee_id": g.franchisee_id,
                    "priority": plan.priority,
                    "send_at": send_at,
                    "quiet": at is None,
                    "note": (code, params),
                }
            )
    return rows


def rank(rows: list[dict], quota: int, taken: dict[int, list[tuple]]) -> list[dict]:
    """Mark each row allocated or waiting (with the reason); ``taken`` maps a group to the
    (priority, plan name) of slots already allocated to it by an earlier run."""
    by_group: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        by_group[row["group_id"]].append(row)
    for group_id, items in by_group.items():
        items.sort(key=lambda r: (-r["priority"], r["plan_id"]))
        winners = list(taken.get(group_id, []))
        for row in items:
            if row["quiet"]:
                row["status"] = WAITING
                _set_reason(row, *row["note"])
            elif row["guide_id"] is None:
                row["status"] = WAITING
                _set_reason(row, NO_GUIDE)
            elif len(winners) < quota:
                row["status"] = ALLOCATED
                _set_reason(row, *row["note"])
                winners.append((row["priority"], row["plan_name"]))
            else:
                top = winners[0]
                row["status"] = WAITING
                _set_reason(row, QUOTA_TAKEN, {"plan": top[1], "priority": top[0]})
    return rows


def allocate(day: date) -> dict:
    """Allocate ``day``; returns counts. Safe to run again (adds only what is new)."""
    quota = int(current_app.config["WECOM_GROUP_DAILY_QUOTA"] or 1)
    rows = due_rows(day)
    existing = db.session.execute(
        select(
            SlotAllocation.plan_id,
            SlotAllocation.group_id,
            SlotAllocation.status,
            SlotAllocation.priority,
            PushPlan.name,
        )
        .join(PushPlan, PushPlan.id == SlotAllocation.plan_id)
        .where(SlotAllocation.day == day)
    ).all()
    seen = {(e.plan_id, e.group_id) for e in existing}
    taken: dict[int, list[tuple]] = defaultdict(list)
    for e in sorted(existing, key=lambda e: -e.priority):
        if e.status == ALLOCATED:
            taken[e.group_id].append((e.priority, e.name))
    new = [r for r in rows if (r["plan_id"], r["group_id"]) not in seen]
    rank(new, quota, taken)
    now = utcnow()
    columns: tuple[str, ...] = ("day", "plan_id", "post_id", "group_id", "guide_id", "store_id")
    columns += ("franchisee_id", "priority", "status", "reason", "reason_code")
    columns += ("reason_params", "send_at")
    values = [{c: r[c] for c in columns} | {"created_at": now} for r in new]
    insert = pg_insert if is_postgres(db.engine) else sqlite_insert
    stmt = insert(SlotAllocation.__table__).on_conflict_do_nothing(
        index_elements=["plan_id", "group_id", "day"]
    )
    try:
        for start in range(0, len(values), CHUNK):
            db.session.execute(stmt, values[start : start + CHUNK])
        send_metrics.refresh_planned(day)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return {
        "day": day.isoformat(),
        "due": len(rows),
        "new": len(new),
        "allocated": sum(1 for r in new if r["status"] == ALLOCATED),
        "waiting": sum(1 for r in new if r["status"] == WAITING),
    }


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
