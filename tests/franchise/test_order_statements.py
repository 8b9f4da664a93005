"""Order create in two statements (issue 20): one read (the customer, the share code, the
products with their pricing, variants and metal prices) and, on PostgreSQL, one write that
takes the stock too when nothing else is held before the commit. The same rules on both
databases: SQLite reads the same way and takes the stock with its own UPDATEs."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.db import is_postgres
from app.errors import NotFound
from app.extensions import db
from franchise.models import Order, Product, Store
from franchise.services import orders as order_service
from franchise.services.order_writes import _TAKE_STOCKS_PG
from tests.fixtures.randomness import db_examples
from tests.fixtures.statements import statements
from tests.franchise.factories import gen_guide
from tests.franchise.factories_commerce import gen_share_code
from tests.franchise.factories_jewellery import by_weight, enter_price

PRODUCTS = "/api/v1/mp/products"


def _stocks(app, shop) -> tuple[int, int]:
    with app.app_context():
        return db.session.get(Product, shop.ring).stock, db.session.get(Product, shop.pearl).stock


def test_one_read_and_on_postgresql_one_write(client, app, org, shop, as_ca, as_hq):
    """A by-weight line at the metal's latest price, a share code's guide, two lines: one
    SELECT on either database; on PostgreSQL the order's rows and both lines' stock in a
    second statement, and nothing else."""
    enter_price(client, as_hq, "gold", 500_00, 450_00)
    enter_price(client, as_hq, "gold", 600_00, 550_00)  # the latest entry is the price now
    by_weight(client, as_hq, shop.pearl, weight_mg=2_000, labour_g=10_00, labour_piece=5_00)
    with app.app_context():
        other = gen_guide(db.session.get(Store, org.sa), name="Bea")  # not the customer's
        code, other_id = gen_share_code(other).code, other.id
        postgres = is_postgres(db.engine)
    items = [{"product_id": shop.pearl, "quantity": 2}, {"product_id": shop.ring, "quantity": 1}]
    warm = client.post("/api/v1/mp/orders", json={"items": items[:1]}, headers=as_ca)
    assert warm.status_code == 201  # this process's snapshot of the member settings
    before = _stocks(app, shop)
    with app.app_context(), statements() as seen:
        answer = client.post(
            "/api/v1/mp/orders", json={"items": items, "share_code": code}, headers=as_ca
        )
    assert answer.status_code == 201, answer.get_json()
    order = answer.get_json()
    pearl = next(line for line in order["lines"] if line["product_id"] == shop.pearl)
    assert pearl["unit_price_fen"] == (2_000 * (600_00 + 10_00) + 500) // 1000 + 5_00
    with app.app_context():
        assert db.session.get(Order, order["id"]).guide_id == other_id
    reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1, reads
    if postgres:
        assert len(seen) == 2, seen
        assert "UPDATE products" in seen[1] and "INSERT INTO orders" in seen[1]
    assert _stocks(app, shop) == (before[0] - 1, before[1] - 2)


def test_a_missing_customer_is_still_404_before_a_bad_body(app, shop):
    with app.app_context():
        for items in ([], [{"product_id": shop.ring, "quantity": 1}]):
            with pytest.raises(NotFound):
                order_service.create_order(10**9, items)


def test_the_product_list_follows_the_stock_an_order_took(client, app, shop, as_ca):
    """The product list is kept in memory; the stock taken by the order's own statement
    (SQL text the session's events do not see) drops it, as an ORM update does."""
    listed = {p["id"]: p["stock"] for p in client.get(PRODUCTS).get_json()["items"]}
    items = [{"product_id": shop.ring, "quantity": 2}, {"product_id": shop.pearl, "quantity": 3}]
    answer = client.post("/api/v1/mp/orders", json={"items": items}, headers=as_ca)
    assert answer.status_code == 201, answer.get_json()
    now = {p["id"]: p["stock"] for p in client.get(PRODUCTS).get_json()["items"]}
    assert now[shop.ring] == listed[shop.ring] - 2 and now[shop.pearl] == listed[shop.pearl] - 3
    answer = client.post("/api/v1/mp/orders", json={"items": items[:1]}, headers=as_ca)
    assert answer.status_code == 201, answer.get_json()
    assert {p["id"]: p["stock"] for p in client.get(PRODUCTS).get_json()["items"]}[
        shop.ring
    ] == listed[shop.ring] - 4


@db_examples(15)
@given(lines=st.lists(st.tuples(st.booleans(), st.integers(1, 7)), min_size=1, max_size=3))
def test_the_stock_is_taken_whole_or_not_at_all(app, client, shop, as_ca, lines):
    """Whatever the lines (a ring or a pearl each, in any order, the same product
    perhaps twice; the ring has 5 left at most): a placed order takes exactly its units;
    a refused one (422 on ``items``) takes none and leaves no order."""
    items = [
        {"product_id": shop.ring if ring else shop.pearl, "quantity": quantity}
        for ring, quantity in lines
    ]
    before = _stocks(app, shop)
    with app.app_context():
        orders = db.session.query(Order).count()
    answer = client.post("/api/v1/mp/orders", json={"items": items}, headers=as_ca)
    want: dict[int, int] = {}
    for item in items:
        want[item["product_id"]] = want.get(item["product_id"], 0) + item["quantity"]
    after = _stocks(app, shop)
    with app.app_context():
        placed = db.session.query(Order).count() - orders
    if want.get(shop.ring, 0) > before[0]:
        assert answer.status_code == 422 and "items" in answer.get_json()["errors"]
        assert after == before and placed == 0
        return
    assert answer.status_code == 201, answer.get_json()
    assert placed == 1
    assert after == (before[0] - want.get(shop.ring, 0), before[1] - want.get(shop.pearl, 0))
    client.post(f"/api/v1/mp/orders/{answer.get_json()['id']}/cancel", json={}, headers=as_ca)
    assert _stocks(app, shop) == before  # given back for the next example


def test_two_orders_of_the_same_products_do_not_deadlock(app, shop):
    """PostgreSQL: each order's lines hold key-share locks on their products (their foreign
    keys) until the commit; two such orders then taking the same products' units both
    go through, one after the other (a ``FOR UPDATE`` lock waited for the other's key
    share: deadlock)."""
    with app.app_context():
        if not is_postgres(db.engine):
            pytest.skip("row locks: PostgreSQL")
        engine = db.engine
    ids = sorted((shop.ring, shop.pearl))
    before = _stocks(app, shop)
    key_shared, outcomes = threading.Barrier(2), []

    def order() -> None:
        with engine.connect() as conn:
            try:
                conn.execute(  # what inserting the order's lines locks
                    text("SELECT 1 FROM products WHERE id = ANY(:ids) FOR KEY SHARE"),
                    {"ids": ids},
                )
                key_shared.wait(timeout=10)
                taken = conn.execute(_TAKE_STOCKS_PG, {"ids": ids, "qty": [1, 1]}).all()
                conn.commit()
                outcomes.append(len(taken))
            except DBAPIError as exc:
                outcomes.append(type(exc.orig).__name__)

    threads = [threading.Thread(target=order) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == [2, 2]
    assert _stocks(app, shop) == (before[0] - 2, before[1] - 2)
