"""Campaign service and API: create both modes, participants, sessions, line-up rules,
status moves, warm-up plan, visibility (owner / guide)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.clock import as_utc, utcnow
from app.extensions import db
from community.models import ContentPost, PushPlan
from franchise.models import Store
from livestream.models import Campaign, LiveSession
from livestream.services import campaigns as service
from livestream.services import timeline
from tests.livestream.factories import campaign_body as _body
from tests.livestream.factories import gen_campaign
from tests.livestream.factories import live_at as _live_at
from tests.livestream.factories import post_campaign as _post


def test_create_hq_mode_resolves_open_stores_and_one_session(app, client, live_org, hq_headers):
    with app.app_context():
        db.session.get(Store, live_org.a2).is_open = False
        db.session.commit()
    resp = _post(client, hq_headers, _body(live_org))
    assert resp.status_code == 201, resp.get_json()
    data = resp.get_json()
    assert data["status"] == "draft" and data["mode"] == "hq"
    assert sorted(s["store_id"] for s in data["stores"]) == [live_org.a1, live_org.b1]
    assert len(data["sessions"]) == 1
    assert data["sessions"][0]["store_id"] is None
    assert data["sessions"][0]["title"] == "春季新品直播"
    assert [s["kind"] for s in data["timeline"]] == [
        "targets",
        "training",
        "warmup",
        "gate",
        "live",
        "review",
    ]
    assert data["lineup"][0]["live_price_fen"] == 1500_00


def test_create_store_mode_one_session_per_store_with_anchor(app, client, live_org, hq_headers):
    body = _body(
        live_org, mode="store", region_ids=[], franchisee_ids=[live_org.fa], store_ids=[live_org.c1]
    )
    resp = _post(client, hq_headers, body)
    assert resp.status_code == 201, resp.get_json()
    sessions = resp.get_json()["sessions"]
    assert sorted(s["store_id"] for s in sessions) == sorted(
        [live_org.a1, live_org.a2, live_org.c1]
    )
    by_store = {s["store_id"]: s for s in sessions}
    assert by_store[live_org.a1]["anchor_userid"] == "sh-a1-1"
    assert by_store[live_org.a1]["title"] == "上海A1店 店播"


def test_switching_mode_and_stores_rebuilds_sessions(app, client, live_org, hq_headers):
    cid = _post(client, hq_headers, _body(live_org)).get_json()["id"]
    resp = client.patch(
        f"/api/v1/campaigns/{cid}",
        json={"mode": "store", "region_ids": [], "store_ids": [live_org.b1]},
        headers=hq_headers,
    )
    assert resp.status_code == 200, resp.get_json()
    data = resp.get_json()
    assert [s["store_id"] for s in data["sessions"]] == [live_org.b1]
    assert [s["store_id"] for s in data["stores"]] == [live_org.b1]


def test_lineup_price_above_list_is_422_naming_the_field(client, live_org, hq_headers):
    body = _body(live_org, lineup=[{"product_id": live_org.products[0], "live_price_fen": 1999_01}])
    resp = _post(client, hq_headers, body)
    assert resp.status_code == 422
    assert "lineup.0.live_price_fen" in resp.get_json()["errors"]


def test_bad_input_is_422_never_500(client, live_org, hq_headers):
    for bad in (
        {"name": "x" * 65},
        {"mode": "tv"},
        {"live_at": "2020-01-01T00:00:00+00:00"},
        {"duration_minutes": 5},
        {"duration_minutes": "60"},
        {"store_ids": [999999]},
        {"lineup": [{"product_id": 999999, "live_price_fen": 1}]},
        {"lineup": [{"product_id": live_org.products[0], "live_price_fen": 0}]},
    ):
        resp = _post(client, hq_headers, _body(live_org, **bad))
        assert resp.status_code == 422, (bad, resp.get_json())
        assert resp.get_json()["errors"]


def test_status_moves_legal_and_illegal(app, client, live_org, hq_headers):
    cid = _post(client, hq_headers, _body(live_org)).get_json()["id"]
    resp = client.post(f"/api/v1/campaigns/{cid}/status", json={"to": "ended"}, headers=hq_headers)
    assert resp.status_code == 409
    assert resp.get_json()["errors"]["allowed"] == ["scheduled", "cancelled"]
    resp = client.post(
        f"/api/v1/campaigns/{cid}/status", json={"to": "scheduled"}, headers=hq_headers
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == "scheduled"
    resp = client.post(f"/api/v1/campaigns/{cid}/status", json={"to": "live"}, headers=hq_headers)
    assert resp.status_code == 409  # go-live belongs to the readiness gate
    with app.app_context():
        db.session.get(Campaign, cid).status = "live"
        db.session.commit()
        service.set_status(cid, "ended")
        assert {s.status for s in db.session.get(Campaign, cid).sessions} == {"ended"}
        service.set_status(cid, "reviewed", None)
        review = timeline.step_of(db.session.get(Campaign, cid), "review")
        assert review.done_at is not None


def test_schedule_needs_stores_and_lineup(app, client, live_org, hq_headers):
    body = _body(live_org, region_ids=[], lineup=[])
    cid = _post(client, hq_headers, body).get_json()["id"]
    resp = client.post(
        f"/api/v1/campaigns/{cid}/status", json={"to": "scheduled"}, headers=hq_headers
    )
    assert resp.status_code == 409
    assert set(resp.get_json()["errors"]) == {"stores", "lineup"}


def test_warmup_plan_created_on_schedule_and_paused_on_cancel(app, client, live_org, hq_headers):
    with app.app_context():
        post = ContentPost(title="直播预告", purpose="promotion", text="今晚 8 点直播")
        db.session.add(post)
        db.session.commit()
        post_id = post.id
    body = _body(live_org, warmup_post_id=post_id, live_at=_live_at(20))
    cid = _post(client, hq_headers, body).get_json()["id"]
    with app.app_context():
        assert db.session.scalar(select(PushPlan)) is None  # drafts push nothing
    client.post(f"/api/v1/campaigns/{cid}/status", json={"to": "scheduled"}, headers=hq_headers)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        plan = db.session.get(PushPlan, campaign.warmup_plan_id)
        t = timeline.live_day(campaign)
        assert plan.campaign_id == cid and plan.status == "active"
        assert plan.name == "直播预热 · 春季新品直播"
        assert plan.schedule_kind == "dates" and plan.send_time == "10:00"
        assert plan.priority == 200
        assert plan.dates == [(t - timedelta(days=n)).isoformat() for n in (3, 2, 1)]
        assert sorted(plan.store_ids) == sorted([live_org.a1, live_org.a2, live_org.b1])
    # moving the live re-dates the plan
    new_live = utcnow().replace(microsecond=0) + timedelta(days=25)
    client.patch(
        f"/api/v1/campaigns/{cid}", json={"live_at": new_live.isoformat()}, headers=hq_headers
    )
    with app.app_context():
        plan = db.session.scalar(select(PushPlan))
        t = timeline.live_day(db.session.get(Campaign, cid))
        assert plan.dates[-1] == (t - timedelta(days=1)).isoformat()
    client.post(f"/api/v1/campaigns/{cid}/status", json={"to": "cancelled"}, headers=hq_headers)
    with app.app_context():
        assert db.session.scalar(select(PushPlan)).status == "paused"


def test_moving_live_moves_untouched_sessions_only(app, live_org):
    with app.app_context():
        campaign = service.save_campaign(
            {
                "name": "店播",
                "mode": "store",
                "live_at": datetime.now(UTC) + timedelta(days=30),
                "store_ids": [live_org.a1, live_org.b1],
            }
        )
        edited = next(s for s in campaign.sessions if s.store_id == live_org.b1)
        own_start = as_utc(edited.starts_at) + timedelta(hours=2)
        service.update_session(edited.id, starts_at=own_start)
        new_live = as_utc(campaign.live_at) + timedelta(days=1)
        service.save_campaign({"live_at": new_live}, campaign)
        starts = {s.store_id: as_utc(s.starts_at) for s in db.session.scalars(select(LiveSession))}
        assert starts[live_org.a1] == new_live
        assert starts[live_org.b1] == own_start


def test_owner_sees_only_campaigns_of_their_franchise(app, client, live_org, owner_a_headers):
    with app.app_context():
        mine = gen_campaign("store", [live_org.a1]).id
        other = gen_campaign("store", [live_org.c1]).id
        gen_campaign("hq", [live_org.a1], status="draft")
    resp = client.get("/api/v1/campaigns", headers=owner_a_headers)
    assert resp.status_code == 200
    body = resp.get_json()
    assert [i["id"] for i in body["items"]] == [mine] and body["total"] == 1
    item = body["items"][0]
    assert set(item) >= {"id", "name", "mode", "status", "live_at", "phase", "store_count"}
    assert client.get(f"/api/v1/campaigns/{other}", headers=owner_a_headers).status_code == 404
    assert client.get(f"/api/v1/campaigns/{mine}", headers=owner_a_headers).status_code == 200
    resp = client.patch(f"/api/v1/campaigns/{mine}", json={"name": "x"}, headers=owner_a_headers)
    assert resp.status_code == 403


def test_guide_list_and_filters(app, client, live_org, guide_a1_headers, hq_headers):
    with app.app_context():
        mine = gen_campaign("hq", [live_org.a1, live_org.b1], name="金饰专场").id
        gen_campaign("store", [live_org.a2], name="银饰专场")
    body = client.get("/api/v1/campaigns", headers=guide_a1_headers).get_json()
    assert [i["id"] for i in body["items"]] == [mine]
    assert body["items"][0]["store_count"] == 2
    body = client.get("/api/v1/campaigns?q=银饰&mode=store", headers=hq_headers).get_json()
    assert [i["name"] for i in body["items"]] == ["银饰专场"]
    assert client.get("/api/v1/campaigns?per_page=500", headers=hq_headers).status_code == 422
    assert client.get("/api/v1/campaigns?status=nope", headers=hq_headers).status_code == 422
    assert client.get("/api/v1/campaigns").status_code == 401


def test_step_patch_dates_and_done(app, client, live_org, hq_headers):
    data = _post(client, hq_headers, _body(live_org)).get_json()
    cid, step = data["id"], data["timeline"][1]
    start = date.fromisoformat(step["starts_on"]) - timedelta(days=1)
    resp = client.patch(
        f"/api/v1/campaigns/{cid}/steps/{step['id']}",
        json={"starts_on": start.isoformat(), "done": True},
        headers=hq_headers,
    )
    # weeks before its window: done only with a reason
    assert resp.status_code == 422 and "early_reason" in resp.get_json()["errors"]
    resp = client.patch(
        f"/api/v1/campaigns/{cid}/steps/{step['id']}",
        json={"done": True, "early_reason": "已提前完成选品"},
        headers=hq_headers,
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["note"] == "已提前完成选品"
    assert resp.get_json()["state"] == "done"
    assert resp.get_json()["starts_on"] == start.isoformat()
    resp = client.patch(
        f"/api/v1/campaigns/{cid}/steps/{step['id']}",
        json={"starts_on": "2099-01-01", "due_on": "2098-01-01"},
        headers=hq_headers,
    )
    assert resp.status_code == 422
    resp = client.patch(f"/api/v1/campaigns/{cid}/steps/999999", json={}, headers=hq_headers)
    assert resp.status_code == 404


def test_out_of_range_ids_are_404(client, live_org, hq_headers):
    huge = 10**20
    assert client.get(f"/api/v1/campaigns/{huge}", headers=hq_headers).status_code == 404
    cid = _post(client, hq_headers, _body(live_org)).get_json()["id"]
    resp = client.patch(f"/api/v1/campaigns/{cid}/steps/{huge}", json={}, headers=hq_headers)
    assert resp.status_code == 404
