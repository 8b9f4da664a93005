"""Repricing after a metal price change is set-based (issue 19): on PostgreSQL one
``UPDATE … FROM`` per table (products, variants) however many by-weight products; on
SQLite the same statements over windows of product ids; a price already right is not
rewritten; every price equals ``unit_price`` either way."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from app.db import is_postgres
from app.extensions import db
from franchise.models import Product, ProductPricing, ProductVariant
from franchise.services import metal_prices, pricing
from franchise.services.pricing import unit_price
from tests.franchise.factories_commerce import gen_product


@pytest.fixture
def many(app, org):
    """Seven by-weight gold products (each with a variant) and one silver product."""
    with app.app_context():
        metal_prices.record({"metal": "gold", "sell_fen_per_gram": 600_00,
                             "buyback_fen_per_gram": 550_00})  # fmt: skip
        metal_prices.record({"metal": "silver", "sell_fen_per_gram": 8_00,
                             "buyback_fen_per_gram": 6_00})  # fmt: skip
        ids = []
        for n in range(8):
            product = gen_product(price_fen=1)
            db.session.add(
                ProductPricing(
                    product_id=product.id,
                    pricing="by_weight",
                    metal="silver" if n == 7 else "gold",
                    weight_mg=1_000 + 337 * n,
                    labour_fen_per_gram=n * 100,
                    labour_fen_per_piece=n * 1_000,
                )
            )
            db.session.add(
                ProductVariant(product_id=product.id, kind="ring_size", label="12",
                               weight_mg=2_000 + n, price_fen=1)
            )  # fmt: skip
            ids.append(product.id)
        db.session.commit()
        return ids


def _updates(run) -> list[str]:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


def test_a_price_change_is_a_few_set_based_statements(app, many, monkeypatch):
    monkeypatch.setattr(pricing, "SQLITE_REPRICE_BATCH", 3)
    with app.app_context():
        changed: list[int] = []
        statements = _updates(lambda: changed.append(pricing.reprice_metal("gold", 618_50)))
        db.session.commit()
        if is_postgres(db.engine):
            assert len(statements) == 2  # one UPDATE … FROM for products, one for variants
            assert all(" FROM product_pricing " in s for s in statements)
        else:
            assert len(statements) == 2 * 3  # 7 gold products in windows of 3
        assert changed == [7]
        for n, product_id in enumerate(many[:7]):
            price = unit_price(1_000 + 337 * n, 618_50, n * 100, n * 1_000)
            assert db.session.get(Product, product_id).price_fen == price
            variant = db.session.query(ProductVariant).filter_by(product_id=product_id).one()
            assert variant.price_fen == unit_price(2_000 + n, 618_50, n * 100, n * 1_000)
        assert db.session.get(Product, many[7]).price_fen == 1  # silver: not this metal
        assert pricing.reprice_metal("gold", 618_50) == 0  # already right: nothing rewritten
        db.session.rollback()
