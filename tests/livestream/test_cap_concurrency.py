"""Concurrent live orders for a capped line-up product: never more units than the cap at
the live price, every refusal a 422 naming the product, no stock taken by a refusal —
on SQLite as on PostgreSQL (the cap is one conditional UPDATE of the ``sold`` counter)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from franchise.models import Order, OrderLine, Product
from livestream.models import LineupItem
from tests.fixtures.concurrency import storm
from tests.livestream.scenarios import _campaign, _mp_login, _order, _share

CAP, BUYERS = 5, 12


@pytest.mark.postgres
def test_concurrent_orders_never_pass_the_cap(app, client, live_org, guide_a1_headers):
    org = live_org
    cid = _campaign(app, org, status="live", live_in_days=0)
    product_id = org.products[2]
    with app.app_context():
        item = db.session.scalars(
            select(LineupItem).where(
                LineupItem.campaign_id == cid, LineupItem.product_id == product_id
            )
        ).one()
        item.stock_cap = CAP
        db.session.commit()
        stock_before = db.session.get(Product, product_id).stock
    share = _share(client, guide_a1_headers, cid)
    tokens = [
        f"Bearer {_mp_login(client, f'code-cap-{n}', share['code'])['token']}"
        for n in range(BUYERS)
    ]
    items = [{"product_id": product_id, "quantity": 1}]
    calls = [(lambda own, t=t: _order(own, t, items, share["code"])) for t in tokens]
    answers = [(res.status_code, res.get_json()) for res in storm(app, calls)]
    codes = sorted(code for code, _ in answers)
    assert codes == [201] * CAP + [422] * (BUYERS - CAP), answers
    for code, body in answers:
        if code == 422:
            assert "的直播价仅剩" in body["errors"]["items"][0]  # zh by default
    with app.app_context():
        sold = db.session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.campaign_id == cid, OrderLine.product_id == product_id)
        )
        assert sold == CAP
        assert db.session.get(Product, product_id).stock == stock_before - CAP
