"""T+1 reconciliation against the sandbox's bill, and the unpaid-order sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import shanghai_day, utcnow
from app.extensions import db
from app.wechat.sandbox import sandbox_state
from franchise.jobs.payments import sweep_unpaid
from franchise.models import Alert, Order, Payment, ReconciliationRun
from franchise.services import reconciliation
from tests.franchise.factories_payments import (
    new_customer_order,
    paid_orders,
    pay,
    to_bill_time,
)

pytestmark = pytest.mark.usefixtures("pay_api")


def test_bill_not_ready_then_differences_found(app, client, org):
    tids = paid_orders(app, client, org, [10000, 2500, 777])
    day = shanghai_day()
    with app.app_context():
        run = reconciliation.reconcile(day)
        assert run.status == "error"
        assert "Not Ready" in run.error or "STATEMENT_CREATING" in run.error  # v2 / v3
        # the ledger disagrees with WeChat in three ways
        tampered = db.session.scalars(
            select(Payment).where(Payment.transaction_id == tids[1])
        ).one()
        tampered.amount_fen = 2400
        gone = db.session.scalars(select(Payment).where(Payment.transaction_id == tids[2])).one()
        gone.transaction_id = "4200000000000000000000000001"  # not in WeChat's bill
        db.session.commit()
    to_bill_time(app, day)
    with app.app_context():
        run = reconciliation.reconcile(day)
        assert run.status == "differences" and run.attempt == 2
        kinds = sorted((i.kind, i.transaction_id) for i in run.items)
        assert kinds == sorted(
            [
                ("amount", tids[1]),
                ("missing_in_ledger", tids[2]),
                ("missing_in_bill", "4200000000000000000000000001"),
            ]
        )
        amount = next(i for i in run.items if i.kind == "amount")
        assert amount.bill_amount_fen == 2500 and amount.ledger_amount_fen == 2400
        assert run.bill_rows == 3 and run.bill_total_fen == 13277
        assert db.session.scalars(select(Alert).where(Alert.kind == "reconciliation")).one()


def test_clean_day_and_cli(app, client, org):
    paid_orders(app, client, org, [10000])
    day = shanghai_day()
    to_bill_time(app, day)
    result = app.test_cli_runner().invoke(
        args=["franchise", "reconcile", "--date", day.isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert "ok" in result.output
    with app.app_context():
        run = db.session.scalars(select(ReconciliationRun)).one()
        assert run.status == "ok" and run.items == []
        assert db.session.scalars(select(Alert)).first() is None


def test_empty_day_is_ok(app, client, org):
    day = shanghai_day() - timedelta(days=3)
    with app.app_context():
        assert reconciliation.reconcile(day).status == "ok"


def _created_with_out_trade_no(app, client, org, minutes_ago):
    ids = new_customer_order(app, org.fa, 5000)
    answer = pay(client, *ids, app)
    with app.app_context():
        order = db.session.get(Order, ids[0])
        order.created_at = utcnow() - timedelta(minutes=minutes_ago)
        db.session.commit()
    # WeChat's copy of the order is as old (closeorder is refused in its first 5 minutes)
    sandbox_state(app).data["orders"][answer["out_trade_no"]]["created_at"] -= minutes_ago * 60
    return ids[0], answer["out_trade_no"]


def test_sweep_pays_through_orderquery_and_closes_stale_orders(app, client, org):
    paid_id, paid_no = _created_with_out_trade_no(app, client, org, 10)
    fresh_id, _ = _created_with_out_trade_no(app, client, org, 1)
    waiting_id, _ = _created_with_out_trade_no(app, client, org, 10)
    stale_id, stale_no = _created_with_out_trade_no(app, client, org, 45)
    state = sandbox_state(app)
    # the customer pays but the notify never reaches us (sent to a path that is not ours)
    original = state.queue_delivery
    state.queue_delivery = lambda *a, **k: {**original(*a, **k), "url": "/nowhere"}
    try:
        state.succeed_order(paid_no)
    finally:
        state.queue_delivery = original
    with app.app_context():
        assert db.session.get(Order, paid_id).status == "created"
        counts = sweep_unpaid()
        assert counts == {"checked": 3, "paid": 1, "closed": 1, "errors": 0}
        assert db.session.get(Order, paid_id).status == "paid"
        assert db.session.scalars(select(Payment)).one().source == "orderquery"
        assert db.session.get(Order, stale_id).status == "closed"
        assert db.session.get(Order, waiting_id).status == "created"
        assert db.session.get(Order, fresh_id).status == "created"
        assert state.data["orders"][stale_no]["trade_state"] == "CLOSED"
        assert sweep_unpaid()["paid"] == 0  # nothing twice
