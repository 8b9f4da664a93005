"""The planner over a horizon: every plan occurrence placed on (group, day) inside its
window and the receiving limit, deferred, or missed with the reason.

``replan(start, days)`` (default 14 days, at most to the end of next month) loads the
active plans and groups (columns only) and the existing ``SlotAllocation`` rows, builds
each group's occurrences (new ones owed inside the horizon, plus earlier ones still inside
their window and not yet sent), runs ``planner_core.place`` per group (groups with the same
occurrences and usage share one computation) and writes the difference: new rows with
INSERT … ON CONFLICT DO NOTHING on (plan, group, occurrence), changed rows with one
conditional UPDATE each (``batch_id IS NULL``: a row already handed to a guide never moves),
rows no longer owed deleted (unbatched only). Sends already batched count as used room;
today's already placed rows keep their claim (pinned), so a re-plan racing the 5-minute
dispatcher cannot put a second post on a group's day. It is exactly-once by construction:
the dispatcher batches a row with a conditional UPDATE on (day, status, batch_id IS NULL).

Re-plans run nightly, at 07:00 and within seconds of a change to a plan, post, group
stage or segment or the policy (``request_replan`` → the outbox, kind ``community.replan``).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import bindparam, delete, select

from app import clock
from app.clock import shanghai_day, utcnow
from app.db import is_postgres
from app.extensions import db
from community.models import (
    ALLOCATED,
    CARE,
    GROUP_ACTIVE,
    MISSED,
    NEW_PRODUCT,
    SCHEDULE_DATES,
    SCHEDULE_RELATIVE,
    WAITING,
    ContentPost,
    PushPlan,
    SlotAllocation,
    WecomGroup,
)
from community.services import allocation as why
from community.services import plans as plan_rules
from community.services import receiving_limit, send_metrics
from community.services.planner_core import DEFERRED, PLACED, Occurrence, place

HORIZON_DAYS = 14
CHUNK = 5000
LOOKBACK = 7  # a weekly occurrence's window reaches back at most a week


def horizon(start: date, days: int = HORIZON_DAYS) -> list[date]:
    """``days`` consecutive days from ``start``, never past the end of next month."""
    nxt = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = nxt.replace(day=calendar.monthrange(nxt.year, nxt.month)[1])
    count = max(1, min(days, (last - start).days + 1))
    return [start + timedelta(days=i) for i in range(count)]


def window(plan, purpose: str, owed: date) -> tuple[date, date]:
    """The earliest day and deadline of the occurrence the plan owes on ``owed``.

    The plan's own ``window_from`` / ``window_to`` (days from ``owed``) win; otherwise:
    a relative post (a new group's day-N post) within 2 days (day N or N + 1); a dated
    new-product post in the 3 days before its launch date; a dated care post in the 2
    days up to its date; another dated post on its date; a weekly post within its week.
    """
    if plan.window_from is not None or plan.window_to is not None:
        low = plan.window_from or 0
        high = plan.window_to if plan.window_to is not None else max(low, 0)
        return owed + timedelta(days=low), owed + timedelta(days=high)
    if plan.schedule_kind == SCHEDULE_RELATIVE:
        return owed, owed + timedelta(days=1)
    if plan.schedule_kind == SCHEDULE_DATES:
        if purpose == NEW_PRODUCT:
            return owed - timedelta(days=3), owed - timedelta(days=1)
        if purpose == CARE:
            return owed - timedelta(days=2), owed
        return owed, owed
    return owed, owed + timedelta(days=6 - owed.weekday())


GROUP_COLUMNS = (
    WecomGroup.id,
    WecomGroup.stage,
    WecomGroup.segment,
    WecomGroup.region_id,
    WecomGroup.franchisee_id,
    WecomGroup.store_id,
    WecomGroup.guide_id,
    WecomGroup.wecom_created_at,
    WecomGroup.created_at,
)
ROW_COLUMNS = (
    SlotAllocation.id,
    SlotAllocation.plan_id,
    SlotAllocation.group_id,
    SlotAllocation.occurrence,
    SlotAllocation.day,
    SlotAllocation.deadline,
    SlotAllocation.status,
    SlotAllocation.batch_id,
    SlotAllocation.reason_code,
    SlotAllocation.reason_params,
)


def _owed(plans, groups, days: list[date], purposes: dict, carried: set) -> dict[int, list[tuple]]:
    """Per group: (plan, owed day, earliest, deadline) of each occurrence whose window meets
    the horizon: owed from its first day on (a launch a few days out included), or owed
    earlier, planned by an earlier run (``carried`` keys) and still inside its window."""
    first, last = days[0], days[-1]
    scan = [first - timedelta(days=LOOKBACK - i) for i in range(LOOKBACK)] + days
    scan += [last + timedelta(days=i) for i in range(1, 4)]

    def meets(plan, d: date, earliest: date, deadline: date) -> bool:
        return deadline >= first and earliest <= last and plan_rules.is_active_on(plan, d)

    owed: dict[int, list[tuple]] = defaultdict(list)
    for plan in plans:
        plan._group_set = set(plan.group_ids or [])
        purpose = purposes.get(plan.post_id, "")
        relative = plan.schedule_kind == SCHEDULE_RELATIVE
        fixed = [] if relative else [d for d in scan if plan_rules.schedule_matches(plan, d)]
        spans = [(d, *window(plan, purpose, d)) for d in fixed]
        spans = [s for s in spans if meets(plan, *s)]
        for g in groups:
            if not why.targets(plan, g):
                continue
            mine = spans
            if relative:
                created = clock.shanghai_day(g.wecom_created_at or g.created_at)
                d = created + timedelta(days=plan.relative_day or 0)
                mine = [s for s in [(d, *window(plan, purpose, d))] if meets(plan, *s)]
            owed[g.id].extend(
                (plan, *s) for s in mine if s[0] >= first or (plan.id, g.id, s[0]) in carried
            )
    return owed


def _solve(items: list[Occurrence], days, used, policy, cap, cache: dict) -> None:
    """``place`` with a cache: groups with the same occurrences and usage share a result."""
    signature = (
        tuple(sorted((o.plan_id, o.earliest, o.deadline, o.pinned, o.key[2]) for o in items)),
        tuple(sorted(used.items())),
    )
    hit = cache.get(signature)
    if hit is None:
        place(items, days, used, policy, cap)
        cache[signature] = {(o.plan_id, o.key[2]): (o.outcome, o.day, o.blocker) for o in items}
        return
    for o in items:
        o.outcome, o.day, o.blocker = hit[(o.plan_id, o.key[2])]


def _reason(occ: Occurrence, names: dict, policy: str, cap: int) -> tuple[str, dict]:
    """The reason code and params of an occurrence not placed (or placed moved: ``""``)."""
    params = {"deadline": occ.deadline.isoformat(), "policy": policy, "cap": cap}
    if occ.blocker:
        params |= {"plan": names.get(occ.blocker[0], ""), "priority": occ.blocker[1]}
    if occ.outcome == DEFERRED:
        return (
            (why.QUOTA_TAKEN, {k: params[k] for k in ("plan", "priority")})
            if occ.blocker
            else (why.DEFERRED, {"deadline": params["deadline"]})
        )
    return (why.NO_ROOM if occ.blocker else why.NO_ROOM_ANY), params


def _load(days: list[date]):
    plans = list(db.session.scalars(select(PushPlan).where(PushPlan.status == "active")))
    purposes = dict(db.session.execute(select(ContentPost.id, ContentPost.purpose)).all())
    groups = db.session.execute(
        select(*GROUP_COLUMNS).where(WecomGroup.status == GROUP_ACTIVE)
    ).all()
    lookback = min(days[0].replace(day=1), days[0] - timedelta(days=LOOKBACK))
    rows = db.session.execute(
        select(*ROW_COLUMNS).where(SlotAllocation.day >= lookback, SlotAllocation.day <= days[-1])
    ).all()
    return plans, purposes, groups, rows


def compute(span: list[date], candidate: PushPlan | None = None):
    """The planner's decision for ``span`` without writing: ``(desired, existing, rows)``
    — the row values per (plan, group, occurrence), the existing rows by that key and the
    unbatched existing rows. ``candidate`` (an unsaved or edited plan) takes part in place
    of its stored version (the reach preview)."""
    first, today = span[0], shanghai_day()
    policy, cap = receiving_limit.policy(), receiving_limit.daily_cap()
    plans, purposes, groups, rows = _load(span)
    if candidate is not None:
        plans = [p for p in plans if p.id != candidate.id]
        plans += [candidate] if candidate.status == "active" else []
    names = {p.id: p.name for p in plans}
    existing = {(r.plan_id, r.group_id, r.occurrence): r for r in rows}
    carried = {k for k, r in existing.items() if r.occurrence < first and r.status != MISSED}
    owed = _owed(plans, groups, span, purposes, carried)
    used: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    kept = set()  # placed before the horizon from today on: not this run's to move
    for r in rows:
        if r.batch_id is not None or (r.status == ALLOCATED and today <= r.day < first):
            used[r.group_id][r.day] += 1
            kept.add((r.plan_id, r.group_id, r.occurrence))
    by_plan = {p.id: p for p in plans}
    cache: dict = {}
    desired: dict[tuple, dict] = {}
    for g in groups:
        items: list[Occurrence] = []
        for plan, d, earliest, deadline in owed.get(g.id, ()):
            key = (plan.id, g.id, d)
            row = existing.get(key)
            if key in kept:
                continue  # handed to a guide, or placed on a day before this horizon
            at, code, params = plan_rules.send_time_decision(plan)
            value = _row(plan, g, d, deadline, at)
            desired[key] = value
            if g.guide_id is None or at is None:
                value["status"] = MISSED
                why.set_reason(value, why.NO_GUIDE if g.guide_id is None else code, params)
                continue
            why.set_reason(value, code, params)
            pinned = bool(row and row.status == ALLOCATED and row.day == today == first)
            low, high = (today, today) if pinned else (max(earliest, first), deadline)
            items.append(Occurrence(key, plan.id, plan.priority, low, high, pinned))
        if items:
            _solve(items, span, used.get(g.id, {}), policy, cap, cache)
        for occ in items:
            value = desired[occ.key]
            if occ.outcome == PLACED:
                assert occ.day is not None  # placed
                value["status"], value["day"] = ALLOCATED, occ.day
                value["send_at"] = _send_at(by_plan[occ.plan_id], occ.day)
                continue
            value["status"] = WAITING if occ.outcome == DEFERRED else MISSED
            why.set_reason(value, *_reason(occ, names, policy, cap))
    return desired, existing, [r for r in rows if r.batch_id is None]


def replan(start: date | None = None, days: int = HORIZON_DAYS) -> dict:
    """Plan ``days`` days from ``start`` (default today); returns counts. Idempotent."""
    span = horizon(start or shanghai_day(), days)
    desired, existing, rows = compute(span)
    return _write(desired, existing, rows, span[0], span[-1], shanghai_day())


def _send_at(plan, day: date):
    at = plan_rules.send_time_decision(plan)[0]
    return plan_rules.send_at_utc(day, at) if at else None


def _row(plan, g, owed: date, deadline: date, at) -> dict:
    return {
        "day": owed,
        "occurrence": owed,
        "deadline": deadline,
        "plan_id": plan.id,
        "post_id": plan.post_id,
        "group_id": g.id,
        "guide_id": g.guide_id,
        "store_id": g.store_id,
        "franchisee_id": g.franchisee_id,
        "priority": plan.priority,
        "send_at": plan_rules.send_at_utc(owed, at) if at else None,
    }


CHANGING: tuple[str, ...] = ("day", "deadline", "status", "reason", "reason_code")
CHANGING += ("reason_params", "send_at", "priority", "post_id", "guide_id", "store_id")
CHANGING += ("franchisee_id",)


def _write(desired: dict, existing: dict, rows, first: date, last: date, today: date) -> dict:
    """Insert the new, update the changed, delete what is no longer owed; one commit.
    ``rows`` are the existing unbatched rows."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    table = SlotAllocation.__table__
    now = utcnow()
    new = [v | {"created_at": now} for k, v in desired.items() if k not in existing]
    changed = [
        {"_id": existing[k].id, **{c: v[c] for c in CHANGING}}
        for k, v in desired.items()
        if k in existing
        and (existing[k].day, existing[k].status, existing[k].reason_code, existing[k].deadline)
        != (v["day"], v["status"], v["reason_code"], v["deadline"])
    ]
    gone = [
        r.id
        for r in rows
        if (r.plan_id, r.group_id, r.occurrence) not in desired
        and r.occurrence >= first
        and first <= r.day <= last
    ]
    passed = [  # unsent rows whose window closed before the horizon
        {"_id": r.id}
        for r in rows
        if r.status != MISSED
        and (r.plan_id, r.group_id, r.occurrence) not in desired
        and r.occurrence < first
        and (r.deadline or r.occurrence) < first
        and first <= today
    ]
    insert = pg_insert if is_postgres(db.engine) else sqlite_insert
    stmt = insert(table).on_conflict_do_nothing(
        index_elements=["plan_id", "group_id", "occurrence"]
    )
    update = (
        table.update()
        .where(table.c.id == bindparam("_id"), table.c.batch_id.is_(None))
        .values({c: bindparam(c) for c in CHANGING})
    )
    close = (
        table.update()
        .where(table.c.id == bindparam("_id"), table.c.batch_id.is_(None))
        .values(status=MISSED, reason_code=why.WINDOW_PASSED, reason=why.REASONS[why.WINDOW_PASSED])
    )
    try:
        for start in range(0, len(new), CHUNK):
            db.session.execute(stmt, new[start : start + CHUNK])
        for start in range(0, len(changed), CHUNK):
            db.session.execute(update, changed[start : start + CHUNK])
        for start in range(0, len(passed), CHUNK):
            db.session.execute(close, passed[start : start + CHUNK])
        for start in range(0, len(gone), CHUNK):
            ids = gone[start : start + CHUNK]
            db.session.execute(
                delete(SlotAllocation).where(
                    SlotAllocation.id.in_(ids), SlotAllocation.batch_id.is_(None)
                )
            )
        for day in (first, first + timedelta(days=1)):
            if day <= last:
                send_metrics.refresh_planned(day)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    values = list(desired.values())
    return {
        "from": first.isoformat(),
        "days": (last - first).days + 1,
        "due": len(values),
        "new": len(new),
        "changed": len(changed),
        "removed": len(gone),
        "allocated": sum(1 for v in values if v["status"] == ALLOCATED),
        "waiting": sum(1 for v in values if v["status"] == WAITING),
        "missed": sum(1 for v in values if v["status"] == MISSED),
    }
