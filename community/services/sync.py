"""Group sync from WeCom: the full sync (``groupchat/list`` pages + ``groupchat/get``) and
the one-group upsert the callbacks reuse.

A full sync is a ``SyncRun`` holding the list cursor. Each page of chat ids is fetched
from WeCom first (no transaction open), then its groups and members are upserted and the
run's cursor advanced in one commit. A run that fails keeps status ``failed`` and the
cursor of the last committed page; ``full_sync(resume=True)`` (or the next plain run,
which picks up the last failed one) continues from there. Groups and members are keyed by
``chat_id`` and ``(group_id, userid)`` (unique), so re-doing a page never duplicates.

Owner userid → active ``Guide`` (by ``wecom_userid``) → store, franchisee, region.
External members are linked to customers by ``unionid``. A member missing from WeCom's
list is marked ``left_at`` (never deleted); one who comes back is cleared.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any, cast

from sqlalchemy import select

from app.clock import from_unix_seconds, shanghai_day, utcnow
from app.db import committing, values_by_key
from app.errors import Conflict
from app.extensions import db, get_redis
from app.wechat import wecom
from app.wechat.clients import wecom_client
from app.wechat.errors import translate_errors
from community.models.groups import (
    GROUP_ACTIVE,
    GROUP_DISMISSED,
    GroupDailyMetric,
    GroupMember,
    SyncRun,
    WecomGroup,
)
from franchise.models import Customer, Guide, Store

log = logging.getLogger("siyu.community")

PAGE_LIMIT = 100
RUNNING, DONE, FAILED = "running", "done", "failed"
SYNC_LOCK = "siyu:community:group-sync"
SYNC_LOCK_SECONDS = 3600


def _cut(value, size: int) -> str:
    return str(value or "")[:size]


@dataclass
class GroupChanges:
    """What one upsert did: the group, whether it is new, who joined and who left."""

    group: WecomGroup
    created: bool = False
    joined: list[GroupMember] = field(default_factory=list)
    left: list[GroupMember] = field(default_factory=list)


def daily_metric(group_id: int, day: date | None = None) -> GroupDailyMetric:
    """Today's (or ``day``'s) metric row of a group, created when missing (not committed)."""
    day = day or shanghai_day()
    metric = db.session.scalars(
        select(GroupDailyMetric).where(
            GroupDailyMetric.group_id == group_id, GroupDailyMetric.day == day
        )
    ).first()
    if metric is None:
        metric = GroupDailyMetric(
            group_id=group_id, day=day, joins=0, leaves=0, sends_planned=0, sends_done=0
        )
        db.session.add(metric)
    return metric


def _owner_scope(group: WecomGroup, owner_userid: str) -> None:
    guide = db.session.scalars(
        select(Guide).where(Guide.wecom_userid == owner_userid).order_by(Guide.id)
    ).first()
    group.guide_id = guide.id if guide else None
    store = db.session.get(Store, guide.store_id) if guide and guide.store_id else None
    group.store_id = store.id if store else None
    group.franchisee_id = guide.franchisee_id if guide else None
    group.region_id = store.region_id if store else None


def upsert_group(detail: dict, *, count_metrics: bool = False) -> GroupChanges:
    """Create or refresh a group and its members from a ``groupchat/get`` answer.

    Does not commit. ``count_metrics`` adds the joins/leaves to today's metric (callbacks;
    a full sync only records today's size).
    """
    now = utcnow()
    chat_id = _cut(detail.get("chat_id"), 64)
    group = db.session.scalars(select(WecomGroup).where(WecomGroup.chat_id == chat_id)).first()
    changes = GroupChanges(group=cast(WecomGroup, group))  # set below when the group is new
    owner = _cut(detail.get("owner"), 64)
    if group is None:
        group = WecomGroup(
            chat_id=chat_id, owner_userid=owner, member_count=0, customer_count=0, purchased_count=0
        )
        db.session.add(group)
        changes.group, changes.created = group, True
    if changes.created or group.owner_userid != owner or group.guide_id is None:
        _owner_scope(group, owner)
    group.owner_userid = owner
    group.name = _cut(detail.get("name"), 128)
    group.notice = str(detail.get("notice") or "")
    group.wecom_created_at = from_unix_seconds(detail.get("create_time")) or group.wecom_created_at
    group.member_version = _cut(detail.get("member_version"), 64) or None
    group.status = GROUP_ACTIVE
    group.dismissed_at = None
    group.synced_at = now
    db.session.flush()

    existing = {m.userid: m for m in db.session.scalars(group.members.statement)}
    remote = [m for m in detail.get("member_list") or [] if m.get("userid")]
    unionids = {m["unionid"] for m in remote if m.get("unionid")}
    customers = {}
    if unionids:
        customers = values_by_key(db.session, Customer.unionid, Customer.id, unionids)
    seen = set()
    for m in remote:
        userid = _cut(m["userid"], 64)
        seen.add(userid)
        member = existing.get(userid)
        if member is None:
            member = GroupMember(group_id=group.id, userid=userid)
            db.session.add(member)
            existing[userid] = member
            changes.joined.append(member)
        elif member.left_at is not None:
            member.left_at = None
            changes.joined.append(member)
        member.member_type = int(m.get("type") or 2)
        member.unionid = _cut(m.get("unionid"), 64) or None
        member.customer_id = customers.get(member.unionid) if member.unionid else None
        member.name = _cut(m.get("name"), 64) or member.name or ""
        member.group_nickname = _cut(m.get("group_nickname"), 64)
        member.join_time = from_unix_seconds(m.get("join_time"))
        member.join_scene = int(m["join_scene"]) if m.get("join_scene") is not None else None
        invitor = m.get("invitor")
        invitor = invitor.get("userid") if isinstance(invitor, dict) else invitor
        member.invitor_userid = _cut(invitor, 64) or None
        member.state = _cut(m.get("state"), 32) or member.state
    for userid, member in existing.items():
        if userid not in seen and member.left_at is None:
            member.left_at = now
            changes.left.append(member)
    current = [m for m in existing.values() if m.left_at is None]
    group.member_count = len(current)
    group.customer_count = sum(1 for m in current if m.member_type == 2)
    db.session.flush()

    metric = daily_metric(group.id)
    metric.member_count = group.member_count
    if count_metrics and not changes.created:
        metric.joins = (metric.joins or 0) + len(changes.joined)
        metric.leaves = (metric.leaves or 0) + len(changes.left)
    return changes


def after_members_changed(changes_list: list[GroupChanges]) -> None:
    """Hooks after members changed (fission joins); inside the caller's transaction."""
    from community.services.fission import record_joins

    for changes in changes_list:
        if changes.joined:
            record_joins(changes.group, changes.joined)


