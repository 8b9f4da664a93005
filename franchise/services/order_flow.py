"""Who may move an order where: ORDER_FLOW (the states an order may go to next) and
TRANSITION_ROLES (the roles that may move it there), and what a viewer may do with an
order now. ``franchise.services.orders`` makes the moves; pages and the API ask here
which buttons and targets to offer.
"""

from __future__ import annotations

from dataclasses import replace

from app.auth.models import CUSTOMER, FRANCHISE_OWNER, GUIDE, HQ_ROLES
from app.auth.principal import Principal
from app.web.labels import word
from franchise.models import (
    CANCELLED,
    CLOSED,
    COMPLETED,
    CREATED,
    DELIVERED,
    PAID,
    PICKED_UP,
    RECEIVED,
    SHIPPED,
    Order,
)

SYSTEM = "system"  # jobs and payments


ORDER_FLOW: dict[str, tuple[str, ...]] = {
    CREATED: (PAID, CANCELLED, CLOSED),
    PAID: (SHIPPED,),
    SHIPPED: (RECEIVED,),
    RECEIVED: (DELIVERED, PICKED_UP),
    DELIVERED: (COMPLETED,),
    PICKED_UP: (COMPLETED,),
}
STORE_ROLES = (FRANCHISE_OWNER, GUIDE)
# target state -> roles that may move an order there (``system`` = jobs and payments)
TRANSITION_ROLES: dict[str, tuple[str, ...]] = {
    SHIPPED: (*HQ_ROLES,),
    RECEIVED: STORE_ROLES,
    DELIVERED: STORE_ROLES,
    PICKED_UP: STORE_ROLES,
    COMPLETED: (*STORE_ROLES, *HQ_ROLES, SYSTEM),
    CANCELLED: (CUSTOMER, FRANCHISE_OWNER, *HQ_ROLES),
    PAID: (SYSTEM,),
    CLOSED: (SYSTEM,),
}
STAFF_TARGETS = (SHIPPED, RECEIVED, DELIVERED, PICKED_UP, COMPLETED, CANCELLED)


def allowed_next(order: Order, role: str | None = None) -> list[str]:
    """The states ``order`` may move to next (for ``role`` when given)."""
    nexts = ORDER_FLOW.get(order.status, ())
    if role is None:
        return list(nexts)
    return [s for s in nexts if role in TRANSITION_ROLES.get(s, ())]


def store_principal(principal: Principal) -> Principal:
    """A guide's principal widened from their own orders to their store's (hand-over)."""
    if principal.role == GUIDE:
        return replace(principal, guide_id=None)
    return principal


def visible_actions(order: Order, principal: Principal) -> list[str]:
    """The moves the viewer may make on this order now (for buttons)."""
    if principal.role == GUIDE and order.store_id != principal.store_id:
        return []
    if principal.role == FRANCHISE_OWNER and order.franchisee_id != principal.franchisee_id:
        return []
    return allowed_next(order, principal.role)


def status_label(status: str | None) -> str:
    """The viewer's word for an order state (English outside a request; the code itself
    for a state without a word)."""
    return word("order_status", status) if status else ""
