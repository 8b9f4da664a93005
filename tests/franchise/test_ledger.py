"""The ledger: balanced, idempotent postings; a property over payments, duplicates and refunds."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.auth.models import HQ_ADMIN
from app.auth.principal import Principal
from app.clock import shanghai_day
from app.errors import DomainError
from app.extensions import db
from app.wechat.sandbox import sandbox_state
from franchise.models import LedgerAccount, LedgerEntry, LedgerTransaction, Order, Payment, Refund
from franchise.services import ledger, payments, refunds
from tests.fixtures.randomness import db_examples
from tests.franchise.factories import gen_franchisee
from tests.franchise.factories_payments import gen_customer, gen_order, resend_notify

HQ = Principal(HQ_ADMIN)


def test_post_refuses_unbalanced_and_is_idempotent(ctx):
    fid = gen_franchisee().id
    day = shanghai_day()
    with pytest.raises(ledger.UnbalancedPosting):
        ledger.post("k1", "payment", fid, [("wallet", 100, 0), ("sales", 0, 99)], business_date=day)
    with pytest.raises(ledger.UnbalancedPosting):
        ledger.post("k1", "payment", fid, [("wallet", 100, 100)], business_date=day)
    with pytest.raises(ledger.UnbalancedPosting):
        ledger.post("k1", "payment", fid, [("cash", 1, 0), ("sales", 0, 1)], business_date=day)
    lines = [("wallet", 100, 0), ("sales", 0, 100)]
    assert ledger.post("k1", "payment", fid, lines, business_date=day) is not None
    assert ledger.post("k1", "payment", fid, lines, business_date=day) is None
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 1
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 2
    assert ledger.available_balance(fid) == 100
    # accounts are created once, whatever the order of first use
    assert ledger.account_ids(fid) == ledger.account_ids(fid)
    assert db.session.scalar(select(func.count()).select_from(LedgerAccount)) == 4


def test_amount_rules(ctx):
    assert ledger.wechat_fee(10000) == 60
    assert ledger.wechat_fee(83) == 0  # 0.498 → 0
    assert ledger.wechat_fee(84) == 1  # 0.504 → 1
    assert ledger.wechat_fee(250) == 2  # 1.5 → 2 (half up)
    assert ledger.hq_share(10001, 1000) == 1000
    assert ledger.hq_share(10000, 5000) == 3000  # capped at 30 %
    assert ledger.proportional(60, 10000, 10000) == 60
    assert ledger.proportional(61, 5000, 10000) == 31


def _pay(app, order: Order) -> str:
    answer = payments.start_payment(order)
    return sandbox_state(app).succeed_order(answer["out_trade_no"])["transaction_id"]


def _redeliver(app) -> None:
    item = sandbox_state(app).data["deliveries"][-1]
    with app.test_client() as client:
        res = resend_notify(client, item["kind"], item["body"].encode())
        assert res.status_code == 204 or b"SUCCESS" in res.data  # v3 / v2


operations = st.lists(
    st.tuples(
        st.sampled_from(["pay", "dup", "refund_part", "refund_all"]),
        st.integers(min_value=0, max_value=2),
        st.integers(min_value=1, max_value=99),
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.slow
@db_examples(20, HealthCheck.too_slow)
@given(ops=operations, bps=st.sampled_from([0, 250, 1000, 3000]))
def test_ledger_balances_after_any_sequence(app, ctx, ops, bps):
    franchisee = gen_franchisee(profit_share_bps=bps)
    customer = gen_customer(franchisee.id)
    orders = [gen_order(customer, amount) for amount in (10000, 1999, 83)]
    paid = set()
    for op, index, percent in ops:
        order = db.session.get(Order, orders[index].id)
        if op == "pay" and order.status == "created":
            _pay(app, order)
            paid.add(order.id)
        elif op == "dup" and paid:
            _redeliver(app)
        elif op.startswith("refund") and order.id in paid:
            left = refunds.refundable_fen(order)
            amount = left if op == "refund_all" else max(1, left * percent // 100)
            try:
                refund = refunds.request_refund(order, amount, "", HQ)
            except DomainError:
                assert left == 0
                continue
            refunds.execute_refund(refund.id)
        db.session.rollback()
    fid = franchisee.id
    # every transaction balanced, and so the whole ledger
    assert ledger.unbalanced_transactions() == []
    debit, credit = db.session.execute(
        select(
            func.coalesce(func.sum(LedgerEntry.debit_fen), 0),
            func.coalesce(func.sum(LedgerEntry.credit_fen), 0),
        )
    ).one()
    assert debit == credit
    # one payment per paid order, whatever the duplicates
    pays = db.session.scalars(select(Payment).where(Payment.franchisee_id == fid)).all()
    assert sorted(p.order_id for p in pays) == sorted(paid)
    gross = sum(p.amount_fen for p in pays)
    fees = sum(p.fee_fen for p in pays)
    shares = sum(ledger.hq_share(p.amount_fen, bps) for p in pays)
    done = db.session.scalars(
        select(Refund).where(Refund.franchisee_id == fid, Refund.status == "succeeded")
    ).all()
    refunded = sum(r.amount_fen for r in done)

    def total(kind):
        return int(
            db.session.scalar(
                select(func.coalesce(func.sum(LedgerTransaction.amount_fen), 0)).where(
                    LedgerTransaction.franchisee_id == fid, LedgerTransaction.kind == kind
                )
            )
        )

    assert total("payment") == gross and total("fee") == fees and total("hq_share") == shares
    assert total("refund") == refunded
    expected = gross - fees - shares - refunded + total("fee_refund") + total("hq_share_refund")
    assert ledger.available_balance(fid) == expected
    for order in orders:
        order = db.session.get(Order, order.id)
        assert 0 <= order.refunded_fen <= order.paid_fen
        if order.paid_fen and order.refunded_fen == order.paid_fen:
            assert order.status == "refunded"
            payment = next(p for p in pays if p.order_id == order.id)
            back = db.session.scalar(
                select(func.coalesce(func.sum(LedgerTransaction.amount_fen), 0)).where(
                    LedgerTransaction.payment_id == payment.id,
                    LedgerTransaction.kind == "fee_refund",
                )
            )
            assert back == payment.fee_fen  # a full refund returns the whole fee
