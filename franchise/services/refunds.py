"""Refunds, full or partial, by HQ or the order's franchise owner.

``request_refund`` checks the amount under the order's row lock (Σ refunds requested
or done ≤ paid), writes a ``Refund`` and an outbox message ``franchise.refund`` and
commits; the outbox handler ``run_refund`` calls WeChat after commit (idempotent by
``out_refund_no``) and then ``complete_refund`` posts the reversing ledger entries
(idempotent by refund id) and updates the order (``refunded_fen``; status ``refunded``
when everything is refunded), with an ``OrderEvent``.
"""

from __future__ import annotations

import secrets

from sqlalchemy import func, select, update

from app.auth.models import FRANCHISE_OWNER, utcnow
from app.auth.principal import Principal
from app.clock import shanghai_day
from app.db import is_postgres
from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.i18n import tr
from app.outbox import GiveUp, enqueue
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
from franchise.services import alerts, ledger
from franchise.services.base import invalid

REFUND_KIND = "franchise.refund"
OPEN_STATUSES = ("requested", "succeeded")


def _lock_order(order_id: int) -> Order:
    stmt = select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
    if is_postgres(db.engine):
        stmt = stmt.with_for_update()
    order = db.session.scalars(stmt).first()
    if order is None:
        raise NotFound("Order not found")
    return order


def refundable_fen(order: Order) -> int:
    """What may still be refunded: paid minus refunds requested or done."""
    taken = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
            Refund.order_id == order.id, Refund.status.in_(OPEN_STATUSES)
        )
    )
    return max(0, order.paid_fen - int(taken or 0))


def request_refund(order: Order, amount_fen: int, reason: str, principal: Principal) -> Refund:
    """Ask WeChat (through the outbox) to refund ``amount_fen`` of ``order``; commits.

    ``order`` was loaded through the caller's scope; only HQ and the order's franchise
    owner may refund (guides 403, another franchise 404).
    """
    try:
        if not principal.is_hq and principal.role != FRANCHISE_OWNER:
            raise Forbidden("Only HQ or the franchise owner may refund.")
        if principal.role == FRANCHISE_OWNER and order.franchisee_id != principal.franchisee_id:
            raise NotFound("Order not found")
        if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
            raise invalid("amount_fen", "A positive amount in fen.")
        order = _lock_order(order.id)
        payment = db.session.scalars(
            select(Payment)
            .where(Payment.order_id == order.id, Payment.transaction_id == order.transaction_id)
            .limit(1)
        ).first()
        if payment is None or order.paid_fen <= 0:
            raise Conflict("This order has no payment to refund.", code="not_paid")
        left = refundable_fen(order)
        if amount_fen > left:
            raise Conflict(
                "The refund exceeds what is left to refund.",
                code="refund_too_large",
                errors={"amount_fen": [tr("At most %(fen)s fen.", fen=left)]},
            )
        refund = Refund(
            order_id=order.id,
            payment_id=payment.id,
            franchisee_id=order.franchisee_id,
            out_refund_no="RF" + utcnow().strftime("%y%m%d%H%M%S") + secrets.token_hex(6),
            amount_fen=amount_fen,
            reason=(reason or "")[:255],
            actor_user_id=principal.user_id,
        )
        db.session.add(refund)
        db.session.flush()
        enqueue(REFUND_KIND, {"refund_id": refund.id}, f"refund:{refund.id}")
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
    call = {
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
        result = wxpay.refund(**call)
    except WeChatError as exc:
        retry = as_retry_later(exc)
        if retry is not None:
            raise retry from exc
        db.session.execute(update(Refund).where(Refund.id == refund_id).values(status="failed"))
        db.session.commit()
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
    complete_refund(refund_id, str(result.get("refund_id") or ""))
    return {"status": "succeeded", "refund_id": result.get("refund_id")}


def complete_refund(refund_id: int, wechat_refund_id: str = "") -> None:
    """WeChat accepted the refund: reversing entries, the order's refunded amount and
    status, an event — once (a second call finds the refund done and does nothing)."""
    try:
        refund = db.session.get(Refund, refund_id)
        order = _lock_order(refund.order_id)
        db.session.refresh(refund)
        if refund.status == "succeeded":
            db.session.rollback()
            return
        payment = db.session.get(Payment, refund.payment_id)
        refund.status, refund.succeeded_at = "succeeded", utcnow()
        refund.refund_id = wechat_refund_id[:32] or None
        payment_refunded = int(
            db.session.scalar(
                select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
                    Refund.payment_id == payment.id,
                    Refund.status == "succeeded",
                    Refund.id != refund.id,
                )
            )
            or 0
        )
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


def refunds_of(order_id: int) -> list[Refund]:
    return list(
        db.session.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id))
    )
