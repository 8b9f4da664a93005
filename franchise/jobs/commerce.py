"""Scheduled work of the commerce area (registered in ``franchise.wiring.commerce``)."""

from __future__ import annotations


def auto_complete_job() -> None:
    """Complete the orders whose hand-over is long enough past (hourly)."""
    from franchise.services.orders import auto_complete

    auto_complete()
