"""20 concurrent copies of one notify post the payment once (row lock + unique key), and
every copy is answered SUCCESS, on SQLite as on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from franchise.models import LedgerTransaction, Order, OrderEvent, Payment
from tests.fixtures.concurrency import storm
from tests.franchise.factories_payments import (
    new_customer_order,
    notify_xml,
    pay,
    send_notify_body,
)

COPIES = 20


def _storm(app, body: bytes) -> list[tuple[int, str]]:
    def send(own):
        return send_notify_body(own, body)

    return storm(app, [send] * COPIES)


@pytest.mark.postgres
def test_twenty_concurrent_copies_post_once(app, client, org):
    ids = new_customer_order(app, org.fa, 10000)
    answer = pay(client, *ids, app)
    body = notify_xml(
        app,
        {
            "sub_mch_id": "1900000201",
            "out_trade_no": answer["out_trade_no"],
            "total_fee": 10000,
            "transaction_id": "4200000000202611269999999999",
        },
    )
    answers = _storm(app, body)
    # none turned away (a FAIL would make WeChat re-send what was already posted)
    assert answers == [(200, "SUCCESS")] * COPIES, answers
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
        assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 3
        events = db.session.scalar(
            select(func.count()).select_from(OrderEvent).where(OrderEvent.to_status == "paid")
        )
        assert events == 1
        assert db.session.get(Order, ids[0]).status == "paid"
