"""A refund request's writes in one statement on PostgreSQL (issue 20): the reservation,
the refund and its outbox message together (``refund_writes``); SQLite writes the same
rows with three. Both databases hold the same rows afterwards."""

from __future__ import annotations

from sqlalchemy import select

from app.db import is_postgres
from app.extensions import db
from app.outbox import PENDING, OutboxMessage
from franchise.models import Order, Payment, Refund
from franchise.services.refunds import REFUND_KIND
from tests.fixtures.statements import statements
from tests.franchise.factories_payments import paid_order_id


def _writes(seen: list[str]) -> list[str]:
    return [s for s in seen if not s.lstrip().upper().startswith("SELECT")]


def test_the_reservation_refund_and_message_are_one_write(app, client, org, as_hq):
    order_id = paid_order_id(app, client, org)
    url = f"/api/v1/orders/{order_id}/refunds"
    refunded = []
    for amount in (2500, 1500):
        with app.app_context(), statements() as seen:
            answer = client.post(url, json={"amount_fen": amount, "reason": "尺寸"}, headers=as_hq)
            postgres = is_postgres(db.engine)
        assert answer.status_code == 202, answer.get_json()
        refunded.append(answer.get_json()["id"])
        writes = _writes(seen)
        if postgres:
            assert len(writes) == 1, writes
            assert all(
                f" {table} " in writes[0] for table in ("orders", "refunds", "outbox_messages")
            )
    too_much = client.post(url, json={"amount_fen": 6001}, headers=as_hq)
    assert too_much.status_code == 409 and too_much.get_json()["code"] == "refund_too_large"
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order is not None and order.refund_reserved_fen == 4000
        payment = db.session.scalars(select(Payment).where(Payment.order_id == order_id)).one()
        refunds = db.session.scalars(select(Refund).order_by(Refund.id)).all()
        assert [(r.id, r.amount_fen, r.payment_id) for r in refunds] == [
            (refunded[0], 2500, payment.id),
            (refunded[1], 1500, payment.id),
        ]
        assert all(r.status == "requested" and r.reason == "尺寸" for r in refunds)
        messages = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == REFUND_KIND)
            .order_by(OutboxMessage.id)
        ).all()
        assert [(m.payload, m.dedupe_key, m.status, m.attempts) for m in messages] == [
            ({"refund_id": i}, f"refund:{i}", PENDING, 0) for i in refunded
        ]
        assert all(m.available_at is not None and m.created_at is not None for m in messages)


def test_an_unpaid_order_gets_no_refund_and_no_message(app, client, org, as_hq):
    from tests.franchise.factories_payments import gen_customer, gen_order

    with app.app_context():
        order_id = gen_order(gen_customer(org.fa), 10000).id
    answer = client.post(
        f"/api/v1/orders/{order_id}/refunds", json={"amount_fen": 1}, headers=as_hq
    )
    assert answer.status_code == 409 and answer.get_json()["code"] == "not_paid"
    with app.app_context():
        assert db.session.scalars(select(Refund)).all() == []
        assert (
            db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == REFUND_KIND)).all()
            == []
        )
        assert db.session.get(Order, order_id).refund_reserved_fen == 0
