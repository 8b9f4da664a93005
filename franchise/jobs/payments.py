"""Scheduled work of the payments area (registered in ``franchise.wiring.payments``).

* ``sweep_unpaid`` every minute: orders with an out_trade_no and no notify after a few
  minutes are asked about with ``orderquery`` — paid: posted exactly like a notify
  (source ``orderquery``); not paid after the close timeout: ``closeorder`` at WeChat,
  then closed here. WeChat is called with no transaction open; the services commit.
  Each order stands alone: one that fails (WeChat, a refusal, a database error) is
  rolled back, logged and counted, and the sweep goes on with the next.
* ``close_yesterday_job`` at 00:10 Asia/Shanghai: snapshot yesterday's statements.
* ``reconcile_yesterday_job`` at 10:30 Asia/Shanghai: yesterday's bill against the ledger.

Each is idempotent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.clock import shanghai_yesterday, utcnow
from app.errors import DomainError
from app.extensions import db
from app.wechat import pay as wxpay
from app.wechat.errors import WeChatAPIError, WeChatError
from app.wechat.pay_notify import NotifyRejected
from franchise.models import CREATED, Franchisee, Order
from franchise.services import payments, reconciliation, settlement

log = logging.getLogger("siyu.franchise.payments")


def sweep_unpaid(now: datetime | None = None, limit: int = 200) -> dict:
    """One sweep over the unpaid orders that had a pay call; returns counts."""
    cfg = current_app.config
    now = now or utcnow()
    query_after = timedelta(minutes=int(cfg["FRANCHISE_UNPAID_QUERY_MINUTES"]))
    close_after = timedelta(minutes=int(cfg["FRANCHISE_UNPAID_CLOSE_MINUTES"]))
    rows = db.session.execute(
        select(Order.id, Order.out_trade_no, Order.created_at, Franchisee.sub_mch_id)
        .join(Franchisee, Franchisee.id == Order.franchisee_id)
        .where(
            Order.status == CREATED,
            Order.out_trade_no.is_not(None),
            Order.created_at < now - query_after,
        )
        .order_by(Order.id)
        .limit(limit)
    ).all()
    db.session.rollback()  # end the read: no transaction while WeChat is asked
    counts = {"checked": len(rows), "paid": 0, "closed": 0, "errors": 0}
    for order_id, out_trade_no, created_at, sub_mch_id in rows:
        try:
            outcome = _sweep_one(order_id, out_trade_no, created_at, sub_mch_id, now, close_after)
        except (WeChatError, NotifyRejected, DomainError) as exc:
            db.session.rollback()
            log.warning("sweep of order %s failed: %s", order_id, exc)
            counts["errors"] += 1
            continue
        except Exception:  # noqa: BLE001 - one order's failure must not stop the sweep
            db.session.rollback()
            log.exception("sweep of order %s failed; going on with the others", order_id)
            counts["errors"] += 1
            continue
        if outcome:
            counts[outcome] += 1
    return counts


def _sweep_one(order_id, out_trade_no, created_at, sub_mch_id, now, close_after) -> str | None:
    """``paid`` / ``closed`` / None (still waiting) for one order."""
    try:
        result = wxpay.query_order(sub_mch_id, out_trade_no)
        state = result.get("trade_state")
    except WeChatAPIError as exc:
        if exc.errcode != "ORDERNOTEXIST":
            raise
        result, state = {}, "ORDERNOTEXIST"
    if state in ("SUCCESS", "REFUND"):
        payments.settle(result, source="orderquery")
        return "paid"
    if state == "CLOSED" or now - created_at >= close_after:
        if state not in ("CLOSED", "ORDERNOTEXIST"):
            try:
                wxpay.close_order(sub_mch_id, out_trade_no)
            except WeChatAPIError as exc:
                if exc.errcode == "ORDERPAID":  # paid meanwhile: settle it instead
                    result = wxpay.query_order(sub_mch_id, out_trade_no)
                    payments.settle(result, source="orderquery")
                    return "paid"
                raise
        payments.close_locally(order_id)
        return "closed"
    return None


def sweep_unpaid_job() -> None:
    counts = sweep_unpaid()
    if counts["checked"]:
        log.info("unpaid sweep: %s", counts)


def close_yesterday_job() -> None:
    written = settlement.close_day(shanghai_yesterday())
    log.info("closed yesterday's statements: %d", written)


def reconcile_yesterday_job() -> None:
    run = reconciliation.reconcile(shanghai_yesterday())
    log.info("reconciliation of %s: %s", run.bill_date, run.status)
