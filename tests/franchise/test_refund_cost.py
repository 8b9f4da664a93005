"""Per-request cost of a refund request (issue 20): the refund's row is one Core INSERT
(no unit of work flush), the answer is the row as stored, and a refusal after the insert
leaves nothing behind."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.auth.models import HQ_ADMIN
from app.auth.principal import Principal
from app.extensions import db
from franchise.api.payments import RefundSchema, _dump_refund
from franchise.models import Order, Refund
from franchise.services.refunds import request_refund
from tests.franchise.factories_payments import paid_order_id


def test_a_refund_is_written_without_a_flush_and_answered_as_stored(app, client, org, as_hq):
    order_id = paid_order_id(app, client, org)
    flushes: list[int] = []

    def count(*_args) -> None:
        flushes.append(1)

    event.listen(Session, "before_flush", count)
    try:
        answer = client.post(
            f"/api/v1/orders/{order_id}/refunds",
            json={"amount_fen": 2500, "reason": "尺寸不合"},
            headers=as_hq,
        )
    finally:
        event.remove(Session, "before_flush", count)
    assert answer.status_code == 202, answer.get_json()
    assert flushes == []
    body = answer.get_json()
    with app.app_context():
        refund = db.session.get(Refund, body["id"])
        assert refund is not None
        stored = {key: getattr(refund, key) for key in ("amount_fen", "reason", "status")}
        assert stored == {"amount_fen": 2500, "reason": "尺寸不合", "status": "requested"}
        assert body["out_refund_no"] == refund.out_refund_no
        assert refund.created_at is not None and refund.franchisee_id == org.fa


def test_a_refusal_after_the_insert_leaves_no_refund(app, client, org, as_hq):
    """An inspection the order does not have is refused (422) after the refund's row was
    inserted: the transaction and the row in the session are both gone, and the amount
    can still be refunded."""
    order_id = paid_order_id(app, client, org)
    url = f"/api/v1/orders/{order_id}/refunds"
    refused = client.post(url, json={"amount_fen": 10000, "inspection_id": 999999}, headers=as_hq)
    assert refused.status_code == 422, refused.get_json()
    with app.app_context():
        assert db.session.scalars(select(Refund)).all() == []
    assert client.post(url, json={"amount_fen": 10000}, headers=as_hq).status_code == 202


def test_the_answer_is_refund_schemas_dump(app, client, org):
    """The refund request answers with ``RefundSchema``'s dump compiled once
    (``app.fast_page.compile_object_dump``): for the refund as written it is the schema's
    own dump, and the body is what ``jsonify`` of that dump gives."""
    order_id = paid_order_id(app, client, org)
    with app.test_request_context():
        order = db.session.get(Order, order_id)
        refund = request_refund(order, 1200, "尺寸不合", Principal(HQ_ADMIN, user_id=1))
        expected = RefundSchema().dump(refund)
        assert _dump_refund(refund) == expected
        assert jsonify(_dump_refund(refund)).data == jsonify(expected).data
        assert expected["amount_fen"] == 1200 and expected["created_at"]
