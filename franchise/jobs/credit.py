"""Scheduled work of the credit area (registered in ``franchise.wiring.credit``)."""

from __future__ import annotations


def credit_sweep_job() -> None:
    """Credit paid orders the pay-notify handler did not (every minute)."""
    from franchise.services.credit import credit_missing

    credit_missing()