def fetch_group(chat_id: str) -> dict:
    """``groupchat/get`` (with names) with no transaction open. Raises ``WeChatError``."""
    db.session.commit()  # never hold a transaction across the WeChat call
    return wecom.groupchat_get(chat_id, need_name=True)


def apply_group(detail: dict, *, count_metrics: bool = False) -> GroupChanges:
    """Upsert a ``groupchat/get`` answer and run the member hooks (commits)."""
    with committing(db.session):
        changes = upsert_group(detail, count_metrics=count_metrics)
        after_members_changed([changes])
    return changes


def sync_one(chat_id: str, *, count_metrics: bool = False) -> GroupChanges:
    """Fetch one group from WeCom and upsert it (commits). Raises ``WeChatError``."""
    return apply_group(fetch_group(chat_id), count_metrics=count_metrics)


def _list_page(cursor: str | None, limit: int) -> dict:
    data: dict[str, Any] = {"status_filter": 0, "limit": limit}
    if cursor:
        data["cursor"] = cursor
    client = wecom_client()
    with translate_errors("externalcontact/groupchat/list"):
        return client.post("externalcontact/groupchat/list", data=data)


def resumable_run() -> SyncRun | None:
    """The last run if it failed or was interrupted (still ``running``), else None."""
    last = db.session.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
    return last if last is not None and last.status in (FAILED, RUNNING) else None


def full_sync(
    *,
    resume: bool = True,
    limit: int = PAGE_LIMIT,
    progress: Callable[[int, int], None] | None = None,
) -> SyncRun:
    """Sync every group from WeCom; returns the run (``done`` or ``failed``).

    ``resume`` continues the last failed/interrupted run from its cursor. ``progress(done,
    page_size)`` is called after each committed page. One sync at a time (a Redis lock):
    a second one is refused with 409.
    """
    lock = get_redis().lock(SYNC_LOCK, timeout=SYNC_LOCK_SECONDS, blocking=False)
    if not lock.acquire(blocking=False):
        raise Conflict("A group sync is already running.", code="sync_running")
    try:
        return _full_sync(resume, limit, progress)
    finally:
        with contextlib.suppress(Exception):  # expired while syncing: nothing to release
            lock.release()


def _full_sync(resume: bool, limit: int, progress) -> SyncRun:
    run = resumable_run() if resume else None
    if run is None:
        run = SyncRun(status=RUNNING, groups_seen=0, groups_created=0, members_seen=0)
        db.session.add(run)
    run.status, run.error, run.finished_at = RUNNING, None, None
    db.session.commit()
    run_id = run.id
    try:
        while True:
            cursor = run.cursor
            db.session.commit()
            page = _list_page(cursor, limit)
            chat_ids = [row["chat_id"] for row in page.get("group_chat_list") or []]
            details = [wecom.groupchat_get(chat_id, need_name=True) for chat_id in chat_ids]
            run = cast(SyncRun, db.session.get(SyncRun, run_id))  # committed above
            all_changes = []
            for detail in details:
                changes = upsert_group(detail)
                all_changes.append(changes)
                run.groups_seen += 1
                run.groups_created += 1 if changes.created else 0
                run.members_seen += len(detail.get("member_list") or [])
            after_members_changed(all_changes)
            run.cursor = page.get("next_cursor") or None
            db.session.commit()
            if progress:
                progress(run.groups_seen, len(details))
            if not run.cursor:
                break
    except Exception as exc:  # noqa: BLE001 - WeChat or database: record and resume later
        db.session.rollback()
        run = cast(SyncRun, db.session.get(SyncRun, run_id))  # committed above
        run.status, run.error = FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()
        log.warning("group sync run %s failed at cursor %r: %s", run_id, run.cursor, exc)
        return run
    _mark_vanished(run)
    run.status, run.finished_at = DONE, utcnow()
    db.session.commit()
    return run


def _mark_vanished(run: SyncRun) -> None:
    """Groups WeCom no longer lists (not synced since the run began) are dismissed."""
    started = run.started_at
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    stale = db.session.scalars(select(WecomGroup).where(WecomGroup.status == GROUP_ACTIVE)).all()
    for group in stale:
        synced = group.synced_at
        if synced is not None and synced.tzinfo is None:
            synced = synced.replace(tzinfo=UTC)
        if synced is None or synced < started:
            group.status, group.dismissed_at = GROUP_DISMISSED, utcnow()
