"""Capacity checks are atomic on SQLite and PostgreSQL alike, under real concurrency:
stock, single-use coupons (in store, online, the one new-customer coupon) and
appointment slots. Requests come from parallel threads (``tests.fixtures.concurrency``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.clock import shanghai_day
from app.errors import DomainError
from app.extensions import db
from franchise.models import Appointment, Coupon, Customer, Order, Product, Store
from franchise.services import coupons as coupon_service
from franchise.services.appointments import slot_starts
from tests.fixtures.auth import api_token, bearer
from tests.fixtures.concurrency import status_codes, storm
from tests.franchise.factories_commerce import (
    customer_headers,
    gen_coupon,
    gen_customer,
    gen_product,
    gen_template,
)

STOCK = 5


def _customers(app, org, n: int) -> list[dict]:
    """``n`` customers of franchise A (store SH-A), as bearer headers."""
    with app.app_context():
        ids = [gen_customer(org.fa, org.sa).id for _ in range(n)]
        return [customer_headers(cid) for cid in ids]


@pytest.mark.postgres
def test_stock_of_n_sells_exactly_n_to_2n_parallel_orders(app, org):
    with app.app_context():
        product_id = gen_product(stock=STOCK, price_fen=500_00).id
    buyers = _customers(app, org, 2 * STOCK)
    body = {"items": [{"product_id": product_id, "quantity": 1}]}
    calls = [(lambda own, h=h: own.post("/api/v1/mp/orders", json=body, headers=h)) for h in buyers]
    answers = storm(app, calls)
    assert status_codes(answers) == [201] * STOCK + [422] * STOCK, status_codes(answers)
    with app.app_context():
        assert db.session.get(Product, product_id).stock == 0
        assert db.session.scalar(select(func.count()).select_from(Order)) == STOCK


@pytest.mark.postgres
def test_single_use_coupon_redeemed_once_in_store(app, client, org):
    with app.app_context():
        template = gen_template({org.east: 10})
        code = gen_coupon(template, gen_customer(org.fa, org.sa)).code
    guide = bearer(api_token(client, "guide-a"))

    def redeem(own):
        return own.post("/api/v1/coupons/redeem", json={"code": code}, headers=guide)

    answers = storm(app, [redeem] * 12)
    assert status_codes(answers) == [200] + [409] * 11, status_codes(answers)
    assert {r.get_json()["code"] for r in answers if r.status_code == 409} == {"coupon_redeemed"}


@pytest.mark.postgres
def test_single_use_coupon_pays_for_one_of_parallel_orders(app, org):
    with app.app_context():
        product_id = gen_product(stock=50, price_fen=300_00).id
        customer = gen_customer(org.fa, org.sa)
        code = gen_coupon(gen_template({org.east: 10}), customer).code
        headers = customer_headers(customer.id)
    body = {"items": [{"product_id": product_id, "quantity": 1}], "coupon_code": code}

    def order(own):
        return own.post("/api/v1/mp/orders", json=body, headers=headers)

    answers = storm(app, [order] * 10)
    assert status_codes(answers) == [201] + [422] * 9, status_codes(answers)
    with app.app_context():
        discounted = select(func.count()).where(Order.coupon_id.is_not(None))
        assert db.session.scalar(discounted) == 1
        assert db.session.get(Product, product_id).stock == 49  # refusals took no stock


@pytest.mark.postgres
def test_one_new_customer_coupon_under_parallel_first_logins(app, org):
    with app.app_context():
        gen_template({org.east: 50}, kind="new_customer", amount_off_fen=50_00)
        customer_id = gen_customer(org.fa, org.sa).id

    def issue(_own):
        with app.app_context():
            try:
                coupon = coupon_service.issue_new_customer_coupon(customer_id)
                return "issued" if coupon is not None else "none"
            except DomainError as exc:  # pragma: no cover - the assertion shows it
                return exc.code
            finally:
                db.session.remove()

    answers = storm(app, [issue] * 10)
    assert sorted(answers) == ["issued"] + ["none"] * 9, answers
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Coupon)) == 1


@pytest.mark.postgres
def test_slot_of_capacity_c_takes_exactly_c_parallel_bookings(app, org):
    capacity = 3
    with app.app_context():
        db.session.get(Store, org.sa).appointment_capacity = capacity
        db.session.commit()
    guests = _customers(app, org, 3 * capacity)
    start = slot_starts(shanghai_day() + timedelta(days=2))[3].isoformat()
    body = {"store_id": org.sa, "kind": "try_on", "slot_start": start}
    calls = [
        (lambda own, h=h: own.post("/api/v1/mp/appointments", json=body, headers=h)) for h in guests
    ]
    answers = storm(app, calls)
    codes = status_codes(answers)
    assert codes == [201] * capacity + [409] * (2 * capacity), codes
    assert {r.get_json()["code"] for r in answers if r.status_code == 409} == {"slot_full"}
    with app.app_context():
        booked = select(func.count()).where(Appointment.status == "booked")
        assert db.session.scalar(booked) == capacity
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 3 * capacity
