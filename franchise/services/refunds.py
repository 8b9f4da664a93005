"""Refunds, full or partial, by HQ or the order's franchise owner.

``request_refund`` takes the amount from what is left with one conditional ``UPDATE
orders SET refund_reserved_fen = refund_reserved_fen + :amount WHERE paid_fen -
refund_reserved_fen >= :amount`` (Σ refunds requested or done ≤ paid): of parallel
requests only those that fit change the row, the rest answer 409 before anything is
written, on SQLite as on PostgreSQL. It then writes a ``Refund`` and an outbox message
``franchise.refund`` and commits; the outbox handler ``run_refund`` calls WeChat after
commit (idempotent by ``out_refund_no``). A refusal by WeChat marks the refund failed
and gives its amount back; success runs ``complete_refund``, which flips the refund
requested → succeeded with one conditional ``UPDATE`` (so two runs cannot both post),
posts the reversing ledger entries (idempotent by refund id) and updates the order
(``refunded_fen``; status ``refunded`` when everything is refunded), with an
``OrderEvent``.
"""

from __future__ import annotations

import secrets
from typing import Any, NoReturn, cast

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import FRANCHISE_OWNER
from app.auth.principal import Principal
from app.clock import shanghai_day, utcnow
from app.db import committing, is_postgres, lock_row
from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db, hooks
from app.i18n import tr
from app.outbox import GiveUp, enqueue
from app.web.formatting import yuan
from app.wechat import pay as wxpay
from app.wechat.errors import WeChatError, as_retry_later
from franchise.models import (
    REFUNDED,
    LedgerTransaction,
    Order,
    OrderEvent,
    Payment,
    Refund,
)
from franchise.services import (
    alerts,
    inspections,
    ledger,
    order_writes,
    points_refunds,
    refund_writes,
    share_return,
)
from franchise.services.base import invalid, loaded_after_commit

REFUND_KIND = "franchise.refund"
# listener(order, refund), inside the refund's transaction after the order is updated
# (commission reversal, franchise.services.commission.on_refund)
REFUND_COMPLETED = "franchise.refund_completed"


# APIv3 answers a refund PROCESSING until its notify (REFUND.SUCCESS / ABNORMAL / CLOSED).
PENDING_STATUSES = ("PROCESSING",)


def _lock_order(order_id: int) -> Order:
    """The order, read under its row lock (``app.db.lock_row``: a lock on SQLite too)."""
    if not lock_row(db.session, Order, order_id):
        raise NotFound("Order not found")
    order = db.session.get(Order, order_id, populate_existing=True)
    assert order is not None  # locked just now
    return order


def refundable_fen(order: Order) -> int:
    """What may still be refunded: paid minus refunds requested or done."""
    paid, reserved = db.session.execute(
        select(Order.paid_fen, Order.refund_reserved_fen).where(Order.id == order.id)
    ).one()
    return max(0, paid - reserved)


# The payment a refund returns money of: the order's payment of its transaction id.
_PAYMENT_OF_ORDER = (
    select(Payment.id)
    .where(Payment.order_id == Order.id, Payment.transaction_id == Order.transaction_id)
    .limit(1)
    .correlate(Order)
    .scalar_subquery()
)

# Built once (issue 20): the reservation answers what the refund needs, so neither the
# order nor its payment is read again after it.
_RESERVE = (
    update(Order)
    .where(
        Order.id == bindparam("order_id"),
        Order.transaction_id.is_not(None),
        Order.paid_fen > 0,
        Order.paid_fen - Order.refund_reserved_fen >= bindparam("amount_fen"),
    )
    .values(
        refund_reserved_fen=Order.refund_reserved_fen + bindparam("amount_fen"),
        updated_at=Order.updated_at,  # a reservation is not a change of the order's state
    )
    .returning(Order.refund_reserved_fen, Order.transaction_id)
    .execution_options(synchronize_session=False)
)
# PostgreSQL answers the payment's id in the same statement; SQLite's RETURNING names the
# order's columns unqualified, which inside a subquery would mean the payment's, so it
# reads the payment with a second statement (no round trip there).
_RESERVE_PG = _RESERVE.returning(_PAYMENT_OF_ORDER)
_PAYMENT_OF = select(Payment.id).where(
    Payment.order_id == bindparam("order_id"), Payment.transaction_id == bindparam("tid")
)


