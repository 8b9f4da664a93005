"""``change_external_chat`` callbacks: keep groups current between full syncs.

WeCom's event doc (客户联系 变更回调 事件格式) warns that part of a change is processed
asynchronously: ``groupchat/get`` may show it only a moment (e.g. 2 s) after the
callback. So a read is believed only when it shows the change the event announces
(``caught_up``):

* ``update`` ``add_member`` / ``del_member``: the read's ``member_version`` is the
  event's ``CurMemVer``, or (not its ``LastMemVer`` and) the listed userids
  (``MemChangeList``) are all in / all out of ``member_list``;
* ``change_owner`` / ``change_name`` / ``change_notice``: the owner / name / notice
  differs from what we had before the event;
* ``create`` (and anything else): any successful read.

A read that is caught up is upserted at once (members new to us count as today's
joins, members gone are marked ``left_at`` and count as leaves). One that is not — or a
new group WeCom does not answer for yet — is not upserted (it would undo the change):
an outbox message (``RESYNC_KIND``) reads the group again a few seconds later, again and
again, until the read is caught up; only then is it upserted. A ``del_member`` event
marks its listed userids left at once as well, so a leave is never lost to a stale read.
``dismiss`` marks the group ``dismissed``.

Idempotent: WeCom retries, and a retried event finds nothing new to count (the resync's
dedupe key is the event's). A WeChat outage raises, so ``/wecom/callback`` answers 503
and WeCom retries later.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.outbox import (
    IN_FLIGHT,
    PENDING,
    GiveUp,
    OutboxMessage,
    RetryLater,
    enqueue,
)
from app.wechat.errors import WeChatAPIError, WeChatError, as_retry_later
from community.models.groups import GROUP_DISMISSED, GroupMember, WecomGroup
from community.services.sync import apply_group, daily_metric, fetch_group

log = logging.getLogger("siyu.community")

RESYNC_KIND = "community.group_resync"
RESYNC_DELAY = 2.0  # seconds, growing with each attempt: 2, 4, 6 ...
RESYNC_ATTEMPTS = 10  # about 110 s in all, then the row is dead (the full sync repairs)
MEMBER_CHANGES = ("add_member", "del_member")
FIELD_CHANGES = {"change_owner": "owner", "change_name": "name", "change_notice": "notice"}


def _group(chat_id: str) -> WecomGroup | None:
    return db.session.scalars(select(WecomGroup).where(WecomGroup.chat_id == chat_id)).first()


def _pending(chat_id: str) -> list[tuple[int, dict]]:
    """``(message id, expect)`` of the member events of ``chat_id`` whose re-read has not
    caught up yet, oldest first."""
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.payload)
        .where(
            OutboxMessage.kind == RESYNC_KIND,
            OutboxMessage.status.in_((PENDING, IN_FLIGHT)),
            OutboxMessage.dedupe_key.startswith(f"group-resync:{chat_id}:", autoescape=True),
        )
        .order_by(OutboxMessage.id)
    )
    return [
        (message_id, payload.get("expect") or {})
        for message_id, payload in rows
        if (payload or {}).get("chat_id") == chat_id
        and ((payload.get("expect") or {}).get("detail") in MEMBER_CHANGES)
    ]


def _pending_joins(chat_id: str) -> set[str]:
    """Userids of add_member events of ``chat_id`` whose re-read has not caught up yet."""
    joins: set[str] = set()
    for _, expect in _pending(chat_id):
        if expect.get("detail") == "add_member":
            joins.update(expect.get("userids") or [])
    return joins


def _older_versions(chain: list[dict], position: int) -> set[str]:
    """The member versions WeCom had before the event at ``position`` of ``chain`` (its
    ``LastMemVer`` and every earlier one) and never after it (a version repeats when the
    same people are in again). A read with an older version is stale, even when, by
    chance, the listed members look right in it (a leaver who had not joined yet)."""
    before = {e.get(k) for e in chain[: position + 1] for k in ("last", "cur")}
    before.discard(chain[position].get("cur"))
    after = {e.get("cur") for e in chain[position:]}
    return {v for v in before if v} - after


def _apply_leaves(chat_id: str, userids: list[str]) -> int:
    """A del_member event, at once: listed members still in are marked left; a listed
    userid whose join WeCom has not shown us yet (a pending add_member re-read) joined and
    left meanwhile, so both are counted. A retried event finds nothing to do. Commits;
    returns how many leaves were counted."""
    group = _group(chat_id)
    if group is None or not userids:
        db.session.commit()
        return 0
    wanted = [str(u)[:64] for u in userids]
    rows = {
        m.userid: m
        for m in db.session.scalars(
            select(GroupMember).where(
                GroupMember.group_id == group.id, GroupMember.userid.in_(wanted)
            )
        )
    }
    pending = _pending_joins(chat_id)
    now = utcnow()
    left = joined_and_left = 0
    for userid in wanted:
        member = rows.get(userid)
        if member is not None and member.left_at is None:
            member.left_at = now
            left += 1
            group.member_count = max(0, group.member_count - 1)
            if member.member_type == 2:
                group.customer_count = max(0, group.customer_count - 1)
        elif userid in pending:
            if member is None:  # WeCom's external userids start wm / wo
                member = GroupMember(group_id=group.id, userid=userid, name="")
                member.member_type = 2 if userid.startswith(("wm", "wo")) else 1
                db.session.add(member)
            member.left_at = now
            joined_and_left += 1
    if left or joined_and_left:
        metric = daily_metric(group.id)
        metric.joins = (metric.joins or 0) + joined_and_left
        metric.leaves = (metric.leaves or 0) + left + joined_and_left
        metric.member_count = group.member_count
    db.session.commit()
    return left + joined_and_left


def _marks(chat_id: str, userids: list[str]) -> dict:
    """Each listed userid's state in Siyu: ``""`` a member, the ``left_at`` of one who
    left, None unknown. A re-read whose member differs from the event's is still caught
    up when this state changed since the event (a later event already moved it on)."""
    group = _group(chat_id)
    marks: dict = dict.fromkeys(userids)
    if group is None or not userids:
        return marks
    for userid, left_at in db.session.execute(
        select(GroupMember.userid, GroupMember.left_at).where(
            GroupMember.group_id == group.id, GroupMember.userid.in_(userids)
        )
    ):
        marks[userid] = left_at.isoformat() if left_at else ""
    return marks


def dismiss(chat_id: str) -> bool:
    """Mark a group dismissed (idempotent); False when we do not know it."""
    group = _group(chat_id)
    if group is None:
        db.session.commit()
        return False
    if group.status != GROUP_DISMISSED:
        group.status, group.dismissed_at = GROUP_DISMISSED, utcnow()
    db.session.commit()
    return True


def expectation(event: dict) -> dict:
    """What a ``groupchat/get`` read must show to include the event's change (JSON)."""
    detail = str(event.get("UpdateDetail") or "")
    expect: dict[str, Any] = {"change": str(event.get("ChangeType") or ""), "detail": detail}
    if detail in MEMBER_CHANGES:
        expect.update(
            userids=[str(u) for u in event.get("MemChangeList") or []],
            last=str(event.get("LastMemVer") or ""),
            cur=str(event.get("CurMemVer") or ""),
        )
    elif detail in FIELD_CHANGES:
        group = _group(str(event.get("ChatId") or "")[:64])
        if group is not None:
            field = FIELD_CHANGES[detail]
            expect["was"] = group.owner_userid if field == "owner" else getattr(group, field)
    return expect


