"""Money checks are atomic on SQLite and PostgreSQL alike, under real concurrency.

Each test sends its requests from parallel threads (``tests.fixtures.concurrency.storm``)
against the suite's file-backed SQLite database or PostgreSQL: a check that read before
it wrote (a ``SELECT`` then an ``INSERT``) let several through on SQLite, where
``SELECT … FOR UPDATE`` is not a lock.
"""

from __future__ import annotations

import pytest
import xmltodict
from sqlalchemy import func, select

from app.extensions import db
from app.outbox import OutboxMessage, drain
from franchise.models import LedgerEntry, LedgerTransaction, Order, OrderEvent, Payment, Refund
from franchise.services import ledger
from tests.fixtures.auth import api_token, bearer
from tests.fixtures.concurrency import status_codes, storm
from tests.franchise.factories_payments import gen_customer, gen_order, pay, pay_and_succeed
from tests.franchise.test_payments import notify_xml

PARALLEL = 20


@pytest.fixture
def paid_order(app, client, org):
    """A paid order of ¥100.00 of franchise A (HQ share 10 %): (order id, customer id)."""
    with app.app_context():
        customer = gen_customer(org.fa)
        ids = gen_order(customer, 10000).id, customer.id
    pay_and_succeed(client, *ids, app)
    return ids


@pytest.mark.postgres
def test_parallel_full_refunds_accept_exactly_one(app, client, org, paid_order):
    order_id, _ = paid_order
    headers = bearer(api_token(client, "hq"))
    url = f"/api/v1/orders/{order_id}/refunds"

    def refund(own):
        return own.post(url, json={"amount_fen": 10000, "reason": "全额退款"}, headers=headers)

    answers = storm(app, [refund] * PARALLEL)
    assert status_codes(answers) == [202] + [409] * (PARALLEL - 1), status_codes(answers)
    for res in answers:
        if res.status_code == 409:
            assert res.get_json()["code"] == "refund_too_large"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
        queued = select(func.count()).where(OutboxMessage.kind == "franchise.refund")
        assert db.session.scalar(queued) == 1
        drain()
        order = db.session.get(Order, order_id)
        assert (order.refunded_fen, order.status) == (10000, "refunded")
        assert ledger.available_balance(org.fa) == 0
        debit, credit = db.session.execute(
            select(func.sum(LedgerEntry.debit_fen), func.sum(LedgerEntry.credit_fen))
        ).one()
        assert debit == credit


def _notify(app, out_trade_no: str, transaction_id: str) -> bytes:
    fields = {
        "sub_mch_id": "1900000201",
        "out_trade_no": out_trade_no,
        "total_fee": 10000,
        "transaction_id": transaction_id,
    }
    return notify_xml(app, fields)


def _post_notify(body: bytes):
    def send(own):
        res = own.post("/api/v1/pay/notify", data=body, content_type="application/xml")
        return res.status_code, xmltodict.parse(res.data)["xml"]["return_code"]

    return send


@pytest.mark.postgres
def test_parallel_duplicate_notifies_post_one_payment_and_all_succeed(app, client, org):
    with app.app_context():
        customer = gen_customer(org.fa)
        ids = gen_order(customer, 10000).id, customer.id
    answer = pay(client, *ids, app)
    body = _notify(app, answer["out_trade_no"], "4200000000202611260000000001")
    answers = storm(app, [_post_notify(body)] * PARALLEL)
    # every copy answered SUCCESS: none was turned away by a locked database
    assert answers == [(200, "SUCCESS")] * PARALLEL, answers
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
        assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 3
        paid = select(func.count()).where(OrderEvent.to_status == "paid")
        assert db.session.scalar(paid) == 1
        order = db.session.get(Order, ids[0])
        assert (order.status, order.paid_fen) == ("paid", 10000)


@pytest.mark.postgres
def test_two_payments_of_one_order_in_parallel_keep_both_and_mark_paid_once(app, client, org):
    """A customer who paid twice at WeChat (two transactions, one order): both payments
    are in the ledger, the order is paid once by the first, HQ is told of the second."""
    with app.app_context():
        customer = gen_customer(org.fa)
        ids = gen_order(customer, 10000).id, customer.id
    out_trade_no = pay(client, *ids, app)["out_trade_no"]
    bodies = [_notify(app, out_trade_no, f"42000000002026112600000001{n:02d}") for n in range(6)]
    answers = storm(app, [_post_notify(b) for b in bodies])
    assert answers == [(200, "SUCCESS")] * 6, answers
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 6
        paid = select(func.count()).where(OrderEvent.to_status == "paid")
        assert db.session.scalar(paid) == 1
        order = db.session.get(Order, ids[0])
        first = db.session.scalars(select(Payment).order_by(Payment.id)).first()
        assert (order.status, order.paid_fen) == ("paid", 10000)
        assert order.transaction_id == first.transaction_id
