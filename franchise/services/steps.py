"""What the store-side records of issue 19 share (service tickets, trade-ins,
consignments): one step along a flow of states, a record number, and the customer and
store something is taken in from and at (``customer_and_store``, ``case_holders``).

``take_step`` checks the step is allowed from the record's state and makes it with one
conditional UPDATE on that state, so two clerks cannot both make it; anything else —
backwards, skipping, repeating — is ``StepOutOfOrder``: a 422 naming ``to`` with the
allowed next states (``errors.allowed``, codes), and nothing changes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from app.auth.principal import Principal
from app.clock import SHANGHAI, utcnow
from app.errors import DomainError
from app.extensions import db
from app.i18n import tr
from app.row_state import move_status
from franchise.models import Customer, Store
from franchise.services.base import get_or_invalid, invalid


class StepOutOfOrder(DomainError):
    """A move out of the flow: 422 naming ``to``, with the allowed next states."""

    status = 422
    code = "invalid_transition"

    def __init__(self, status: str, to: str, allowed: tuple[str, ...], label: Callable):
        message = tr("Not allowed from %(status)s to %(to)s.", status=label(status), to=label(to))
        super().__init__(
            "The request has invalid fields.",
            errors={"to": [message], "allowed": list(allowed)},
        )


def take_step(row, to: str, flow: dict[str, tuple[str, ...]], label: Callable) -> str:
    """Move ``row`` (a model with ``status`` and ``updated_at``) to ``to``; returns the
    state it left. Runs in the caller's transaction; the row is refreshed."""
    previous = row.status
    allowed = flow.get(previous, ())
    if to not in allowed:
        raise StepOutOfOrder(previous, to, allowed, label)
    if not move_status(row, previous, to, updated_at=utcnow()):
        raise StepOutOfOrder(previous, to, allowed, label)
    db.session.refresh(row)
    return previous


def add_step(event: type, principal: Principal | None, note: str = "", **columns) -> None:
    """Record one step of a case (a ``CaseStep`` row of ``event``): ``columns`` (the case's
    id and the move), who made it (``principal``; None: the system) and the note, cut to
    its 255 characters."""
    actor = principal.user_id if principal else None
    db.session.add(event(actor_user_id=actor, note=(note or "")[:255], **columns))


def record_no(prefix: str) -> str:
    """A record number: prefix + the Shanghai date ``YYMMDD`` + 8 random digits."""
    day = utcnow().astimezone(SHANGHAI).strftime("%y%m%d")
    return f"{prefix}{day}{secrets.randbelow(10**8):08d}"


def customer_and_store(data: dict, principal: Principal) -> tuple[Customer, Store]:
    """The customer a store takes something in from (one of the caller's franchise,
    else 422 ``customer_id``) and the store taking it (the guide's own, else the one
    named, else the customer's), which must be of the customer's franchisee."""
    customer = get_or_invalid(Customer, data.get("customer_id"), "customer_id")
    if not principal.is_hq and customer.franchisee_id != principal.franchisee_id:
        raise invalid("customer_id", "No such customer.")
    store_id = principal.store_id or data.get("store_id") or customer.store_id
    store = get_or_invalid(Store, store_id, "store_id")
    if store.franchisee_id != customer.franchisee_id:
        raise invalid("store_id", "A store of the customer's franchisee.")
    return customer, store


def case_holders(customer: Customer, store: Store) -> dict[str, int]:
    """Whose a new case is (a ``CustomerCase``'s tenant scope): the customer's, at the
    store, of the store's franchisee."""
    return {"customer_id": customer.id, "franchisee_id": store.franchisee_id, "store_id": store.id}
