"""A plan change re-plans only the groups the plan targeted before the change and those it
targets after (its ``community.replan`` row names both target filters); a post change the
groups of the plans sending it; the policy still everything. For any plans, groups and
plan change (create, edit of targets / schedule / priority / status, delete), the targeted
run decides those groups exactly as a full re-plan would and leaves every other group's
rows as they were (same ids, same values)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete

from app import outbox
from app.clock import shanghai_day
from app.extensions import db
from community.models import MISSED, PushPlan, WecomGroup
from community.services import (
    allocation,
    content,
    planner,
    receiving_limit,
    replan_trigger,
    schedule,
)
from community.services import plans as plan_service
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
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login
from tests.fixtures.randomness import db_examples

# a group: Ann's store or Bob's, active (mostly) or dismissed
GROUP = st.fixed_dictionaries(
    GROUP_COLUMNS | {"bob": st.booleans(), "active": st.booleans() | st.just(True)}
)
# the changed plan's target: at least one filter (a plan over every group re-plans all)
TARGET = st.fixed_dictionaries(
    {
        "stages": st.sampled_from(([], ["seeding"], ["lifecycle"])),
        "segments": st.sampled_from(([], ["purchased"], ["prospect"])),
        "stores": st.sampled_from(([], ["a"], ["b"])),
        "groups": st.sampled_from(([], [0], [0, 2])),
    }
).filter(lambda t: any(t.values()))
LIMIT = st.tuples(st.sampled_from(POLICIES), st.integers(1, 2))  # (policy, daily cap)
EDIT = st.fixed_dictionaries(
    {
        "target": TARGET,
        "weekdays": st.sets(st.integers(0, 6), min_size=1, max_size=7),
        "priority": st.sampled_from((10, 50, 90)),
        "status": st.sampled_from(("active", "active", "paused")),
    }
)


# other plans, groups, the changed plan's target before and its edit, the policy and cap
WORLD = {
    "plans": st.lists(PLAN, max_size=3),
    "groups": st.lists(GROUP, min_size=3, max_size=7),
    "before": TARGET,
    "edit": EDIT,
    "limit": LIMIT,
}


def _plan_data(target: dict, org, groups: list[WecomGroup], **kw) -> dict:
    """Plan values aimed at ``target`` (store letters → the org's stores, group indexes →
    the drawn groups' ids)."""
    stores = {"a": org.sa, "b": org.sb}
    data = {"stages": target["stages"], "segments": target["segments"]}
    data["store_ids"] = [stores[s] for s in target["stores"]]
    data["group_ids"] = [groups[i % len(groups)].id for i in target["groups"]]
    return data | kw


def _planned(org, plans: list[dict], groups: list[dict], target: dict | None, policy, cap):
    """Drawn groups (Ann's or Bob's, active or dismissed), drawn plans, a post and, with
    ``target``, a weekly plan of it aimed there; the policy set and everything planned:
    ``(groups, post, plan or None)``."""
    reset_schedule()
    ann, bob = db.session.get(Guide, org.ga), db.session.get(Guide, org.gb)
    made = [
        gen_wgroup(
            bob if g["bob"] else ann,
            stage=g["stage"],
            segment=g["segment"],
            age_days=g["age"],
            status="active" if g["active"] else "dismissed",
        )
        for g in groups
    ]
    gen_plans_from(plans)
    post = gen_post()
    plan = None if target is None else gen_plan(post, **_plan_data(target, org, made))
    receiving_limit.update(policy, cap)
    planner.replan(shanghai_day())
    db.session.execute(delete(outbox.OutboxMessage))  # the policy's row: already planned
    db.session.commit()
    return made, post, plan


def _edited(edit: dict, org, groups: list[WecomGroup]) -> dict:
    """The plan values of a drawn edit (targets, weekdays, priority, status)."""
    after = _plan_data(edit["target"], org, groups, weekdays=sorted(edit["weekdays"]))
    return after | {"priority": edit["priority"], "status": edit["status"]}


def _targeted(plan_values: list[dict], groups: list[WecomGroup]) -> set[int]:
    """The groups any of these plan values targets (``allocation.targets``, in Python)."""
    found = set()
    for values in plan_values:
        plan = PushPlan(**values)
        plan._group_set = set(values.get("group_ids") or [])
        found |= {g.id for g in groups if allocation.targets(plan, g)}
    return found


def _target_values(plan: PushPlan) -> dict:
    keys = ("stages", "segments", "region_ids", "franchisee_ids", "store_ids", "group_ids")
    return {k: list(getattr(plan, k) or []) for k in keys}


@pytest.mark.slow
@db_examples(20)
@given(op=st.sampled_from(("edit", "edit", "create", "delete")), **WORLD)
def test_a_plan_change_replans_its_old_and_new_targets_as_a_full_run_would(
    app, ctx, org, plans, groups, before, edit, op, limit
):
    made, post, plan = _planned(org, plans, groups, None if op == "create" else before, *limit)
    today = shanghai_day()
    old = [] if plan is None else [_target_values(plan)]
    after = _edited(edit, org, made)
    with replan_on_change(app):
        if op == "delete":
            db.session.delete(plan)
            db.session.commit()
        elif op == "create":
            gen_plan(post, **after)
        else:
            assert plan is not None
            kept = {"name": plan.name, "post_id": post.id, "schedule_kind": "weekly"}
            plan_service.save_plan(kept | after, plan)
    new = [] if op == "delete" else [after]
    touched = _targeted(old + new, made)
    (message,) = replan_messages()
    assert "all" not in message.payload and message.payload["groups"] == []
    others = [g.id for g in made if g.id not in touched]
    untouched = stored_rows(others)
    span = planner.horizon(today)
    full = planner.compute(span)[0]
    targeted = planner.compute(span, targets=message.payload["targets"])[0]
    db.session.rollback()
    assert targeted == {k: v for k, v in full.items() if k[1] in touched}
    run_due(message)
    assert stored_rows(others) == untouched  # not one row of another group rewritten
    after_rows = stored_rows()
    again = planner.replan(today)  # a full re-plan on the same state changes nothing
    assert (again["new"], again["changed"], again["removed"]) == (0, 0, 0)
    assert stored_rows() == after_rows


@pytest.mark.slow
@db_examples(15)
@given(existing=st.booleans(), **WORLD)
def test_the_reach_preview_decides_only_the_plans_groups_as_a_full_run_would(
    app, ctx, org, plans, groups, before, edit, existing, limit
):
    """The preview (new plan, or an edit of a stored one) plans only the groups the plan
    would target; its reach and missed occurrences equal those of a run over every group."""
    made, post, plan = _planned(org, plans, groups, before if existing else None, *limit)
    data = {"name": "预览", "post_id": post.id, "schedule_kind": "weekly"}
    data |= _edited(edit, org, made)
    with app.test_request_context():  # the missed occurrences' reasons are translated
        shown = schedule.preview(data, plan)
    clean = plan_service.load_plan(data)
    candidate = PushPlan(**{k: clean.get(k) for k in plan_service.PLAN_COLUMNS})
    candidate.id = plan.id if plan is not None else 0
    full = planner.compute(planner.horizon(shanghai_day()), candidate)[0]
    db.session.rollback()
    mine = [v for k, v in full.items() if k[0] == candidate.id]
    expected = schedule.reach_of(mine)
    assert {k: shown[k] for k in expected} == expected
    missed = sorted((v["occurrence"], v["group_id"]) for v in mine if v["status"] == MISSED)
    assert [(m["date"], m["group_id"]) for m in shown["missed_items"]] == missed[:50]


def test_payloads_merge_groups_and_targets_and_everything_wins(ctx):
    seeding, lifecycle = {"stages": ["seeding"]}, {"stages": ["lifecycle"]}
    one = replan_trigger._payload([3], [seeding, {"stages": ["seeding", "seeding"]}])
    assert one == {"groups": [3], "targets": [seeding]}
    merged = replan_trigger._merged(one, replan_trigger._payload([1], [lifecycle]))
    assert merged == {"groups": [1, 3], "targets": [lifecycle, seeding]}
    assert replan_trigger._merged(merged, {"groups": [2]})["groups"] == [1, 2, 3]
    assert replan_trigger._merged(merged, {"all": True}) == {"all": True}
    assert replan_trigger._payload([], [{"stages": []}]) == {"all": True}  # every group
    many = [{"group_ids": [n]} for n in range(replan_trigger.MAX_TARGETS + 1)]
    assert replan_trigger._payload([], many) == {"all": True}


def test_old_payloads_still_run(ctx, org):
    ann = db.session.get(Guide, org.ga)
    group = gen_wgroup(ann)
    gen_plan(gen_post(), stages=["seeding"])
    for payload in ({"all": True}, {}, {"groups": [group.id]}):
        replan_trigger.replan_handler(outbox.OutboxMessage(payload=payload))
        assert len(stored_rows([group.id])) == 14


def test_editing_a_plan_on_its_page_replans_only_its_groups(app, ctx, client, org, frozen_bucket):
    """HQ moves a plan from the seeding stage to the lifecycle stage on the plan page: the
    row names both stages, and once it runs the groups of neither stage keep every row
    (same ids); the plan leaves the seeding groups and reaches the lifecycle ones."""
    ann, bob = db.session.get(Guide, org.ga), db.session.get(Guide, org.gb)
    seeding, lifecycle = gen_wgroup(ann), gen_wgroup(bob, stage="lifecycle")
    other = gen_wgroup(ann, stage="benchmark")
    post = gen_post()
    plan = gen_plan(post, name="培育群每日", stages=["seeding"], priority=60)
    gen_plan(gen_post(), name="全体周三", weekdays=[2], priority=40)
    planner.replan(shanghai_day())
    before = stored_rows([other.id])
    assert before and {k[1] for k in stored_rows() if k[0] == plan.id} == {seeding.id}
    login(client, "hq")
    page = client.get(f"/admin/plans/{plan.id}").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token_from(page),
        "name": "培育群每日",
        "post_id": str(post.id),
        "stages": "lifecycle",
        "schedule_kind": "weekly",
        "weekdays": [str(d) for d in range(7)],
        "send_time": "10:00",
        "priority": "60",
        "status": "active",
    }
    with replan_on_change(app):
        saved = client.post(f"/admin/plans/{plan.id}", data=form)
    assert saved.status_code == 303, saved.get_data(as_text=True)
    (message,) = replan_messages()
    assert message.payload == {
        "groups": [],
        "targets": [{"stages": ["lifecycle"]}, {"stages": ["seeding"]}],
    }
    assert run_due(message)["targets"] == 2
    assert stored_rows([other.id]) == before  # same rows, same ids
    assert {k[1] for k in stored_rows() if k[0] == plan.id} == {lifecycle.id}


