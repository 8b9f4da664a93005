"""Pricing registered pieces by their own weight (issue 19, 一物一码): every piece of a
by-weight product costs its own weight × the day's price + labour, rounded once (a
Hypothesis property over the mini-program's listing and the order answer); the
mini-program shows the price range and each piece's price; an order naming a piece sells
exactly that piece and snapshots its weight and price components; a piece another
order holds is 409, a piece of another product 422."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from franchise.models import Order, OrderLinePricing, Piece, Product
from franchise.services.pricing import MAX_LABOUR_FEN_PER_GRAM, unit_price
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login
from tests.fixtures.concurrency import status_codes, storm
from tests.franchise.factories_commerce import customer_headers, gen_customer, gen_product
from tests.franchise.factories_jewellery import by_weight, enter_price, mp_product, register_piece

ORDERS = "/api/v1/mp/orders"
SALES = "/api/v1/guide/sales"


def org_customer(app, org) -> int:
    """A customer of the first franchisee at guide-a's store."""
    with app.app_context():
        return gen_customer(org.fa, org.sa).id


def exact(weight_mg: int, metal: int, labour_g: int, labour_piece: int) -> int:
    """The price by decimal arithmetic, rounded half up once: what a jeweller writes."""
    grams = Decimal(weight_mg) / 1000
    return int((grams * (metal + labour_g)).quantize(Decimal(1), ROUND_HALF_UP)) + labour_piece


@pytest.fixture
def registered(client, app, org, shop, as_hq):
    """The shop's ring by weight (3 g nominal), stocked by registered pieces."""
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    by_weight(
        client, as_hq, shop.ring, weight_mg=3_000, labour_g=10_00, labour_piece=20_00,
        tracks_pieces=True,
    )  # fmt: skip
    with app.app_context():  # the stock is the pieces registered (none yet)
        db.session.get(Product, shop.ring).stock = 0
        db.session.commit()
    return shop.ring


@settings(
    max_examples=12, deadline=None, suppress_health_check=list(HealthCheck)
)  # fmt: skip
@given(
    weights=st.lists(st.integers(1, 200_000), min_size=1, max_size=4),
    metal=st.integers(1, 2_000_00),
    labour_g=st.integers(0, MAX_LABOUR_FEN_PER_GRAM),
    labour_piece=st.integers(0, 5_000_00),
)
def test_each_piece_costs_its_own_weight_times_the_price_plus_labour(
    client, app, org, as_hq, weights, metal, labour_g, labour_piece
):
    """For any pieces and prices: each listed piece's price, the range and the order
    line of a piece are ``exact`` of that piece's weight, in fen."""
    with app.app_context():
        product_id = gen_product(price_fen=1, stock=0).id
        buyer = customer_headers(gen_customer(org.fa, org.sa).id)
    enter_price(client, as_hq, "gold", metal, 1)
    by_weight(
        client, as_hq, product_id, weight_mg=1_000, labour_g=labour_g,
        labour_piece=labour_piece, tracks_pieces=True,
    )  # fmt: skip
    ids = [register_piece(client, as_hq, product_id, org.sa, weight_mg=w)["id"] for w in weights]
    listed = mp_product(client, product_id)
    prices = {p["id"]: p["price_fen"] for p in listed["pieces"]}
    for piece_id, weight in zip(ids, weights, strict=True):
        assert prices[piece_id] == exact(weight, metal, labour_g, labour_piece)
        assert prices[piece_id] == unit_price(weight, metal, labour_g, labour_piece)
    assert listed["price_range"]["min_fen"] == min(prices.values())
    assert listed["price_range"]["max_fen"] == max(prices.values())
    chosen = len(ids) - 1
    body = {"items": [{"product_id": product_id, "quantity": 1, "piece_id": ids[chosen]}]}
    answer = client.post(ORDERS, json=body, headers=buyer)
    assert answer.status_code == 201, answer.get_json()
    line = answer.get_json()["lines"][0]
    expected = exact(weights[chosen], metal, labour_g, labour_piece)
    assert (line["unit_price_fen"], line["line_total_fen"]) == (expected, expected)
    snapshot = line["pricing"]
    assert snapshot["piece_id"] == ids[chosen] and snapshot["weight_mg"] == weights[chosen]
    assert (snapshot["metal_fen_per_gram"], snapshot["list_unit_fen"]) == (metal, expected)


