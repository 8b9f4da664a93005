"""Fulfilment and visit outcomes (issue 19): home delivery needs an address (422 naming
the field), HQ ships with a carrier and waybill the customer sees, store pickup hands
over on the customer's code only, and appointments record attended / no-show /
rescheduled; an O2O inspection records accepted, or a defect with an exchange or a
refund through the existing refund path."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.clock import shanghai_day, utcnow
from app.extensions import db
from franchise.models import Appointment, Order, OrderFulfilment, Refund
from franchise.services.appointments import slot_starts
from tests.fixtures.auth import api_token, bearer
from tests.franchise.factories_commerce import make_paid
from tests.franchise.factories_payments import pay_and_succeed

ADDRESS = {"recipient": "小美", "phone": "13800138000", "city": "上海", "address": "南京西路1号"}


def _order(client, shop, headers, fulfilment=None):
    body = {"items": [{"product_id": shop.pearl, "quantity": 1}]}
    if fulfilment is not None:
        body["fulfilment"] = fulfilment
    return client.post("/api/v1/mp/orders", json=body, headers=headers)


def _paid(app, order_id):
    with app.app_context():
        make_paid(db.session.get(Order, order_id))


@pytest.mark.parametrize("missing", ["recipient", "phone", "address"])
def test_delivery_needs_an_address(client, app, shop, as_ca, missing):
    address = {k: v for k, v in ADDRESS.items() if k != missing}
    answer = _order(client, shop, as_ca, {"mode": "delivery", "address": address})
    assert answer.status_code == 422, answer.get_json()
    assert missing in str(answer.get_json()["errors"])
    no_address = _order(client, shop, as_ca, {"mode": "delivery"})
    assert no_address.status_code == 422
    assert "fulfilment.address.recipient" in no_address.get_json()["errors"]
    with app.app_context():
        assert db.session.query(Order).count() == 0


def test_home_delivery_shipped_by_hq_with_a_waybill(client, app, shop, as_ca, as_hq):
    order = _order(client, shop, as_ca, {"mode": "delivery", "address": ADDRESS}).get_json()
    assert order["fulfilment"] == "delivery"
    ship = {"carrier": "顺丰速运", "waybill_no": "SF1234567890"}
    early = client.post(f"/api/v1/orders/{order['id']}/ship", json=ship, headers=as_hq)
    assert early.status_code == 409  # not paid yet
    _paid(app, order["id"])
    owner = bearer(api_token(client, "owner-a"))
    assert (
        client.post(f"/api/v1/orders/{order['id']}/ship", json=ship, headers=owner).status_code
        == 403
    )
    shipped = client.post(f"/api/v1/orders/{order['id']}/ship", json=ship, headers=as_hq)
    assert shipped.status_code == 200 and shipped.get_json()["status"] == "shipped"
    seen = client.get(f"/api/v1/mp/orders/{order['id']}/fulfilment", headers=as_ca).get_json()
    assert (seen["carrier"], seen["waybill_no"], seen["address"]) == (
        "顺丰速运",
        "SF1234567890",
        "南京西路1号",
    )
    assert "pickup_code" not in seen
    bad = client.post(
        f"/api/v1/orders/{order['id']}/ship",
        json={"carrier": "x", "waybill_no": "!"},
        headers=as_hq,
    )
    assert bad.status_code == 422 and "waybill_no" in bad.get_json()["errors"]


def test_store_pickup_hands_over_on_the_code(client, app, shop, as_ca, as_hq):
    order = _order(client, shop, as_ca).get_json()
    assert order["fulfilment"] == "pickup"
    unpaid = client.get(f"/api/v1/mp/orders/{order['id']}/fulfilment", headers=as_ca).get_json()
    assert "pickup_code" not in unpaid
    _paid(app, order["id"])
    code = client.get(f"/api/v1/mp/orders/{order['id']}/fulfilment", headers=as_ca).get_json()[
        "pickup_code"
    ]
    staff = client.get(f"/api/v1/orders/{order['id']}/fulfilment", headers=as_hq).get_json()
    assert "pickup_code" not in staff
    ship = {"carrier": "总仓配送", "waybill_no": "HQ-0001"}
    client.post(f"/api/v1/orders/{order['id']}/ship", json=ship, headers=as_hq)
    guide = bearer(api_token(client, "guide-a"))
    client.post(f"/api/v1/orders/{order['id']}/transition", json={"to": "received"}, headers=guide)
    wrong = "000000" if code != "000000" else "111111"
    refused = client.post(
        f"/api/v1/orders/{order['id']}/pickup", json={"code": wrong}, headers=guide
    )
    assert refused.status_code == 422 and "code" in refused.get_json()["errors"]
    done = client.post(f"/api/v1/orders/{order['id']}/pickup", json={"code": code}, headers=guide)
    assert done.status_code == 200 and done.get_json()["status"] == "picked_up"
    with app.app_context():
        row = db.session.get(OrderFulfilment, order["id"])
        assert row.picked_up_at is not None and row.verified_by_user_id is not None


def _visit(app, org, shop, kind, order_id=None) -> int:
    with app.app_context():
        start = slot_starts(shanghai_day() + timedelta(days=1))[2]
        visit = Appointment(
            customer_id=shop.ca,
            franchisee_id=org.fa,
            store_id=org.sa,
            guide_id=org.ga,
            kind=kind,
            order_id=order_id,
            slot_start=start,
        )
        db.session.add(visit)
        db.session.commit()
        return visit.id


def _outcome(client, visit_id, headers, **body):
    return client.post(f"/api/v1/appointments/{visit_id}/outcome", json=body, headers=headers)


def test_outcomes_attended_no_show_rescheduled(client, app, org, shop):
    guide = bearer(api_token(client, "guide-a"))
    first = _visit(app, org, shop, "try_on")
    assert _outcome(client, first, guide, outcome="no_show").status_code == 201
    second = _visit(app, org, shop, "try_on")
    new_slot = slot_starts(shanghai_day() + timedelta(days=3))[4].isoformat()
    moved = _outcome(client, second, guide, outcome="rescheduled", slot_start=new_slot)
    assert moved.status_code == 201, moved.get_json()
    with app.app_context():
        assert db.session.get(Appointment, first).status == "no_show"
        assert db.session.get(Appointment, second).status == "rescheduled"
        new = db.session.get(Appointment, moved.get_json()["rescheduled_to_id"])
        assert new.status == "booked" and new.slot_start > utcnow() + timedelta(days=2)
    missing = _outcome(client, _visit(app, org, shop, "try_on"), guide, outcome="rescheduled")
    assert missing.status_code == 422 and "slot_start" in missing.get_json()["errors"]
    other = bearer(api_token(client, "owner-b"))
    assert _outcome(client, first, other, outcome="attended").status_code == 404


def test_inspection_accepted_or_defect_refunded(client, app, org, shop, as_ca, as_owner_a):
    guide = bearer(api_token(client, "guide-a"))
    order = _order(client, shop, as_ca).get_json()
    pay_and_succeed(client, order["id"], shop.ca, app)  # the real payment path
    accepted = _visit(app, org, shop, "inspection", order["id"])
    no_result = _outcome(client, accepted, guide, outcome="attended")
    assert no_result.status_code == 422 and "inspection_result" in no_result.get_json()["errors"]
    ok = _outcome(client, accepted, guide, outcome="attended", inspection_result="accepted")
    assert ok.status_code == 201 and ok.get_json()["inspection_result"] == "accepted"
    defect = _visit(app, org, shop, "inspection", order["id"])
    no_remedy = _outcome(client, defect, as_owner_a, outcome="attended", inspection_result="defect")
    assert no_remedy.status_code == 422 and "remedy" in no_remedy.get_json()["errors"]
    refunded = _outcome(
        client,
        defect,
        as_owner_a,
        outcome="attended",
        inspection_result="defect",
        remedy="refund",
        note="珍珠表面有裂纹",
    )
    assert refunded.status_code == 201, refunded.get_json()
    with app.app_context():
        refund = db.session.get(Refund, refunded.get_json()["refund_id"])
        assert (refund.order_id, refund.amount_fen) == (order["id"], 300_00)


def test_hq_ships_a_delivery_on_the_order_page_with_its_waybill(client, app, shop, as_ca):
    from tests.fixtures.auth import csrf_token_from, login

    order = _order(client, shop, as_ca, {"mode": "delivery", "address": ADDRESS}).get_json()
    _paid(app, order["id"])
    login(client, "hq")
    page = client.get(f"/admin/orders/{order['id']}").get_data(as_text=True)
    assert 'name="waybill_no"' in page and "南京西路1号" in page
    token = csrf_token_from(page)
    path = f"/admin/orders/{order['id']}/transition"
    client.post(path, data={"to": "shipped", "csrf_token": token})  # no waybill: refused
    with app.app_context():
        assert db.session.get(Order, order["id"]).status == "paid"
    data = {"to": "shipped", "csrf_token": token, "carrier": "顺丰速运", "waybill_no": "SF778899"}
    assert client.post(path, data=data).status_code == 303
    page = client.get(f"/admin/orders/{order['id']}").get_data(as_text=True)
    assert "SF778899" in page
    with app.app_context():
        assert db.session.get(Order, order["id"]).status == "shipped"


def test_guide_hands_a_pickup_over_on_the_code_on_the_phone(client, app, shop, as_ca):
    from tests.fixtures.auth import csrf_token_from, login

    order = _order(client, shop, as_ca).get_json()
    _paid(app, order["id"])
    code = client.get(f"/api/v1/mp/orders/{order['id']}/fulfilment", headers=as_ca).get_json()[
        "pickup_code"
    ]
    with app.app_context():
        db.session.get(Order, order["id"]).status = "received"
        db.session.commit()
    login(client, "guide-a", path="/m/login")
    page = client.get("/m/orders").get_data(as_text=True)
    assert 'name="code"' in page
    token = csrf_token_from(page)
    path = f"/m/orders/{order['id']}/transition"
    client.post(path, data={"to": "picked_up", "csrf_token": token, "code": "12345x"})
    with app.app_context():
        assert db.session.get(Order, order["id"]).status == "received"
    client.post(path, data={"to": "picked_up", "csrf_token": token, "code": code})
    with app.app_context():
        assert db.session.get(Order, order["id"]).status == "picked_up"
