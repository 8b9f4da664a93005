"""HQ's profit share of a payment, sent to WeChat Pay through the outbox after commit.

``settle`` (``franchise.services.payments``) writes a ``ProfitShare`` row and queues an
outbox message of kind ``PROFIT_SHARE_KIND`` in the payment's transaction;
``run_profit_share`` is that message's handler. It reads what it needs, commits, and only
then calls WeChat: adds HQ as a receiver and shares the amount (HMAC-SHA256), or finishes
the order's sharing when HQ's share is zero. ``out_order_no`` makes a repeat harmless.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import update

from app.clock import utcnow
from app.extensions import db
from app.outbox import GiveUp
from app.wechat import pay as wxpay
from app.wechat.errors import WeChatError, as_retry_later
from franchise.models import Payment, ProfitShare
from franchise.services import alerts
from franchise.services.payments_pg import PROFIT_SHARE_KIND

__all__ = ["PROFIT_SHARE_KIND", "hq_receiver", "run_profit_share"]


def hq_receiver() -> dict:
    """HQ as a profit-sharing receiver (its merchant id unless configured otherwise)."""
    cfg = current_app.config
    return {
        "type": "MERCHANT_ID",
        "account": cfg["FRANCHISE_HQ_RECEIVER_ACCOUNT"] or cfg["PAY_MCH_ID"],
        "name": cfg["FRANCHISE_HQ_RECEIVER_NAME"],
        "relation_type": "HEADQUARTER",
    }


def run_profit_share(message) -> dict | None:
    """Outbox handler: send one ProfitShare to WeChat (HMAC-SHA256), idempotent by
    ``out_order_no``; a zero share finishes the order's sharing instead."""
    share_id = (message.payload or {}).get("profit_share_id")
    ps = db.session.get(ProfitShare, share_id) if isinstance(share_id, int) else None
    if ps is None:
        db.session.rollback()
        raise GiveUp(f"no profit share {share_id}")
    if ps.status == "done":
        db.session.rollback()
        return {"status": "done"}
    payment = db.session.get(Payment, ps.payment_id)
    assert payment is not None  # a profit share's payment (foreign key)
    sub_mch_id, tid, out_no, amount = (
        payment.sub_mch_id,
        payment.transaction_id,
        ps.out_order_no,
        ps.amount_fen,
    )
    order_id = payment.order_id
    db.session.commit()  # no transaction while WeChat is called
    receiver = hq_receiver()
    try:
        if amount > 0:
            wxpay.add_profit_receiver(sub_mch_id, {k: receiver[k] for k in receiver})
            result = wxpay.profit_share(
                sub_mch_id,
                tid,
                out_no,
                [
                    {
                        "type": receiver["type"],
                        "account": receiver["account"],
                        "amount": amount,
                        "description": "总部分成",
                    }
                ],
            )
        else:
            result = wxpay.finish_profit_share(sub_mch_id, tid, out_no)
    except WeChatError as exc:
        retry = as_retry_later(exc)
        if retry is not None:
            raise retry from exc
        db.session.execute(
            update(ProfitShare).where(ProfitShare.id == ps.id).values(status="failed")
        )
        db.session.commit()
        alerts.record(
            "profit_share_failed",
            data={
                "profit_share_id": ps.id,
                "order_id": order_id,
                "out_order_no": out_no,
                "errcode": exc.errcode,
                "error": str(exc)[:200],
            },
            franchisee_id=payment.franchisee_id,
        )
        raise GiveUp(str(exc)) from exc
    db.session.execute(
        update(ProfitShare)
        .where(ProfitShare.id == ps.id)
        .values(status="done", wechat_order_id=result.get("order_id"), finished_at=utcnow())
    )
    db.session.commit()
    return {"status": "done", "order_id": result.get("order_id")}