def caught_up(expect: dict, detail: dict, chain: list[dict] | None = None) -> bool:
    """Whether the read ``detail`` shows the change ``expect`` describes; ``chain`` is the
    group's member events not caught up yet, oldest first, ``expect`` among them."""
    kind = expect.get("detail")
    if kind in MEMBER_CHANGES:
        version = str(detail.get("member_version") or "")
        if expect.get("cur") and version == expect["cur"]:
            return True
        chain = chain or [expect]
        older = _older_versions(chain, next(i for i, e in enumerate(chain) if e is expect))
        listed = expect.get("userids") or []
        then = expect.get("marks") or {}
        now = _marks(str(detail.get("chat_id") or ""), listed)
        moved_on = any(now.get(u) != then.get(u) for u in listed)  # a later event applied
        if version in older and not moved_on:
            return False
        present = {str(m.get("userid")) for m in detail.get("member_list") or []}
        for userid in listed:
            shown = (userid in present) == (kind == "add_member")
            if not shown and now.get(userid) == then.get(userid):
                return False
        return True
    if kind in FIELD_CHANGES and "was" in expect:
        return str(detail.get(FIELD_CHANGES[kind]) or "") != str(expect["was"] or "")
    return True


def _apply(detail: dict) -> None:
    changes = apply_group(detail, count_metrics=True)
    if changes.joined:
        _reward_inviters()


