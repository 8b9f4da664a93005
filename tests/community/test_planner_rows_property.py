"""The planner through the database, for any plans (every schedule kind, targets,
priorities), groups (stages, segments, ages, with or without a guide) and policy: the
stored schedule never exceeds the cap or the policy, every placed row is inside its window
and the horizon, each (plan, group, occurrence) is one row, every unplaced row has a
reason, and planning again changes nothing. Groups alike share one decision (cohorts), so
this checks the shared decisions fit every group they are given to."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.clock import shanghai_day
from app.extensions import db
from community.models import ALLOCATED, MISSED, SlotAllocation
from community.services import planner, receiving_limit
from community.services.planner_core import POLICIES, period_limit, period_of
from franchise.models import Guide
from tests.community.factories_delivery import gen_wgroup
from tests.community.planner_strategies import PLAN, gen_plans_from, reset_schedule
from tests.fixtures.randomness import db_examples

GROUP = st.fixed_dictionaries(
    {
        "stage": st.sampled_from(("seeding", "lifecycle")),
        "age": st.integers(0, 5),
        "guide": st.booleans(),
    }
)


@pytest.mark.slow
@db_examples(25)
@given(
    plans=st.lists(PLAN, min_size=1, max_size=5),
    groups=st.lists(GROUP, min_size=1, max_size=6),
    policy=st.sampled_from(POLICIES),
    cap=st.integers(1, 3),
)
def test_any_plans_and_groups_stay_within_the_policy_and_their_windows(
    ctx, org, plans, groups, policy, cap
):
    reset_schedule()
    guide = db.session.get(Guide, org.ga)
    today = shanghai_day()
    for g in groups:
        gen_wgroup(guide if g["guide"] else None, stage=g["stage"], age_days=g["age"])
    gen_plans_from(plans)
    receiving_limit.update(policy, cap)
    first = planner.replan(today)
    span = planner.horizon(today)
    rows = db.session.scalars(select(SlotAllocation)).all()
    keys = Counter((r.plan_id, r.group_id, r.occurrence) for r in rows)
    assert max(keys.values(), default=1) == 1
    placed = [r for r in rows if r.status == ALLOCATED]
    per_day = Counter((r.group_id, r.day) for r in placed)
    assert all(n <= cap for n in per_day.values())
    for group_id, day in per_day:
        start, end = period_of(policy, day)
        in_period = sum(n for (g, d), n in per_day.items() if g == group_id and start <= d <= end)
        assert in_period <= period_limit(policy, day)
    for r in placed:
        assert span[0] <= r.day <= span[-1] and r.day <= r.deadline
        assert r.guide_id is not None
    assert all(r.reason for r in rows if r.status != ALLOCATED)
    assert all(
        r.deadline <= span[-1]
        for r in rows
        if r.status == MISSED and r.reason_code in ("no_room", "no_room_any")
    )
    assert first["allocated"] == len(placed)
    again = planner.replan(today)
    assert (again["new"], again["changed"], again["removed"]) == (0, 0, 0)
