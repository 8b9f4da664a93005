"""Reconciliation shows its last run and the next scheduled one, and HQ can run a day now
(API and page); a day whose WeChat bill is not ready yet is a 422 naming ``date``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.clock import shanghai_day
from franchise.services import reconciliation_schedule as schedule
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login


def test_next_run_follows_the_registered_job(app):
    with app.app_context():
        before = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
        after = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
        assert schedule.next_run(before) == datetime(2026, 12, 7, 2, 30, tzinfo=UTC)
        assert schedule.next_run(after) == datetime(2026, 12, 8, 2, 30, tzinfo=UTC)


def test_a_bill_is_ready_after_ten_the_next_day():
    day = datetime(2026, 12, 6).date()
    assert not schedule.bill_ready(day, datetime(2026, 12, 7, 1, 59, tzinfo=UTC))
    assert schedule.bill_ready(day, datetime(2026, 12, 7, 2, 0, tzinfo=UTC))


def test_hq_runs_a_day_now_through_the_api(app, client, org):
    headers = bearer(api_token(client, "hq"))
    empty = client.get("/api/v1/reconciliation", headers=headers).get_json()
    assert empty["last_run"] is None and empty["next_run_at"]
    today = shanghai_day().isoformat()
    refused = client.post("/api/v1/reconciliation/runs", json={"date": today}, headers=headers)
    assert refused.status_code == 422 and "date" in refused.get_json()["errors"]
    old = (shanghai_day() - timedelta(days=200)).isoformat()
    too_old = client.post("/api/v1/reconciliation/runs", json={"date": old}, headers=headers)
    assert too_old.status_code == 422
    day = (shanghai_day() - timedelta(days=3)).isoformat()
    res = client.post("/api/v1/reconciliation/runs", json={"date": day}, headers=headers)
    assert res.status_code == 201, res.get_json()
    run = res.get_json()
    assert run["bill_date"] == day and run["status"] in ("ok", "differences")
    after = client.get("/api/v1/reconciliation", headers=headers).get_json()
    assert after["last_run"]["id"] == run["id"]
    owner = bearer(api_token(client, "owner-a"))
    assert client.post("/api/v1/reconciliation/runs", json={}, headers=owner).status_code == 403


def test_the_page_shows_the_schedule_and_runs_now(client, org):
    login(client, "hq")
    page = client.get("/admin/reconciliation").get_data(as_text=True)
    assert 'id="recon-next"' in page and "从未运行" in page and "立即对账" in page
    day = (shanghai_day() - timedelta(days=2)).isoformat()
    res = client.post(
        "/admin/reconciliation/run", data={"date": day, "csrf_token": csrf_token_from(page)}
    )
    assert res.status_code == 303 and "run=" in res.headers["Location"]
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert day in page and "从未运行" not in page and "的对账已完成" in page
    tomorrow = (shanghai_day() + timedelta(days=1)).isoformat()
    res = client.post(
        "/admin/reconciliation/run",
        data={"date": tomorrow, "csrf_token": csrf_token_from(page)},
        follow_redirects=True,
    )
    assert "次日 10:00" in res.get_data(as_text=True)
