"""Mini-program API: products (public), placing, listing, reading and cancelling my orders,
my coupons."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.clock import utcnow
from app.extensions import db
from franchise.models import Customer, Order, Product
from franchise.services import coupons as coupon_service
from tests.franchise.factories_commerce import (
    customer_headers,
    gen_coupon,
    gen_template,
    make_paid,
)
from tests.livestream.factories import gen_campaign


@pytest.fixture
def as_cb(app, shop):
    with app.app_context():
        return customer_headers(shop.cb)


def test_products_are_public_active_only_and_filtered(client, shop):
    body = client.get("/api/v1/mp/products").get_json()
    skus = {p["sku"] for p in body["items"]}
    assert skus == {"RING-1", "PEARL-1"} and body["total"] == 2
    body = client.get("/api/v1/mp/products?category=珍珠").get_json()
    assert [p["sku"] for p in body["items"]] == ["PEARL-1"]
    body = client.get("/api/v1/mp/products?q=戒指&per_page=1").get_json()
    assert [p["sku"] for p in body["items"]] == ["RING-1"] and body["per_page"] == 1
    assert client.get(f"/api/v1/mp/products/{shop.ring}").get_json()["price_fen"] == 1000_00
    assert client.get(f"/api/v1/mp/products/{shop.old}").status_code == 404
    assert client.get("/api/v1/mp/products?per_page=1000").status_code == 422


def test_place_order_contract(client, shop, as_ca, app, org):
    with app.app_context():
        template = gen_template({org.east: 5}, amount_off_fen=50_00, threshold_fen=500_00)
        code = coupon_service.issue_coupon(template.id, shop.ca).code
        campaign_id = gen_campaign("hq", [org.sa]).id  # not live yet: list prices
    response = client.post(
        "/api/v1/mp/orders",
        json={
            "items": [{"product_id": shop.ring, "quantity": 1}],
            "coupon_code": code,
            "campaign_id": campaign_id,
        },
        headers=as_ca,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "created" and body["order_no"]
    assert (body["total_fen"], body["discount_fen"], body["payable_fen"]) == (
        1000_00,
        50_00,
        950_00,
    )
    assert body["lines"][0]["sku"] == "RING-1" and body["campaign_id"] == campaign_id
    assert body["franchisee_id"] == org.fa


@pytest.mark.parametrize(
    "payload",
    [
        {"items": []},
        {"items": [{"product_id": 1, "quantity": 0}]},
        {"items": [{"product_id": 1, "quantity": 100}]},
        {"items": [{"product_id": 1, "quantity": "1"}]},
        {"items": [{"product_id": 1, "quantity": 1.5}]},
        {"items": [{"product_id": 1}]},
        {"items": [{"product_id": 1, "quantity": 1}], "campaign_id": -1},
        {"items": [{"product_id": 1, "quantity": 1}], "total_fen": 1},
        {"items": [{"product_id": 1, "quantity": 1}], "franchisee_id": 2},
        {"items": "ring"},
    ],
)
def test_bad_bodies_are_422(client, as_ca, payload):
    response = client.post("/api/v1/mp/orders", json=payload, headers=as_ca)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "validation_error"


def test_needs_a_customer_token(client, shop, as_hq):
    payload = {"items": [{"product_id": shop.pearl, "quantity": 1}]}
    assert client.post("/api/v1/mp/orders", json=payload).status_code == 401
    assert client.post("/api/v1/mp/orders", json=payload, headers=as_hq).status_code == 403


def test_out_of_stock_is_422(client, shop, as_ca):
    response = client.post(
        "/api/v1/mp/orders",
        json={"items": [{"product_id": shop.ring, "quantity": 6}]},
        headers=as_ca,
    )
    assert response.status_code == 422 and "items" in response.get_json()["errors"]


def test_my_orders_only(client, app, shop, as_ca, as_cb):
    mine = client.post(
        "/api/v1/mp/orders",
        json={"items": [{"product_id": shop.pearl, "quantity": 1}]},
        headers=as_ca,
    ).get_json()
    theirs = client.post(
        "/api/v1/mp/orders",
        json={"items": [{"product_id": shop.pearl, "quantity": 2}]},
        headers=as_cb,
    ).get_json()
    listing = client.get("/api/v1/mp/orders", headers=as_ca).get_json()
    assert [o["id"] for o in listing["items"]] == [mine["id"]] and listing["total"] == 1
    detail = client.get(f"/api/v1/mp/orders/{mine['id']}", headers=as_ca).get_json()
    assert detail["events"][0]["to_status"] == "created"
    assert detail["allowed_transitions"] == ["cancelled"]
    assert client.get(f"/api/v1/mp/orders/{theirs['id']}", headers=as_ca).status_code == 404
    assert (
        client.post(f"/api/v1/mp/orders/{theirs['id']}/cancel", json={}, headers=as_ca).status_code
        == 404
    )
    assert client.get("/api/v1/mp/orders/99999999999", headers=as_ca).status_code == 404


def test_cancel_mine_then_repeat_is_409(client, app, shop, as_ca):
    order = client.post(
        "/api/v1/mp/orders",
        json={"items": [{"product_id": shop.ring, "quantity": 2}]},
        headers=as_ca,
    ).get_json()
    response = client.post(f"/api/v1/mp/orders/{order['id']}/cancel", json={}, headers=as_ca)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    with app.app_context():
        assert db.session.get(Product, shop.ring).stock == 5
    again = client.post(f"/api/v1/mp/orders/{order['id']}/cancel", json={}, headers=as_ca)
    assert again.status_code == 409
    assert again.get_json()["errors"]["allowed"] == []


def test_paid_order_cannot_be_cancelled_by_customer(client, app, shop, as_ca):
    order = client.post(
        "/api/v1/mp/orders",
        json={"items": [{"product_id": shop.pearl, "quantity": 1}]},
        headers=as_ca,
    ).get_json()
    with app.app_context():
        make_paid(db.session.get(Order, order["id"]))
    response = client.post(f"/api/v1/mp/orders/{order['id']}/cancel", json={}, headers=as_ca)
    assert response.status_code == 409
    assert response.get_json()["errors"]["allowed"] == ["shipped"]


def test_my_coupons_with_states(client, app, org, shop, as_ca):
    with app.app_context():
        template = gen_template({org.east: 5, org.north: 5})
        issued = coupon_service.issue_coupon(template.id, shop.ca)
        gen_coupon(
            template, db.session.get(Customer, shop.ca), expires_at=utcnow() - timedelta(days=1)
        )
        coupon_service.issue_coupon(template.id, shop.cb)
        issued_code = issued.code
    body = client.get("/api/v1/mp/coupons", headers=as_ca).get_json()
    assert body["total"] == 2
    assert sorted(c["state"] for c in body["items"]) == ["expired", "issued"]
    body = client.get("/api/v1/mp/coupons?state=issued", headers=as_ca).get_json()
    assert [c["code"] for c in body["items"]] == [issued_code]
    assert body["items"][0]["amount_off_fen"] == 20_00
