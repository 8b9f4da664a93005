"""The demo credits its paid orders (shares summing to 10,000 bps per line), accrues
commission at the demo rates and leaves one dispute for HQ to rule on."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select

from app.extensions import db
from app.seed import seed_demo
from franchise.models import CommissionEntry, CreditDispute, CreditLine, Order, OrderCredit
from franchise.services.credit import credit_missing


@pytest.mark.slow
def test_demo_orders_are_credited_with_a_dispute_open(app):
    seed_demo(app)
    with app.app_context():
        credit_missing(limit=10_000, days=None)  # the live seeder pays after ours
        paid = set(db.session.scalars(select(Order.id).where(Order.transaction_id.is_not(None))))
        assert paid and set(db.session.scalars(select(OrderCredit.order_id))) == paid
        per_line: dict[int, int] = defaultdict(int)
        for row in db.session.scalars(select(CreditLine).where(CreditLine.is_current.is_(True))):
            per_line[row.order_line_id] += row.share_bps
        assert per_line and set(per_line.values()) == {10000}
        assert db.session.scalar(select(CommissionEntry.id).limit(1)) is not None
        assert db.session.scalars(select(CreditDispute.status)).all() == ["open"]
    seed_demo(app)  # idempotent: still one dispute
    with app.app_context():
        assert len(db.session.scalars(select(CreditDispute.id)).all()) == 1
