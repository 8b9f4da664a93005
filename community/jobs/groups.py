"""Scheduled jobs of the groups area: the daily stage evaluation (03:00 Asia/Shanghai)."""

from __future__ import annotations

import logging

log = logging.getLogger("siyu.community")


def run_daily_stages() -> dict:
    """Refresh segments, evaluate stages and issue due fission rewards."""
    from app.errors import DomainError
    from community.services import fission, stages

    result = stages.evaluate_all()
    try:
        result["rewards"] = fission.issue_due_rewards()
    except DomainError as exc:
        log.warning("fission rewards skipped: %s", exc.message)
    log.info("community stages: %s", result)
    return result
