"""Delivery: allocated slots → ``add_msg_template`` batches through the outbox → readback.

Batching (``create_batches``, set-based) lives in ``delivery_batches``, sending (the
outbox handlers ``send_batch`` / ``send_batches``) in ``delivery_send``; both are
re-exported here. This module reads the outcome back (task status, then per-group send
results) and reminds senders of unconfirmed tasks.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.sql.elements import SQLCoreOperations

from app.clock import utcnow
from app.db import values_by_key
from app.extensions import db
from app.wechat import wecom
from app.wechat.errors import WeChatAPIError, WeChatError, WeChatRateLimited
from community.models import (
    BATCH_CREATED,
    BATCH_SENT,
    DELIVERY_PENDING,
    WECOM_SEND_STATUS,
    GroupDelivery,
    SendBatch,
    WecomGroup,
)
from community.services import send_metrics
from community.services.delivery_batches import SEND_KIND, create_batches
from community.services.delivery_send import (
    THROTTLE_KEY,
    send_batch,
    send_batches,
    write_failure,
)

__all__ = ["SEND_KIND", "THROTTLE_KEY", "create_batches", "send_batch", "send_batches"]
MAX_REMINDERS = 3
UNKNOWN_MSGID = 41047  # WeCom 全局错误码: 无效的企业群发消息id
REMIND_EVERY = timedelta(hours=2)


def _ts(value) -> datetime | None:
    from datetime import UTC

    return datetime.fromtimestamp(int(value), UTC) if value else None


def tasks_to_read(stmt, id_column, ids: list[int] | None) -> list:
    """The rows ``(id, msgid, sender)`` of ``stmt``, only those of ``ids`` when given; the
    transaction is ended before WeCom is asked about them."""
    if ids is not None:
        stmt = stmt.where(id_column.in_(ids))
    rows = db.session.execute(stmt).all()
    db.session.commit()
    return list(rows)


def read_back(day: date, batch_ids: list[int] | None = None) -> dict:
    """Read the outcome of the day's batches (task status, then per-group send results)."""
    stmt = select(SendBatch.id, SendBatch.msgid, SendBatch.sender_userid).where(
        SendBatch.day == day, SendBatch.msgid.is_not(None), SendBatch.status != BATCH_SENT
    )
    batches = tasks_to_read(stmt, SendBatch.id, batch_ids)
    checked = confirmed = 0
    for batch_id, msgid, sender in batches:
        assert msgid is not None  # selected is_not(None)
        try:
            found = wecom.task_results(msgid, sender)
            sent, results = found is not None, found or []
        except WeChatAPIError as exc:
            if exc.errcode == UNKNOWN_MSGID:  # WeCom has no such task: it never will
                write_failure(batch_id, str(exc))
                db.session.commit()
            current_app.logger.warning("readback %s failed: %s", msgid, exc)
            continue
        except WeChatError as exc:
            current_app.logger.warning("readback %s failed: %s", msgid, exc)
            continue
        checked += 1
        confirmed += _apply_results(batch_id, sent, results)
    return {"checked": checked, "confirmed": confirmed}


def _apply_results(batch_id: int, sent: bool, results: list[dict]) -> int:
    try:
        now = utcnow()
        batch = db.session.get(SendBatch, batch_id)
        assert batch is not None  # listed by the caller just now
        batch.checked_at = now
        if sent:
            batch.status = BATCH_SENT
            batch.confirmed_at = batch.confirmed_at or now
        chat_ids = [r.get("chat_id") for r in results if r.get("chat_id")]
        group_of: dict[Any, int] = values_by_key(
            db.session, WecomGroup.chat_id, WecomGroup.id, chat_ids
        )
        for r in results:
            group_id = group_of.get(r.get("chat_id"))
            status = WECOM_SEND_STATUS.get(int(r.get("status", 0)), DELIVERY_PENDING)
            if group_id is None:
                continue
            db.session.execute(
                update(GroupDelivery)
                .where(GroupDelivery.batch_id == batch_id, GroupDelivery.group_id == group_id)
                .values(status=status, send_time=_ts(r.get("send_time")), updated_at=now)
            )
        send_metrics.refresh_done(batch.day, group_of.values())
        db.session.commit()
        return 1 if sent else 0
    except Exception:
        db.session.rollback()
        raise


def remind_unconfirmed(day: date) -> dict:
    """``remind_groupmsg_send`` for unconfirmed batches: at most 3, at least 2 h apart."""
    now = utcnow()
    due = db.session.execute(
        select(SendBatch.id, SendBatch.msgid).where(
            SendBatch.day == day,
            SendBatch.status == BATCH_CREATED,
            SendBatch.remind_count < MAX_REMINDERS,
            (SendBatch.last_reminded_at.is_(None))
            | (SendBatch.last_reminded_at <= now - REMIND_EVERY),
        )
    ).all()
    db.session.commit()
    return {"reminded": remind(SendBatch, [(row[0], row[1]) for row in due])}


def remind(model, due: list[tuple[int, str | None]]) -> int:
    """``remind_groupmsg_send`` for each ``(id, msgid)`` of ``model`` (a send batch or a
    journey send: both keep ``remind_count`` and ``last_reminded_at``); how many went.
    WeCom allows 3 reminders per msgid in 24 hours (45009 beyond: tried again later)."""
    reminded = 0
    for row_id, msgid in due:
        count: SQLCoreOperations[int] | int
        done = 1
        try:
            wecom.remind_groupmsg_send(cast(str, msgid))  # a created task has one
            count = model.remind_count + 1
        except WeChatRateLimited:  # 45009: WeCom's 3 a day for this msgid, or a rate limit
            count, done = model.remind_count, 0  # not reminded: again after REMIND_EVERY
        except WeChatAPIError:  # e.g. 41047: WeCom knows no such task; stop reminding
            count = MAX_REMINDERS
        except WeChatError:
            continue
        db.session.execute(
            update(model)
            .where(model.id == row_id)
            .values(remind_count=count, last_reminded_at=utcnow())
        )
        db.session.commit()
        reminded += done
    return reminded
