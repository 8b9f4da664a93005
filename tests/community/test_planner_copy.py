"""The planner's bulk write racing another writer: a row the planner decided is new but
that a concurrent re-plan stored first (after this run loaded the schedule) must not stop
the run or be stored twice. On PostgreSQL the COPY meets the unique key, its savepoint
rolls back and the chunk goes in with INSERT … ON CONFLICT DO NOTHING; on SQLite that
insert is the only path. Either way each (plan, group, occurrence) is one row."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, insert, select

from app.clock import shanghai_day
from app.extensions import db
from community.models import SlotAllocation
from community.services import planner, planner_store
from franchise.models import Guide
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup


def test_a_row_written_by_a_concurrent_replan_is_kept_once(app, org):
    with app.app_context():
        ann = db.session.get(Guide, org.ga)
        for i in range(3):
            gen_wgroup(ann, name=f"群 {i}")
        gen_plan(gen_post(), name="每日新品", priority=90)
        gen_plan(gen_post(), name="周三知识", weekdays=[2], priority=50)
        span = planner.horizon(shanghai_day())
        desired, existing, rows = planner.compute(span)
        assert desired and not existing
        key, first_row = next(iter(desired.items()))
        # the other writer: the same key, stored after this run loaded the schedule
        db.session.execute(insert(SlotAllocation), [dict(first_row)])
        result = planner_store.write(desired, existing, rows, span[0], span[-1], shanghai_day())
        assert result["new"] == len(desired)
        stored = db.session.execute(
            select(SlotAllocation.plan_id, SlotAllocation.group_id, SlotAllocation.occurrence)
        ).all()
        assert len(stored) == len(desired)  # every decided row, the contested one once
        assert max(Counter(map(tuple, stored)).values()) == 1
        assert tuple(key) in set(map(tuple, stored))
        again = planner.replan(span[0])
        assert (again["new"], again["changed"], again["removed"]) == (0, 0, 0)
        assert db.session.scalar(select(func.count(SlotAllocation.id))) == len(desired)
