"""Periodic jobs of customer journeys (registered in ``community.wiring.journeys``).

- ``community.journeys_enrol`` (daily 06:30 Asia/Shanghai): each active journey's
  trigger candidates enrolled once per (journey, customer, occurrence);
- ``community.journeys_dispatch`` (daily 09:30): due steps queued within the customer's
  receiving limit (deferred or missed with the reason otherwise);
- ``community.journeys_readback`` (every 15 min): the guides' confirmations and WeCom's
  per-customer results;
- ``community.journeys_remind`` (every 2 h): unconfirmed sends reminded (≤ 3 per send).
Each is idempotent (unique keys and status checks), as the scheduler may run a job again.
"""

from __future__ import annotations

from community.services import journey_sends, journey_triggers


def enrol_job() -> dict:
    return journey_triggers.run()


def dispatch_job() -> dict:
    return journey_sends.dispatch()


def readback_job() -> dict:
    return journey_sends.read_back()


def remind_job() -> dict:
    return journey_sends.remind_unconfirmed()
