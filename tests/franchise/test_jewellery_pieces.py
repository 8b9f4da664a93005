"""The piece registry (issue 19, 一物一码): registering pieces is the stock of a
registered product, an order holds specific pieces (its customer's store's first), each
piece is sold exactly once under concurrent orders (409 for the loser), cancelling gives
them back, and the customer and their guide see the pieces bought; tenancy holds."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from franchise.models import Order, Piece, Product
from tests.fixtures.auth import login
from tests.fixtures.concurrency import status_codes, storm
from tests.franchise.factories_commerce import customer_headers, gen_customer, make_paid
from tests.franchise.factories_jewellery import by_weight, enter_price, register_piece


@pytest.fixture
def ring(client, shop, as_hq):
    """The shop's ring priced by weight and stocked by registered pieces (none yet)."""
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    by_weight(
        client,
        as_hq,
        shop.ring,
        weight_mg=3_000,
        labour_g=10_00,
        labour_piece=0,
        tracks_pieces=True,
    )
    with client.application.app_context():
        db.session.get(Product, shop.ring).stock = 0
        db.session.commit()
    return shop.ring


def _stock(app, product_id: int) -> int:
    with app.app_context():
        return db.session.get(Product, product_id).stock


def test_registering_pieces_is_the_stock(client, app, org, ring, as_hq, as_owner_a):
    register_piece(client, as_hq, ring, org.sa, serial="G-0001")
    register_piece(client, as_owner_a, ring, org.sa, serial="G-0002")
    assert _stock(app, ring) == 2
    again = client.post(
        "/api/v1/pieces",
        json={"serial": "G-0001", "product_id": ring, "store_id": org.sa, "weight_mg": 3000},
        headers=as_hq,
    )
    assert again.status_code == 409 and "serial" in again.get_json()["errors"]
    foreign = client.post(
        "/api/v1/pieces",
        json={"serial": "G-0003", "product_id": ring, "store_id": org.sb, "weight_mg": 3000},
        headers=as_owner_a,
    )
    assert foreign.status_code == 422 and "store_id" in foreign.get_json()["errors"]
    assert _stock(app, ring) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [({"weight_mg": 0}, "weight_mg"), ({"product_id": "pearl"}, "product_id")],
)
def test_bad_pieces_are_422(client, app, org, shop, ring, as_hq, change, field):
    body = {"serial": "X-1", "product_id": ring, "store_id": org.sa, "weight_mg": 3000}
    body.update({k: (shop.pearl if v == "pearl" else v) for k, v in change.items()})
    answer = client.post("/api/v1/pieces", json=body, headers=as_hq)
    assert answer.status_code == 422 and field in answer.get_json()["errors"]


def test_an_order_sells_specific_pieces_and_the_customer_sees_them(
    client, app, org, shop, ring, as_hq, as_ca
):
    register_piece(client, as_hq, ring, org.sb, serial="FAR-1")  # another franchise's store
    register_piece(client, as_hq, ring, org.sa, serial="NEAR-1", certificate_no="NGTC-77")
    body = {"items": [{"product_id": ring, "quantity": 1}]}
    order = client.post("/api/v1/mp/orders", json=body, headers=as_ca).get_json()
    with app.app_context():
        held = db.session.scalars(select(Piece).where(Piece.order_id == order["id"])).one()
        assert held.serial == "NEAR-1"  # the customer's store first
    # not paid yet: not theirs
    assert client.get("/api/v1/mp/pieces", headers=as_ca).get_json()["items"] == []
    with app.app_context():
        make_paid(db.session.get(Order, order["id"]))
    mine = client.get("/api/v1/mp/pieces", headers=as_ca).get_json()["items"]
    assert [(p["serial"], p["certificate_no"], p["state"]) for p in mine] == [
        ("NEAR-1", "NGTC-77", "sold")
    ]
    # another customer sees none of them
    with app.app_context():
        other = customer_headers(shop.cb)
    assert client.get("/api/v1/mp/pieces", headers=other).get_json()["items"] == []
    # the guide sees them on the customer's page
    login(client, "guide-a", path="/m/login")
    page = client.get(f"/m/customers/{shop.ca}").get_data(as_text=True)
    assert "NEAR-1" in page and "NGTC-77" in page
    # the registry: owner B sees only the piece in their store, unsold
    owner_b = client.get("/api/v1/pieces", headers=_bearer(client, "owner-b")).get_json()
    assert [p["serial"] for p in owner_b["items"]] == ["FAR-1"]
    sold = client.get("/api/v1/pieces?status=sold", headers=as_hq).get_json()["items"]
    assert [p["serial"] for p in sold] == ["NEAR-1"]


def _bearer(client, username):
    from tests.fixtures.auth import api_token, bearer

    return bearer(api_token(client, username))


def test_cancelling_gives_the_pieces_back(client, app, org, ring, as_hq, as_ca):
    register_piece(client, as_hq, ring, org.sa, serial="ONLY-1")
    body = {"items": [{"product_id": ring, "quantity": 1}]}
    order = client.post("/api/v1/mp/orders", json=body, headers=as_ca).get_json()
    assert _stock(app, ring) == 0
    again = client.post("/api/v1/mp/orders", json=body, headers=as_ca)
    assert again.status_code == 409 and again.get_json()["code"] == "piece_taken"
    cancel = client.post(f"/api/v1/mp/orders/{order['id']}/cancel", json={}, headers=as_ca)
    assert cancel.status_code == 200, cancel.get_json()
    assert _stock(app, ring) == 1
    with app.app_context():
        piece = db.session.scalars(select(Piece)).one()
        assert (piece.status, piece.order_id, piece.customer_id) == ("in_stock", None, None)
    assert client.post("/api/v1/mp/orders", json=body, headers=as_ca).status_code == 201


@pytest.mark.postgres
def test_each_piece_is_sold_once_to_parallel_orders(client, app, org, ring, as_hq):
    """Three pieces, eight customers ordering at the same moment: three orders, each with
    its own piece, five 409s, and the stock counter still equals the pieces in stock."""
    for n in range(3):
        register_piece(client, as_hq, ring, org.sa, serial=f"RACE-{n}")
    with app.app_context():
        buyers = [customer_headers(gen_customer(org.fa, org.sa).id) for _ in range(8)]
    body = {"items": [{"product_id": ring, "quantity": 1}]}
    calls = [(lambda own, h=h: own.post("/api/v1/mp/orders", json=body, headers=h)) for h in buyers]
    answers = storm(app, calls)
    assert status_codes(answers) == [201] * 3 + [409] * 5, status_codes(answers)
    with app.app_context():
        held = db.session.execute(
            select(Piece.order_id, func.count())
            .where(Piece.status == "held")
            .group_by(Piece.order_id)
        ).all()
        assert len(held) == 3 and all(n == 1 for _order, n in held)
        assert db.session.get(Product, ring).stock == 0
        assert db.session.scalar(select(func.count()).select_from(Order)) == 3
