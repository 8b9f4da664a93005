"""Nightly job ``franchise.value_tiers`` (02:30 Asia/Shanghai): refresh RFM value tiers."""

from __future__ import annotations

import logging

from franchise.services.value_tiers import refresh_value_tiers

log = logging.getLogger("siyu.franchise")


def run_value_tiers() -> None:
    """Recompute the tiers; the service commits."""
    count = refresh_value_tiers()
    log.info("value tiers refreshed for %d customers", count)
