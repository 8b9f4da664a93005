"""The community tabs' lines on the guide's Today page (``app.web.today``).

- Today's sends: the guide's send batches of the day by status; ``created`` ones wait
  for the guide to confirm in WeCom (the count), the rest say how the day went; sends
  escalated after the reminders (any day) come first: they are on the owner's list.
- Care: the last week's reminders that must be done by hand (``manual``, the count)
  and how many customers fall due today.

Every figure goes through the tenant scope of the guide principal it is given.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import BindParameter, bindparam, func, select

from app.auth.principal import Principal
from app.auth.scope import scoped
from app.web.today import TodayNote, end_of_today
from community.models import (
    BATCH_CREATED,
    BATCH_FAILED,
    BATCH_SENT,
    CARE_DONE,
    CARE_MANUAL,
    CareTask,
    SendBatch,
)


def today_figures(guide: Principal) -> dict:
    """Scalar figures for the sends and care tabs (parameters: ``app.web.today``)."""
    day: BindParameter[date] = bindparam("day")
    sent = scoped(select(SendBatch.status), SendBatch, guide).where(SendBatch.day == day)
    batches = sent.subquery()
    due = scoped(select(CareTask.status, CareTask.due_date), CareTask, guide).where(
        CareTask.due_date >= bindparam("week_ago"), CareTask.due_date <= day
    )
    care = due.subquery()
    overdue = scoped(select(func.count()).select_from(SendBatch), SendBatch, guide).where(
        SendBatch.escalation_level >= 1, SendBatch.status == BATCH_CREATED
    )

    def batch_count(*statuses):
        stmt = select(func.count())
        stmt = stmt.select_from(batches)
        if statuses:
            stmt = stmt.where(batches.c.status.in_(statuses))
        return stmt.scalar_subquery()

    return {
        "batches": batch_count(),
        "to_confirm": batch_count(BATCH_CREATED),
        "sent": batch_count(BATCH_SENT),
        "failed": batch_count(BATCH_FAILED),
        "care_manual": select(func.count())
        .select_from(care)
        .where(care.c.status == CARE_MANUAL)
        .scalar_subquery(),
        "overdue": overdue.scalar_subquery(),
        "overdue_before": overdue.where(SendBatch.day < day).scalar_subquery(),
        "care_today": select(func.count())
        .select_from(care)
        .where(care.c.due_date == day, care.c.status != CARE_DONE)
        .scalar_subquery(),
    }


def _sends_text(total: int, to_confirm: int, sent: int, failed: int) -> str:
    if to_confirm:
        return _("%(n)s to confirm in WeCom", n=to_confirm)
    if not total:
        return _("Nothing to send today.")
    if sent == total:
        return _("All %(n)s sent", n=total)
    if failed:
        return _("%(n)s failed", n=failed)
    return _("%(n)s being prepared", n=total - sent)


def today_notes(principal: Principal, values: dict) -> list[TodayNote]:
    """The notes for the sends and care tabs."""
    counts = {key: int(values[key] or 0) for key in values}
    to_confirm, manual, due = counts["to_confirm"], counts["care_manual"], counts["care_today"]
    if manual:
        care_text = _("%(n)s to do by hand", n=manual)
    elif due:
        care_text = ngettext("%(num)d reminder today", "%(num)d reminders today", due)
    else:
        care_text = _("No reminders today")
    sends_text = _sends_text(counts["batches"], to_confirm, counts["sent"], counts["failed"])
    if counts.get("overdue"):
        sends_text = _("%(n)s overdue, now on your store owner's list", n=counts["overdue"])
    return [
        TodayNote(
            "community_tasks.tasks",
            sends_text,
            to_confirm + counts.get("overdue_before", 0),
            end_of_today(),
        ),
        TodayNote("community_care.care", care_text, manual, end_of_today()),
    ]
