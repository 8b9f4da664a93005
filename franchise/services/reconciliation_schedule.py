"""When reconciliation ran and runs next, and HQ's "run it now".

The scheduled job (``franchise.reconciliation.yesterday``, 10:30 Asia/Shanghai) compares
yesterday's WeChat bill with the ledger. HQ may also run a day at once: any past day,
but yesterday only after 10:00 Shanghai time, because WeChat Pay's bill of a day is
ready after 10:00 the next day (before that ``downloadbill`` has nothing to give).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from app.clock import SHANGHAI, shanghai_day, utcnow
from app.errors import DomainError
from app.extensions import db, registry
from app.i18n import tr
from franchise.models import ReconciliationRun
from franchise.services import reconciliation

JOB_ID = "franchise.reconciliation.yesterday"
BILL_READY = time(10, 0)  # WeChat Pay: the bill of day D is ready after 10:00 on D + 1
OLDEST_DAYS = 90  # WeChat Pay keeps bills for three months


def last_run() -> ReconciliationRun | None:
    """The most recent run (scheduled or by hand)."""
    return db.session.scalars(
        select(ReconciliationRun).order_by(ReconciliationRun.created_at.desc()).limit(1)
    ).first()


def next_run(now: datetime | None = None) -> datetime | None:
    """When the scheduled job fires next (aware UTC), from its registered cron trigger."""
    job = next((j for j in registry().jobs if j["id"] == JOB_ID), None)
    if job is None or job["trigger"] != "cron":
        return None
    trigger = CronTrigger(**job["args"])
    fire = trigger.get_next_fire_time(None, (now or utcnow()).astimezone(SHANGHAI))
    return fire.astimezone(UTC) if fire else None


def bill_ready(day: date, now: datetime | None = None) -> bool:
    """Whether WeChat's bill of ``day`` can be downloaded at ``now``."""
    ready_at = datetime.combine(day + timedelta(days=1), BILL_READY, tzinfo=SHANGHAI)
    return (now or utcnow()) >= ready_at


def run_now(day: date | None = None, now: datetime | None = None) -> ReconciliationRun:
    """Reconcile ``day`` (default: the latest day whose bill is ready) at once; 422 for
    a day whose bill is not ready yet or older than WeChat keeps bills."""
    now = now or utcnow()
    today = shanghai_day(now)
    if day is None:
        day = today - timedelta(days=1 if bill_ready(today - timedelta(days=1), now) else 2)
    if not bill_ready(day, now):
        _refuse("WeChat's bill of that day is ready after 10:00 the next day.")
    if day < today - timedelta(days=OLDEST_DAYS):
        _refuse("WeChat Pay keeps bills for three months.")
    return reconciliation.reconcile(day)


def _refuse(message: str) -> None:
    """A 422 naming the ``date`` field, in the caller's language."""
    raise DomainError(tr(message), status=422, errors={"date": [tr(message)]})
