"""Background work of the customers area (registered in ``franchise.wiring.customers``):
the hand-over (继承) of a closed store's or a departed guide's customers, run by the
``STORE_CLOSED`` and ``GUIDE_LEFT`` hooks."""

from __future__ import annotations

import logging

log = logging.getLogger("siyu.franchise")


def on_store_closed(store_id: int) -> None:
    """Hand the customers of a store that closed on by the assignment rules."""
    from franchise.services.assignment_bulk import inherit_store_customers

    moved = inherit_store_customers(store_id)
    log.info("store %s closed: %d customer(s) handed over", store_id, moved)


def on_guide_left(guide_id: int) -> None:
    """Hand the customers of a guide who left on by the assignment rules."""
    from franchise.services.assignment_bulk import inherit_guide_customers

    moved = inherit_guide_customers(guide_id)
    log.info("guide %s left: %d customer(s) handed over", guide_id, moved)
