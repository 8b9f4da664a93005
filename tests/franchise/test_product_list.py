"""The in-memory product list behind ``GET /api/v1/mp/products``: the same JSON as the
schema's dump of the database query for any page and category, and no stale product
after a change, made here (seen by the next request) or by another process (seen at
the next version check, or within the age limit when nobody announced it)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from app import snapshots
from app.extensions import db, get_redis
from app.schemas import page_of
from franchise.schemas_jewellery import JewelleryProductPageSchema
from franchise.services import catalog, piece_pricing, pricing
from franchise.services.pricing import unit_price
from franchise.services.product_list import PRODUCT_LIST
from tests.fixtures.list_json import list_examples, same_json
from tests.franchise.factories_jewellery import by_weight, enter_price, register_piece

LIST = "/api/v1/mp/products"


def _from_database(app, args: dict) -> dict:
    """What the route answered before the snapshot: the query, decorated, dumped."""
    with app.app_context():
        page = page_of(catalog.product_stmt(args, active_only=True), args)
        pricing.decorate(list(page["items"]))
        piece_pricing.decorate(list(page["items"]))
        return JewelleryProductPageSchema().dump(page)


def _listing(client, **query) -> dict:
    answer = client.get(LIST, query_string=query)
    assert answer.status_code == 200, answer.get_json()
    assert answer.mimetype == "application/json"
    return answer.get_json()


@pytest.fixture
def catalogue(client, app, org, shop, as_hq, ring):
    """The shop's products: a by-weight ring with two registered pieces (a price range),
    a fixed-price pearl, an inactive necklace, and a few more in two categories."""
    register_piece(client, as_hq, ring, org.sa, weight_mg=2_900)
    register_piece(client, as_hq, ring, org.sa, weight_mg=3_300)
    by_weight(client, as_hq, shop.pearl, weight_mg=1_500, labour_g=5_00, labour_piece=20_00)
    for n in range(5):
        body = {"sku": f"LIST-{n}", "name": f"款式{n}", "price_fen": 100_00 + n}
        body["category"] = "黄金" if n % 2 else "珍珠"
        assert client.post("/api/v1/products", json=body, headers=as_hq).status_code == 201
    return shop


@list_examples
@given(
    category=st.sampled_from([None, "", "珍珠", "黄金", "钻石", "没有"]),
    page=st.integers(1, 4),
    per_page=st.integers(1, 9),
)
def test_every_page_is_the_schemas_dump_of_the_query(
    client, app, catalogue, category, page, per_page
):
    query = {"page": page, "per_page": per_page}
    if category is not None:
        query["category"] = category
    args = {**query, "category": category}
    same_json(client, LIST, {}, query, lambda: _from_database(app, args))


def test_the_default_page_is_written_once_per_snapshot(client, app, catalogue):
    first = client.get(LIST).get_data()
    assert client.get(LIST).get_data() == first
    with app.app_context():
        assert PRODUCT_LIST.of(app).current(app).pages[("", 1, 20)] == first


def test_a_search_still_reads_the_database(client, app, catalogue):
    assert [i["sku"] for i in _listing(client, q="list-3")["items"]] == ["LIST-3"]
    assert _listing(client, q="款式") == _from_database(
        app, {"q": "款式", "page": 1, "per_page": 20}
    )


def _item(client, product_id: int) -> dict:
    return next(i for i in _listing(client, per_page=100)["items"] if i["id"] == product_id)


def test_each_change_shows_on_the_next_request(client, app, catalogue, as_hq, as_ca):
    shop = catalogue
    assert _item(client, shop.pearl)["price_fen"] == unit_price(1_500, 600_00, 5_00, 20_00)
    enter_price(client, as_hq, "gold", 650_00, 600_00)  # the board moves: by-weight repriced
    assert _item(client, shop.pearl)["price_fen"] == unit_price(1_500, 650_00, 5_00, 20_00)
    assert _item(client, shop.ring)["price_range"]["min_fen"] == unit_price(2_900, 650_00, 10_00, 0)
    answer = client.patch(f"/api/v1/products/{shop.pearl}", json={"stock": 7}, headers=as_hq)
    assert answer.status_code == 200
    assert _item(client, shop.pearl)["stock"] == 7
    by_weight(client, as_hq, shop.pearl, weight_mg=2_000, labour_g=5_00, labour_piece=20_00)
    assert _item(client, shop.pearl)["pricing_detail"]["weight_mg"] == 2_000
    body = {"items": [{"product_id": shop.pearl, "quantity": 2}]}
    assert client.post("/api/v1/mp/orders", json=body, headers=as_ca).status_code == 201
    assert _item(client, shop.pearl)["stock"] == 5  # the order's conditional UPDATE
    client.patch(f"/api/v1/products/{shop.pearl}", json={"is_active": False}, headers=as_hq)
    assert shop.pearl not in [i["id"] for i in _listing(client, per_page=100)["items"]]


def test_a_change_by_another_process_is_seen_at_the_next_check(client, app, catalogue, monkeypatch):
    shop = catalogue
    before = _item(client, shop.pearl)["name"]
    with app.app_context():  # another process renames it; its commit hook bumps the version
        db.session.execute(
            text("UPDATE products SET name = '新珍珠' WHERE id = :i"), {"i": shop.pearl}
        )
        db.session.commit()
    assert _item(client, shop.pearl)["name"] == before  # within CHECK_SECONDS
    with app.app_context():
        get_redis().incr(PRODUCT_LIST.version_key)
    monkeypatch.setattr(snapshots, "CHECK_SECONDS", 0.0)
    assert _item(client, shop.pearl)["name"] == "新珍珠"


def test_a_change_nobody_announced_is_seen_within_the_age_limit(
    client, app, catalogue, monkeypatch
):
    shop = catalogue
    assert _item(client, shop.pearl)["stock"] == 50
    with app.app_context():
        db.session.execute(text("UPDATE products SET stock = 3 WHERE id = :i"), {"i": shop.pearl})
        db.session.commit()
    monkeypatch.setattr(snapshots, "MAX_AGE_SECONDS", 0.0)
    assert _item(client, shop.pearl)["stock"] == 3