def test_the_listing_shows_the_range_and_the_page_each_piece(client, app, org, registered, as_hq):
    light = register_piece(client, as_hq, registered, org.sa, weight_mg=2_800)
    heavy = register_piece(client, as_hq, registered, org.sb, weight_mg=3_450)
    listing = client.get("/api/v1/mp/products?q=" + mp_product(client, registered)["name"])
    item = next(i for i in listing.get_json()["items"] if i["id"] == registered)
    low, high = unit_price(2_800, 600_00, 10_00, 20_00), unit_price(3_450, 600_00, 10_00, 20_00)
    assert item["price_range"] == {"min_fen": low, "max_fen": high, "pieces": 2}
    assert item["pieces"] == []  # the list stays light; the product's page lists them
    page = mp_product(client, registered)
    assert [(p["serial"], p["price_fen"]) for p in page["pieces"]] == [
        (light["serial"], low),
        (heavy["serial"], high),
    ]
    assert page["pieces"][0]["store_name"] and page["pieces"][0]["weight_mg"] == 2_800
    enter_price(client, as_hq, "gold", 650_00, 600_00)  # the board moves: so do the pieces
    assert mp_product(client, registered)["price_range"]["max_fen"] == unit_price(
        3_450, 650_00, 10_00, 20_00
    )


def test_an_order_sells_the_named_piece_at_its_price(client, app, org, registered, as_hq, as_ca):
    register_piece(client, as_hq, registered, org.sa, weight_mg=2_800)
    heavy = register_piece(client, as_hq, registered, org.sa, weight_mg=3_450, serial="HEAVY-1")
    body = {"items": [{"product_id": registered, "quantity": 1, "piece_id": heavy["id"]}]}
    answer = client.post(ORDERS, json=body, headers=as_ca)
    assert answer.status_code == 201, answer.get_json()
    order = answer.get_json()
    price = unit_price(3_450, 600_00, 10_00, 20_00)
    assert order["total_fen"] == price and order["lines"][0]["pricing"]["piece_serial"] == "HEAVY-1"
    with app.app_context():
        piece = db.session.get(Piece, heavy["id"])
        assert (piece.status, piece.order_id) == ("held", order["id"])
        snapshot = db.session.get(OrderLinePricing, piece.order_line_id)
        assert (snapshot.weight_mg, snapshot.list_unit_fen) == (3_450, price)
    again = client.post(ORDERS, json=body, headers=as_ca)
    assert again.status_code == 409 and again.get_json()["code"] == "piece_taken"


def test_without_a_piece_named_the_line_is_priced_by_the_piece_it_gets(
    client, app, org, registered, as_hq, as_ca
):
    far = register_piece(client, as_hq, registered, org.sb, weight_mg=2_000)
    near = register_piece(client, as_hq, registered, org.sa, weight_mg=3_900)
    body = {"items": [{"product_id": registered, "quantity": 1}]}
    order = client.post(ORDERS, json=body, headers=as_ca).get_json()
    assert order["lines"][0]["pricing"]["piece_id"] == near["id"]  # the customer's store's
    assert order["total_fen"] == unit_price(3_900, 600_00, 10_00, 20_00)
    assert far["id"] != near["id"]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"piece_id": 999_999}, 422, "piece_id"),
        ({"quantity": 2}, 422, "items"),
        ({"product_id": "pearl"}, 422, "piece_id"),
    ],
)
def test_bad_piece_choices(client, app, org, shop, registered, as_hq, as_ca, change, status, field):
    piece = register_piece(client, as_hq, registered, org.sa)
    register_piece(client, as_hq, registered, org.sa)
    item = {"product_id": registered, "quantity": 1, "piece_id": piece["id"], **change}
    if item["product_id"] == "pearl":
        item["product_id"] = shop.pearl
    answer = client.post(ORDERS, json={"items": [item]}, headers=as_ca)
    assert answer.status_code == status, answer.get_json()
    assert field in answer.get_json()["errors"], answer.get_json()
    with app.app_context():
        assert db.session.get(Piece, piece["id"]).status == "in_stock"


