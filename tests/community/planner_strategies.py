"""What the planner's database properties share: the plan strategy (every schedule kind,
targets, priorities), turning drawn plans into stored ones, and an empty schedule."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import strategies as st
from sqlalchemy import delete

from app.clock import shanghai_day
from app.extensions import db
from community.models import PushPlan, SlotAllocation, WecomGroup
from tests.community.factories_delivery import gen_plan, gen_post

PLAN = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(("weekly", "relative", "dates")),
        "weekdays": st.sets(st.integers(0, 6), min_size=1, max_size=7),
        "relative_day": st.integers(0, 4),
        "date_offset": st.integers(-2, 16),
        "purpose": st.sampled_from(("knowledge", "new_product", "care")),
        "priority": st.sampled_from((10, 50, 50, 90)),
        "stages": st.sampled_from(([], ["seeding"], ["lifecycle"])),
        "segments": st.sampled_from(([], [], ["purchased"])),
    }
)


# a drawn group's columns the planner reads (a test adds its owner / status draws)
GROUP_COLUMNS = {
    "stage": st.sampled_from(("seeding", "lifecycle")),
    "segment": st.sampled_from(("prospect", "purchased")),
    "age": st.integers(0, 5),
}


def reset_schedule() -> None:
    """No plans, groups or schedule rows (each Hypothesis example starts empty)."""
    for model in (SlotAllocation, PushPlan, WecomGroup):
        db.session.execute(delete(model))
    db.session.commit()


def gen_plans_from(plans: list[dict]) -> None:
    """Store each drawn plan (its post of the drawn purpose)."""
    today = shanghai_day()
    for p in plans:
        data: dict = {"priority": p["priority"], "stages": p["stages"], "schedule_kind": p["kind"]}
        data["segments"] = p["segments"]
        if p["kind"] == "weekly":
            data["weekdays"] = sorted(p["weekdays"])
        elif p["kind"] == "relative":
            data["relative_day"] = p["relative_day"]
        else:
            data["dates"] = [(today + timedelta(days=p["date_offset"])).isoformat()]
        gen_plan(gen_post(purpose=p["purpose"]), **data)
