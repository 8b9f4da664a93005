"""20 concurrent copies of one notify post the payment once (row lock + unique key)."""

from __future__ import annotations

import threading

import pytest
import xmltodict
from sqlalchemy import func, select

from app.extensions import db
from franchise.models import LedgerTransaction, Order, OrderEvent, Payment
from tests.franchise.factories_payments import gen_customer, gen_order, pay
from tests.franchise.test_payments import notify_xml

COPIES = 20


def _storm(app, body: bytes) -> list[tuple[int, str]]:
    barrier = threading.Barrier(COPIES)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send():
        client = app.test_client()
        barrier.wait()
        res = client.post("/api/v1/pay/notify", data=body, content_type="application/xml")
        code = xmltodict.parse(res.data)["xml"]["return_code"]
        with lock:
            answers.append((res.status_code, code))

    threads = [threading.Thread(target=send) for _ in range(COPIES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


@pytest.mark.postgres
def test_twenty_concurrent_copies_post_once(app, client, org):
    is_pg = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    with app.app_context():
        customer = gen_customer(org.fa)
        order = gen_order(customer, 10000)
        ids = order.id, customer.id
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
    assert len(answers) == COPIES
    if is_pg:
        assert all(a == (200, "SUCCESS") for a in answers), answers
    else:  # SQLite: a writer that loses the lock answers FAIL and WeChat re-sends
        assert ("SUCCESS" in {a[1] for a in answers}) and all(a[0] in (200, 503) for a in answers)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
        assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 3
        events = db.session.scalar(
            select(func.count()).select_from(OrderEvent).where(OrderEvent.to_status == "paid")
        )
        assert events == 1
        assert db.session.get(Order, ids[0]).status == "paid"
