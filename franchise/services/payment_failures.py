"""A paid result that cannot be posted (a database error, a bug: anything but a refusal)
leaves HQ one open alert per order, however often WeChat re-sends the notify (for 24
hours) or the unpaid sweep asks again (every minute).

The alert is kind ``notify_failed`` with the order id and ``out_trade_no`` in its data;
each further failure counts on it (``failures``, ``last_error``, ``last_seen``) until
HQ acknowledges it.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.auth.models import utcnow
from app.extensions import db
from franchise.models import Alert, Order
from franchise.services import alerts

log = logging.getLogger("siyu.franchise.payments")

NOTIFY_FAILED = "notify_failed"


def record_failure(data: dict, source: str, exc: Exception) -> None:
    """Record (or count on the open one) the ``notify_failed`` alert of this order."""
    out_trade_no = str(data.get("out_trade_no") or "")[:32]
    message = f"Paid result for {out_trade_no} could not be posted"
    error = f"{type(exc).__name__}: {exc}"[:300]
    try:
        db.session.rollback()
        open_alert = db.session.scalars(
            select(Alert)
            .where(
                Alert.kind == NOTIFY_FAILED,
                Alert.message == message,
                Alert.acknowledged_at.is_(None),
            )
            .limit(1)
        ).first()
        if open_alert is not None:
            counted = dict(open_alert.data or {})
            counted["failures"] = int(counted.get("failures", 1)) + 1
            counted.update(last_error=error, last_source=source, last_seen=utcnow().isoformat())
            open_alert.data = counted
            db.session.commit()
            return
        order = db.session.execute(
            select(Order.id, Order.franchisee_id).where(Order.out_trade_no == out_trade_no)
        ).first()
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the alert must not hide the original failure
        db.session.rollback()
        log.exception("could not count the failure of %s", out_trade_no)
        return
    alerts.record(
        NOTIFY_FAILED,
        message,
        {
            "order_id": order.id if order else None,
            "out_trade_no": out_trade_no,
            "transaction_id": data.get("transaction_id"),
            "total_fee": data.get("total_fee"),
            "source": source,
            "failures": 1,
            "last_error": error,
            "last_seen": utcnow().isoformat(),
        },
        franchisee_id=order.franchisee_id if order else None,
        severity="critical",
    )
