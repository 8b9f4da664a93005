"""Jewellery pricing (issue 19): the metal price board, by-weight products and variants,
the mini-program's prices following the board, order lines snapshotting every price
component, and the bad inputs that answer 422 naming the field."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from franchise.models import OrderLinePricing, Product, ProductPricing
from franchise.services import pricing
from franchise.services.pricing import (
    MAX_LABOUR_FEN_PER_GRAM,
    MAX_LABOUR_FEN_PER_PIECE,
    MAX_METAL_FEN_PER_GRAM,
    MAX_WEIGHT_MG,
    unit_price,
)
from tests.fixtures.auth import login
from tests.fixtures.randomness import db_examples
from tests.franchise.factories_commerce import gen_product
from tests.franchise.factories_jewellery import by_weight, enter_price, mp_product

weights = st.integers(1, MAX_WEIGHT_MG)
metal_prices = st.integers(1, MAX_METAL_FEN_PER_GRAM)
labour_grams = st.integers(0, MAX_LABOUR_FEN_PER_GRAM)
labour_pieces = st.integers(0, MAX_LABOUR_FEN_PER_PIECE)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a loaded machine
@given(weights, metal_prices, labour_grams, labour_pieces)
def test_unit_is_weight_times_price_plus_labour_rounded_once_in_fen(w, price, lg, lp):
    grams = Decimal(w) / 1000
    exact = grams * price + grams * lg
    expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)) + lp
    got = unit_price(w, price, lg, lp)
    assert got == expected
    assert isinstance(got, int) and 0 <= got <= 10**10  # inside catalog.MAX_PRICE_FEN


@db_examples(15)
@given(
    st.lists(st.tuples(weights, labour_grams, labour_pieces), min_size=1, max_size=6),
    metal_prices,
)
def test_repricing_in_sql_is_the_same_formula(app, rows, price):
    """The one UPDATE a price change runs gives every product what ``unit_price`` gives."""
    with app.app_context():
        try:
            ids = []
            for n, (w, lg, lp) in enumerate(rows):
                product = gen_product(sku=f"BW-{n}", price_fen=1)
                db.session.add(
                    ProductPricing(
                        product_id=product.id,
                        pricing="by_weight",
                        metal="gold",
                        weight_mg=w,
                        labour_fen_per_gram=lg,
                        labour_fen_per_piece=lp,
                    )
                )
                ids.append(product.id)
            db.session.commit()
            pricing.reprice_metal("gold", price)
            db.session.commit()
            for product_id, (w, lg, lp) in zip(ids, rows, strict=True):
                assert db.session.get(Product, product_id).price_fen == unit_price(w, price, lg, lp)
        finally:
            db.session.rollback()
            for product_id in ids:
                db.session.delete(db.session.get(ProductPricing, product_id))
                db.session.delete(db.session.get(Product, product_id))
            db.session.commit()


def test_today_contract_and_history(client, org, as_hq):
    empty = client.get("/api/v1/metal-prices/today").get_json()
    assert empty["gold_fen_per_gram"] is None and "date" in empty
    enter_price(client, as_hq, "gold", 620_00, 560_00)
    enter_price(client, as_hq, "gold", 625_00, 565_00)
    enter_price(client, as_hq, "platinum", 260_00, 200_00)
    today = client.get("/api/v1/metal-prices/today").get_json()
    assert today["gold_fen_per_gram"] == 625_00
    assert today["gold_buyback_fen_per_gram"] == 565_00
    assert today["platinum_fen_per_gram"] == 260_00
    assert today["silver_fen_per_gram"] is None
    history = client.get("/api/v1/metal-prices?metal=gold", headers=as_hq).get_json()
    assert [e["sell_fen_per_gram"] for e in history["items"]] == [625_00, 620_00]
    assert history["items"][0]["entered_by"] == "hq"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"metal": "gold", "sell_fen_per_gram": 0, "buyback_fen_per_gram": 1}, "sell_fen_per_gram"),
        (
            {"metal": "gold", "sell_fen_per_gram": 100, "buyback_fen_per_gram": -5},
            "buyback_fen_per_gram",
        ),
        (
            {"metal": "gold", "sell_fen_per_gram": 100, "buyback_fen_per_gram": 200},
            "buyback_fen_per_gram",
        ),
        ({"metal": "copper", "sell_fen_per_gram": 100, "buyback_fen_per_gram": 50}, "metal"),
    ],
)
def test_bad_prices_are_422_naming_the_field(client, org, as_hq, body, field):
    answer = client.post("/api/v1/metal-prices", json=body, headers=as_hq)
    assert answer.status_code == 422, answer.get_json()
    assert field in str(answer.get_json()["errors"])
    assert client.get("/api/v1/metal-prices/today").get_json()["gold_fen_per_gram"] is None


def test_only_hq_enters_prices(client, org, as_owner_a):
    body = {"metal": "gold", "sell_fen_per_gram": 100, "buyback_fen_per_gram": 50}
    assert client.post("/api/v1/metal-prices", json=body, headers=as_owner_a).status_code == 403


def test_by_weight_price_follows_the_board_at_once(client, app, shop, as_hq):
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    # a 12.345 g bracelet, ¥15 a gram labour, ¥80 a piece
    by_weight(client, as_hq, shop.pearl, weight_mg=12_345, labour_g=15_00, labour_piece=80_00)
    item = mp_product(client, shop.pearl)
    assert item["pricing"] == "by_weight"
    assert (
        item["price_fen"] == unit_price(12_345, 600_00, 15_00, 80_00) == 7_672_18
    )  # 12.345 g × ¥615 = ¥7,592.175 → ¥7,592.18, + ¥80
    assert item["pricing_detail"]["metal"] == "gold"
    enter_price(client, as_hq, "gold", 640_00, 580_00)
    assert mp_product(client, shop.pearl)["price_fen"] == unit_price(12_345, 640_00, 15_00, 80_00)
    listing = client.get("/api/v1/mp/products").get_json()["items"]
    kinds = {i["id"]: i["pricing"] for i in listing}
    assert kinds[shop.pearl] == "by_weight" and kinds[shop.ring] == "fixed"
    assert all("variants" in i for i in listing)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pricing": "by_weight", "metal": "gold"}, "weight_mg"),
        ({"pricing": "by_weight", "weight_mg": 5000}, "metal"),
        ({"pricing": "by_weight", "metal": "gold", "weight_mg": 0}, "weight_mg"),
        ({"pricing": "by_weight", "metal": "gold", "weight_mg": 10**9}, "weight_mg"),
        ({"pricing": "weighed"}, "pricing"),
    ],
)
def test_by_weight_without_weight_or_metal_is_422(client, shop, as_hq, body, field):
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    answer = client.put(f"/api/v1/products/{shop.ring}/pricing", json=body, headers=as_hq)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"]
    assert client.get(f"/api/v1/products/{shop.ring}/pricing", headers=as_hq).get_json()[
        "pricing"
    ] == ("fixed")


def test_by_weight_needs_a_price_on_the_board(client, shop, as_hq):
    body = {"pricing": "by_weight", "metal": "platinum", "weight_mg": 3000}
    answer = client.put(f"/api/v1/products/{shop.ring}/pricing", json=body, headers=as_hq)
    assert answer.status_code == 422 and "metal" in answer.get_json()["errors"]


def _ring_in_sizes(client, shop, as_hq) -> dict:
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    by_weight(client, as_hq, shop.ring, weight_mg=3_000, labour_g=10_00, labour_piece=0)
    sizes = {}
    for label, weight in (("12", 3_000), ("16", 3_600)):
        answer = client.post(
            f"/api/v1/products/{shop.ring}/variants",
            json={"kind": "ring_size", "label": label, "weight_mg": weight},
            headers=as_hq,
        )
        assert answer.status_code == 201, answer.get_json()
        sizes[label] = answer.get_json()
    return sizes


def test_a_ring_sold_in_a_size_snapshots_every_component(client, app, shop, as_hq, as_ca):
    sizes = _ring_in_sizes(client, shop, as_hq)
    assert sizes["16"]["price_fen"] == unit_price(3_600, 600_00, 10_00, 0)
    item = mp_product(client, shop.ring)
    assert [v["label"] for v in item["variants"]] == ["12", "16"]
    body = {"items": [{"product_id": shop.ring, "quantity": 2, "variant_id": sizes["16"]["id"]}]}
    answer = client.post("/api/v1/mp/orders", json=body, headers=as_ca)
    assert answer.status_code == 201, answer.get_json()
    order = answer.get_json()
    unit = unit_price(3_600, 600_00, 10_00, 0)
    assert order["total_fen"] == 2 * unit
    line = order["lines"][0]
    assert line["unit_price_fen"] == unit
    assert line["pricing"]["weight_mg"] == 3_600
    assert line["pricing"]["metal_fen_per_gram"] == 600_00
    assert line["pricing"]["variant_label"] == "16"
    # a later price change leaves the order's snapshot as it was
    enter_price(client, as_hq, "gold", 700_00, 650_00)
    with app.app_context():
        snap = db.session.scalars(select(OrderLinePricing)).one()
        assert (snap.metal_fen_per_gram, snap.list_unit_fen) == (600_00, unit)


@pytest.mark.parametrize("variant", ["missing", "foreign"])
def test_a_size_the_product_does_not_offer_is_422(client, shop, as_hq, as_ca, variant):
    _ring_in_sizes(client, shop, as_hq)
    other = client.post(
        f"/api/v1/products/{shop.pearl}/variants",
        json={"kind": "chain_length", "label": "45cm"},
        headers=as_hq,
    ).get_json()
    item = {"product_id": shop.ring, "quantity": 1}
    if variant == "foreign":
        item["variant_id"] = other["id"]
    answer = client.post("/api/v1/mp/orders", json={"items": [item]}, headers=as_ca)
    assert answer.status_code == 422, answer.get_json()
    assert "variant_id" in answer.get_json()["errors"]


def test_a_coupon_applies_to_a_by_weight_order(client, app, shop, as_hq, as_ca):
    from tests.franchise.factories_commerce import gen_coupon, gen_template

    enter_price(client, as_hq, "gold", 600_00, 550_00)
    by_weight(client, as_hq, shop.pearl, weight_mg=10_000, labour_g=0, labour_piece=0)
    with app.app_context():
        from franchise.models import Customer

        region = db.session.get(Customer, shop.ca).franchisee.region_id
        code = gen_coupon(
            gen_template({region: 5}, amount_off_fen=100_00), db.session.get(Customer, shop.ca)
        ).code
    body = {"items": [{"product_id": shop.pearl, "quantity": 1}], "coupon_code": code}
    order = client.post("/api/v1/mp/orders", json=body, headers=as_ca).get_json()
    assert order["total_fen"] == 6_000_00
    assert (order["discount_fen"], order["payable_fen"]) == (100_00, 5_900_00)


def test_the_admin_order_page_shows_the_size_to_ship(client, shop, as_hq, as_ca):
    """HQ ships a ring from the order page: the line says which size was bought."""
    sizes = _ring_in_sizes(client, shop, as_hq)
    body = {"items": [{"product_id": shop.ring, "quantity": 1, "variant_id": sizes["16"]["id"]}]}
    order = client.post("/api/v1/mp/orders", json=body, headers=as_ca).get_json()
    login(client, "hq")
    html = client.get(f"/admin/orders/{order['id']}").get_data(as_text=True)
    assert any(f"{word} 16" in html for word in ("戒圈", "Ring size"))
