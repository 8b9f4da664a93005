"""Sending send batches: the outbox handlers that call ``add_msg_template``.

``send_batches(messages)`` is the batch handler the dispatcher gives a claimed chunk of
``community.send_batch`` rows: it reads every batch and post in one transaction and
commits, then makes one ``add_msg_template`` call per batch with no transaction open, and
leaves the msgids it got as one bulk UPDATE that the dispatcher commits together with
the rows' outcomes (one commit per chunk instead of three per call).
``send_batch(message)`` is the same for one row, committed at once.

A batch that already has a msgid is not sent again (a retry after the record was
committed). WeCom has no idempotency key, so a retry (``message.attempts`` > 1: the
dispatcher died, or the call timed out, after WeCom may have created the task but before
its msgid was committed — now up to a chunk of calls) first looks for that task: the
sender's enterprise-created group sends since the batch was made
(``get_groupmsg_list_v2``) with the batch's text and attachments, not recorded by another
batch, whose groups (``get_groupmsg_send_result``) are the batch's — and adopts its msgid
instead of creating a second task. A 45009 answer sets a shared Redis throttle with the
back-off as TTL: every later call of every dispatcher waits it out without calling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from app import outbox
from app.clock import utcnow
from app.extensions import db, get_redis
from app.wechat import wecom
from app.wechat.clients import wecom_client
from app.wechat.errors import WeChatError, WeChatRateLimited, as_retry_later
from community.models import (
    BATCH_CREATED,
    BATCH_FAILED,
    DELIVERY_FAILED,
    ContentPost,
    GroupDelivery,
    SendBatch,
    WecomGroup,
)
from community.services import media, post_links

# Set on a 45009 answer with the back-off as TTL: every dispatcher then postpones its
# add_msg_template calls without calling WeCom (failed calls count against the limit too).
THROTTLE_KEY = "siyu:wecom:throttle:add_msg_template"


@dataclass
class Call:
    """One batch ready to send: its id, the call's body and when the batch was made."""

    batch_id: int
    body: dict
    since: datetime


def send_batch(message) -> dict:
    """Outbox handler: one ``add_msg_template`` call for a batch, msgid recorded after."""
    outcome = send_batches([message])[0]
    db.session.commit()
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def send_batches(messages: list) -> list[Any]:
    """Batch handler: one outcome per message (a result, or the exception it ended with);
    the msgids and failures are written, not committed (see the module docstring)."""
    prepared = _prepare(messages)
    redis = get_redis()
    recorded: list[tuple[int, dict]] = []
    uploaded: dict[str, str] = {}
    failed: list[tuple[int, str]] = []
    client = None  # one WeCom client (one HTTP session, kept alive) for the chunk's calls
    outcomes: list[Any] = []
    for message, ready in zip(messages, prepared, strict=True):
        if not isinstance(ready, Call):
            outcomes.append(ready)
            continue
        try:
            client = client or wecom_client()
            outcomes.append(_call(message, ready, redis, recorded, uploaded, client))
        except WeChatError as exc:
            retry = as_retry_later(exc)
            if retry is not None:
                if isinstance(exc, WeChatRateLimited):
                    redis.set(THROTTLE_KEY, "1", px=int(exc.retry_after * 1000))
                outcomes.append(retry)
            else:
                failed.append((ready.batch_id, str(exc)))
                outcomes.append(outbox.GiveUp(str(exc)))
        except Exception as exc:  # noqa: BLE001 - this message's outcome, not the chunk's
            db.session.rollback()
            outcomes.append(exc)
    _record(recorded)
    for batch_id, error in failed:
        write_failure(batch_id, error)
    return outcomes


