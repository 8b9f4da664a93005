"""Scheduled work of the credit area (registered in ``franchise.wiring.credit``)."""

from __future__ import annotations


def credit_catch_up_job() -> None:
    """Credit the paid orders ``ORDER_PAID`` missed (a failed listener, a lost mark):
    nightly, over the last week's orders."""
    from franchise.services.credit import credit_missing

    credit_missing()