def _schedule_resync(chat_id: str, event: dict, expect: dict) -> None:
    """Queue the re-read; a retried callback of the same event queues nothing more (the
    key is the event's: member versions can repeat, a join and a leave of one person)."""
    same_event = {k: v for k, v in expect.items() if k not in ("marks", "was")}
    same_event["at"] = str(event.get("CreateTime") or "")
    digest = hashlib.sha256(json.dumps(same_event, sort_keys=True).encode()).hexdigest()
    enqueue(
        RESYNC_KIND,
        {"chat_id": chat_id, "expect": expect},
        _resync_key(chat_id, f"group-resync:{chat_id}:{digest}"),
        delay_seconds=RESYNC_DELAY,
    )
    db.session.commit()


def _resync_key(chat_id: str, key: str) -> str:
    """The re-read's dedupe key: ``key`` for a new event or a retried callback (nothing
    queued for the group since it); a new key when an event with the same content came
    before other events of the group. Member versions repeat when the same people are in
    again, so a join, a leave and the same join again within a second carry the same
    content as the first join; deduped as a retry, the later join would vanish from the
    chain and the leave before it would never look caught up."""
    latest = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.dedupe_key)
        .where(
            OutboxMessage.kind == RESYNC_KIND,
            OutboxMessage.dedupe_key.startswith(f"group-resync:{chat_id}:", autoescape=True),
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.dedupe_key == key or latest.dedupe_key.startswith(key + ":"):
        return latest.dedupe_key if latest is not None else key
    seen = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))
    return key if seen is None else f"{key}:{latest.id}"


def handle_change_external_chat(event: dict) -> None:
    """The subscriber for ``change_external_chat`` (see the module docstring)."""
    chat_id = str(event.get("ChatId") or "")[:64]
    change = event.get("ChangeType")
    if not chat_id:
        return
    if change == "dismiss":
        dismiss(chat_id)
        return
    if change not in ("create", "update"):
        return
    expect = expectation(event)
    if expect["detail"] == "del_member":
        _apply_leaves(chat_id, expect["userids"])
    if expect["detail"] in MEMBER_CHANGES:
        expect["marks"] = _marks(chat_id, expect["userids"])
    try:
        detail = fetch_group(chat_id)
    except WeChatAPIError as exc:  # not readable: new and not visible yet, or gone
        log.info("change_external_chat %s for %s: group not readable (%s)", change, chat_id, exc)
        if change == "create":
            _schedule_resync(chat_id, event, expect)
        return
    chain = [e for _, e in _pending(chat_id)] + [expect]
    db.session.commit()
    if caught_up(expect, detail, chain):
        _apply(detail)
    else:
        log.info("groupchat/get does not show %s of %s yet: read again", expect, chat_id)
        _schedule_resync(chat_id, event, expect)


def resync_group(message) -> dict:
    """Outbox handler for ``RESYNC_KIND``: read the group again; upsert it once the read
    shows the event's change, else try again (``RESYNC_ATTEMPTS`` times, then dead)."""
    chat_id = str(message.payload["chat_id"])
    expect = message.payload.get("expect") or {}
    attempts = message.attempts or 1
    delay = RESYNC_DELAY * attempts
    try:
        detail = fetch_group(chat_id)
    except WeChatAPIError as exc:
        if expect.get("change") == "create" and attempts < RESYNC_ATTEMPTS:
            raise RetryLater(f"{chat_id} not readable yet: {exc}", delay=delay) from exc
        raise GiveUp(f"{chat_id} not readable: {exc}") from exc
    except WeChatError as exc:
        raise as_retry_later(exc) or RetryLater(str(exc)) from exc
    pending = _pending(chat_id)
    chain = [e for message_id, e in pending if message_id != message.id]
    chain.insert(sum(1 for message_id, _ in pending if message_id < message.id), expect)
    db.session.commit()
    if not caught_up(expect, detail, chain):
        if attempts >= RESYNC_ATTEMPTS:
            raise GiveUp(f"groupchat/get never showed {expect} of {chat_id}")
        raise RetryLater(f"groupchat/get does not show {expect} of {chat_id} yet", delay=delay)
    _apply(detail)
    return {"chat_id": chat_id, "caught_up": True}


def _reward_inviters() -> None:
    """Issue fission rewards a join may have earned; a failure waits for the daily job."""
    from app.errors import DomainError
    from community.services.fission import issue_due_rewards

    try:
        issue_due_rewards()
    except DomainError as exc:
        db.session.rollback()
        log.warning("fission rewards after a join not issued: %s", exc.message)
