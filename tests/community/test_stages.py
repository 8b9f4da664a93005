"""Stage rules: each transition with its rule and figures, thresholds from config,
the daily job / CLI, and HQ's override (skipped by the rules) and release."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from community.models.groups import GroupStageChange, WecomGroup
from community.services import stages
from franchise.models import Guide
from tests.community.factories_groups import add_metrics, gen_group


def _guide(org):
    return db.session.get(Guide, org.ga)


def _changes(group_id):
    return db.session.scalars(
        select(GroupStageChange)
        .where(GroupStageChange.group_id == group_id)
        .order_by(GroupStageChange.id)
    ).all()


def test_cold_start_to_seeding_needs_members_and_age(app, org):
    with app.app_context():
        young = gen_group(_guide(org), members=40, age_days=2)
        small = gen_group(_guide(org), members=10, age_days=30)
        ready = gen_group(_guide(org), members=30, age_days=7)
        for group in (young, small, ready):
            stages.evaluate(group)
        db.session.commit()
        assert (young.stage, small.stage, ready.stage) == ("cold_start", "cold_start", "seeding")
        (change,) = _changes(ready.id)
        assert (change.from_stage, change.to_stage) == ("cold_start", "seeding")
        assert change.rule == "cold_start_to_seeding"
        assert change.figures["member_count"] == 30 and change.figures["age_days"] == 7
        assert change.figures["thresholds"] == {"member_count": 30, "age_days": 7}
        failing = {c["figure"]: c["ok"] for c in stages.explain(young)["conditions"]}
        assert failing == {"member_count": True, "age_days": False}


def test_seeding_to_benchmark_reads_growth_purchases_and_send_rate(app, org):
    with app.app_context():
        group = gen_group(_guide(org), members=90, age_days=30, stage="seeding")
        group.purchased_count = 30  # share 30/90 = 0.33
        add_metrics(group, 14, joins=1, leaves=0, sends_planned=1, sends_done=0)
        assert stages.evaluate(group) == []  # send rate 0
        db.session.rollback()
        no_plan = gen_group(_guide(org), members=90, age_days=30, stage="seeding")
        no_plan.purchased_count = 30
        add_metrics(no_plan, 14, joins=1)
        assert stages.evaluate(no_plan) == []  # nothing planned counts as rate 0
        ready = gen_group(_guide(org), members=90, age_days=30, stage="seeding")
        ready.purchased_count = 30
        add_metrics(ready, 14, joins=1, leaves=0, sends_planned=1, sends_done=1)
        add_metrics_day_20_ago = stages.group_figures(ready)
        assert add_metrics_day_20_ago["net_growth"] == 14
        (change,) = stages.evaluate(ready)
        db.session.commit()
        assert change.rule == "seeding_to_benchmark" and ready.stage == "benchmark"
        assert change.figures["net_growth"] == 14
        assert change.figures["send_rate"] == 1.0
        assert change.figures["purchase_share"] == round(30 / 90, 4)
        assert change.figures["member_count"] == 90


def test_benchmark_to_lifecycle_needs_purchased_members_and_age(app, org):
    with app.app_context():
        group = gen_group(_guide(org), members=60, age_days=100, stage="benchmark")
        group.purchased_count = 29
        assert stages.evaluate(group) == []
        group.purchased_count = 30
        (change,) = stages.evaluate(group)
        db.session.commit()
        assert change.rule == "benchmark_to_lifecycle" and group.stage == "lifecycle"
        assert change.figures["purchased_count"] == 30 and change.figures["age_days"] == 100
        assert stages.evaluate(group) == []  # final stage


def test_a_group_passes_several_rules_in_one_evaluation(app, org):
    with app.app_context():
        group = gen_group(_guide(org), members=100, age_days=120)
        group.purchased_count = 40
        add_metrics(group, 14, joins=1, sends_planned=1, sends_done=1)
        changes = stages.evaluate(group)
        db.session.commit()
        assert [c.rule for c in changes] == [
            "cold_start_to_seeding",
            "seeding_to_benchmark",
            "benchmark_to_lifecycle",
        ]
        assert group.stage == "lifecycle"


def test_thresholds_come_from_config(app, org, monkeypatch):
    monkeypatch.setitem(app.config, "COMMUNITY_STAGE_RULES", {"seeding": {"min_members": 50}})
    with app.app_context():
        group = gen_group(_guide(org), members=40, age_days=30)
        assert stages.evaluate(group) == []
        assert stages.stage_rules()["seeding"] == {"min_members": 50, "min_age_days": 7}


def test_override_is_skipped_by_the_rules_until_released(app, org, client, as_hq, as_owner_a):
    with app.app_context():
        group_id = gen_group(_guide(org), members=40, age_days=30).id
    url = f"/api/v1/groups/{group_id}/stage"
    assert client.post(url, json={"stage": "benchmark"}, headers=as_hq).status_code == 422
    assert (
        client.post(url, json={"stage": "bogus", "reason": "x"}, headers=as_hq).status_code == 422
    )
    owner = client.post(url, json={"stage": "lifecycle", "reason": "x"}, headers=as_owner_a)
    assert owner.status_code == 403
    response = client.post(url, json={"stage": "benchmark", "reason": "门店标杆"}, headers=as_hq)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["stage"] == "benchmark" and body["stage_overridden"] is True
    assert body["stage_history"][0]["rule"] == "override"
    assert body["stage_history"][0]["reason"] == "门店标杆"
    result = app.test_cli_runner().invoke(args=["community", "evaluate-stages"])
    assert result.exit_code == 0 and "1 overridden skipped" in result.output
    with app.app_context():
        assert db.session.get(WecomGroup, group_id).stage == "benchmark"
    released = client.post(url, json={"release": True, "reason": "back"}, headers=as_hq)
    assert released.status_code == 200 and released.get_json()["stage_overridden"] is False
    assert client.post(url, json={"release": True}, headers=as_hq).status_code == 409
    with app.app_context():
        group = db.session.get(WecomGroup, group_id)
        group.stage = "cold_start"  # the rules move it again from a low stage
        db.session.commit()
    app.test_cli_runner().invoke(args=["community", "evaluate-stages"])
    with app.app_context():
        assert db.session.get(WecomGroup, group_id).stage == "seeding"
        rules = [c.rule for c in _changes(group_id)]
        assert rules == ["override", "override_released", "cold_start_to_seeding"]


def test_the_daily_job_is_registered_at_three_in_shanghai(app):
    from app.extensions import registry

    (job,) = [j for j in registry(app).jobs if j["id"] == "community.stages"]
    assert job["trigger"] == "cron"
    assert job["args"] == {"hour": 3, "minute": 0, "timezone": "Asia/Shanghai"}
