"""The targeted re-plan: a change to groups (stage, segment, status, owner, a new group)
names them in the ``community.replan`` outbox row (one row per 5-second bucket, merged)
and the handler re-plans only them. For any plans, groups and changes, the targeted run
decides those groups exactly as a full re-plan would, leaves every other group's rows
untouched, and a full re-plan after it changes nothing. A plan aimed at every group still
re-plans all (a plan with filters: ``test_replan_plan_change``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update

from app import outbox
from app.clock import shanghai_day
from app.extensions import db
from community.models import GROUP_ACTIVE, WecomGroup
from community.services import planner, receiving_limit, replan_trigger
from community.services.planner_core import POLICIES
from franchise.models import Guide
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup
from tests.community.planner_strategies import (
    GROUP_COLUMNS,
    PLAN,
    gen_plans_from,
    reset_schedule,
)
from tests.community.replan_support import replan_messages, replan_on_change, run_due, stored_rows
from tests.fixtures.auth import api_token, bearer
from tests.fixtures.randomness import db_examples

GROUP = st.fixed_dictionaries(GROUP_COLUMNS | {"guide": st.booleans()})
CHANGE = st.sampled_from(("stage", "segment", "status", "guide"))


def _change(group: WecomGroup, what: str) -> None:
    if what == "stage":
        group.stage = "lifecycle" if group.stage == "seeding" else "seeding"
    elif what == "segment":
        group.segment = "purchased" if group.segment == "prospect" else "prospect"
    elif what == "status":
        group.status = "dismissed" if group.status == GROUP_ACTIVE else GROUP_ACTIVE
    else:
        group.guide_id = None


@pytest.mark.slow
@db_examples(20)
@given(
    plans=st.lists(PLAN, min_size=1, max_size=4),
    groups=st.lists(GROUP, min_size=2, max_size=6),
    changes=st.lists(st.tuples(st.integers(0, 5), CHANGE), min_size=1, max_size=3),
    new_group=st.booleans(),
    policy=st.sampled_from(POLICIES),
    cap=st.integers(1, 2),
)
def test_a_targeted_replan_equals_a_full_one_and_leaves_the_others(
    ctx, org, plans, groups, changes, new_group, policy, cap
):
    reset_schedule()
    guide = db.session.get(Guide, org.ga)
    made = [
        gen_wgroup(
            guide if g["guide"] else None, stage=g["stage"], segment=g["segment"], age_days=g["age"]
        )
        for g in groups
    ]
    gen_plans_from(plans)
    receiving_limit.update(policy, cap)
    today = shanghai_day()
    planner.replan(today)
    touched = set()
    for index, what in changes:
        group = made[index % len(made)]
        _change(group, what)
        touched.add(group.id)
    db.session.commit()
    if new_group:
        touched.add(gen_wgroup(guide, age_days=0).id)
    others = [g.id for g in made if g.id not in touched]
    before = stored_rows(others)
    span = planner.horizon(today)
    full_desired = planner.compute(span)[0]
    targeted = planner.compute(span, group_ids=touched)[0]
    db.session.rollback()
    assert targeted == {k: v for k, v in full_desired.items() if k[1] in touched}
    planner.replan(today, group_ids=touched)
    assert stored_rows(others) == before  # untouched groups' rows: not one rewritten
    after = stored_rows()
    again = planner.replan(today)  # a full re-plan on the same state changes nothing
    assert (again["new"], again["changed"], again["removed"]) == (0, 0, 0)
    assert stored_rows() == after


def test_group_changes_name_their_groups_in_one_row_and_replan_only_them(
    app, ctx, org, frozen_bucket
):
    ann = db.session.get(Guide, org.ga)
    one, two, other = gen_wgroup(ann), gen_wgroup(ann), gen_wgroup(ann)
    gen_plan(gen_post(), name="只推培育群", stages=["seeding"], weekdays=[0, 1, 2, 3, 4, 5, 6])
    planner.replan(shanghai_day())
    # the untouched group's rows go stale behind the planner's back (no session events):
    # a full re-plan would delete them, the targeted one must not look at them
    db.session.execute(update(WecomGroup).where(WecomGroup.id == other.id).values(stage="x"))
    db.session.commit()
    stale = stored_rows([other.id])
    assert stale
    with replan_on_change(app):
        one.stage = "lifecycle"
        db.session.commit()
        two.segment = "purchased"  # a watched column: asks again, in the same bucket
        db.session.commit()
        fresh = gen_wgroup(ann)  # a new group is named too
    (message,) = replan_messages()
    assert message.payload == {"groups": sorted([one.id, two.id, fresh.id])}
    delay = (message.available_at - message.created_at).total_seconds()
    assert 5.9 < delay < 6.1  # 2 s after its bucket (closing 4 s after the first ask) closes
    run_due(message)
    (message,) = replan_messages()
    assert message.status == outbox.DONE and message.result["groups"] == 3
    assert stored_rows([other.id]) == stale  # not re-planned
    assert not stored_rows([one.id])  # left the plan's stage: its rows are gone
    assert len(stored_rows([two.id])) == 14 and len(stored_rows([fresh.id])) == 14


def test_a_plan_over_every_group_in_the_bucket_makes_it_replan_everything(
    app, ctx, org, frozen_bucket
):
    ann = db.session.get(Guide, org.ga)
    group = gen_wgroup(ann)
    with replan_on_change(app):
        group.stage = "lifecycle"
        db.session.commit()
        plan = gen_plan(gen_post(), name="全量")
        group.segment = "purchased"
        db.session.commit()
    (message,) = replan_messages()
    assert message.payload == {"all": True}
    run_due(message)
    assert {k[1] for k in stored_rows() if k[0] == plan.id} == {group.id}


def test_a_request_after_the_bucket_row_was_claimed_goes_into_the_next_row(ctx, org, frozen_bucket):
    ann = db.session.get(Guide, org.ga)
    one, two = gen_wgroup(ann), gen_wgroup(ann)
    replan_trigger.request_replan([one.id])
    db.session.commit()
    (first,) = replan_messages()
    first.status = outbox.IN_FLIGHT  # a dispatcher has it: its payload no longer changes
    db.session.commit()
    replan_trigger.request_replan([two.id])
    db.session.commit()
    first, second = replan_messages()
    assert first.payload == {"groups": [one.id]} and second.payload == {"groups": [two.id]}
    assert second.dedupe_key != first.dedupe_key


def test_payloads_merge_and_a_large_or_old_one_means_everything(ctx):
    merged = replan_trigger._merged({"groups": [3, 1]}, {"groups": [2, 3]})
    assert merged == {"groups": [1, 2, 3]}
    assert replan_trigger._merged({"groups": [1]}, {"all": True}) == {"all": True}
    assert replan_trigger._merged({}, {"groups": [1]}) == {"all": True}  # a row from before
    many = range(replan_trigger.MAX_GROUPS + 1)
    assert replan_trigger._payload(many) == {"all": True}


def test_hq_overriding_a_stage_over_http_replans_that_group_within_seconds(
    app, ctx, client, org, frozen_bucket
):
    """HQ pins a group's stage through the API: the commit carries a row naming that group;
    run by the outbox, the group leaves the seeding-stage plan and no other group moves."""
    ann = db.session.get(Guide, org.ga)
    group, other = gen_wgroup(ann), gen_wgroup(ann)
    plan = gen_plan(gen_post(), name="培育群每日", stages=["seeding"])
    planner.replan(shanghai_day())
    assert {k[1] for k in stored_rows() if k[0] == plan.id} == {group.id, other.id}
    before = stored_rows([other.id])
    hq = bearer(api_token(client, "hq"))
    with replan_on_change(app):
        response = client.post(
            f"/api/v1/groups/{group.id}/stage",
            json={"stage": "benchmark", "reason": "门店标杆"},
            headers=hq,
        )
    assert response.status_code == 200, response.get_json()
    (message,) = replan_messages()
    assert message.payload == {"groups": [group.id]}
    run_due(message)
    assert not stored_rows([group.id]) and stored_rows([other.id]) == before
