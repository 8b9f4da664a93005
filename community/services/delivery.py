"""Delivery: allocated slots → ``add_msg_template`` batches through the outbox → readback.

``create_batches(day)`` groups the day's allocated, unbatched slots by (sender = owning
guide's WeCom userid, post), cuts them into chunks of ≤ 2,000 chat ids and, per chunk and
in ONE transaction, writes the ``SendBatch``, its pending ``GroupDelivery`` rows, marks the
slots with the batch id and enqueues the outbox row (dedupe key
``send:{day}:{sender}:{post}:{chunk}``). A crash between chunks leaves unbatched slots that
the next run picks up; a crash after commit leaves an outbox row the dispatcher carries out.

``send_batch(message)`` is the outbox handler. It does nothing when the batch already has a
msgid (a retry after the record was committed). WeCom has no idempotency key, so a retry
(``message.attempts`` > 1: the dispatcher died, or the call timed out, after WeCom may have
created the task but before its msgid was committed) first looks for that task: the
sender's enterprise-created group sends since the batch was made
(``get_groupmsg_list_v2``) with the batch's text and attachments, not recorded by another
batch, whose groups (``get_groupmsg_send_result``) are the batch's — and adopts its msgid
instead of creating a second task.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import func, select, true, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql.elements import SQLCoreOperations

from app import outbox
from app.clock import utcnow
from app.extensions import db, get_redis
from app.wechat import wecom
from app.wechat.errors import WeChatAPIError, WeChatError, WeChatRateLimited, as_retry_later
from community.models import (
    ALLOCATED,
    BATCH_CREATED,
    BATCH_FAILED,
    BATCH_PENDING,
    BATCH_SENT,
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    WECOM_SEND_STATUS,
    ContentPost,
    GroupDelivery,
    SendBatch,
    SlotAllocation,
    WecomGroup,
)
from community.services import media, post_links, send_metrics

SEND_KIND = "community.send_batch"
# Set on a 45009 answer with the back-off as TTL: every dispatcher then postpones its
# add_msg_template calls without calling WeCom (failed calls count against the limit too).
THROTTLE_KEY = "siyu:wecom:throttle:add_msg_template"
MAX_REMINDERS = 3
UNKNOWN_MSGID = 41047  # WeCom 全局错误码: 无效的企业群发消息id
REMIND_EVERY = timedelta(hours=2)


def create_batches(
    day: date, chunk_size: int = wecom.MAX_CHAT_IDS, due_before: datetime | None = None
) -> dict:
    """Turn the day's allocated, unbatched slots into send batches (+ outbox rows); with
    ``due_before`` only slots whose send time (outside quiet hours) has come."""
    chunk_size = min(chunk_size, wecom.MAX_CHAT_IDS)
    due = SlotAllocation.send_at <= due_before if due_before is not None else true()
    rows = db.session.execute(
        select(
            SlotAllocation.id,
            SlotAllocation.group_id,
            SlotAllocation.post_id,
            WecomGroup.chat_id,
            WecomGroup.owner_userid,
            WecomGroup.guide_id,
            WecomGroup.store_id,
            WecomGroup.franchisee_id,
            WecomGroup.region_id,
        )
        .join(WecomGroup, WecomGroup.id == SlotAllocation.group_id)
        .where(
            SlotAllocation.day == day,
            SlotAllocation.status == ALLOCATED,
            SlotAllocation.batch_id.is_(None),
            due,
        )
        .order_by(WecomGroup.owner_userid, SlotAllocation.post_id, WecomGroup.chat_id)
    ).all()
    chunks_used = {
        f"{sender}|{post}": top
        for sender, post, top in db.session.execute(
            select(SendBatch.sender_userid, SendBatch.post_id, func.max(SendBatch.chunk))
            .where(SendBatch.day == day)
            .group_by(SendBatch.sender_userid, SendBatch.post_id)
        ).all()
    }
    db.session.commit()
    by_key: dict[tuple, list] = defaultdict(list)
    for row in rows:
        by_key[(row.owner_userid, row.post_id)].append(row)
    created = 0
    for (sender, post_id), items in by_key.items():
        next_chunk = chunks_used.get(f"{sender}|{post_id}", -1) + 1
        for start in range(0, len(items), chunk_size):
            part = items[start : start + chunk_size]
            _write_batch(day, sender, post_id, next_chunk, part)
            next_chunk += 1
            created += 1
    return {"day": day.isoformat(), "batches": created, "slots": len(rows)}


def _write_batch(day: date, sender: str, post_id: int, chunk: int, part: list) -> None:
    """One transaction: the batch, its deliveries, the slots' batch id, the outbox row."""
    key = f"send:{day.isoformat()}:{sender}:{post_id}:{chunk}"
    first = part[0]
    try:
        batch = SendBatch(
            dedupe_key=key,
            day=day,
            sender_userid=sender,
            guide_id=first.guide_id,
            store_id=first.store_id,
            franchisee_id=first.franchisee_id,
            post_id=post_id,
            chunk=chunk,
            chat_ids=[r.chat_id for r in part],
            status=BATCH_PENDING,
        )
        db.session.add(batch)
        db.session.flush()
        ids = [r.id for r in part]
        done = cast(
            CursorResult,
            db.session.execute(
                update(SlotAllocation)
                .where(
                    SlotAllocation.id.in_(ids),
                    SlotAllocation.batch_id.is_(None),
                    SlotAllocation.day == day,  # the planner may have moved it meanwhile
                    SlotAllocation.status == ALLOCATED,
                )
                .values(batch_id=batch.id)
            ),
        ).rowcount
        if done != len(ids):  # batched by another process or moved by a re-plan meanwhile
            db.session.rollback()
            return
        now = utcnow()
        db.session.execute(
            GroupDelivery.__table__.insert(),
            [
                {
                    "batch_id": batch.id,
                    "group_id": r.group_id,
                    "day": day,
                    "guide_id": r.guide_id,
                    "store_id": r.store_id,
                    "franchisee_id": r.franchisee_id,
                    "region_id": r.region_id,
                    "status": DELIVERY_PENDING,
                    "updated_at": now,
                }
                for r in part
            ],
        )
        outbox.enqueue(SEND_KIND, {"batch_id": batch.id}, dedupe_key=key)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def send_batch(message) -> dict:
    """Outbox handler: one ``add_msg_template`` call for a batch, msgid recorded after."""
    batch_id = int(message.payload["batch_id"])
    batch = db.session.get(SendBatch, batch_id)
    if batch is None:
        raise outbox.GiveUp(f"send batch {batch_id} is gone")
    if batch.msgid:  # done before (retry after the record was committed)
        db.session.rollback()
        return {"msgid": batch.msgid, "skipped": True}
    post = db.session.get(ContentPost, batch.post_id)
    assert post is not None  # a batch's post (foreign key)
    sender, chat_ids, text = batch.sender_userid, list(batch.chat_ids), post.text or ""
    attachments = post_links.carrying_code(post.attachments, batch.guide_id)
    body = wecom.group_send_body(sender, chat_ids, text, attachments)
    since = batch.created_at
    db.session.commit()  # no transaction open while WeCom is called
    redis = get_redis()
    wait = redis.pttl(THROTTLE_KEY)
    if wait and wait > 0:
        raise outbox.RetryLater("WeCom rate limit: waiting", delay=wait / 1000.0)
    try:
        attachments = media.refresh_attachments(body["attachments"])
        if attachments is not body["attachments"]:
            body = wecom.group_send_body(sender, chat_ids, text, attachments)
        if (message.attempts or 0) > 1:
            found = _task_made_before(batch_id, body, since)
            if found is not None:
                _record(batch_id, {"msgid": found, "fail_list": []})
                return {"msgid": found, "adopted": True}
        result = wecom.add_msg_template(body)
    except WeChatError as exc:
        retry = as_retry_later(exc)
        if retry is not None:
            if isinstance(exc, WeChatRateLimited):
                redis.set(THROTTLE_KEY, "1", px=int(exc.retry_after * 1000))
            raise retry from exc
        _fail(batch_id, str(exc))
        raise outbox.GiveUp(str(exc)) from exc
    _record(batch_id, result)
    return {"msgid": result["msgid"]}