def _prepare(messages: list) -> list[Any]:
    """Per message the ``Call`` to make, or its outcome already (gone, or sent before):
    every batch and post read in one transaction, committed before any call."""
    ids = [int(m.payload["batch_id"]) for m in messages]
    cols = (SendBatch.id, SendBatch.msgid, SendBatch.sender_userid, SendBatch.chat_ids)
    more = (SendBatch.guide_id, SendBatch.post_id, SendBatch.created_at)
    batches = {
        row.id: row for row in db.session.execute(select(*cols, *more).where(SendBatch.id.in_(ids)))
    }
    post_ids = {row.post_id for row in batches.values()}
    posts = {
        row.id: row
        for row in db.session.execute(
            select(ContentPost.id, ContentPost.text, ContentPost.attachments).where(
                ContentPost.id.in_(post_ids)
            )
        )
    }
    tagged: dict[tuple[int, int | None], list] = {}  # a post's attachments for a guide
    out: list[Any] = []
    for batch_id in ids:
        batch = batches.get(batch_id)
        if batch is None:
            out.append(outbox.GiveUp(f"send batch {batch_id} is gone"))
            continue
        if batch.msgid:  # done before (retry after the record was committed)
            out.append({"msgid": batch.msgid, "skipped": True})
            continue
        post = posts[batch.post_id]
        key = (batch.post_id, batch.guide_id)
        try:
            if key not in tagged:
                tagged[key] = post_links.carrying_code(post.attachments, batch.guide_id)
            body = wecom.group_send_body(
                batch.sender_userid, list(batch.chat_ids), post.text or "", tagged[key]
            )
        except Exception as exc:  # noqa: BLE001 - this message's outcome
            out.append(exc)
            continue
        out.append(Call(batch_id, body, batch.created_at))
    db.session.commit()  # no transaction open while WeCom is called
    return out


def _call(
    message,
    ready: Call,
    redis,
    recorded: list[tuple[int, dict]],
    uploaded: dict[str, str],
    client,
) -> dict:
    """The WeCom side of one batch: wait out a throttle, adopt a task made before, or
    create it; the msgid goes onto ``recorded``. ``uploaded``: the chunk's re-uploaded
    images (old → new media id), so a post's image is uploaded once per chunk."""
    wait = redis.pttl(THROTTLE_KEY)
    if wait and wait > 0:
        raise outbox.RetryLater("WeCom rate limit: waiting", delay=wait / 1000.0)
    body = ready.body
    attachments = media.refresh_attachments(body["attachments"], uploaded)
    if attachments is not body["attachments"]:
        body = {**body, "attachments": attachments}
    if (message.attempts or 0) > 1:
        found = _task_made_before(ready.batch_id, body, ready.since, client)
        if found is not None:
            recorded.append((ready.batch_id, {"msgid": found, "fail_list": []}))
            return {"msgid": found, "adopted": True}
    result = wecom.add_msg_template(body, client)
    recorded.append((ready.batch_id, result))
    return {"msgid": result["msgid"]}


def _task_made_before(batch_id: int, body: dict, since: datetime, client) -> str | None:
    """The msgid of a task WeCom already made for this batch (see the module docstring)."""
    sender = body["sender"]
    start = int(since.timestamp()) - 60
    end = int(utcnow().timestamp()) + 60
    records = wecom.get_groupmsg_list_v2_all(sender, start, end, client=client)
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
        results = wecom.get_groupmsg_send_result_all(msgid, sender, client=client)
        chats = {r.get("chat_id") for r in results}
        if chats and chats <= wanted:
            return msgid
    return None


RECORD = (
    update(SendBatch.__table__)
    .where(SendBatch.__table__.c.id == bindparam("_id"))
    .values(
        msgid=bindparam("msgid"),
        fail_list=bindparam("fail_list"),
        status=BATCH_CREATED,
        called_at=bindparam("called_at"),
    )
)


def _record(recorded: list[tuple[int, dict]]) -> None:
    """Write the msgids (one statement for all) and mark WeCom's ``fail_list`` groups."""
    if not recorded:
        return
    now = utcnow()
    db.session.execute(
        RECORD,
        [
            {
                "_id": batch_id,
                "msgid": result["msgid"],
                "fail_list": list(result.get("fail_list") or []),
                "called_at": now,
            }
            for batch_id, result in recorded
        ],
    )
    for batch_id, result in recorded:
        fail_list = list(result.get("fail_list") or [])
        if fail_list:
            failed = select(WecomGroup.id).where(WecomGroup.chat_id.in_(fail_list))
            db.session.execute(
                update(GroupDelivery)
                .where(GroupDelivery.batch_id == batch_id, GroupDelivery.group_id.in_(failed))
                .values(status=DELIVERY_FAILED, updated_at=now)
            )


def write_failure(batch_id: int, error: str) -> None:
    """Mark a batch and its deliveries failed (the caller commits)."""
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