@pytest.mark.postgres
def test_parallel_orders_each_pay_the_price_of_the_piece_they_hold(
    client, app, org, registered, as_hq
):
    """Three pieces of different weights, six customers ordering at once without naming
    one: three orders, each charged exactly its own piece's price, three 409s."""
    weights = {}
    for weight in (2_500, 3_100, 3_700):
        weights[register_piece(client, as_hq, registered, org.sa, weight_mg=weight)["id"]] = weight
    with app.app_context():
        buyers = [customer_headers(gen_customer(org.fa, org.sa).id) for _ in range(6)]
    body = {"items": [{"product_id": registered, "quantity": 1}]}
    calls = [(lambda own, h=h: own.post(ORDERS, json=body, headers=h)) for h in buyers]
    answers = storm(app, calls)
    assert status_codes(answers) == [201] * 3 + [409] * 3, status_codes(answers)
    with app.app_context():
        held = db.session.scalars(select(Piece).where(Piece.status == "held")).all()
        assert sorted(p.weight_mg for p in held) == sorted(weights.values())
        for piece in held:
            order = db.session.get(Order, piece.order_id)
            assert order.total_fen == unit_price(piece.weight_mg, 600_00, 10_00, 20_00)


# --- the guide's in-store sale of a piece -------------------------------------------------


def test_the_guide_sells_a_piece_in_store_at_its_own_price(client, app, org, registered, as_hq):
    register_piece(client, as_hq, registered, org.sa, weight_mg=2_800, serial="SHOP-LIGHT")
    register_piece(client, as_hq, registered, org.sb, weight_mg=3_000, serial="FAR-AWAY")
    guide = bearer(api_token(client, "guide-a"))
    price = unit_price(2_800, 600_00, 10_00, 20_00)
    body = {
        "customer_id": org_customer(app, org),
        "items": [{"product_id": registered, "quantity": 1, "piece_serial": "SHOP-LIGHT"}],
        "amount": f"{price / 100:.2f}",
        "paid_by": "card",
    }
    for serial, field in (("NOPE", "piece_serial"), ("FAR-AWAY", "piece_serial")):
        item = {**body["items"][0], "piece_serial": serial}
        bad = client.post(SALES, json={**body, "items": [item]}, headers=guide)
        assert bad.status_code == 422 and field in bad.get_json()["errors"], bad.get_json()
    too_much = client.post(SALES, json={**body, "amount": f"{price / 100 + 1:.2f}"}, headers=guide)
    assert too_much.status_code == 422  # above the piece's price: the list total
    answer = client.post(SALES, json=body, headers=guide)
    assert answer.status_code == 201, answer.get_json()
    sale = answer.get_json()
    assert sale["total_fen"] == price
    with app.app_context():
        piece = db.session.scalars(select(Piece).where(Piece.serial == "SHOP-LIGHT")).one()
        assert (piece.status, piece.order_id) == ("held", sale["id"])
        snapshot = db.session.get(OrderLinePricing, piece.order_line_id)
        assert (snapshot.weight_mg, snapshot.piece_serial) == (2_800, "SHOP-LIGHT")
        assert db.session.get(Product, registered).stock == 1  # FAR-AWAY is left
    mine = client.get("/api/v1/pieces?status=sold", headers=as_hq).get_json()["items"]
    assert [p["serial"] for p in mine] == ["SHOP-LIGHT"]
    again = client.post(SALES, json=body, headers=guide)
    assert again.status_code == 409


def test_the_sale_page_takes_a_piece_serial(client, app, org, shop, registered, as_hq):
    register_piece(client, as_hq, registered, org.sa, weight_mg=3_200, serial="PAGE-1")
    login(client, "guide-a", path="/m/login")
    page = client.get(f"/m/sales/new?customer_id={shop.ca}")
    assert 'name="piece_serial.0"' in page.get_data(as_text=True)
    form = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "customer_id": str(shop.ca),
        "product_id.0": str(registered),
        "quantity.0": "1",
        "piece_serial.0": "PAGE-X",
        "amount": "100",
        "paid_by": "cash",
    }
    bad = client.post("/m/sales/new", data=form)
    assert bad.status_code == 422 and 'data-error-for="piece_serial"' in bad.get_data(as_text=True)
    res = client.post("/m/sales/new", data={**form, "piece_serial.0": "PAGE-1"})
    assert res.status_code == 303, res.get_data(as_text=True)[:800]
    with app.app_context():
        piece = db.session.scalars(select(Piece).where(Piece.serial == "PAGE-1")).one()
        line = db.session.get(OrderLinePricing, piece.order_line_id)
        assert line.list_unit_fen == unit_price(3_200, 600_00, 10_00, 20_00)
