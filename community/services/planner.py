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
stage or segment or the policy (``request_replan`` → the outbox, kind ``community.replan``);
a change to groups re-plans those groups, a change to a plan or post the groups its plans
target (before and after, ``replan_scope``), a change to the policy everything.
"""

from __future__ import annotations

import calendar
import gc
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import select

from app import clock
from app.clock import shanghai_day
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
from community.services import planner_store, receiving_limit
from community.services import plans as plan_rules
from community.services.planner_core import DEFERRED, PLACED, Occurrence, place
from community.services.replan_scope import Scope, scope_of

HORIZON_DAYS = 14
CHUNK = 5000
LOOKBACK = 7  # a weekly occurrence's window reaches back at most a week
LOOKAHEAD = 3  # a dated new-product post may be owed up to 3 days past the horizon


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
)


def _cohort_keyer(plans, first: date, last: date):
    """``g → key`` of what decides a group's occurrences: the attributes some plan filters
    on, the plans naming it, its creation day while a relative plan may owe it something,
    whether it has a guide (worked out once per run, used per group)."""
    attrs = [
        attr
        for attr, plan_attr in (
            ("stage", "stages"),
            ("segment", "segments"),
            ("region_id", "region_ids"),
            ("franchisee_id", "franchisee_ids"),
            ("store_id", "store_ids"),
        )
        if any(getattr(p, plan_attr) for p in plans)
    ]
    explicit = [p for p in plans if p._group_set]
    relative = [p.relative_day or 0 for p in plans if p.schedule_kind == SCHEDULE_RELATIVE]
    oldest = first - timedelta(days=max(relative, default=0) + 2)

    def key(g) -> tuple:
        created = None
        if relative:
            created = clock.shanghai_day(g.wecom_created_at or g.created_at)
            if not oldest <= created <= last:
                created = None
        named = tuple(p.id for p in explicit if g.id in p._group_set)
        return (g.guide_id is None, *(getattr(g, a) for a in attrs), named, created)

    return key


def _owed(plans, g, days: list[date], purposes: dict) -> list[tuple]:
    """(plan, owed day, earliest, deadline) of each occurrence owed to group ``g`` from the
    horizon's first day on whose window meets the horizon (a launch a few days out too)."""
    first, last = days[0], days[-1]
    owed = []
    for plan in plans:
        if not why.targets(plan, g):
            continue
        purpose = purposes.get(plan.post_id, "")
        if plan.schedule_kind == SCHEDULE_RELATIVE:
            created = clock.shanghai_day(g.wecom_created_at or g.created_at)
            fired = [created + timedelta(days=plan.relative_day or 0)]
        else:
            scan = days + [last + timedelta(days=i) for i in range(1, LOOKAHEAD + 1)]
            fired = [d for d in scan if plan_rules.schedule_matches(plan, d)]
        for d in fired:
            earliest, deadline = window(plan, purpose, d)
            meets = d >= first and deadline >= first and earliest <= last
            if meets and plan_rules.is_active_on(plan, d):
                owed.append((plan, d, earliest, deadline))
    return owed


def _carried(plans, g, rows, purposes: dict, first: date) -> list[tuple]:
    """Occurrences owed before the horizon, planned by an earlier run and not yet sent,
    whose window still meets the horizon."""
    by_id = {p.id: p for p in plans}
    out = []
    for r in rows:
        plan = by_id.get(r.plan_id)
        if plan is None or not why.targets(plan, g):
            continue
        earliest, deadline = window(plan, purposes.get(plan.post_id, ""), r.occurrence)
        if deadline >= first and plan_rules.is_active_on(plan, r.occurrence):
            out.append((plan, r.occurrence, earliest, deadline))
    return out


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