def _task_made_before(batch_id: int, body: dict, since: datetime) -> str | None:
    """The msgid of a task WeCom already made for this batch (see the module docstring)."""
    sender = body["sender"]
    start = int(since.timestamp()) - 60
    records = wecom.get_groupmsg_list_v2_all(sender, start, int(utcnow().timestamp()) + 60)
    text = (body.get("text") or {}).get("content") or ""
    kinds = [a.get("msgtype") for a in body.get("attachments") or []]
    candidates = [  # same text and the same kinds of attachment (ids may be re-issued)
        r["msgid"]
        for r in records
        if ((r.get("text") or {}).get("content") or "") == text
        and [a.get("msgtype") for a in r.get("attachments") or []] == kinds
    ]
    if not candidates:
        return None
    taken = set(
        db.session.scalars(
            select(SendBatch.msgid).where(SendBatch.msgid.in_(candidates), SendBatch.id != batch_id)
        )
    )
    db.session.commit()
    wanted = set(body.get("chat_id_list") or [])
    for msgid in candidates:
        if msgid in taken:
            continue
        chats = {r.get("chat_id") for r in wecom.get_groupmsg_send_result_all(msgid, sender)}
        if chats and chats <= wanted:
            return msgid
    return None


def _fail(batch_id: int, error: str) -> None:
    db.session.execute(
        update(SendBatch)
        .where(SendBatch.id == batch_id)
        .values(status=BATCH_FAILED, error=error[:255])
    )
    db.session.execute(
        update(GroupDelivery)
        .where(GroupDelivery.batch_id == batch_id)
        .values(status=DELIVERY_FAILED, updated_at=utcnow())
    )
    db.session.commit()


