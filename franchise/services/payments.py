"""WeChat Pay for orders: the JSAPI unified order, the verified notify posted exactly once
(queuing HQ's profit share, sent by ``franchise.services.profit_share``), and closing an
unpaid order (the sweep that decides it is ``franchise.jobs.payments``).

Exactly once: ``settle`` runs one transaction that locks the order row (``FOR UPDATE``
on PostgreSQL; on SQLite the payment's insert takes the write lock and the order is
read again after it), inserts the ``Payment`` with
``ON CONFLICT (transaction_id) DO NOTHING`` — the gate a duplicate or a concurrent
duplicate cannot pass — marks the order paid and posts the ledger. A duplicate answers
SUCCESS and posts nothing. Every WeChat call happens outside a transaction (the
caller commits first, or the outbox carries it out after commit).

On PostgreSQL that transaction is a single statement (``payments_pg.SETTLE_SQL``, data-modifying
CTEs) run in autocommit: one round trip per notify instead of about fourteen; SQLite
keeps the statement-by-statement path (``_post_once``). Both write the ledger postings
described once in ``franchise.services.postings``; the tests in
``tests/franchise/test_payments_fast.py`` hold both to the same rows.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import psycopg
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from app.clock import SHANGHAI, shanghai_day, utcnow
from app.db import insert_ignoring, is_postgres
from app.errors import Conflict, DomainError
from app.extensions import db
from app.i18n import tr
from app.outbox import enqueue
from app.wechat import pay as wxpay
from app.wechat.errors import WeChatAPIError, WeChatError
from app.wechat.pay_notify import NotifyRejected
from franchise.models import (
    CANCELLED,
    CLOSED,
    CREATED,
    PAID,
    Customer,
    Franchisee,
    Order,
    OrderEvent,
    Payment,
    ProfitShare,
)
from franchise.services import alerts, ledger
from franchise.services.order_flow import status_label
from franchise.services.orders import close_unpaid_order
from franchise.services.payment_failures import record_failure
from franchise.services.payments_pg import PROFIT_SHARE_KIND, ensure_accounts, run_settle

log = logging.getLogger("siyu.franchise.payments")


class PaymentUnavailable(DomainError):
    status = 503
    code = "payment_unavailable"


class PaymentRefused(DomainError):
    status = 502
    code = "payment_refused"


# --- starting a payment -----------------------------------------------------------


def start_payment(order: Order) -> dict:
    """Give ``order`` (the caller's own, loaded through the scope) an ``out_trade_no``,
    commit, then make the JSAPI unified order; returns the CONTRACT pay answer.

    Paying twice reuses the out_trade_no (WeChat answers the same prepay for the same
    parameters). WeChat failures answer 503 (try later) or 502 (refused).
    """
    if order.status != CREATED:
        db.session.rollback()
        raise Conflict(
            tr("An order that is %(status)s cannot be paid.", status=status_label(order.status)),
            code="not_payable",
        )
    if order.payable_fen <= 0:
        db.session.rollback()
        raise Conflict("This order has nothing to pay.", code="not_payable")
    if order.out_trade_no is None:
        db.session.execute(
            update(Order)
            .where(Order.id == order.id, Order.out_trade_no.is_(None))
            .values(out_trade_no=order.order_no, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    franchisee = db.session.get(Franchisee, order.franchisee_id)
    customer = db.session.get(Customer, order.customer_id)
    db.session.refresh(order, ["out_trade_no"])
    assert franchisee is not None and customer is not None  # the order's (foreign keys)
    call: dict[str, Any] = {
        "sub_mch_id": franchisee.sub_mch_id,
        "out_trade_no": order.out_trade_no,
        "total_fee": order.payable_fen,
        "body": _body(order),
        "openid": customer.openid,
        "profit_sharing": franchisee.profit_share_bps > 0,
        "attach": str(order.id),
    }
    db.session.commit()  # the out_trade_no is ours before WeChat hears of it
    try:
        params = wxpay.create_jsapi_order(**call)
    except WeChatAPIError as exc:
        if exc.errcode == "ORDERPAID":
            raise Conflict("This order is already paid.", code="already_paid") from exc
        raise PaymentRefused(
            tr("WeChat Pay refused the order: %(errcode)s", errcode=exc.errcode)
        ) from exc
    except WeChatError as exc:
        raise PaymentUnavailable("WeChat Pay is unavailable; try again shortly.") from exc
    keys = ("timeStamp", "nonceStr", "package", "signType", "paySign")
    return {"out_trade_no": call["out_trade_no"], "pay_params": {k: params[k] for k in keys}}


def _body(order: Order) -> str:
    names = [line.name for line in order.lines][:3]
    text = "、".join(names) or f"订单 {order.order_no}"
    return text[:120]


# --- notify and orderquery: post the payment exactly once ---------------------------


def _paid_at(data: dict) -> datetime:
    """``time_end`` (yyyyMMddHHmmss, Asia/Shanghai) as aware UTC; now when absent or not a
    time."""
    try:
        local = read_time_end(str(data.get("time_end") or ""))
    except ValueError:
        return utcnow()
    return local.replace(tzinfo=SHANGHAI).astimezone(UTC)


def read_time_end(text: str) -> datetime:
    """``datetime.strptime(text, "%Y%m%d%H%M%S")``; WeChat's 14 ASCII digits are cut
    into their fields directly (strptime's regular expression costs ~15 µs a notify).
    With 14 digits every field is two digits wide (the year four), so the two read the
    same fields and refuse the same values (``datetime`` checks each range)."""
    if len(text) != 14 or not (text.isascii() and text.isdigit()):
        return datetime.strptime(text, "%Y%m%d%H%M%S")
    year, month, day = int(text[0:4]), int(text[4:6]), int(text[6:8])
    hour, minute, second = int(text[8:10]), int(text[10:12]), int(text[12:14])
    return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - Shanghai's, placed above


def _notify_params(data: dict) -> dict:
    return {k: data.get(k) for k in ("out_trade_no", "transaction_id", "sub_mch_id", "total_fee")}


def _reject(code: str, message: str, data: dict, row) -> None:
    """Alert (one per ``out_trade_no`` however often WeChat re-sends) and refuse."""
    params = _notify_params(data) | {"order_id": row.id, "payable_fen": row.payable_fen}
    alerts.record(code, data=params, franchisee_id=row.franchisee_id)
    raise NotifyRejected(message)


def handle_notify(data: dict) -> bool:
    """The pay-notify handler (the route verified signature, appid and mch_id)."""
    return settle(data, source="notify")


def settle(data: dict, source: str = "notify") -> bool:
    """``_settle``; a paid result that cannot be posted (anything but a refusal) raises
    after leaving HQ one open ``notify_failed`` alert per ``out_trade_no`` (WeChat
    re-sends for 24 hours and the sweep asks every minute: each failure counts on it)."""
    try:
        return _settle(data, source)
    except NotifyRejected:
        raise
    except Exception as exc:
        record_failure(data, source, exc)
        raise


def _settle(data: dict, source: str) -> bool:
    """Check a paid result against our order and post it exactly once.

    Another ``sub_mch_id`` or another amount: an Alert and ``NotifyRejected`` (FAIL,
    nothing posted). An unknown ``out_trade_no``: an Alert, nothing posted, True (other
    handlers may own it; WeChat need not re-send). A duplicate: True, nothing posted.
    PostgreSQL takes one statement (``_settle_pg``); SQLite the statements below.
    """
    out_trade_no = str(data.get("out_trade_no") or "")
    transaction_id = str(data.get("transaction_id") or "")
    if is_postgres(db.engine):
        row = _settle_pg(data, source) if transaction_id else None
        if row is None:
            return _unknown_order(data, out_trade_no)
        _check(row, data, out_trade_no)
        if row.payment_id is not None:
            _alert_after(row, transaction_id)
        return True
    row = db.session.execute(_lookup().where(Order.out_trade_no == out_trade_no)).first()
    if row is None or not transaction_id:
        db.session.rollback()
        return _unknown_order(data, out_trade_no)
    if row.transaction_id == transaction_id:
        db.session.rollback()
        return True  # the usual duplicate: answered without a write
    try:
        _check(row, data, out_trade_no)
        _post_once(row, data, source)
    except IntegrityError:
        db.session.rollback()
        exists = db.session.scalar(
            select(Payment.id).where(Payment.transaction_id == transaction_id)
        )
        db.session.rollback()
        if exists is None:
            raise
    except Exception:
        db.session.rollback()
        raise
    return True


_ROW_COLUMNS = (
    Order.id,
    Order.payable_fen,
    Order.transaction_id,
    Order.status,
    Order.order_no,
    Order.out_trade_no,
    Order.franchisee_id,
    Franchisee.sub_mch_id,
    Franchisee.profit_share_bps,
)


MAX_BIGINT = 2**63 - 1


def _lookup():
    """The order's columns ``settle`` checks, with its franchisee's (add the ``where``)."""
    return select(*_ROW_COLUMNS).join(Franchisee, Franchisee.id == Order.franchisee_id)


def _amount(data: dict) -> int | None:
    """``total_fee`` when it is an int a BIGINT column holds (the parsed notify's), else
    None (never matches: an amount mismatch, not a database error)."""
    value = data.get("total_fee")
    return value if type(value) is int and 0 <= value <= MAX_BIGINT else None


def _check(row, data: dict, out_trade_no: str) -> None:
    """Reject (Alert + ``NotifyRejected``) another sub-merchant or another amount; the
    PostgreSQL statement writes only when these same conditions hold."""
    if row.transaction_id == str(data.get("transaction_id") or ""):
        return  # a duplicate: nothing was written, nothing to refuse
    if str(data.get("sub_mch_id") or "") != row.sub_mch_id:
        db.session.rollback()
        _reject(
            "pay_sub_mch_mismatch", f"Paid result for {out_trade_no}: other sub-merchant", data, row
        )
    if _amount(data) != row.payable_fen:
        db.session.rollback()
        _reject(
            "pay_amount_mismatch", f"Paid amount of {out_trade_no} is not the order's", data, row
        )


def _unknown_order(data: dict, out_trade_no: str) -> bool:
    """Not one of our orders (another handler's, or a stray): answer SUCCESS so WeChat
    stops re-sending, post nothing, and let HQ see it (reconciliation flags it too)."""
    alerts.record(
        "pay_unknown_order", data=_notify_params(data) | {"out_trade_no": out_trade_no[:32]}
    )
    return True


def _alert_after(row, transaction_id: str) -> None:
    """After the commit: tell HQ of a payment after close or a second payment."""
    if row.transaction_id is None:
        if row.status not in (CANCELLED, CLOSED):
            return
        code = "pay_after_close"
    else:  # a second, different payment of the same order: keep the money, tell HQ
        code = "pay_duplicate_payment"
    params = {"order_id": row.id, "order_no": row.order_no, "status": row.status}
    params["transaction_id"] = transaction_id
    alerts.record(code, data=params, franchisee_id=row.franchisee_id)


def _settle_pg(data: dict, source: str):
    """Run ``payments_pg.SETTLE_SQL`` once (twice when the franchisee's ledger accounts were still
    missing); returns the locked order row with ``payment_id`` (None when nothing was
    posted), or None for an unknown ``out_trade_no``."""
    tid = str(data["transaction_id"])
    amount = _amount(data)
    paid_at = _paid_at(data)
    params: dict[str, Any] = {
        "out_trade_no": str(data.get("out_trade_no") or ""),
        "tid": tid,
        "sub_mch_id": str(data.get("sub_mch_id") or ""),
        "amount": amount,
        "fee": ledger.wechat_fee(amount) if amount is not None else None,
        "source": source,
        "paid_at": paid_at,
        "business_date": shanghai_day(paid_at),
        "now": utcnow(),
        "note": f"WeChat Pay {tid} ({source})"[:255],
    }
    for attempt in (1, 2):
        try:
            return run_settle(params)
        except (IntegrityError, psycopg.IntegrityError):
            db.session.rollback()
            if attempt == 2:
                raise
            ensure_accounts(params["out_trade_no"])
    return None  # pragma: no cover - the loop returns or raises


def _post_once(row, data: dict, source: str) -> None:
    """SQLite: insert the payment (the exactly-once gate, and the write that takes the
    database's write lock), then read the order again and mark it paid with an event
    unless another payment did, post the ledger, queue HQ's profit share; commit."""
    order = row
    amount = int(data["total_fee"])
    paid_at = _paid_at(data)
    now = utcnow()
    payment = SimpleNamespace(
        order_id=row.id,
        franchisee_id=row.franchisee_id,
        sub_mch_id=row.sub_mch_id,
        out_trade_no=order.out_trade_no,
        transaction_id=str(data["transaction_id"]),
        amount_fen=amount,
        fee_fen=ledger.wechat_fee(amount),
        source=source,
        paid_at=paid_at,
        business_date=shanghai_day(paid_at),
        created_at=now,
    )
    payment.id = db.session.execute(
        insert_ignoring(db.engine, Payment, "transaction_id").returning(Payment.__table__.c.id),
        [vars(payment)],
    ).scalar()
    if payment.id is None:
        db.session.rollback()  # a duplicate (or a concurrent one that won): nothing to do
        return
    # The insert holds the write lock: read the order again, as it is now. ``row`` was
    # read before it, and a parallel notify of another transaction of the same order
    # may have marked it paid since (each would mark it paid, with its own event).
    row = order = db.session.execute(_lookup().where(Order.id == row.id)).one()
    if order.transaction_id is None:
        db.session.execute(
            update(Order.__table__)
            .where(Order.__table__.c.id == row.id, Order.__table__.c.transaction_id.is_(None))
            .values(
                status=PAID,
                paid_fen=amount,
                paid_at=paid_at,
                transaction_id=payment.transaction_id,
                updated_at=now,
            )
        )
        db.session.execute(
            insert(OrderEvent.__table__),
            [
                {
                    "order_id": row.id,
                    "from_status": order.status,
                    "to_status": PAID,
                    "actor_role": "wechat",
                    "note": f"WeChat Pay {payment.transaction_id} ({source})",
                    "created_at": now,
                }
            ],
        )
    share = ledger.hq_share(amount, row.profit_share_bps)
    ledger.post_payment(payment, share)
    if row.profit_share_bps > 0:
        share_id = db.session.execute(
            insert(ProfitShare.__table__).returning(ProfitShare.__table__.c.id),
            [
                {
                    "payment_id": payment.id,
                    "franchisee_id": row.franchisee_id,
                    "out_order_no": f"PS{payment.id:010d}",
                    "amount_fen": share,
                    "status": "pending",
                    "created_at": now,
                }
            ],
        ).scalar()
        enqueue(PROFIT_SHARE_KIND, {"profit_share_id": share_id}, f"profit_share:{share_id}")
    db.session.commit()
    _alert_after(row, payment.transaction_id)


def close_locally(order_id: int) -> None:
    """created → closed through the orders service (stock, coupon and any campaign units
    given back)."""
    close_unpaid_order(order_id, "unpaid timeout (orderquery)")
