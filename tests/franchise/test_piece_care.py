"""Maintenance reminders from the pieces a customer owns (issue 19): a piece's next care
date runs from its sale or from its last closed service ticket of the product's care
kind; closing a ticket restarts the clock (another kind does not); the maintenance
journey, the mini-program's pieces, the guide's customer page, care list and Today all
read it; HQ sets the care kind where it edits products (422 naming the field)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.clock import shanghai_day, utcnow
from app.extensions import db
from community.models.journeys import Journey
from community.services.journey_triggers import candidates
from franchise.models import Customer, Order, Piece, Product
from franchise.services import piece_care
from tests.community.factories_journeys import gen_journey
from tests.fixtures.auth import csrf_token_from, login
from tests.franchise.factories_commerce import customer_headers
from tests.franchise.factories_jewellery import gen_sold_piece

_seq = itertools.count(1)


def _sold(app, customer_id: int, product_id: int, days_ago: int, paid_at=None, **care) -> int:
    """A piece of the product sold to the customer ``days_ago`` days ago (or at
    ``paid_at``); its id."""
    with app.app_context():
        product = db.session.get(Product, product_id)
        for key, value in care.items():
            setattr(product, key, value)
        customer = db.session.get(Customer, customer_id)
        customer_order = Order(
            order_no=f"PC{next(_seq):08d}",
            customer_id=customer_id,
            franchisee_id=customer.franchisee_id,
            store_id=customer.store_id,
            status="paid",
            total_fen=product.price_fen,
            payable_fen=product.price_fen,
            paid_fen=product.price_fen,
            paid_at=paid_at or utcnow() - timedelta(days=days_ago),
        )
        db.session.add(customer_order)
        db.session.flush()
        return gen_sold_piece(customer_order, product).id


def _close_ticket(client, headers, customer_id, piece_id, kind):
    """A ticket of ``kind`` on the piece taken through to picked up (a free cleaning, or a
    quoted one whose order is paid)."""
    body = {"customer_id": customer_id, "kind": kind, "piece_id": piece_id}
    ticket = client.post(
        "/api/v1/service-tickets", json={**body, "condition_notes": "ok"}, headers=headers
    ).get_json()
    moved = client.post(
        f"/api/v1/service-tickets/{ticket['id']}/move",
        json={"to": "quoted", "quote_fen": 50_00},
        headers=headers,
    ).get_json()
    steps = ("in_progress", "ready", "picked_up")
    if moved["status"] == "quoted":
        from tests.franchise.factories_commerce import make_paid

        with client.application.app_context():
            make_paid(db.session.get(Order, moved["order_id"]))
        steps = ("approved", *steps)
    for to in steps:
        answer = client.post(
            f"/api/v1/service-tickets/{ticket['id']}/move", json={"to": to}, headers=headers
        )
        assert answer.status_code == 200, answer.get_json()


def test_next_care_runs_from_the_sale_then_from_the_last_service_of_its_kind(
    client, app, shop, guide_a
):
    piece = _sold(app, shop.ca, shop.ring, 100, care_interval_days=180, care_kind="cleaning")
    today = shanghai_day()
    with app.app_context():
        (care,) = piece_care.care_rows(customer_ids=[shop.ca])
        assert (care.piece_id, care.kind, care.serviced) == (piece, "cleaning", False)
        assert care.next_on == shanghai_day(utcnow() - timedelta(days=100)) + timedelta(180)
    _close_ticket(client, guide_a, shop.ca, piece, "polishing")  # another kind: no reset
    with app.app_context():
        assert piece_care.care_rows(customer_ids=[shop.ca])[0].serviced is False
    _close_ticket(client, guide_a, shop.ca, piece, "cleaning")  # closing resets the clock
    with app.app_context():
        (care,) = piece_care.care_rows(customer_ids=[shop.ca])
        assert care.serviced and care.next_on == today + timedelta(days=180)


def test_only_owned_pieces_with_a_care_interval_count(app, shop):
    _sold(app, shop.ca, shop.pearl, 10, care_interval_days=None)  # no care interval
    refunded = _sold(app, shop.ca, shop.ring, 10, care_interval_days=30)
    kept = _sold(app, shop.ca, shop.ring, 10)
    with app.app_context():
        db.session.get(Piece, refunded).order.status = "refunded"
        db.session.commit()
        assert [c.piece_id for c in piece_care.care_rows()] == [kept]


def test_the_maintenance_journey_runs_off_pieces_and_their_last_service(client, app, shop, guide_a):
    piece = _sold(app, shop.ca, shop.ring, 30, care_interval_days=30, care_kind="cleaning")
    today = shanghai_day()
    with app.app_context():
        journey = gen_journey("maintenance_due", name="保养提醒")
        found = candidates(journey, today)
        assert found == [(shop.ca, f"p{piece}d{today:%Y%m%d}", today)]
    _close_ticket(client, guide_a, shop.ca, piece, "cleaning")
    with app.app_context():
        journey = db.session.get(Journey, journey.id)
        assert candidates(journey, today) == []  # serviced today: due again in 30 days
        later = today + timedelta(days=30)
        assert candidates(journey, later) == [(shop.ca, f"p{piece}d{later:%Y%m%d}", later)]


def test_the_customer_sees_each_piece_next_care_date_and_kind(client, app, shop, as_ca):
    _sold(app, shop.ca, shop.ring, 400, care_interval_days=365, care_kind="polishing")
    (mine,) = client.get("/api/v1/mp/pieces", headers=as_ca).get_json()["items"]
    expected = shanghai_day(utcnow() - timedelta(days=400)) + timedelta(days=365)
    assert mine["next_care_on"] == expected.isoformat()
    assert (mine["care_kind"], mine["care_due"]) == ("polishing", True)
    assert mine["care_kind_label"]
    with app.app_context():
        other = customer_headers(shop.cb)
    assert client.get("/api/v1/mp/pieces", headers=other).get_json()["items"] == []


def test_the_guide_sees_care_due_on_the_customer_today_and_the_care_list(client, app, shop):
    due = _sold(app, shop.ca, shop.ring, 200, care_interval_days=180)
    _sold(app, shop.cb, shop.ring, 200)  # franchise B's customer: not Ann's
    with app.app_context():
        serial = db.session.get(Piece, due).serial
    login(client, "guide-a", path="/m/login")
    page = client.get(f"/m/customers/{shop.ca}").get_data(as_text=True)
    assert f'data-care="{serial}"' in page and "保养到期" in page
    listing = client.get("/m/care-due").get_data(as_text=True)
    assert listing.count("data-serial=") == 1 and serial in listing
    home = client.get("/m/").get_data(as_text=True)
    assert "1 件饰品到了保养时间" in home


@pytest.mark.parametrize("interval", [1, 30, 180])
def test_todays_care_count_in_sql_is_the_clocks_count_at_the_day_boundary(app, shop, interval):
    """Today's line counts in SQL (``due_count``, date arithmetic on each database) what
    the Python clock says is due: pieces sold just before, at and after the moment whose
    Shanghai day plus the interval is today."""
    from sqlalchemy import select

    from app.web.today import end_of_today

    boundary = end_of_today() - timedelta(days=interval)  # sold before it: due today
    offsets = (-timedelta(days=1), -timedelta(microseconds=1), timedelta(0), timedelta(hours=1))
    for offset in offsets:
        _sold(app, shop.ca, shop.ring, 0, boundary + offset, care_interval_days=interval)
    with app.app_context():
        mine = select(Customer.id).where(Customer.id == shop.ca)
        counted = db.session.scalar(piece_care.due_count(mine, end_of_today()))
        clocks = piece_care.care_rows(customer_ids=[shop.ca])
        assert len(clocks) == len(offsets)
        assert counted == sum(c.is_due(shanghai_day()) for c in clocks) == 2


def test_hq_sets_the_care_kind_where_it_edits_products(client, app, shop, as_hq):
    bad = client.patch(
        f"/api/v1/products/{shop.ring}", json={"care_kind": "gilding"}, headers=as_hq
    )
    assert bad.status_code == 422 and "care_kind" in bad.get_json()["errors"]
    login(client, "hq")
    form = client.get(f"/admin/products/{shop.ring}/edit").get_data(as_text=True)
    assert 'name="care_kind"' in form
    with app.app_context():
        ring = db.session.get(Product, shop.ring)
        body = {
            "csrf_token": csrf_token_from(form),
            "sku": ring.sku,
            "name": ring.name,
            "category": ring.category,
            "price_yuan": "1000.00",
            "stock": str(ring.stock),
            "care_interval_days": "180",
            "care_kind": "replating",
            "is_active": "y",
        }
    answer = client.post(f"/admin/products/{shop.ring}/edit", data=body)
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:400]
    with app.app_context():
        ring = db.session.get(Product, shop.ring)
        assert (ring.care_interval_days, ring.care_kind) == (180, "replating")


@given(
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    st.integers(1, 3650),
    st.integers(-4000, 4000),
    st.integers(0, 400),
)
def test_occurrences_are_exactly_the_whole_intervals_after_the_start_in_the_window(
    since, interval, offset, width
):
    """For any clock and window: every day returned is since + k intervals (k ≥ 1) inside
    the window, and every such day is returned, in order."""
    care = piece_care.PieceCare(1, 1, "S", "P", "cleaning", interval, since, False)
    first = since + timedelta(days=offset)
    last = first + timedelta(days=width)
    expected = [
        since + timedelta(days=k * interval)
        for k in range(1, (last - since).days // interval + 1)
        if since + timedelta(days=k * interval) >= first
    ]
    assert care.occurrences(first, last) == expected
    assert care.next_on == since + timedelta(days=interval)
