"""Link checks: queued per store, run through the outbox against the sandbox's WeChat Pay,
each failing product named with its problem codes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app import outbox
from app.clock import utcnow
from app.extensions import db
from app.outbox import OutboxMessage
from franchise.models import CouponTemplate, Product
from livestream.models import LinkCheckRun
from livestream.services import linkcheck
from tests.livestream.scenarios import gen_campaign_id


def drain(app) -> int:
    with app.app_context():
        return outbox.drain()


def results_by_product(app, campaign_id, store_id) -> dict:
    with app.app_context():
        run = linkcheck.latest_runs(campaign_id)[store_id]
        assert run.status == "done"
        return {e["product_id"]: e for e in run.results}


def test_all_fine_passes_with_a_closed_dry_run_per_product(
    app, client, live_org, hq_headers, sandbox
):
    cid = gen_campaign_id(app, live_org, "store", [live_org.a1, live_org.b1])
    response = client.post(f"/api/v1/campaigns/{cid}/link-checks", json={}, headers=hq_headers)
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["total"] == 2 and body["done"] == 0
    assert {r["status"] for r in body["items"]} == {"pending"}
    assert drain(app) == 2
    listing = client.get(f"/api/v1/campaigns/{cid}/link-checks", headers=hq_headers).get_json()
    assert listing["done"] == 2 and all(r["passed"] for r in listing["items"])
    for run in listing["items"]:
        assert [e["problems"] for e in run["results"]] == [[], [], []]
        assert all(e["ok"] and e["sku"] and e["name"] for e in run["results"])
        for pid in live_org.products:
            order = sandbox.data["orders"][linkcheck.dry_run_trade_no(run["id"], pid)]
            assert order["trade_state"] == "NOTPAY"  # WeChat: no close within 5 minutes
            assert order["sub_mch_id"] in ("1900000301", "1900000302")
    assert drain(app) == 0  # the closes wait their 6 minutes
    sandbox.advance(linkcheck.CLOSE_DELAY)
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(available_at=utcnow()))
        db.session.commit()
    assert drain(app) == 6
    for run in listing["items"]:
        for pid in live_org.products:
            order = sandbox.data["orders"][linkcheck.dry_run_trade_no(run["id"], pid)]
            assert order["trade_state"] == "CLOSED"


def _order_api(pay_api: str) -> str:
    """The emulator's name of the call that places the dry-run order under ``pay_api``."""
    return "pay/unifiedorder" if pay_api == "v2" else "transactions/jsapi"


def test_failures_name_the_products(app, client, live_org, hq_headers, pay_api):
    p_inactive, p_empty, p_refused = live_org.products
    with app.app_context():
        db.session.get(Product, p_inactive).is_active = False
        db.session.get(Product, p_empty).stock = 0
        db.session.commit()
    cid = gen_campaign_id(app, live_org, "store", [live_org.a1])
    fault = client.post(
        "/_sandbox/control/faults",
        json={"api": _order_api(pay_api), "errcode": "NOAUTH", "count": 1},
    )
    assert fault.status_code == 200
    client.post(f"/api/v1/campaigns/{cid}/link-checks", json={}, headers=hq_headers)
    drain(app)
    entries = results_by_product(app, cid, live_org.a1)
    assert entries[p_inactive]["problems"] == ["inactive"]
    assert entries[p_empty]["problems"] == ["out_of_stock"]
    assert entries[p_refused]["problems"] == ["not_payable"]
    assert entries[p_refused]["detail"] == "NOAUTH"
    assert not any(e["ok"] for e in entries.values())
    with app.app_context():
        run = db.session.scalars(select(LinkCheckRun)).one()
        assert run.passed is False and run.status == "done"
        names = {e["name"] for e in linkcheck.failing_products(run)}
        assert names == {db.session.get(Product, p).name for p in live_org.products}


