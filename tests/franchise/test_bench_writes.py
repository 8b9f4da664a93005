"""What the HTTP benchmark's writes are made of (``scripts/bench_writes.py``, PostgreSQL
only: its statements are): the pooled paid orders are refundable once each, as a notify's
payment would have left them, and the spread products order like the product they copy."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app.db import is_postgres
from app.extensions import db
from franchise.models import Order, Product, ProductPricing
from scripts import bench_writes
from tests.franchise.factories_commerce import customer_headers
from tests.franchise.factories_jewellery import by_weight, enter_price
from tests.franchise.factories_payments import SUB_MCH_A, gen_customer, gen_product


@pytest.fixture
def postgres(app):
    with app.app_context():
        if not is_postgres(db.engine):
            pytest.skip("the benchmark's set-up statements are PostgreSQL's")


def test_each_pooled_order_is_refunded_once_then_refused(app, client, org, as_hq, postgres):
    with app.app_context():
        customer = gen_customer(org.fa)
        params = {"c": customer.id, "f": org.fa, "sub": SUB_MCH_A, "n": 3, "fen": 100}
        ids = sorted(db.session.execute(text(bench_writes._PAID_ORDERS), params).scalars())
        db.session.commit()
    assert len(ids) == 3
    body = {"amount_fen": bench_writes.REFUND_FEN, "reason": "bench"}
    for order_id in ids:
        answer = client.post(f"/api/v1/orders/{order_id}/refunds", json=body, headers=as_hq)
        assert answer.status_code == 202, answer.get_json()
    again = client.post(f"/api/v1/orders/{ids[0]}/refunds", json=body, headers=as_hq)
    assert again.status_code == 409 and again.get_json()["code"] == "refund_too_large"


def test_a_spread_copy_is_ordered_like_its_original(app, client, org, as_hq, postgres):
    with app.app_context():
        original = gen_product(50_000).id
        customer = gen_customer(org.fa).id
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    by_weight(client, as_hq, original, weight_mg=3_000, labour_g=10_00, labour_piece=0)
    with app.app_context():
        params = {"sku": "T-SPREAD-", "n": 2, "id": original}
        copies = db.session.execute(text(bench_writes._SPREAD), params).scalars().all()
        db.session.commit()
        assert len(copies) == 2
        rows = db.session.execute(
            select(ProductPricing.pricing, ProductPricing.weight_mg, ProductPricing.metal).where(
                ProductPricing.product_id.in_([original, *copies])
            )
        ).all()
        assert len(set(rows)) == 1 and len(rows) == 3
        assert db.session.scalar(select(func.min(Product.stock)).where(Product.id.in_(copies)))
        headers = customer_headers(customer)
    totals = []
    for product_id in (original, *copies):
        body = {"items": [{"product_id": product_id, "quantity": 1}]}
        answer = client.post("/api/v1/mp/orders", json=body, headers=headers)
        assert answer.status_code == 201, answer.get_json()
        totals.append(answer.get_json()["total_fen"])
    assert len(set(totals)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) >= 3
