"""The live board JSON: its shape, targets and pct, and the owner's view limited to their
own franchise; the guide share API's access rules."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from franchise.models import Product, Store
from tests.livestream.factories import gen_campaign, gen_live_customer, gen_paid_order, gen_target

KEYS = {
    "campaign_id",
    "name",
    "mode",
    "status",
    "live_at",
    "live_prices",
    "totals",
    "level",
    "rows",
    "sessions",
    "orders",
    "lineup",
    "updated_at",
}


def _campaign_with_sales(app, org):
    with app.app_context():
        products = [db.session.get(Product, pid) for pid in org.products]
        c = gen_campaign("hq", org.stores, products, status="live", live_in_days=0)
        gen_target(c.id, "region", org.east, org.east, gmv_fen=100_000)
        gen_target(c.id, "region", org.north, org.north, gmv_fen=50_000)
        gen_target(c.id, "franchisee", org.fa, org.east, franchisee_id=org.fa, gmv_fen=40_000)
        db.session.commit()
        a1 = gen_live_customer(db.session.get(Store, org.a1), guide_id=org.ga1)
        c1 = gen_live_customer(db.session.get(Store, org.c1), guide_id=org.gc1)
        gen_paid_order(a1, 30_000, days_ago=0.01, campaign_id=c.id)
        gen_paid_order(c1, 20_000, days_ago=0.02, campaign_id=c.id)
        gen_paid_order(c1, 99_000, days_ago=0.02)  # not the campaign's
        return c.id


def test_board_shape_for_hq(app, client, live_org, hq_headers):
    cid = _campaign_with_sales(app, live_org)
    res = client.get(f"/api/v1/campaigns/{cid}/live", headers=hq_headers)
    assert res.status_code == 200
    board = res.get_json()
    assert set(board) == KEYS
    assert board["level"] == "region" and board["live_prices"] is True
    totals = board["totals"]
    assert totals["target"]["gmv_fen"] == 150_000
    assert totals["actual"]["gmv_fen"] == 50_000 and totals["pct"]["gmv_fen"] == 33.3
    for key in ("orders", "buyers", "visitors", "viewers", "conversion_pct", "aov_fen"):
        assert key in totals["actual"]
    assert totals["actual"]["aov_fen"] == 25_000
    assert {r["ref_id"] for r in board["rows"]} == {live_org.east, live_org.north}
    assert [o["amount_fen"] for o in board["orders"]] == [30_000, 20_000]
    assert board["orders"][0]["store_name"] == "上海A1店"
    assert len(board["sessions"]) == 1 and board["sessions"][0]["viewers_source"] == "visits"
    assert [p["sold"] for p in board["lineup"]] == [0, 0, 0]


def test_owner_sees_only_own_rows(app, client, live_org, owner_a_headers):
    cid = _campaign_with_sales(app, live_org)
    res = client.get(f"/api/v1/campaigns/{cid}/live", headers=owner_a_headers)
    assert res.status_code == 200
    board = res.get_json()
    assert board["level"] == "store"
    assert {r["ref_id"] for r in board["rows"]} == {live_org.a1, live_org.a2}
    assert board["totals"]["actual"]["gmv_fen"] == 30_000
    assert board["totals"]["target"]["gmv_fen"] == 40_000
    assert [o["amount_fen"] for o in board["orders"]] == [30_000]


def test_board_access(app, client, live_org, guide_a1_headers, hq_headers):
    with app.app_context():
        own = gen_campaign("hq", [live_org.c1], status="live").id
        draft = gen_campaign("hq", [live_org.a1], status="draft").id
    from tests.fixtures.auth import api_token, bearer

    owner_a = bearer(api_token(client, "owner-a"))
    assert client.get(f"/api/v1/campaigns/{own}/live", headers=owner_a).status_code == 404
    assert client.get(f"/api/v1/campaigns/{draft}/live", headers=owner_a).status_code == 404
    assert client.get(f"/api/v1/campaigns/{draft}/live", headers=hq_headers).status_code == 200
    assert client.get(f"/api/v1/campaigns/{own}/live", headers=guide_a1_headers).status_code == 403
    assert client.get(f"/api/v1/campaigns/{2**40}/live", headers=hq_headers).status_code == 404


def test_guide_share_api_access(app, client, live_org, guide_a1_headers, hq_headers):
    with app.app_context():
        other = gen_campaign("store", [live_org.c1], status="scheduled").id
        draft = gen_campaign("store", [live_org.a1], status="draft").id
    for cid in (other, draft, 2**40):
        res = client.get(f"/api/v1/me/campaigns/{cid}/share", headers=guide_a1_headers)
        assert res.status_code == 404, cid
    assert client.get(f"/api/v1/me/campaigns/{other}/share", headers=hq_headers).status_code == 403


def test_guide_who_left_gets_422(app, client, live_org, guide_a1_headers):
    from franchise.models import Guide

    with app.app_context():
        cid = gen_campaign("hq", [live_org.a1], status="scheduled").id
        db.session.get(Guide, live_org.ga1).status = "left"
        db.session.commit()
    res = client.get(f"/api/v1/me/campaigns/{cid}/share", headers=guide_a1_headers)
    assert res.status_code == 422, res.get_json()
    with app.app_context():
        from franchise.models import ShareCode

        assert db.session.scalars(select(ShareCode)).first() is None