def test_cap_reached_coupon_invalid_and_unpriced(app, client, live_org, hq_headers):
    p_cap, p_coupon, p_price = live_org.products
    cid = gen_campaign_id(app, live_org, "store", [live_org.a1])
    with app.app_context():
        template = CouponTemplate(
            name="直播券",
            amount_off_fen=50_00,
            valid_until=utcnow() + timedelta(days=1),  # ends before the live (in 30 days)
        )
        db.session.add(template)
        db.session.flush()
        from livestream.models import LineupItem

        items = {i.product_id: i for i in db.session.scalars(select(LineupItem))}
        items[p_coupon].coupon_template_id = template.id
        items[p_cap].sold = 20  # the cap (orders keep it: tests/livestream/test_lineup_sold.py)
        db.session.get(Product, p_price).price_fen = 0
        db.session.commit()
    client.post(f"/api/v1/campaigns/{cid}/link-checks", json={}, headers=hq_headers)
    drain(app)
    entries = results_by_product(app, cid, live_org.a1)
    assert entries[p_cap]["problems"] == ["cap_reached"]
    assert entries[p_coupon]["problems"] == ["coupon_invalid"]  # cancelled orders free stock
    assert entries[p_price]["problems"] == ["unpriced"]


def test_transport_error_retries_later_then_passes(app, client, live_org, hq_headers, pay_api):
    cid = gen_campaign_id(app, live_org, "store", [live_org.a1])
    client.post(
        "/_sandbox/control/faults",
        json={"api": _order_api(pay_api), "http_status": 500, "count": 1},
    )
    client.post(f"/api/v1/campaigns/{cid}/link-checks", json={}, headers=hq_headers)
    drain(app)
    with app.app_context():
        run = db.session.scalars(select(LinkCheckRun)).one()
        assert run.status == "pending"
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.status == "pending" and "RetryLater" in message.last_error
        db.session.execute(update(OutboxMessage).values(available_at=utcnow()))
        db.session.commit()
    assert drain(app) == 1
    entries = results_by_product(app, cid, live_org.a1)
    assert all(e["ok"] for e in entries.values())


def test_pending_run_is_not_queued_twice_and_store_must_take_part(
    app, client, live_org, hq_headers
):
    cid = gen_campaign_id(app, live_org, "store", [live_org.a1, live_org.a2])
    url = f"/api/v1/campaigns/{cid}/link-checks"
    first = client.post(url, json={"store_id": live_org.a1}, headers=hq_headers).get_json()
    again = client.post(url, json={}, headers=hq_headers).get_json()
    assert len(first["items"]) == 1 and len(again["items"]) == 2
    assert first["items"][0]["id"] in {r["id"] for r in again["items"]}
    with app.app_context():
        assert len(db.session.scalars(select(LinkCheckRun)).all()) == 2
        assert len(db.session.scalars(select(OutboxMessage)).all()) == 2
    bad = client.post(url, json={"store_id": live_org.c1}, headers=hq_headers)
    assert bad.status_code == 422 and "store_id" in bad.get_json()["errors"]
    assert client.post(url, json={"store_id": "1"}, headers=hq_headers).status_code == 422
    drain(app)
    rerun = client.post(url, json={}, headers=hq_headers).get_json()
    assert {r["status"] for r in rerun["items"]} == {"pending"}
    assert not {r["id"] for r in rerun["items"]} & {r["id"] for r in again["items"]}


def test_link_checks_access(app, client, live_org, owner_a_headers, guide_a1_headers):
    cid = gen_campaign_id(app, live_org, "store", [live_org.a1, live_org.c1])
    with app.app_context():
        linkcheck.request_link_check(cid)
    drain(app)
    url = f"/api/v1/campaigns/{cid}/link-checks"
    mine = client.get(url, headers=owner_a_headers).get_json()
    assert [r["store_id"] for r in mine["items"]] == [live_org.a1]
    assert client.post(url, json={}, headers=owner_a_headers).status_code == 403
    assert client.get(url, headers=guide_a1_headers).status_code == 403
    assert client.get(f"/api/v1/campaigns/{cid + 999}/link-checks").status_code == 401
