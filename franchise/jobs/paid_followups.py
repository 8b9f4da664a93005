"""What follows a payment, off the notify's path: the ``ORDER_PAID`` hook, run every minute.

The pay notify is one statement on PostgreSQL (the exactly-once posting, the ledger and
the profit share); nothing else may ride on it. Work a payment starts elsewhere (the
buyer's rule tags, the first-purchase journey, the guide's binding window, the order's
credit, the member's points) listens to
``ORDER_PAID`` instead: ``listener(rows)`` with ``rows`` a list of ``PaidOrder`` (order
id, customer id, paid at) whose payment was posted since the last run, counted by when
it was posted, not by WeChat's payment time (a late notify carries one from hours
before). The window runs from the last payment id heard (kept in Redis; the primary key
keeps the read cheap) to the payments posted a minute ago, so a notify still committing
is taken next time. Listeners are idempotent (each has its own unique key or moves a
date only forward), so a lost mark (a restart without Redis) repeats at most the last
hour. A failing listener is logged and rolled back; the others still run. Each
listener's nightly job catches up anything missed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db, get_redis, hooks
from franchise.models import Order, Payment

log = logging.getLogger("siyu.franchise")

ORDER_PAID = "franchise.order_paid"
MARK_KEY = "siyu:franchise:paid_followups:last_payment_id"
LAG = timedelta(minutes=1)
FIRST_WINDOW = timedelta(hours=1)


class PaidOrder(NamedTuple):
    order_id: int
    customer_id: int
    paid_at: datetime


def _last_mark() -> int | None:
    raw = get_redis().get(MARK_KEY)
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def run_paid_followups(now: datetime | None = None) -> dict:
    """Tell every ``ORDER_PAID`` listener about the payments posted since the last run."""
    until = (now or utcnow()) - LAG
    stmt = (
        select(Payment.id, Order.id, Order.customer_id, Payment.paid_at)
        .join(Order, Order.id == Payment.order_id)
        .where(Payment.created_at <= until)
        .order_by(Payment.id)
    )
    mark = _last_mark()
    stmt = stmt.where(
        Payment.id > mark if mark is not None else Payment.created_at > until - FIRST_WINDOW
    )
    found = db.session.execute(stmt).all()
    db.session.rollback()
    rows = [PaidOrder(o, c, p) for _, o, c, p in found if p is not None]
    failed = 0
    if rows:
        for listener in list(hooks(ORDER_PAID)):
            try:
                listener(rows)
            except Exception:  # noqa: BLE001 - one listener's failure stops no other
                db.session.rollback()
                failed += 1
                log.exception("paid-order listener %r failed", listener)
    if found:
        get_redis().set(MARK_KEY, str(found[-1][0]))
    return {"orders": len(rows), "failed_listeners": failed}