def test_a_plan_created_over_the_api_names_its_target(app, ctx, client, org, frozen_bucket):
    ann = db.session.get(Guide, org.ga)
    east, other = gen_wgroup(ann), gen_wgroup(db.session.get(Guide, org.gb))
    post_id = gen_post().id
    planner.replan(shanghai_day())
    hq = bearer(api_token(client, "hq"))
    body = {"name": "华东周推", "post_id": post_id, "weekdays": [2], "region_ids": [org.east]}
    with replan_on_change(app):
        assert client.post("/api/v1/plans", json=body, headers=hq).status_code == 201
    (message,) = replan_messages()
    assert message.payload == {"groups": [], "targets": [{"region_ids": [org.east]}]}
    run_due(message)
    assert {k[1] for k in stored_rows()} == {east.id} and not stored_rows([other.id])


def test_a_post_change_replans_the_groups_of_its_plans(app, ctx, org, frozen_bucket):
    ann = db.session.get(Guide, org.ga)
    gen_wgroup(ann)
    post = gen_post()
    gen_plan(post, stages=["seeding"])
    gen_plan(post, segments=["purchased"])
    with replan_on_change(app):
        data = {"title": post.title, "purpose": "care", "text": post.text, "attachments": []}
        content.save_post(data, post)
    (message,) = replan_messages()
    targets = [{"segments": ["purchased"]}, {"stages": ["seeding"]}]
    assert message.payload == {"groups": [], "targets": targets}


def test_a_post_no_plan_sends_asks_for_nothing(app, ctx, org, frozen_bucket):
    lonely = gen_post()
    with replan_on_change(app):
        data = {"title": lonely.title, "purpose": "care", "text": lonely.text, "attachments": []}
        content.save_post(data, lonely)
    assert replan_messages() == []


def test_the_policy_still_replans_everything(app, ctx, org, frozen_bucket):
    with replan_on_change(app):
        receiving_limit.update("week")
    (message,) = replan_messages()
    assert message.payload == {"all": True}
