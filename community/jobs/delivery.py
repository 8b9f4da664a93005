"""Periodic jobs of the delivery area (registered in ``community.wiring.delivery``).

- ``community.allocate`` (daily 07:00 Asia/Shanghai) and ``community.replan_nightly``
  (00:30): the planner over the next 14 days (``community.services.planner``); changes
  re-plan within seconds through the outbox (``community.replan``).
- ``community.dispatch_due`` (every 5 min): send batches (outbox) for today's slots whose
  send time has come (plans' times, moved out of quiet hours).
- ``community.delivery_readback`` (every 15 min): task status and per-group results.
- ``community.delivery_remind`` (every 2 h): remind senders of unconfirmed batches (≤ 3).
- ``community.escalate`` (every 30 min): unconfirmed sends after the reminders onto the
  store owner's list, then HQ's, with WeCom's task status as the evidence.
- ``community.care`` (daily 08:00): care tasks for the day, queued within the quota.
Each is idempotent (unique keys), as the scheduler may run a job again after a crash.
"""

from __future__ import annotations

from app.clock import shanghai_day, utcnow
from community.services import care, delivery, escalation, planner


def allocate_job() -> dict:
    return planner.replan(shanghai_day())


def dispatch_due_job() -> dict:
    return delivery.create_batches(shanghai_day(), due_before=utcnow())


def readback_job() -> dict:
    return delivery.read_back(shanghai_day())


def remind_job() -> dict:
    return delivery.remind_unconfirmed(shanghai_day())


def escalate_job() -> dict:
    return escalation.escalate()


def care_job() -> dict:
    today = shanghai_day()
    return {"generated": care.generate(today), "dispatched": care.dispatch(today)}