def _record(batch_id: int, result: dict) -> None:
    try:
        batch = db.session.get(SendBatch, batch_id)
        assert batch is not None  # read at the start of the send
        batch.msgid = result["msgid"]
        batch.fail_list = list(result.get("fail_list") or [])
        batch.status = BATCH_CREATED
        batch.called_at = utcnow()
        if batch.fail_list:
            failed = select(WecomGroup.id).where(WecomGroup.chat_id.in_(batch.fail_list))
            db.session.execute(
                update(GroupDelivery)
                .where(GroupDelivery.batch_id == batch_id, GroupDelivery.group_id.in_(failed))
                .values(status=DELIVERY_FAILED, updated_at=utcnow())
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _ts(value) -> datetime | None:
    from datetime import UTC

    return datetime.fromtimestamp(int(value), UTC) if value else None


def read_back(day: date, batch_ids: list[int] | None = None) -> dict:
    """Read the outcome of the day's batches (task status, then per-group send results)."""
    stmt = select(SendBatch.id, SendBatch.msgid, SendBatch.sender_userid).where(
        SendBatch.day == day, SendBatch.msgid.is_not(None), SendBatch.status != BATCH_SENT
    )
    if batch_ids is not None:
        stmt = stmt.where(SendBatch.id.in_(batch_ids))
    batches = db.session.execute(stmt).all()
    db.session.commit()
    checked = confirmed = 0
    for batch_id, msgid, sender in batches:
        assert msgid is not None  # selected is_not(None)
        try:
            found = wecom.task_results(msgid, sender)
            sent, results = found is not None, found or []
        except WeChatAPIError as exc:
            if exc.errcode == UNKNOWN_MSGID:  # WeCom has no such task: it never will
                _fail(batch_id, str(exc))
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
        group_of: dict[Any, int] = dict(
            db.session.execute(
                select(WecomGroup.chat_id, WecomGroup.id).where(WecomGroup.chat_id.in_(chat_ids))
            ).all()
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
