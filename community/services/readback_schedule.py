"""When WeCom's answer on a group send is asked for again (what a page tells a person).

The read-back job (``community.delivery_readback``) asks WeCom every ``READBACK_EVERY``
about each of the day's send tasks that have a msgid and are not yet reported sent
(``delivery.read_back``). A task WeCom has not reported yet is therefore checked again
at the latest ``READBACK_EVERY`` after its last check; the guide may also check at once
("I sent it in WeCom"), which reads back that task only.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from app.auth.scope import scoped
from app.clock import as_utc, utcnow
from app.extensions import db
from community.models import BATCH_CREATED, SendBatch

READBACK_EVERY = timedelta(minutes=15)


def awaiting_report(batch: SendBatch) -> bool:
    """Whether WeCom has the task (a msgid) but has not reported it sent yet."""
    return batch.status == BATCH_CREATED and batch.msgid is not None


def next_check(last_checked: datetime | None, now: datetime | None = None) -> datetime:
    """By when the job asks WeCom again about a task last checked at ``last_checked``:
    ``READBACK_EVERY`` after that check, and never later than ``READBACK_EVERY`` from now
    (the job runs on that interval whatever its phase)."""
    now = now or utcnow()
    last_checked = as_utc(last_checked)
    due = (last_checked + READBACK_EVERY) if last_checked else now + READBACK_EVERY
    return due if now <= due <= now + READBACK_EVERY else now + READBACK_EVERY


def waiting_summary(day: date) -> dict | None:
    """The day's tasks WeCom has not reported (scoped to the viewer): ``{count, oldest
    check, next}`` — ``next`` is by when the job asks again — or None when none waits."""
    count, oldest = db.session.execute(
        scoped(
            select(func.count(SendBatch.id), func.min(SendBatch.checked_at)).where(
                SendBatch.day == day,
                SendBatch.status == BATCH_CREATED,
                SendBatch.msgid.is_not(None),
            ),
            SendBatch,
        )
    ).one()
    if not count:
        return None
    return {"count": count, "checked_at": oldest, "next": next_check(oldest)}