def _load(days: list[date], scope: Scope | None = None):
    """The active plans, posts' purposes, active groups and the rows a run diffs against;
    with a ``scope`` only its groups and their rows (a targeted re-plan)."""
    plans = list(db.session.scalars(select(PushPlan).where(PushPlan.status == "active")))
    purposes = dict(db.session.execute(select(ContentPost.id, ContentPost.purpose)).all())
    group_query = select(*GROUP_COLUMNS).where(WecomGroup.status == GROUP_ACTIVE)
    lookback = min(days[0].replace(day=1), days[0] - timedelta(days=LOOKBACK))
    row_query = select(*ROW_COLUMNS).where(
        (SlotAllocation.day.between(lookback, days[-1]))
        | SlotAllocation.occurrence.between(lookback, days[-1] + timedelta(days=LOOKAHEAD))
    )
    if scope is not None:
        group_query = group_query.where(scope.groups())
        row_query = row_query.where(scope.rows(SlotAllocation.group_id))
    groups = db.session.execute(group_query).all()
    rows = db.session.execute(row_query).all()
    return plans, purposes, groups, rows


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Python's cyclic collector paused while a run builds millions of rows that hold no
    cycles: at 100,000 groups its repeated full scans took longer than the planning itself
    (reference counting still frees everything; the previous setting comes back after)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compute(
    span: list[date],
    candidate: PushPlan | None = None,
    group_ids: Collection[int] | None = None,
    targets: Iterable[Mapping] | None = None,
):
    """The planner's decision for ``span`` without writing: ``(desired, existing, rows)``
    — the row values per (plan, group, occurrence), the existing rows by that key and the
    unbatched existing rows. ``candidate`` (an unsaved or edited plan) takes part in place
    of its stored version (the reach preview). Groups alike in what decides their
    occurrences (``_cohort_key``) and in their usage share one decision. ``group_ids``
    limits the run to those groups and their rows, ``targets`` (plans' target filters,
    ``replan_scope``) to the groups they match (with ``group_ids``: either): a group's
    decision depends only on the plans, the policy and its own rows, so theirs equal a
    full run's."""
    first, last, today = span[0], span[-1], shanghai_day()
    policy, cap = receiving_limit.policy(), receiving_limit.daily_cap()
    plans, purposes, groups, rows = _load(span, scope_of(group_ids, targets))
    if candidate is not None:
        plans = [p for p in plans if p.id != candidate.id]
        plans += [candidate] if candidate.status == "active" else []
    for plan in plans:
        plan._group_set = set(plan.group_ids or [])
    decide = _Decider(plans, span, policy, cap, today)
    existing = {}
    used: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    kept = set()  # handed to a guide, or placed before this horizon from today on
    carried_rows: dict[int, list] = defaultdict(list)
    pinned: dict[int, set] = defaultdict(set)
    for r in rows:  # unpacked in ROW_COLUMNS' order: the fastest read of ~2 million rows
        _id, plan_id, group_id, occurrence, day, _deadline, status, batch_id, _code = r
        existing[(plan_id, group_id, occurrence)] = r
        if batch_id is not None or (status == ALLOCATED and today <= day < first):
            used[group_id][day] += 1
            kept.add((plan_id, group_id, occurrence))
        elif occurrence < first and status != MISSED:
            carried_rows[group_id].append(r)
        if batch_id is None and status == ALLOCATED and day == today == first:
            pinned[group_id].add((plan_id, occurrence))
    kept_groups = {k[1] for k in kept}
    cohorts: dict[tuple, tuple[list, tuple]] = {}  # key → (owed, their (plan, day) ids)
    desired: dict[tuple, dict] = {}
    cohort_key = _cohort_keyer(plans, first, last)
    for g in groups:
        key = cohort_key(g)
        if key not in cohorts:
            shared = _owed(plans, g, span, purposes)
            cohorts[key] = (shared, tuple((o[0].id, o[1]) for o in shared))
        owed, owed_ids = cohorts[key]
        if g.id in carried_rows or g.id in kept_groups:  # this group's own occurrences
            owed = owed + _carried(plans, g, carried_rows.get(g.id, []), purposes, first)
            owed = [o for o in owed if (o[0].id, g.id, o[1]) not in kept]
            owed_ids = tuple((o[0].id, o[1]) for o in owed)
        mine = used.get(g.id, {})
        pins = tuple(sorted(pinned.get(g.id, ())))
        signature = (key, owed_ids, pins, tuple(sorted(mine.items())))
        template = decide(signature, owed, pinned.get(g.id, set()), mine, g.guide_id is None)
        for t in template:
            desired[(t["plan_id"], g.id, t["occurrence"])] = t | {
                "group_id": g.id,
                "guide_id": g.guide_id,
                "store_id": g.store_id,
                "franchisee_id": g.franchisee_id,
            }
    return desired, existing, [r for r in rows if r.batch_id is None]


