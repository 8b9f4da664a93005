"""The planner's pure core: place one group's occurrences on days inside WeCom's receiving
limit and Siyu's daily cap (no database, so a Hypothesis property can drive it).

An occurrence is one send a plan owes a group (a weekly post's Wednesday, a new group's
day-1 post) with a window: the earliest day it may go and its deadline. The limit is the
corp's receiving-limit policy (WeCom doc 92135, 创建企业群发: each customer / customer
group receives at most as many mass messages per calendar month as the month has days;
the admin may set 7 a week or 1 a day) and Siyu's own per-group daily cap on top.

``place(occurrences, days, used, policy, cap)``:

1. accept in order — pinned first (a send already on today's list keeps its claim), then
   priority (higher first), then a rotation among equal priorities that moves with the
   occurrence's first day, so plans of equal priority take turns — each occurrence whose
   addition keeps the accepted set placeable (earliest-deadline-first sweep); one that
   would not fit is **missed**, naming who took its room;
2. place the accepted set by earliest deadline first, ties by priority: a loser of a day
   is deferred to a later day of its window;
3. an occurrence whose window runs past the horizon and that found no room inside it is
   **deferred** (a later run places it).

``used`` counts sends already made or handed to guides per day (they take room first).
"""

from __future__ import annotations

import calendar
import functools
import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

MONTH, WEEK, DAY = "month", "week", "day"
POLICIES = (MONTH, WEEK, DAY)
PLACED, DEFERRED, MISSED = "placed", "deferred", "missed"


@functools.lru_cache(maxsize=4096)
def period_of(policy: str, day: date) -> tuple[date, date]:
    """The first and last day of the policy's period holding ``day`` (calendar month,
    Monday-to-Sunday week, or the day). Cached: the sweep asks for the same few days."""
    if policy == MONTH:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    if policy == WEEK:
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    return day, day


@functools.lru_cache(maxsize=4096)
def period_limit(policy: str, day: date) -> int:
    """How many mass messages a group may receive in ``day``'s period under ``policy``."""
    if policy == MONTH:
        return calendar.monthrange(day.year, day.month)[1]
    return 7 if policy == WEEK else 1


@dataclass
class Occurrence:
    """One send a plan owes a group: its key, window and priority; the result is filled in."""

    key: tuple
    plan_id: int
    priority: int
    earliest: date
    deadline: date
    pinned: bool = False  # already on today's list: keeps its day if there is room at all
    outcome: str = ""
    day: date | None = None
    blocker: tuple = field(default_factory=tuple)  # (plan_id, priority) that took its room


class Budget:
    """Room left per day: Siyu's daily cap and the policy's period limit, less what is used."""

    def __init__(self, policy: str, cap: int, used: dict[date, int]):
        self.policy, self.cap, self.used = policy, max(0, cap), dict(used)
        self.period_used: dict[date, int] = {}
        for day, count in used.items():
            start = period_of(policy, day)[0]
            self.period_used[start] = self.period_used.get(start, 0) + count

    def room(self, day: date) -> int:
        start = period_of(self.policy, day)[0]
        period_left = period_limit(self.policy, day) - self.period_used.get(start, 0)
        return max(0, min(self.cap - self.used.get(day, 0), period_left))

    def take(self, day: date) -> None:
        self.used[day] = self.used.get(day, 0) + 1
        start = period_of(self.policy, day)[0]
        self.period_used[start] = self.period_used.get(start, 0) + 1

    def copy(self) -> Budget:
        clone = Budget(self.policy, self.cap, {})
        clone.used, clone.period_used = dict(self.used), dict(self.period_used)
        return clone


def _sweep(items: Sequence[Occurrence], days: Sequence[date], budget: Budget) -> dict | None:
    """Earliest-deadline-first over ``days``: ``{id(occ): day or None}`` (None = past the
    horizon, deferred), or None when some occurrence's deadline passes unplaced."""
    order = sorted(items, key=lambda o: o.earliest)
    heap: list[tuple] = []
    placed: dict[int, date | None] = {}
    budget = budget.copy()
    i = 0
    for day in days:
        while i < len(order) and order[i].earliest <= day:
            occ = order[i]
            heapq.heappush(heap, (occ.deadline, -occ.priority, occ.plan_id, i, occ))
            i += 1
        for _ in range(budget.room(day)):
            while heap and heap[0][0] < day:
                return None
            if not heap:
                break
            occ = heapq.heappop(heap)[-1]
            placed[id(occ)] = day
            budget.take(day)
        if heap and heap[0][0] <= day:
            return None  # due today, no room left
    leftovers = [entry[-1] for entry in heap] + list(order[i:])
    if days and any(o.deadline <= days[-1] for o in leftovers):
        return None
    for occ in leftovers:
        placed[id(occ)] = None
    return placed


def _rotation(occ: Occurrence, ranks: dict[int, int], size: int) -> int:
    """Equal priorities take turns: the plan's rank shifted by the occurrence's day."""
    return (ranks[occ.plan_id] + occ.earliest.toordinal()) % max(1, size)


def place(
    occurrences: Iterable[Occurrence],
    days: Sequence[date],
    used: dict[date, int],
    policy: str,
    cap: int,
) -> list[Occurrence]:
    """Fill in each occurrence's ``outcome`` (placed / deferred / missed), ``day`` and
    ``blocker``; returns them. ``days`` are the horizon's consecutive days."""
    items = list(occurrences)
    budget = Budget(policy, cap, used)
    plan_ids = sorted({o.plan_id for o in items})
    ranks = {plan_id: n for n, plan_id in enumerate(plan_ids)}
    ordered = sorted(
        items, key=lambda o: (not o.pinned, -o.priority, _rotation(o, ranks, len(plan_ids)))
    )
    accepted: list[Occurrence] = []
    for occ in ordered:
        if occ.deadline < days[0] or occ.earliest > days[-1]:
            occ.outcome = MISSED if occ.deadline < days[0] else DEFERRED
            continue
        if _sweep([*accepted, occ], days, budget) is not None:
            accepted.append(occ)
            continue
        occ.outcome = MISSED
        rivals = [a for a in accepted if a.earliest <= occ.deadline and a.deadline >= occ.earliest]
        top = max(rivals, key=lambda a: a.priority, default=None)
        occ.blocker = (top.plan_id, top.priority) if top else ()
    placement = _sweep(accepted, days, budget) or {}
    for occ in accepted:
        occ.day = placement.get(id(occ))
        occ.outcome = PLACED if occ.day is not None else DEFERRED
    for occ in accepted:
        if occ.day is None:
            occ.blocker = _blocker(occ, [a for a in accepted if a.day is not None])
    return items


def _blocker(occ: Occurrence, placed: list[Occurrence]) -> tuple:
    """(plan, priority) of the most important send placed inside ``occ``'s window."""
    rivals = [p for p in placed if p.day is not None and occ.earliest <= p.day <= occ.deadline]
    top = max(rivals, key=lambda p: p.priority, default=None)
    return (top.plan_id, top.priority) if top else ()