def _reserve(order_id: int, amount_fen: int) -> tuple[int, str | None, int | None]:
    """Take ``amount_fen`` from what is left to refund, atomically; 409 when it does not
    fit (or the order is not paid). The UPDATE is the check: under a parallel request
    PostgreSQL re-evaluates its WHERE on the row as the other left it, and on SQLite it
    runs under the database's write lock. Returns the order's reserved total and
    transaction id as the UPDATE left them, and the id of that transaction's payment."""
    params = {"order_id": order_id, "amount_fen": amount_fen}
    if is_postgres(db.engine):
        taken = db.session.execute(_RESERVE_PG, params).first()
        if taken is not None:
            return taken[0], taken[1], taken[2]
    else:
        taken = db.session.execute(_RESERVE, params).first()
        if taken is not None:
            payment_id = db.session.scalars(
                _PAYMENT_OF.limit(1), {"order_id": order_id, "tid": taken[1]}
            ).first()
            return taken[0], taken[1], payment_id
    return _refused(order_id)


def _refused(order_id: int) -> NoReturn:
    """Why a reservation found nothing to take: 404, 409 ``not_paid`` or 409
    ``refund_too_large`` naming what is left (one read)."""
    row = db.session.execute(
        select(Order.transaction_id, Order.paid_fen, Order.refund_reserved_fen).where(
            Order.id == order_id
        )
    ).first()
    if row is None:
        raise NotFound("Order not found")
    if row.transaction_id is None or row.paid_fen <= 0:
        raise Conflict("This order has no payment to refund.", code="not_paid")
    left = max(0, row.paid_fen - row.refund_reserved_fen)
    raise Conflict(
        "The refund exceeds what is left to refund.",
        code="refund_too_large",
        # in yuan, as the refund form takes it (the API's field stays fen)
        errors={"amount_fen": [tr("At most %(amount)s can still be refunded.", amount=yuan(left))]},
    )


def may_refund(principal: Principal) -> bool:
    """Whether ``principal`` may move money back: HQ or a franchise owner."""
    return principal.is_hq or principal.role == FRANCHISE_OWNER


def request_refund(
    order: Order,
    amount_fen: int,
    reason: str,
    principal: Principal,
    *,
    inspection_id: int | None = None,
) -> Refund:
    """Ask WeChat (through the outbox) to refund ``amount_fen`` of ``order``; commits.

    ``order`` was loaded through the caller's scope; only HQ and the order's franchise
    owner may refund (guides 403, another franchise 404). ``inspection_id``: the
    appointment id of the order's inspection awaiting a refund that this refund settles,
    linked in the same transaction (``inspections.settle``: 409 when it is settled
    already, 422 when the order has no such inspection awaiting a refund).
    """
    try:
        if not may_refund(principal):
            raise Forbidden("Only HQ or the franchise owner may refund.")
        if principal.role == FRANCHISE_OWNER and order.franchisee_id != principal.franchisee_id:
            raise NotFound("Order not found")
        if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
            raise invalid("amount_fen", "A positive amount in fen.")
        refund = Refund(
            order_id=order.id,
            franchisee_id=order.franchisee_id,
            out_refund_no="RF" + utcnow().strftime("%y%m%d%H%M%S") + secrets.token_hex(6),
            amount_fen=amount_fen,
            reason=(reason or "")[:255],
            actor_user_id=principal.user_id,
        )
        postgres = is_postgres(db.engine)
        if postgres:  # the reservation, the refund and its message: one statement
            taken = refund_writes.reserve_and_request(
                _RESERVE_PG, order.id, amount_fen, refund, REFUND_KIND
            )
            reserved, transaction_id, payment_id = taken or _refused(order.id)
        else:
            reserved, transaction_id, payment_id = _reserve(order.id, amount_fen)
        set_committed_value(order, "refund_reserved_fen", reserved)  # as the UPDATE left it
        set_committed_value(order, "transaction_id", transaction_id)
        if payment_id is None:
            raise Conflict("This order has no payment to refund.", code="not_paid")
        if not postgres:
            refund.payment_id = payment_id
            order_writes.insert_row(refund)  # one INSERT, no unit of work
        if inspection_id is not None:
            inspections.settle(order.id, inspection_id, refund.id)
        if not postgres:
            enqueue(REFUND_KIND, {"refund_id": refund.id}, refund_writes.message_key(refund.id))
        with loaded_after_commit():  # the answer is the refund as written: no read-back
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return refund


def run_refund(message) -> dict | None:
    """Outbox handler: the WeChat refund call after commit, then ``complete_refund``."""
    refund_id = (message.payload or {}).get("refund_id")
    return execute_refund(refund_id if isinstance(refund_id, int) else 0)


