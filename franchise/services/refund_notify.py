"""The APIv3 refund notify (``REFUND.SUCCESS`` / ``REFUND.ABNORMAL`` / ``REFUND.CLOSED``):
the end of a refund WeChat answered ``PROCESSING``.

Listens on ``app.wechat.pay_v3_notify.REFUND_NOTIFY`` (the route verified and decrypted
it). The refund must be ours, of the same sub-merchant and amount (otherwise an alert
and a refusal, so nothing moves); SUCCESS completes it (``refunds.complete_refund``:
reversing entries once), CLOSED / ABNORMAL fail it (``refunds.fail_refund``: its amount may be
refunded again) with a ``refund_failed`` alert. A repeat finds the refund settled and
does nothing.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.wechat.pay_notify import NotifyRejected
from franchise.models import Payment, Refund
from franchise.services import alerts
from franchise.services.refunds import complete_refund, fail_refund


def handle_refund_notify(fields: dict) -> bool:
    """Post the refund's outcome once; True when received."""
    out_refund_no = str(fields.get("out_refund_no") or "")
    row = db.session.execute(
        select(
            Refund.id,
            Refund.amount_fen,
            Refund.status,
            Refund.franchisee_id,
            Refund.order_id,
            Payment.sub_mch_id,
        )
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.out_refund_no == out_refund_no)
    ).first()
    db.session.rollback()
    params = {"out_refund_no": out_refund_no[:32], "errcode": fields.get("refund_status")}
    if row is None:
        alerts.record(
            "refund_failed",
            data=params | {"refund_id": out_refund_no[:32], "error": "no such refund"},
        )
        return True
    params |= {"refund_id": row.id, "order_id": row.order_id}
    if fields.get("sub_mch_id") != row.sub_mch_id or fields.get("refund_fee") != row.amount_fen:
        alerts.record(
            "refund_failed",
            data=params | {"error": "sub-merchant or amount differs"},
            franchisee_id=row.franchisee_id,
        )
        raise NotifyRejected(f"refund {out_refund_no}: sub-merchant or amount differs")
    if row.status != "requested":
        return True
    if fields.get("refund_status") == "SUCCESS":
        complete_refund(row.id, str(fields.get("refund_id") or ""))
        return True
    fail_refund(row.id)
    alerts.record(
        "refund_failed",
        data=params | {"error": str(fields.get("refund_status"))},
        franchisee_id=row.franchisee_id,
    )
    return True
