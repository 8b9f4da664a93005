"""The plan editor and the plans API load through one schema: the same input gets the same
verdict and the same message on both (issue 13, "one input path")."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from community.models import PushPlan
from tests.community.factories_delivery import gen_post
from tests.fixtures.auth import csrf_token_from, login
from tests.fixtures.database import row_count_in

BAD = {"priority": 1001, "weekdays": [9]}


def test_page_and_api_refuse_the_same_input_with_the_same_messages(client, app, org, as_hq):
    with app.app_context():
        post_id = gen_post().id
    body = {"name": "每周", "post_id": post_id, "send_time": "10:00", **BAD}
    api = client.post("/api/v1/plans", json=body, headers=as_hq)
    assert api.status_code == 422
    api_errors = api.get_json()["errors"]
    login(client, "hq")
    token = csrf_token_from(client.get("/admin/plans/new").get_data(as_text=True))
    form = {"csrf_token": token, **{k: str(v) for k, v in body.items() if k != "weekdays"}}
    page = client.post("/admin/plans/new", data={**form, "weekdays": "9"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert api_errors["priority"] == ["必须在 0 到 1000 之间。"]
    assert 'data-error-for="priority"' in html and "必须在 0 到 1000 之间。" in html
    assert 'data-error-for="weekdays"' in html
    assert row_count_in(app, PushPlan) == 0


def test_page_saves_ids_and_dates_typed_as_text(client, app, org):
    with app.app_context():
        post_id = gen_post().id
    login(client, "hq")
    token = csrf_token_from(client.get("/admin/plans/new").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "name": " 圣诞 ",
        "post_id": str(post_id),
        "schedule_kind": "dates",
        "dates": "2026-12-24, 2026-12-25",
        "group_ids": "",
        "relative_day": "",
        "send_time": "09:30",
        "quiet_start": "",
        "quiet_end": "",
        "priority": "80",
        "active_from": "",
        "active_until": "",
    }
    res = client.post("/admin/plans/new", data=form)
    assert res.status_code == 303, res.get_data(as_text=True)
    with app.app_context():
        plan = db.session.scalars(select(PushPlan)).one()
        assert (plan.name, plan.dates, plan.priority) == ("圣诞", ["2026-12-24", "2026-12-25"], 80)
        assert plan.quiet_start is None and plan.relative_day is None and plan.weekdays == []
