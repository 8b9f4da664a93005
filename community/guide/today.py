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

    def count(model, *where):
        """A scoped count straight off ``model``'s table (no derived table: the whole
        Today statement stays under psycopg's 4,096-character parse cache)."""
        stmt = scoped(select(func.count()).select_from(model), model, guide)
        return stmt.where(*where).scalar_subquery()

    def batches(*where):
        return count(SendBatch, SendBatch.day == day, *where)

    def care(*where):
        week = (CareTask.due_date >= bindparam("week_ago"), CareTask.due_date <= day)
        return count(CareTask, *week, *where)

    overdue = (SendBatch.escalation_level >= 1, SendBatch.status == BATCH_CREATED)
    return {
        "batches": batches(),
        "to_confirm": batches(SendBatch.status == BATCH_CREATED),
        "sent": batches(SendBatch.status == BATCH_SENT),
        "failed": batches(SendBatch.status == BATCH_FAILED),
        "care_manual": care(CareTask.status == CARE_MANUAL),
        "overdue": count(SendBatch, *overdue),
        "overdue_before": count(SendBatch, *overdue, SendBatch.day < day),
        "care_today": care(CareTask.due_date == day, CareTask.status != CARE_DONE),
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
