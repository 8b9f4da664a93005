"""HQ gives its profit share back before WeChat refunds the customer (APIv3 分账回退).

A payment's HQ share left the franchisee's WeChat account when it was shared; a refund is
paid from that account, so under APIv3 HQ first returns the part of its share the refund
takes back (``/v3/profitsharing/return-orders``, ``out_return_no`` = ``RT`` + the
refund's id: a retry returns nothing twice). The amount is the ledger's own rule
(``ledger.proportional``: the share in proportion to the refunded total, less what earlier
refunds returned), so WeChat and the ledger move the same fen. Called by
``refunds.execute_refund`` before the refund call, with no transaction open. A refused
return is an alert and the refund goes on (the franchisee's own funds may cover it); an
outage is retried with the refund.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.wechat.errors import WeChatAPIError
from franchise.models import Payment, ProfitShare, Refund
from franchise.services import alerts, ledger
from franchise.services.profit_share import hq_receiver


def share_to_return(refund: Refund, payment: Payment, share_fen: int) -> int:
    """The fen of HQ's share this refund takes back."""
    from franchise.services.refunds import refunded_besides

    before = refunded_besides(payment.id, refund.id)
    total = payment.amount_fen
    return ledger.proportional(share_fen, before + refund.amount_fen, total) - (
        ledger.proportional(share_fen, before, total)
    )


def return_before_refund(refund_id: int) -> dict | None:
    """Return HQ's part of a shared payment before its refund (APIv3 only); the answer,
    or None when nothing is to be returned."""
    if current_app.config.get("PAY_API") != "v3":
        return None
    refund = db.session.get(Refund, refund_id)
    payment = db.session.get(Payment, refund.payment_id) if refund else None
    share = db.session.scalars(
        select(ProfitShare).where(ProfitShare.payment_id == (payment.id if payment else 0))
    ).first()
    if refund is None or payment is None or share is None or share.status != "done":
        db.session.rollback()
        return None
    amount = share_to_return(refund, payment, share.amount_fen)
    call = (payment.sub_mch_id, share.out_order_no, f"RT{refund.id:010d}", amount)
    wechat_order_id = share.wechat_order_id
    franchisee_id, order_id = refund.franchisee_id, refund.order_id
    db.session.commit()  # no transaction while WeChat is called
    if amount <= 0:
        return None
    from app.wechat import pay_v3

    try:
        return pay_v3.return_profit_share(
            *call[:3], hq_receiver()["account"], amount, "用户退款", order_id=wechat_order_id
        )
    except WeChatAPIError as exc:
        alerts.record(
            "profit_share_failed",
            data={
                "profit_share_id": share.id,
                "order_id": order_id,
                "out_order_no": call[1],
                "errcode": exc.errcode,
                "error": f"return {call[2]}: {exc}"[:200],
            },
            franchisee_id=franchisee_id,
        )
        return None
