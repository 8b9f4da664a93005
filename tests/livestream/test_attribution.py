"""Attribution end to end through HTTP: a guide's campaign share code brings a new
customer (assigned to the guide's store, visit recorded as new and attributed), whose
order carries the campaign and the guide at the live price while live (list price
before), within the stock cap; paying it shows in the live board's GMV."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db, hooks
from franchise.models import Order, Product, ShareCode, Store
from franchise.services import orders as order_service
from livestream.models import Campaign, CampaignVisit, LineupItem
from livestream.services import attribution
from tests.franchise.factories_payments import customer_headers, pay_and_succeed
from tests.livestream.factories import gen_campaign, gen_live_customer
from tests.livestream.scenarios import _campaign, _mp_login, _order, _share


def test_hook_registered_once(app):
    assert hooks(order_service.CAMPAIGN_PRICING, app).count(attribution.live_prices) == 1
    reservations = hooks(order_service.CAMPAIGN_RESERVATIONS, app)
    assert reservations.count(attribution.reserve_within_caps) == 1


def test_share_code_flow_end_to_end(app, client, live_org, guide_a1_headers, hq_headers):
    org = live_org
    cid = _campaign(app, org, status="live", live_in_days=0)
    share = _share(client, guide_a1_headers, cid)
    assert share["path"] == f"pages/live/index?campaign={cid}&code={share['code']}"
    assert share["url"].endswith(f"/m/live/{cid}/join/{share['code']}")
    assert _share(client, guide_a1_headers, cid)["code"] == share["code"]  # get, not create
    with app.app_context():
        row = db.session.scalars(select(ShareCode).where(ShareCode.code == share["code"])).one()
        assert (row.campaign_id, row.guide_id, row.kind) == (cid, org.ga1, "guide")

    session = _mp_login(client, "code-live-new-1", share["code"])
    assert session["created"] is True
    assert session["customer"]["store_id"] == org.a1
    assert session["customer"]["guide_id"] == org.ga1
    token = f"Bearer {session['token']}"

    first = client.post(
        f"/api/v1/mp/campaigns/{cid}/visits",
        json={"share_code": share["code"]},
        headers={"Authorization": token},
    )
    assert first.status_code == 201, first.get_json()
    visit = first.get_json()
    assert visit["is_new_customer"] is True
    assert (visit["guide_id"], visit["store_id"], visit["franchisee_id"], visit["region_id"]) == (
        org.ga1,
        org.a1,
        org.fa,
        org.east,
    )
    again = client.post(
        f"/api/v1/mp/campaigns/{cid}/visits", json={}, headers={"Authorization": token}
    )
    assert again.status_code == 200 and again.get_json()["id"] == visit["id"]

    product = org.products[0]
    res = _order(client, token, [{"product_id": product, "quantity": 2}], share["code"])
    assert res.status_code == 201, res.get_json()
    order = res.get_json()
    with app.app_context():
        placed = db.session.get(Order, order["id"])
        assert placed.campaign_id == cid and placed.guide_id == org.ga1
        assert placed.lines[0].unit_price_fen == 1999_00 * 8 // 10
        customer_id = placed.customer_id
    pay_and_succeed(client, order["id"], customer_id, app)

    board = client.get(f"/api/v1/campaigns/{cid}/live", headers=hq_headers).get_json()
    assert board["totals"]["actual"]["gmv_fen"] == 2 * (1999_00 * 8 // 10)
    assert board["totals"]["actual"]["orders"] == 1
    assert board["totals"]["actual"]["visitors"] == 1
    assert board["totals"]["actual"]["viewers"] == 1  # HQ live: viewers are the visitors
    assert board["orders"][0]["guide_name"] == "SH-A1-1"
    east = next(r for r in board["rows"] if r["ref_id"] == org.east)
    assert east["actual"]["gmv_fen"] == 2 * (1999_00 * 8 // 10)
    cap = next(p for p in board["lineup"] if p["product_id"] == product)
    assert (cap["sold"], cap["left"]) == (2, 18)


def test_list_price_before_the_live(app, client, live_org, guide_a1_headers):
    org = live_org
    cid = _campaign(app, org, status="scheduled", live_in_days=5)
    share = _share(client, guide_a1_headers, cid)
    session = _mp_login(client, "code-live-early", share["code"])
    token = f"Bearer {session['token']}"
    res = _order(client, token, [{"product_id": org.products[1], "quantity": 1}], share["code"])
    assert res.status_code == 201, res.get_json()
    with app.app_context():
        placed = db.session.get(Order, res.get_json()["id"])
        assert placed.campaign_id == cid
        assert placed.lines[0].unit_price_fen == 5880_00


def test_session_window_opens_live_prices(app, live_org):
    with app.app_context():
        product = db.session.get(Product, live_org.products[0])
        c = gen_campaign("hq", live_org.stores, [product], live_in_days=-0.05)
        assert c.status == "scheduled"
        assert attribution.live_prices(c.id, {product.id: 1}) == {product.id: 1999_00 * 8 // 10}
        c.sessions[0].starts_at = utcnow() - timedelta(hours=5)
        db.session.commit()
        assert attribution.live_prices(c.id, {product.id: 1}) == {}


def test_stock_cap_names_the_product(app, client, live_org, guide_a1_headers):
    org = live_org
    cid = _campaign(app, org, status="live", live_in_days=0)
    with app.app_context():
        item = db.session.scalars(
            select(LineupItem).where(
                LineupItem.campaign_id == cid, LineupItem.product_id == org.products[2]
            )
        ).one()
        item.stock_cap = 3
        db.session.commit()
        name = db.session.get(Product, org.products[2]).name
    share = _share(client, guide_a1_headers, cid)
    token = f"Bearer {_mp_login(client, 'code-live-cap', share['code'])['token']}"
    item = {"product_id": org.products[2], "quantity": 2}
    assert _order(client, token, [item], share["code"]).status_code == 201
    res = _order(client, token, [item], share["code"])
    assert res.status_code == 422
    body = res.get_json()
    assert body["code"] == "validation_error"
    assert body["errors"]["items"] == [f"{name} 的直播价仅剩 1 件。"]  # zh by default
    with app.app_context():  # the refused order took no stock
        assert db.session.get(Product, org.products[2]).stock == 48


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_closed_campaign_refuses_orders_and_visits(app, client, live_org, status):
    org = live_org
    cid = _campaign(app, org, status=status)
    with app.app_context():
        customer = gen_live_customer(db.session.get(Store, org.a1))
        headers = customer_headers(customer.id)
    res = client.post(
        "/api/v1/mp/orders",
        json={"items": [{"product_id": org.products[0], "quantity": 1}], "campaign_id": cid},
        headers=headers,
    )
    assert res.status_code == 422 and "campaign_id" in res.get_json()["errors"]
    assert (
        client.post(f"/api/v1/mp/campaigns/{cid}/visits", json={}, headers=headers).status_code
        == 404
    )
    assert client.get(f"/api/v1/mp/campaigns/{cid}", headers=headers).status_code == 404


def test_unknown_campaign_on_order_is_422(app, client, live_org):
    with app.app_context():
        customer = gen_live_customer(db.session.get(Store, live_org.a1))
        headers = customer_headers(customer.id)
    res = client.post(
        "/api/v1/mp/orders",
        json={"items": [{"product_id": live_org.products[0], "quantity": 1}], "campaign_id": 99999},
        headers=headers,
    )
    assert res.status_code == 422 and "campaign_id" in res.get_json()["errors"]


def test_visit_without_code_uses_customers_owner_and_is_not_new(app, client, live_org):
    org = live_org
    cid = _campaign(app, org)
    with app.app_context():
        customer = gen_live_customer(db.session.get(Store, org.b1), guide_id=org.gb1)
        headers = customer_headers(customer.id)
    res = client.post(f"/api/v1/mp/campaigns/{cid}/visits", json={}, headers=headers)
    assert res.status_code == 201
    v = res.get_json()
    assert (v["guide_id"], v["store_id"], v["franchisee_id"]) == (org.gb1, org.b1, org.fb)
    assert v["is_new_customer"] is False and v["share_code"] is None


def test_old_customer_arriving_by_code_is_attributed_but_not_new(
    app, client, live_org, guide_a1_headers
):
    org = live_org
    cid = _campaign(app, org)
    share = _share(client, guide_a1_headers, cid)
    with app.app_context():
        customer = gen_live_customer(
            db.session.get(Store, org.a1), created_at=utcnow() - timedelta(days=30)
        )
        customer.assignment_rule = "share_code"
        db.session.commit()
        headers = customer_headers(customer.id)
    res = client.post(
        f"/api/v1/mp/campaigns/{cid}/visits", json={"share_code": share["code"]}, headers=headers
    )
    v = res.get_json()
    assert res.status_code == 201 and v["guide_id"] == org.ga1 and v["is_new_customer"] is False


def test_another_campaigns_code_does_not_attribute(app, client, live_org, guide_a1_headers):
    org = live_org
    first, second = _campaign(app, org), _campaign(app, org)
    share = _share(client, guide_a1_headers, first)
    with app.app_context():
        customer = gen_live_customer(db.session.get(Store, org.c1), guide_id=org.gc1)
        headers = customer_headers(customer.id)
    res = client.post(
        f"/api/v1/mp/campaigns/{second}/visits",
        json={"share_code": share["code"]},
        headers=headers,
    )
    assert res.status_code == 201 and res.get_json()["guide_id"] == org.gc1
    with app.app_context():
        assert db.session.scalar(select(CampaignVisit.share_code)) is None


@pytest.mark.parametrize(
    "body", [{"share_code": ""}, {"share_code": "x" * 33}, {"share_code": 5}, {"other": 1}]
)
def test_visit_body_is_validated(app, client, live_org, body):
    cid = _campaign(app, live_org)
    with app.app_context():
        headers = customer_headers(gen_live_customer(db.session.get(Store, live_org.a1)).id)
    res = client.post(f"/api/v1/mp/campaigns/{cid}/visits", json=body, headers=headers)
    assert res.status_code == 422 and res.get_json()["code"]


def test_mp_campaign_page(app, client, live_org):
    org = live_org
    with app.app_context():
        products = [db.session.get(Product, pid) for pid in org.products]
        c = gen_campaign("store", [org.a1, org.b1], products, status="live", live_in_days=0)
        cid = c.id
        headers = customer_headers(gen_live_customer(db.session.get(Store, org.b1)).id)
        assert db.session.get(Campaign, cid).mode == "store"
    res = client.get(f"/api/v1/mp/campaigns/{cid}", headers=headers)
    assert res.status_code == 200
    page = res.get_json()
    assert page["live_prices"] is True
    assert [s["store_id"] for s in page["sessions"]] == [org.b1]
    first = page["lineup"][0]
    assert first["list_price_fen"] == 1999_00 and first["live_price_fen"] == 1999_00 * 8 // 10
    assert first["left"] == 20
    assert client.get(f"/api/v1/mp/campaigns/{cid}").status_code == 401
