"""The planner's core, for any plans, windows, usage and policy: the schedule never exceeds
the policy or the daily cap in any window, never places an occurrence outside its window
or the horizon, and every occurrence is placed, deferred past the horizon, or missed with
the reason (who took its room, or no room at all)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from community.services.planner_core import (
    DEFERRED,
    MISSED,
    PLACED,
    POLICIES,
    Occurrence,
    period_limit,
    period_of,
    place,
)

START = date(2026, 12, 21)  # the horizon crosses a month and weeks


@st.composite
def cases(draw):
    days = [START + timedelta(days=i) for i in range(draw(st.integers(1, 20)))]
    policy = draw(st.sampled_from(POLICIES))
    cap = draw(st.integers(1, 3))
    plans = draw(st.lists(st.integers(0, 100), min_size=1, max_size=6))  # priorities
    occurrences = []
    for n in range(draw(st.integers(0, 30))):
        plan_id = draw(st.integers(0, len(plans) - 1))
        earliest = START + timedelta(days=draw(st.integers(-5, 24)))
        deadline = earliest + timedelta(days=draw(st.integers(0, 8)))
        occurrences.append(Occurrence((plan_id, 1, n), plan_id, plans[plan_id], earliest, deadline))
    used: Counter = Counter()
    for _ in range(draw(st.integers(0, 10))):  # sends already made (within the limits)
        day = START + timedelta(days=draw(st.integers(-25, 20)))
        if used[day] < cap and _period_count(used, policy, day) < period_limit(policy, day):
            used[day] += 1
    return days, policy, cap, occurrences, dict(used)


def _period_count(counts, policy: str, day: date) -> int:
    first, last = period_of(policy, day)
    return sum(c for d, c in counts.items() if first <= d <= last)


def _full(total, policy: str, cap: int, day: date) -> bool:
    return total[day] >= cap or _period_count(total, policy, day) >= period_limit(policy, day)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_schedule_within_policy_windows_and_every_occurrence_accounted_for(case):
    days, policy, cap, occurrences, used = case
    place(occurrences, days, used, policy, cap)
    total = Counter(used)
    for occ in occurrences:
        assert occ.outcome in (PLACED, DEFERRED, MISSED)
        if occ.outcome == PLACED:
            assert occ.day is not None and occ.earliest <= occ.day <= occ.deadline
            assert days[0] <= occ.day <= days[-1]
            total[occ.day] += 1
        else:
            assert occ.day is None
        if occ.outcome == DEFERRED:  # only what may still go after the horizon
            assert occ.deadline > days[-1]
    for occ in occurrences:
        if occ.outcome == MISSED and occ.deadline >= days[0]:
            # the reason names who took the room, or there was none inside the window
            inside = [d for d in days if occ.earliest <= d <= occ.deadline]
            assert occ.blocker or all(_full(total, policy, cap, d) for d in inside)
    for day in days:
        assert total[day] <= max(cap, used.get(day, 0))
        assert _period_count(total, policy, day) <= period_limit(policy, day)


def test_a_higher_priority_takes_the_day_and_the_loser_moves_inside_its_week():
    monday = date(2026, 12, 7)
    days = [monday + timedelta(days=i) for i in range(7)]
    daily = [Occurrence((1, 1, d), 1, 80, d, days[-1]) for d in days]
    knowledge = Occurrence((2, 1, monday), 2, 40, monday, days[-1])
    place([*daily, knowledge], days, {}, "month", 2)
    assert all(o.outcome == PLACED for o in [*daily, knowledge])
    place([*daily, knowledge], days, {}, "day", 2)  # 1 a day: the week is full
    assert knowledge.outcome == MISSED and knowledge.blocker == (1, 80)
    assert all(o.outcome == PLACED for o in daily)


def test_equal_priorities_take_turns():
    monday = date(2026, 12, 7)
    days = [monday + timedelta(days=i) for i in range(4)]
    one = [Occurrence((1, 1, d), 1, 50, d, d) for d in days]
    two = [Occurrence((2, 1, d), 2, 50, d, d) for d in days]
    place([*one, *two], days, {}, "day", 1)
    winners = Counter(o.plan_id for o in [*one, *two] if o.outcome == PLACED)
    assert winners == {1: 2, 2: 2}
