"""Push plans: schedule matching (weekly, fixed dates, day N after creation), quiet hours,
active period, and the editor's validation."""

from __future__ import annotations

from datetime import date, time

import pytest

from community.models import PushPlan
from community.services import plans
from tests.community.factories_delivery import gen_plan, gen_post

MONDAY = date(2026, 11, 23)


def plan(**kw) -> PushPlan:
    defaults = {
        "status": "active",
        "schedule_kind": "weekly",
        "weekdays": [],
        "dates": [],
        "send_time": "10:00",
        "quiet_start": None,
        "quiet_end": None,
        "active_from": None,
        "active_until": None,
        "relative_day": None,
    }
    return PushPlan(**{**defaults, **kw})


def test_weekly_dates_and_relative_schedules():
    weekly = plan(weekdays=[0, 3])
    assert plans.schedule_matches(weekly, MONDAY)
    assert not plans.schedule_matches(weekly, date(2026, 11, 24))
    assert plans.schedule_matches(weekly, date(2026, 11, 26))  # Thursday
    dated = plan(schedule_kind="dates", dates=["2026-11-24"])
    assert plans.schedule_matches(dated, date(2026, 11, 24))
    assert not plans.schedule_matches(dated, MONDAY)
    relative = plan(schedule_kind="relative", relative_day=3)
    assert plans.schedule_matches(relative, MONDAY, group_created=date(2026, 11, 20))
    assert not plans.schedule_matches(relative, MONDAY, group_created=date(2026, 11, 21))
    assert not plans.schedule_matches(relative, MONDAY, group_created=None)


def test_active_period_and_status():
    p = plan(active_from=date(2026, 11, 20), active_until=date(2026, 11, 30))
    assert plans.is_active_on(p, MONDAY)
    assert not plans.is_active_on(p, date(2026, 11, 19))
    assert not plans.is_active_on(p, date(2026, 12, 1))
    assert not plans.is_active_on(plan(status="paused"), MONDAY)


def test_quiet_hours_move_or_wait():
    assert plans.effective_send_time(plan(send_time="10:00")) == (time(10), "")
    same_day = plan(send_time="12:30", quiet_start="12:00", quiet_end="14:00")
    at, note = plans.effective_send_time(same_day)
    assert at == time(14) and "14:00" in note
    morning = plan(send_time="07:00", quiet_start="22:00", quiet_end="08:00")
    assert plans.effective_send_time(morning)[0] == time(8)
    evening = plan(send_time="23:00", quiet_start="22:00", quiet_end="08:00")
    at, note = plans.effective_send_time(evening)
    assert at is None and "quiet hours" in note
    outside = plan(send_time="10:00", quiet_start="22:00", quiet_end="08:00")
    assert plans.effective_send_time(outside) == (time(10), "")


def test_save_plan_validates(ctx):
    post = gen_post()
    with pytest.raises(plans.PlanInvalid) as err:
        plans.save_plan(
            {
                "name": "x",
                "post_id": post.id,
                "schedule_kind": "weekly",
                "weekdays": [],
                "send_time": "10:00",
            }
        )
    assert "weekdays" in err.value.errors
    with pytest.raises(plans.PlanInvalid) as err:
        plans.save_plan(
            {
                "name": "x",
                "post_id": post.id,
                "schedule_kind": "dates",
                "dates": "2026-13-01",
                "send_time": "25:00",
                "quiet_start": "22:00",
            }
        )
    assert {"dates", "send_time", "quiet_end"} <= set(err.value.errors)
    with pytest.raises(plans.PlanInvalid) as err:
        plans.save_plan(
            {
                "name": "x",
                "post_id": post.id,
                "weekdays": [1],
                "send_time": "10:00",
                "active_from": "2026-12-01",
                "active_until": "2026-11-01",
            }
        )
    assert "active_until" in err.value.errors
    saved = gen_plan(post, schedule_kind="dates", dates="2026-12-24 2026-12-25", priority=80)
    assert saved.dates == ["2026-12-24", "2026-12-25"] and saved.priority == 80


def test_api_creates_and_lists_plans(client, as_hq, app):
    with app.app_context():
        post_id = gen_post().id
    body = {
        "name": "每周知识",
        "post_id": post_id,
        "weekdays": [0, 2],
        "send_time": "09:30",
        "quiet_start": "22:00",
        "quiet_end": "08:00",
        "priority": 70,
        "stages": ["seeding"],
    }
    created = client.post("/api/v1/plans", json=body, headers=as_hq)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["weekdays"] == [0, 2]
    dated = client.post(
        "/api/v1/plans",
        json={**body, "schedule_kind": "dates", "dates": ["2026-12-24"]},
        headers=as_hq,
    )
    assert dated.status_code == 201 and dated.get_json()["dates"] == ["2026-12-24"]
    bad_date = {**body, "schedule_kind": "dates", "dates": ["2026-02-30"]}
    assert client.post("/api/v1/plans", json=bad_date, headers=as_hq).status_code == 422
    assert (
        client.post("/api/v1/plans", json={**body, "priority": "70"}, headers=as_hq).status_code
        == 422
    )
    assert (
        client.post("/api/v1/plans", json={**body, "send_time": "9:75"}, headers=as_hq).status_code
        == 422
    )
    assert client.get("/api/v1/plans", headers=as_hq).get_json()["total"] == 2
