"""``change_external_chat`` callbacks: keep groups current between full syncs.

* ``create`` → fetch the group (``groupchat/get``) and upsert it;
* ``update`` with ``add_member`` / ``del_member`` → refetch and upsert (members new to us
  count as today's joins; members gone are marked ``left_at`` and count as leaves);
  ``del_member`` for a group WeCom no longer answers for just marks the listed userids;
* other updates (name, owner, notice) → refetch;
* ``dismiss`` → status ``dismissed``.

Idempotent: WeCom retries, and a retried event finds nothing new to count. A WeChat
failure raises, so ``/wecom/callback`` answers 503 and WeCom retries later.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.auth.models import utcnow
from app.extensions import db
from app.wechat.errors import WeChatAPIError
from community.models.groups import GROUP_DISMISSED, GroupMember, WecomGroup
from community.services.sync import daily_metric, sync_one

log = logging.getLogger("siyu.community")


def _mark_left(chat_id: str, userids: list[str]) -> int:
    """Mark listed members of a known group as left; returns how many were still in."""
    group = db.session.scalars(select(WecomGroup).where(WecomGroup.chat_id == chat_id)).first()
    if group is None or not userids:
        return 0
    members = db.session.scalars(
        select(GroupMember).where(
            GroupMember.group_id == group.id,
            GroupMember.userid.in_([str(u)[:64] for u in userids]),
            GroupMember.left_at.is_(None),
        )
    ).all()
    now = utcnow()
    for member in members:
        member.left_at = now
    if members:
        group.member_count = max(0, group.member_count - len(members))
        group.customer_count = max(
            0, group.customer_count - sum(1 for m in members if m.member_type == 2)
        )
        metric = daily_metric(group.id)
        metric.leaves = (metric.leaves or 0) + len(members)
        metric.member_count = group.member_count
    db.session.commit()
    return len(members)


def dismiss(chat_id: str) -> bool:
    """Mark a group dismissed (idempotent); False when we do not know it."""
    group = db.session.scalars(select(WecomGroup).where(WecomGroup.chat_id == chat_id)).first()
    if group is None:
        return False
    if group.status != GROUP_DISMISSED:
        group.status, group.dismissed_at = GROUP_DISMISSED, utcnow()
    db.session.commit()
    return True


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
    try:
        changes = sync_one(chat_id, count_metrics=True)
    except WeChatAPIError as exc:
        # the group is gone on WeCom's side (e.g. 40050): record what the event says
        log.info("change_external_chat %s for %s: group not readable (%s)", change, chat_id, exc)
        if event.get("UpdateDetail") == "del_member":
            _mark_left(chat_id, list(event.get("MemChangeList") or []))
        return
    if changes.joined:
        _reward_inviters()


def _reward_inviters() -> None:
    """Issue fission rewards a join may have earned; a failure waits for the daily job."""
    from app.errors import DomainError
    from community.services.fission import issue_due_rewards

    try:
        issue_due_rewards()
    except DomainError as exc:
        db.session.rollback()
        log.warning("fission rewards after a join not issued: %s", exc.message)
