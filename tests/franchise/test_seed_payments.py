"""The demo's seeded orders are consistent: every order whose status implies a payment has
its payment and balanced ledger postings, in the embedded demo and in the production
topology (no emulator in the process, so nothing is paid through it)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.outbox import PENDING, OutboxMessage
from app.seed import seed_demo
from franchise.models import (
    COMPLETED,
    DELIVERED,
    PAID,
    PICKED_UP,
    RECEIVED,
    REFUNDED,
    SHIPPED,
    LedgerTransaction,
    Order,
    OrderEvent,
    Payment,
)
from franchise.services import ledger

PAID_STATES = (PAID, SHIPPED, RECEIVED, DELIVERED, PICKED_UP, COMPLETED, REFUNDED)


@pytest.fixture(params=["embedded", "no emulator in the process"])
def topology(request, app):
    if request.param == "embedded":
        yield request.param
        return
    sandbox = app.extensions.pop("siyu_sandbox")
    try:
        yield request.param
    finally:
        app.extensions["siyu_sandbox"] = sandbox


@pytest.mark.slow
def test_every_seeded_paid_order_has_its_payment_and_ledger(app, topology):
    seed_demo(app)
    with app.app_context():
        orders = db.session.scalars(select(Order).where(Order.status.in_(PAID_STATES))).all()
        assert len(orders) >= 27  # the commerce seeder's shipped … completed orders
        for order in orders:
            payments = db.session.scalars(select(Payment).where(Payment.order_id == order.id))
            payment = payments.one()
            assert payment.amount_fen == order.paid_fen == order.payable_fen, order.order_no
            assert order.transaction_id == payment.transaction_id
            posted = dict(
                db.session.execute(
                    select(LedgerTransaction.kind, LedgerTransaction.amount_fen).where(
                        LedgerTransaction.payment_id == payment.id,
                        LedgerTransaction.kind == "payment",
                    )
                ).all()
            )
            assert posted == {"payment": payment.amount_fen}, order.order_no
            events = db.session.scalars(
                select(OrderEvent)
                .where(OrderEvent.order_id == order.id)
                .order_by(OrderEvent.created_at, OrderEvent.id)
            ).all()
            assert [e.to_status for e in events][:2] == ["created", PAID], order.order_no
        assert ledger.unbalanced_transactions() == []
        assert sum(row["balance_fen"] for row in ledger.trial_balance()) == 0
        # nothing seeded waits to go to WeChat for a payment WeChat never saw
        demo_shares = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == PENDING, OutboxMessage.kind == "franchise.profit_share")
        )
        seeded_at_sandbox = db.session.scalar(
            select(func.count()).select_from(Payment).where(Payment.source != "demo")
        )
        assert demo_shares <= seeded_at_sandbox
