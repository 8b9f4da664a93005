"""Escalation with proof: a group send its guide has not confirmed after the reminders goes
onto the store owner's list, and later onto HQ's, with WeCom's own results as evidence.

A batch is *overdue* when it is still ``created`` (WeCom made the task, the guide has not
sent it) after ``MAX_REMINDERS`` reminders and ``REMIND_EVERY`` since the last one; it is
escalated to level 1 (the franchise owner's list). Still unconfirmed ``ESCALATE_AFTER``
later (or once its day is over), it goes to level 2 (HQ's list). Before each step WeCom is
asked again (``get_groupmsg_task``: the sender's status, 0 not sent / 2 sent; then the
per-group results through ``delivery.read_back``): a batch WeCom reports sent is not
escalated, and the evidence kept is WeCom's answer (task status, when asked, per-group
results), never a screenshot. Each step is one conditional UPDATE on the level, so a
second run or a second scheduler escalates nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult

from app.clock import shanghai_day, utcnow
from app.extensions import db
from app.web.i18n import N_
from app.wechat import wecom
from app.wechat.errors import WeChatError
from community.models import BATCH_CREATED, GroupDelivery, SendBatch
from community.services import delivery

OWNER, HQ = 1, 2
ESCALATE_AFTER = timedelta(hours=4)
LEVEL_LABELS = {OWNER: N_("Store owner"), HQ: N_("HQ")}


def _candidates(now: datetime) -> list:
    reminded_out = (SendBatch.remind_count >= delivery.MAX_REMINDERS) & (
        SendBatch.last_reminded_at <= now - delivery.REMIND_EVERY
    )
    to_owner = (SendBatch.escalation_level == 0) & reminded_out
    to_hq = (SendBatch.escalation_level == OWNER) & (
        (SendBatch.escalated_at <= now - ESCALATE_AFTER) | (SendBatch.day < shanghai_day(now))
    )
    rows = db.session.execute(
        select(SendBatch.id, SendBatch.day, SendBatch.msgid, SendBatch.escalation_level).where(
            SendBatch.status == BATCH_CREATED, SendBatch.msgid.is_not(None), to_owner | to_hq
        )
    ).all()
    db.session.commit()
    return list(rows)


def _group_results(batch_id: int) -> dict:
    return dict(
        db.session.execute(
            select(GroupDelivery.status, func.count())
            .where(GroupDelivery.batch_id == batch_id)
            .group_by(GroupDelivery.status)
        ).all()
    )


def escalate(now: datetime | None = None) -> dict:
    """Move overdue batches one level up, with WeCom's evidence; returns counts."""
    now = now or utcnow()
    moved = {OWNER: 0, HQ: 0}
    for batch_id, day, msgid, level in _candidates(now):
        try:
            tasks = wecom.get_groupmsg_task(msgid).get("task_list") or []
        except WeChatError:
            continue  # no evidence now: try again next run
        if any(t.get("status") == 2 for t in tasks):
            delivery.read_back(day, [batch_id])  # WeCom says sent: record it, no escalation
            continue
        delivery.read_back(day, [batch_id])
        evidence = {
            "asked_at": now.isoformat(),
            "msgid": msgid,
            "task_list": [
                {
                    "userid": t.get("userid"),
                    "status": t.get("status"),
                    "send_time": t.get("send_time"),
                }
                for t in tasks
            ],
            "group_results": _group_results(batch_id),
        }
        done = cast(
            CursorResult,
            db.session.execute(
                update(SendBatch)
                .where(
                    SendBatch.id == batch_id,
                    SendBatch.escalation_level == level,
                    SendBatch.status == BATCH_CREATED,
                )
                .values(escalation_level=level + 1, escalated_at=now, evidence=evidence)
            ),
        ).rowcount
        db.session.commit()
        moved[level + 1] += done
    return {"to_owner": moved[OWNER], "to_hq": moved[HQ]}


def overdue_stmt(min_level: int = OWNER):
    """Escalated batches still unconfirmed (scope them for the viewer)."""
    return select(SendBatch).where(
        SendBatch.escalation_level >= min_level, SendBatch.status == BATCH_CREATED
    )
