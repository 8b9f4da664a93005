"""A paid result that cannot be posted (a database error, a bug: anything but a refusal)
leaves HQ one alert per order, however often WeChat re-sends the notify (for 24 hours) or
the unpaid sweep asks again (every minute).

The alert is the catalogue's ``notify_failed``, whose cause is the ``out_trade_no``: each
further failure counts on the same row (``count``, ``last_seen_at``) and keeps the latest
error in its parameters (``franchise.services.alerts.record`` is one upsert).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.extensions import db
from franchise.models import Order
from franchise.services import alerts

log = logging.getLogger("siyu.franchise.payments")

NOTIFY_FAILED = "notify_failed"


def record_failure(data: dict, source: str, exc: Exception) -> None:
    """Count one failure of this order's paid result on its ``notify_failed`` alert."""
    out_trade_no = str(data.get("out_trade_no") or "")[:32]
    try:
        db.session.rollback()
        order = db.session.execute(
            select(Order.id, Order.franchisee_id).where(Order.out_trade_no == out_trade_no)
        ).first()
    except Exception:  # noqa: BLE001 - the alert must not hide the original failure
        log.exception("could not read the order of %s", out_trade_no)
        order = None
    alerts.record(
        NOTIFY_FAILED,
        data={
            "order_id": order.id if order else None,
            "out_trade_no": out_trade_no,
            "transaction_id": data.get("transaction_id"),
            "total_fee": data.get("total_fee"),
            "source": source,
            "last_error": f"{type(exc).__name__}: {exc}"[:300],
        },
        franchisee_id=order.franchisee_id if order else None,
    )