def execute_refund(refund_id: int) -> dict:
    """Call WeChat for one requested refund (no transaction open) and complete it."""
    refund = db.session.get(Refund, refund_id)
    if refund is None:
        db.session.rollback()
        raise GiveUp(f"no refund {refund_id}")
    if refund.status != "requested":
        db.session.rollback()
        return {"status": refund.status}
    payment = db.session.get(Payment, refund.payment_id)
    assert payment is not None  # a refund's payment (foreign key)
    call: dict[str, Any] = {
        "sub_mch_id": payment.sub_mch_id,
        "out_trade_no": payment.out_trade_no,
        "out_refund_no": refund.out_refund_no,
        "total_fee": payment.amount_fen,
        "refund_fee": refund.amount_fen,
        "reason": refund.reason or None,
    }
    franchisee_id, order_id = refund.franchisee_id, refund.order_id
    db.session.commit()
    try:
        share_return.return_before_refund(refund_id)  # APIv3: HQ's share back first
        result = wxpay.refund(**call)
    except WeChatError as exc:
        retry = as_retry_later(exc)
        if retry is not None:
            raise retry from exc
        fail_refund(refund_id)
        alerts.record(
            "refund_failed",
            data={
                "refund_id": refund_id,
                "order_id": order_id,
                "out_refund_no": call["out_refund_no"],
                "errcode": exc.errcode,
                "error": str(exc)[:200],
            },
            franchisee_id=franchisee_id,
        )
        raise GiveUp(str(exc)) from exc
    if result.get("status") in PENDING_STATUSES:  # APIv3: the refund notify ends it
        return {"status": "processing", "refund_id": result.get("refund_id")}
    complete_refund(refund_id, str(result.get("refund_id") or ""))
    return {"status": "succeeded", "refund_id": result.get("refund_id")}


def refunded_besides(payment_id: int, refund_id: int) -> int:
    """Fen of the payment's other succeeded refunds."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
                Refund.payment_id == payment_id,
                Refund.status == "succeeded",
                Refund.id != refund_id,
            )
        )
        or 0
    )


def complete_refund(refund_id: int, wechat_refund_id: str = "") -> None:
    """WeChat accepted the refund: reversing entries, the order's refunded amount and
    status, an event — once (a second call finds the refund done and does nothing)."""
    try:
        flipped = db.session.execute(
            update(Refund)
            .where(Refund.id == refund_id, Refund.status == "requested")
            .values(
                status="succeeded",
                succeeded_at=utcnow(),
                refund_id=wechat_refund_id[:32] or None,
            )
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult, flipped).rowcount != 1:  # done already (or failed): nothing to post
            db.session.rollback()
            return
        refund = db.session.get(Refund, refund_id, populate_existing=True)
        assert refund is not None  # flipped just now
        order = _lock_order(refund.order_id)
        payment = db.session.get(Payment, refund.payment_id)
        assert payment is not None  # a refund's payment (foreign key)
        payment_refunded = refunded_besides(payment.id, refund.id)
        share = int(
            db.session.scalar(
                select(func.coalesce(func.sum(LedgerTransaction.amount_fen), 0)).where(
                    LedgerTransaction.payment_id == payment.id,
                    LedgerTransaction.kind == "hq_share",
                )
            )
            or 0
        )
        ledger.post_refund(
            refund, payment, share, payment_refunded + refund.amount_fen, shanghai_day()
        )
        order.refunded_fen = min(order.paid_fen, order.refunded_fen + refund.amount_fen)
        previous = order.status
        if order.refunded_fen >= order.paid_fen:
            order.status = REFUNDED
        for listener in hooks(REFUND_COMPLETED):  # hook added for credit / commission
            listener(order, refund)
        points_refunds.on_refund(order, refund)  # --- members: points back in proportion
        db.session.add(
            OrderEvent(
                order_id=order.id,
                from_status=previous,
                to_status=order.status,
                actor_user_id=refund.actor_user_id,
                actor_role="wechat",
                note=f"refund {refund.out_refund_no}: {refund.amount_fen} fen",
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def fail_refund(refund_id: int) -> None:
    """WeChat refused the refund: mark it failed and give its amount back to what may
    be refunded, once (the flip requested → failed is the condition); commits."""
    with committing(db.session):
        flipped = db.session.execute(
            update(Refund)
            .where(Refund.id == refund_id, Refund.status == "requested")
            .values(status="failed")
            .returning(Refund.order_id, Refund.amount_fen)
        ).first()
        if flipped is not None:
            db.session.execute(
                update(Order)
                .where(Order.id == flipped.order_id)
                .values(
                    refund_reserved_fen=Order.refund_reserved_fen - flipped.amount_fen,
                    updated_at=Order.updated_at,
                )
                .execution_options(synchronize_session=False)
            )


def refunds_of(order_id: int) -> list[Refund]:
    return list(
        db.session.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id))
    )