class _Decider:
    """The decision for one group's occurrences, remembered by signature."""

    def __init__(self, plans, span: list[date], policy: str, cap: int, today: date):
        self.span, self.policy, self.cap, self.today = span, policy, cap, today
        self.names = {p.id: p.name for p in plans}
        self.cache: dict[tuple, list[dict]] = {}
        self.times = {p.id: plan_rules.send_time_decision(p) for p in plans}
        self.send_at: dict[tuple, object] = {}

    def at(self, plan, day: date):
        key = (plan.id, day)
        if key not in self.send_at:
            at = self.times[plan.id][0]
            self.send_at[key] = plan_rules.send_at_utc(day, at) if at else None
        return self.send_at[key]

    def __call__(self, signature, owed, pinned: set, used: dict, no_guide: bool) -> list[dict]:
        hit = self.cache.get(signature)
        if hit is not None:
            return hit
        first = self.span[0]
        out: list[dict] = []
        items: list[Occurrence] = []
        for plan, d, earliest, deadline in owed:
            at, code, params = self.times[plan.id]
            value = {
                "day": min(max(d, first), self.span[-1]),  # unplaced: shown in the horizon
                "occurrence": d,
                "deadline": deadline,
                "plan_id": plan.id,
                "post_id": plan.post_id,
                "priority": plan.priority,
                "send_at": self.at(plan, d),
            }
            out.append(value)
            if no_guide or at is None:
                value["status"] = MISSED
                why.set_reason(value, why.NO_GUIDE if no_guide else code, params)
                continue
            why.set_reason(value, code, params)
            pin = (plan.id, d) in pinned
            low, high = (self.today, self.today) if pin else (max(earliest, first), deadline)
            items.append(Occurrence((len(out) - 1,), plan.id, plan.priority, low, high, pin))
        if items:
            place(items, self.span, used, self.policy, self.cap)
        by_id = {p[0].id: p[0] for p in owed}
        for occ in items:
            value = out[occ.key[0]]
            if occ.outcome == PLACED:
                assert occ.day is not None  # placed
                value["status"], value["day"] = ALLOCATED, occ.day
                value["send_at"] = self.at(by_id[occ.plan_id], occ.day)
                continue
            value["status"] = WAITING if occ.outcome == DEFERRED else MISSED
            why.set_reason(value, *_reason(occ, self.names, self.policy, self.cap))
        self.cache[signature] = out
        return out


def replan(
    start: date | None = None,
    days: int = HORIZON_DAYS,
    group_ids: Collection[int] | None = None,
    targets: Iterable[Mapping] | None = None,
) -> dict:
    """Plan ``days`` days from ``start`` (default today); returns counts. Idempotent.

    ``group_ids`` re-plans only those groups (a group's stage, segment, status or owner
    changed, or it is new), ``targets`` only the groups these plan target filters match
    (a plan changed: its targets before and after): only their rows are loaded, decided
    and diffed, and the counts are theirs; every other group's rows are left as they
    are. Neither re-plans all."""
    span = horizon(start or shanghai_day(), days)
    scope = scope_of(group_ids, targets)
    with without_cyclic_gc():
        desired, existing, rows = compute(span, group_ids=group_ids, targets=targets)
        return planner_store.write(
            desired, existing, rows, span[0], span[-1], shanghai_day(), scope
        )
