"""Money checks are atomic on SQLite and PostgreSQL alike, under real concurrency.

Each test sends its requests from parallel threads (``tests.fixtures.concurrency.storm``)
against the suite's file-backed SQLite database or PostgreSQL: a check that read before
it wrote (a ``SELECT`` then an ``INSERT``) let several through on SQLite, where
``SELECT … FOR UPDATE`` is not a lock. Parallel copies of one notify:
``test_payments_concurrency.py``.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.outbox import OutboxMessage, drain
from app.wechat.errors import WeChatAPIError
from franchise.models import (
    Alert,
    LedgerEntry,
    LedgerTransaction,
    Order,
    OrderEvent,
    Payment,
    Refund,
)
from franchise.services import ledger, refunds
from tests.fixtures.auth import api_token, bearer
from tests.fixtures.concurrency import status_codes, storm
from tests.franchise.factories_payments import (
    gen_customer,
    gen_order,
    notify_xml,
    pay,
    pay_and_succeed,
    send_notify_body,
)

PARALLEL = 20


def _paid_order(app, client, org) -> tuple[int, int]:
    """A paid order of ¥100.00 of franchise A (HQ share 10 %): (order id, customer id)."""
    with app.app_context():
        customer = gen_customer(org.fa)
        ids = gen_order(customer, 10000).id, customer.id
    pay_and_succeed(client, *ids, app)
    return ids


def _refund_storm(app, order_id: int, headers: dict, amount_fen: int) -> list:
    url = f"/api/v1/orders/{order_id}/refunds"

    def refund(own):
        return own.post(url, json={"amount_fen": amount_fen, "reason": "退款"}, headers=headers)

    return storm(app, [refund] * PARALLEL)


def _balanced(app) -> bool:
    with app.app_context():
        debit, credit = db.session.execute(
            select(func.sum(LedgerEntry.debit_fen), func.sum(LedgerEntry.credit_fen))
        ).one()
        return debit == credit and ledger.unbalanced_transactions() == []


@pytest.mark.postgres
def test_parallel_full_refunds_accept_exactly_one(app, client, org):
    """Three orders in turn (the race on the unfixed SQLite path was not hit every time)."""
    headers = bearer(api_token(client, "hq"))
    orders = [_paid_order(app, client, org)[0] for _ in range(3)]
    for order_id in orders:
        answers = _refund_storm(app, order_id, headers, 10000)
        assert status_codes(answers) == [202] + [409] * (PARALLEL - 1), status_codes(answers)
        refused = {r.get_json()["code"] for r in answers if r.status_code == 409}
        assert refused == {"refund_too_large"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 3
        queued = select(func.count()).where(OutboxMessage.kind == "franchise.refund")
        assert db.session.scalar(queued) == 3  # nothing else went towards WeChat
        drain()
        for order_id in orders:
            order = db.session.get(Order, order_id)
            assert (order.refunded_fen, order.refund_reserved_fen) == (10000, 10000)
            assert order.status == "refunded"
        assert ledger.available_balance(org.fa) == 0
    assert _balanced(app)


@pytest.mark.postgres
def test_parallel_partial_refunds_never_pass_what_was_paid(app, client, org):
    order_id, _ = _paid_order(app, client, org)
    answers = _refund_storm(app, order_id, bearer(api_token(client, "hq")), 3000)
    assert status_codes(answers) == [202] * 3 + [409] * (PARALLEL - 3), status_codes(answers)
    late = [r.get_json() for r in answers if r.status_code == 409]
    assert all(body["errors"]["amount_fen"] for body in late)
    with app.app_context():
        drain()
        order = db.session.get(Order, order_id)
        assert (order.refunded_fen, order.status) == (9000, "paid")
    assert _balanced(app)


@pytest.mark.postgres
def test_parallel_completions_of_one_refund_count_it_once(app, client, org):
    """Two dispatchers may run one refund's completion (a retry after a lease): the
    order's refunded amount and the ledger take it once."""
    order_id, _ = _paid_order(app, client, org)
    url = f"/api/v1/orders/{order_id}/refunds"
    res = client.post(url, json={"amount_fen": 3000}, headers=bearer(api_token(client, "hq")))
    refund_id = res.get_json()["id"]

    def complete(_own):
        with app.app_context():
            try:
                refunds.complete_refund(refund_id, "5000000000000001")
            finally:
                db.session.remove()

    storm(app, [complete] * 8)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.refunded_fen, order.status) == (3000, "paid")
        posted = select(func.count()).where(LedgerTransaction.refund_id == refund_id)
        assert db.session.scalar(posted) == 3  # refund, fee and HQ share reversed once
        events = select(func.count()).where(OrderEvent.note.like("refund %"))
        assert db.session.scalar(events) == 1
    assert _balanced(app)


def test_a_refused_refund_gives_its_amount_back(app, client, org, monkeypatch):
    order_id, _ = _paid_order(app, client, org)
    url = f"/api/v1/orders/{order_id}/refunds"
    headers = bearer(api_token(client, "hq"))
    assert client.post(url, json={"amount_fen": 10000}, headers=headers).status_code == 202

    def refused(**_call):
        raise WeChatAPIError("NOTENOUGH", api="refund", errcode="NOTENOUGH")

    monkeypatch.setattr(refunds.wxpay, "refund", refused)
    with app.app_context():
        drain()
        assert db.session.scalars(select(Refund.status)).one() == "failed"
        assert db.session.get(Order, order_id).refund_reserved_fen == 0
        refunds.fail_refund(db.session.scalars(select(Refund.id)).one())  # once only
        assert db.session.get(Order, order_id).refund_reserved_fen == 0
    monkeypatch.undo()
    assert client.post(url, json={"amount_fen": 10000}, headers=headers).status_code == 202


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
        return send_notify_body(own, body)

    return send


@pytest.mark.postgres
def test_two_payments_of_one_order_in_parallel_keep_both_and_mark_paid_once(app, client, org):
    """A customer who paid several times at WeChat (several transactions, one order):
    every payment is in the ledger, the order is marked paid once, HQ is told. Three
    orders in turn (the race on the unfixed SQLite path was not hit every time)."""
    copies, orders = 6, []
    for round_ in range(3):
        with app.app_context():
            customer = gen_customer(org.fa)
            ids = gen_order(customer, 10000).id, customer.id
        out_trade_no = pay(client, *ids, app)["out_trade_no"]
        tids = [f"4200000000202611260{round_}{n:010d}" for n in range(copies)]
        answers = storm(app, [_post_notify(_notify(app, out_trade_no, t)) for t in tids])
        assert answers == [(200, "SUCCESS")] * copies, answers
        orders.append((ids[0], set(tids)))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 3 * copies
        for order_id, tids in orders:
            paid = select(func.count()).where(
                OrderEvent.order_id == order_id, OrderEvent.to_status == "paid"
            )
            assert db.session.scalar(paid) == 1
            order = db.session.get(Order, order_id)
            assert (order.status, order.paid_fen) == ("paid", 10000)
            assert order.transaction_id in tids
        told = select(func.count()).where(Alert.kind == "pay_duplicate_payment")
        assert db.session.scalar(told) >= 1  # HQ hears of the payments after the first
        posted = db.session.scalar(select(func.count()).select_from(LedgerTransaction))
        assert posted == 3 * copies * 3  # payment, fee and HQ share of every payment
    assert _balanced(app)
