"""A paid order that cannot be posted does not take others down with it: the unpaid
sweep goes on past it, and however often WeChat re-sends its notify HQ gets one alert.
"""

from __future__ import annotations

from datetime import timedelta

import xmltodict
from sqlalchemy import select, update

from app.clock import utcnow
from app.extensions import db
from app.wechat.sandbox import sandbox_state
from franchise.jobs import payments as payment_jobs
from franchise.jobs.payments import sweep_unpaid
from franchise.models import Alert, Order, Payment
from franchise.services import payments
from tests.franchise.factories_payments import (
    gen_customer,
    gen_order,
    notify_response,
    order_to_pay,
    pay,
)


def _paid_but_not_notified(app, client, org, count: int) -> list[tuple[int, str]]:
    """``count`` orders paid at the sandbox 10 minutes ago whose notifies never came."""
    made = []
    for _ in range(count):
        with app.app_context():
            customer = gen_customer(org.fa)
            ids = gen_order(customer, 5000).id, customer.id
        made.append((ids[0], pay(client, *ids, app)["out_trade_no"]))
    state = sandbox_state(app)
    original = state.queue_delivery
    state.queue_delivery = lambda *a, **k: {**original(*a, **k), "url": "/nowhere"}
    try:
        for _, out_trade_no in made:
            state.succeed_order(out_trade_no)
    finally:
        state.queue_delivery = original
    with app.app_context():
        db.session.execute(update(Order).values(created_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()
    return made


def test_sweep_goes_on_past_an_order_that_fails(app, client, org, monkeypatch):
    made = _paid_but_not_notified(app, client, org, 3)
    broken = made[0][1]
    query = payment_jobs.wxpay.query_order

    def query_order(sub_mch_id, out_trade_no):
        if out_trade_no == broken:
            raise RuntimeError("integer out of range")  # any failure but WeChat's own
        return query(sub_mch_id, out_trade_no)

    monkeypatch.setattr(payment_jobs.wxpay, "query_order", query_order)
    with app.app_context():
        counts = sweep_unpaid()
        assert counts == {"checked": 3, "paid": 2, "closed": 0, "errors": 1}
        status = dict(db.session.execute(select(Order.out_trade_no, Order.status)).all())
        assert status == {made[0][1]: "created", made[1][1]: "paid", made[2][1]: "paid"}


def test_sweep_goes_on_past_an_order_whose_posting_fails(app, client, org, monkeypatch):
    """The failure inside the posting itself (the PostgreSQL statement or the SQLite
    statements): rolled back, counted once as an alert, the next order still posted."""
    made = _paid_but_not_notified(app, client, org, 2)
    _fail_posting_of(monkeypatch, made[0][1])
    with app.app_context():
        assert sweep_unpaid()["errors"] == 1
        assert sweep_unpaid()["errors"] == 1  # a minute later: the same order fails again
        status = dict(db.session.execute(select(Order.out_trade_no, Order.status)).all())
        assert status == {made[0][1]: "created", made[1][1]: "paid"}
        alert = db.session.scalars(select(Alert).where(Alert.kind == "notify_failed")).one()
        assert alert.params["out_trade_no"] == made[0][1] and alert.count == 2


def _fail_posting_of(monkeypatch, out_trade_no: str) -> None:
    """Posting ``out_trade_no`` raises on either database path (others post normally)."""
    run_settle, post_once = payments.run_settle, payments._post_once

    def failing_run_settle(params):
        if params["out_trade_no"] == out_trade_no:
            raise RuntimeError("integer out of range")
        return run_settle(params)

    def failing_post_once(row, data, source):
        if row.out_trade_no == out_trade_no:
            raise RuntimeError("integer out of range")
        return post_once(row, data, source)

    monkeypatch.setattr(payments, "run_settle", failing_run_settle)
    monkeypatch.setattr(payments, "_post_once", failing_post_once)


def _notify(client, app, out_trade_no, amount, tid):
    res = notify_response(client, app, out_trade_no, amount, tid)
    return res.status_code, xmltodict.parse(res.data)["xml"]["return_code"]


def test_a_notify_that_keeps_failing_raises_one_alert(app, client, org, monkeypatch):
    otn = order_to_pay(app, org.fa, 2_680_000)
    tid = "4200000000202612070000000001"
    _fail_posting_of(monkeypatch, otn)
    for _ in range(4):  # WeChat re-sends: 15 s, 15 s, 30 s, 3 min … (here minutes apart)
        assert _notify(client, app, otn, 2_680_000, tid) == (503, "FAIL")
        with app.app_context():
            db.session.execute(update(Alert).values(last_seen_at=utcnow() - timedelta(hours=1)))
            db.session.commit()
    with app.app_context():
        alert = db.session.scalars(select(Alert)).one()
        order = db.session.scalars(select(Order).where(Order.out_trade_no == otn)).one()
        assert (alert.kind, alert.severity, alert.franchisee_id) == (
            "notify_failed",
            "critical",
            org.fa,
        )
        assert alert.params["order_id"] == order.id and alert.params["out_trade_no"] == otn
        assert alert.count == 4 and "out of range" in alert.params["last_error"]
        assert order.status == "created"
    monkeypatch.undo()  # the cause is fixed: the next re-send posts it
    assert _notify(client, app, otn, 2_680_000, tid) == (200, "SUCCESS")
    with app.app_context():
        assert db.session.scalars(select(Payment.out_trade_no)).one() == otn
        assert db.session.scalar(select(db.func.count()).select_from(Alert)) == 1


def test_a_notify_amount_beyond_bigint_is_a_mismatch_not_a_failure(app, client, org):
    """A signed notify whose ``total_fee`` no BIGINT holds is refused as another amount
    (on PostgreSQL it reached the statement and failed "out of range" at every re-send)."""
    otn = order_to_pay(app, org.fa, 12345)
    tid = "4200000000202612070000000002"
    assert _notify(client, app, otn, 2**64 + 12345, tid) == (200, "FAIL")
    with app.app_context():
        assert db.session.scalars(select(Alert.kind)).all() == ["pay_amount_mismatch"]
        assert db.session.scalar(select(Payment.id)) is None
