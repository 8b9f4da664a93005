"""A guide records an in-store sale: an order with channel ``store`` that earns points,
counts for the level and the guide, redeems a coupon only when the recorded amount
reaches its threshold, and refuses bad input naming the field; another store's
customer is 404; the mobile page records the same sale through the same schema."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from franchise.models import Coupon, Customer, Member, Order, StoreSale
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login
from tests.franchise.factories_commerce import gen_coupon, gen_template


def _sale(client, headers, customer_id, product_id, amount="880.00", **extra):
    body = {
        "customer_id": customer_id,
        "items": [{"product_id": product_id, "quantity": 1}],
        "amount": amount,
        "paid_by": "card",
        **extra,
    }
    return client.post("/api/v1/guide/sales", json=body, headers=headers)


def test_guide_records_a_sale_that_counts(app, client, shop, org):
    headers = bearer(api_token(client, "guide-a"))
    res = _sale(client, headers, shop.ca, shop.ring)
    assert res.status_code == 201, res.get_json()
    answer = res.get_json()
    assert answer["channel"] == "store" and answer["paid_fen"] == 88000
    assert answer["status"] == "completed" and answer["guide_id"] == org.ga
    with app.app_context():
        member = db.session.scalars(select(Member).where(Member.customer_id == shop.ca)).one()
        assert member.points == 880 and member.spend_12m_fen == 88000
        sale = db.session.get(StoreSale, answer["id"])
        assert sale.paid_by == "card"

    for body, field in (
        ({"amount": "0"}, "amount"),
        ({"amount": "1000.01"}, "amount_fen"),  # above the list total
        ({"paid_by": "iou"}, "paid_by"),
        ({"items": []}, "items"),
    ):
        payload = {
            "customer_id": shop.ca,
            "items": [{"product_id": shop.ring, "quantity": 1}],
            "amount": "880.00",
            "paid_by": "card",
            **body,
        }
        bad = client.post("/api/v1/guide/sales", json=payload, headers=headers)
        assert bad.status_code == 422 and field in str(bad.get_json()["errors"]), (body, bad.json)
    assert _sale(client, headers, shop.cb, shop.ring).status_code == 404  # franchise B's
    with app.app_context():
        assert db.session.scalar(select(Order.id).where(Order.channel == "store").offset(1)) is None


def test_in_store_coupon_checks_its_threshold_against_the_sale(app, client, shop, org):
    with app.app_context():
        template = gen_template({org.east: 10}, amount_off_fen=5000, threshold_fen=50000)
        code = gen_coupon(template, db.session.get(Customer, shop.ca)).code
    headers = bearer(api_token(client, "guide-a"))
    low = _sale(client, headers, shop.ca, shop.ring, amount="300.00", coupon_code=code)
    assert low.status_code == 422 and "coupon_code" in low.get_json()["errors"]
    ok = _sale(client, headers, shop.ca, shop.ring, amount="600.00", coupon_code=code)
    assert ok.status_code == 201, ok.get_json()
    with app.app_context():
        coupon = db.session.scalars(select(Coupon).where(Coupon.code == code)).one()
        assert coupon.status == "redeemed" and coupon.redeemed_order_id == ok.get_json()["id"]
        assert coupon.redeemed_channel == "store" and coupon.redeemed_guide_id == org.ga


def test_the_mobile_page_records_a_sale(app, client, shop):
    login(client, "guide-a", path="/m/login")
    page = client.get(f"/m/sales/new?customer_id={shop.ca}")
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    form = {
        "csrf_token": token,
        "customer_id": str(shop.ca),
        "product_id.0": str(shop.pearl),
        "quantity.0": "2",
        "amount": "580",
        "paid_by": "cash",
    }
    bad = client.post("/m/sales/new", data={**form, "amount": "abc"})
    assert bad.status_code == 422 and 'data-error-for="amount"' in bad.get_data(as_text=True)
    res = client.post("/m/sales/new", data=form)
    assert res.status_code == 303, res.get_data(as_text=True)[:500]
    detail = client.get(res.headers["Location"]).get_data(as_text=True)
    assert 'id="member-card"' in detail and "580" in detail
