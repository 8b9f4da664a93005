"""Service tickets (售后, issue 19): cleaning, polishing, resizing, re-plating, repair.

A ticket moves along TICKET_FLOW only, one step at a time; any other move — backwards,
skipping, or repeating one — is a 422 naming ``to`` with the allowed next states, and
changes nothing (a conditional UPDATE on the current state, so two clerks cannot both
move it)::

    requested (the customer asked in the mini-program) → received | cancelled
    received  (intake at the store: condition notes, photos)    → quoted | cancelled
    quoted    (free under a member benefit, else a price)       → approved | cancelled
    approved  (free, or the quote's order is paid)              → in_progress
    in_progress → ready (the customer is notified) → picked_up

Intake sets the service-level target: ``due_at`` = received + SLA_DAYS[kind]; a ticket
not ready by then is overdue (``overdue_clause``), which owners and HQ list.

A quote that is not free becomes an ordinary order of the customer's franchisee for
the service (one line of the kind's service product, created inactive so it is never
listed), paid through the existing WeChat Pay path (``POST /mp/orders/{id}/pay``): the
franchisee is the payee, the ledger and settlement take it like any sale. ``approved``
needs that order paid. A member benefit makes the quote free: cleaning is free on
every piece the customer bought here (a registered piece), and high-value members
(tier ``high``) also get polishing free.

``ready`` leaves a mini-program subscribe message (``subscribeMessage.send``) in the
outbox (``READY_NOTICE_KIND``), sent after the commit by ``send_ready_notice``.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from datetime import timedelta

from sqlalchemy import Select, select

from app.auth.principal import Principal
from app.auth.scope import get_scoped_or_404
from app.clock import SHANGHAI, utcnow
from app.db import committing
from app.errors import DomainError
from app.extensions import db
from app.i18n import tr
from app.list_query import where_given
from app.outbox import enqueue
from app.web.labels import word
from franchise.models import (
    CREATED,
    SERVICE_KINDS,
    Appointment,
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    Piece,
    Product,
    ServiceTicket,
    ServiceTicketEvent,
    Store,
)
from franchise.services import order_flow
from franchise.services.base import get_or_invalid, invalid
from franchise.services.catalog import MAX_PRICE_FEN
from franchise.services.steps import (
    StepOutOfOrder,
    add_step,
    case_holders,
    customer_and_store,
    record_no,
    take_step,
)

TICKET_FLOW: dict[str, tuple[str, ...]] = {
    "requested": ("received", "cancelled"),
    "received": ("quoted", "cancelled"),
    "quoted": ("approved", "cancelled"),
    "approved": ("in_progress",),
    "in_progress": ("ready",),
    "ready": ("picked_up",),
}
OPEN_STATES = ("requested", "received", "quoted", "approved", "in_progress")
SLA_DAYS = {"cleaning": 1, "polishing": 3, "resizing": 7, "replating": 10, "repair": 14}
FREE_FOR_HIGH_TIER = ("cleaning", "polishing")
READY_NOTICE_KIND = "franchise.service_ticket_ready"
STATE_WORDS = {
    "requested": "Requested",
    "received": "Received",
    "quoted": "Quoted",
    "approved": "Approved",
    "in_progress": "In progress",
    "ready": "Ready for pickup",
    "picked_up": "Picked up",
    "cancelled": "Cancelled",
}


def kind_label(kind: str) -> str:
    return word("service_kind", kind)


def state_label(status: str) -> str:
    return tr(STATE_WORDS.get(status, status))


def store_ticket(ticket_id: int, principal: Principal) -> ServiceTicket:
    """A ticket of the store staff member's scope (``order_flow.store_principal``), else
    ``NotFound`` (another store's ticket does not exist for them)."""
    return get_scoped_or_404(ServiceTicket, ticket_id, order_flow.store_principal(principal))


def _ticket_no() -> str:
    return (
        "SV" + utcnow().astimezone(SHANGHAI).strftime("%y%m%d") + f"{secrets.randbelow(10**8):08d}"
    )


def _event(ticket: ServiceTicket, from_status, to, principal: Principal | None, note="") -> None:
    add_step(
        ServiceTicketEvent,
        principal,
        note,
        ticket_id=ticket.id,
        from_status=from_status,
        to_status=to,
        actor_role=principal.role if principal else "system",
    )


def _own_piece(customer_id: int, piece_id: int | None) -> Piece | None:
    """The customer's own piece (bought here), or a 422 on ``piece_id``."""
    if piece_id is None:
        return None
    piece = db.session.get(Piece, piece_id)
    if piece is None or piece.customer_id != customer_id:
        raise invalid("piece_id", "Not one of the customer's pieces.")
    return piece


def _new(customer: Customer, store: Store, data: dict, status: str) -> ServiceTicket:
    kind = data.get("kind")
    if kind not in SERVICE_KINDS:
        raise invalid("kind", "Cleaning, polishing, resizing, re-plating or repair.")
    if store.franchisee_id != customer.franchisee_id:
        raise invalid("store_id", "A store of the customer's franchisee.")
    piece = _own_piece(customer.id, data.get("piece_id"))
    ticket = ServiceTicket(
        ticket_no=record_no("SV"),
        **case_holders(customer, store),
        piece_id=piece.id if piece else None,
        appointment_id=data.get("appointment_id"),
        kind=kind,
        status=status,
        item_description=(data.get("item_description") or "")[:255],
        condition_notes=data.get("condition_notes") or "",
    )
    if status == "received":
        ticket.due_at = utcnow() + timedelta(days=SLA_DAYS[kind])
    db.session.add(ticket)
    db.session.flush()
    return ticket


def request_service(customer: Customer, data: dict) -> ServiceTicket:
    """The customer asks for a service in the mini-program (commits): ``requested``."""
    with committing(db.session):
        store_id = data.get("store_id") or customer.store_id
        store = get_or_invalid(Store, store_id, "store_id")
        ticket = _new(customer, store, data, "requested")
        _event(ticket, None, "requested", None, "requested in the mini-program")
    return ticket


def intake(data: dict, principal: Principal) -> ServiceTicket:
    """The store takes a piece in (commits): ``received`` with condition notes; the
    caller's store (a guide) or a store of their franchise (an owner)."""
    with committing(db.session):
        customer, store = customer_and_store(data, principal)
        if not (data.get("condition_notes") or "").strip():
            raise invalid("condition_notes", "Describe the piece's condition at intake.")
        ticket = _new(customer, store, data, "received")
        _event(ticket, None, "received", principal, "intake at the store")
    return ticket


def open_from_visit(appointment: Appointment, kind: str, principal: Principal) -> ServiceTicket:
    """A ticket received from an attended cleaning / maintenance visit (no commit: the
    caller records the visit's outcome in the same transaction)."""
    customer = db.session.get(Customer, appointment.customer_id)
    store = db.session.get(Store, appointment.store_id)
    assert customer is not None and store is not None
    data = {
        "kind": kind,
        "appointment_id": appointment.id,
        "condition_notes": appointment.note or tr("Opened from the visit."),
    }
    ticket = _new(customer, store, data, "received")
    _event(ticket, None, "received", principal, f"from appointment {appointment.id}")
    return ticket


def benefit_covers(ticket: ServiceTicket) -> bool:
    """Whether a member benefit makes this service free (see the module docstring)."""
    if ticket.kind == "cleaning" and ticket.piece_id is not None:
        return True
    customer = db.session.get(Customer, ticket.customer_id)
    return (
        customer is not None and customer.value_tier == "high" and ticket.kind in FREE_FOR_HIGH_TIER
    )


def _service_product(kind: str) -> Product:
    """The kind's service product (inactive: never listed, only on quote orders)."""
    sku = f"SERVICE-{kind.upper()}"
    product = db.session.scalars(select(Product).where(Product.sku == sku)).first()
    if product is None:
        product = Product(sku=sku, name=f"售后服务 · {kind}", price_fen=0, stock=0, is_active=False)
        db.session.add(product)
        db.session.flush()
    return product


def _quote_order(ticket: ServiceTicket, amount: int) -> Order:
    from franchise.services.order_lines import new_order_no

    product = _service_product(ticket.kind)
    customer = db.session.get(Customer, ticket.customer_id)
    assert customer is not None
    order = Order(
        order_no=new_order_no(),
        customer_id=ticket.customer_id,
        franchisee_id=ticket.franchisee_id,
        store_id=ticket.store_id,
        guide_id=customer.guide_at(ticket.store_id),
        status=CREATED,
        total_fen=amount,
        payable_fen=amount,
        lines=[
            OrderLine(
                product_id=product.id,
                sku=product.sku,
                name=f"{kind_label(ticket.kind)} {ticket.ticket_no}"[:64],
                unit_price_fen=amount,
                quantity=1,
                line_total_fen=amount,
            )
        ],
    )
    db.session.add(order)
    db.session.flush()
    db.session.add(OrderEvent(order_id=order.id, to_status=CREATED, note=ticket.ticket_no))
    return order


def _check_move(ticket: ServiceTicket, to: str, data: dict) -> None:
    allowed = TICKET_FLOW.get(ticket.status, ())
    if to not in allowed:
        raise StepOutOfOrder(ticket.status, to, allowed, state_label)
    if to == "quoted" and not benefit_covers(ticket):
        amount = data.get("quote_fen")
        if not isinstance(amount, int) or not 1 <= amount <= MAX_PRICE_FEN:
            raise invalid("quote_fen", "A quote in fen above 0, or a member benefit.")
    if to == "approved" and ticket.quote_fen > 0:
        order = db.session.get(Order, ticket.order_id or 0)
        if order is None or order.paid_at is None:
            raise invalid("to", "The quote is not paid yet.")
    if to == "received" and not (data.get("condition_notes") or ticket.condition_notes).strip():
        raise invalid("condition_notes", "Describe the piece's condition at intake.")


def move(ticket: ServiceTicket, to: str, principal: Principal, data: dict | None = None):
    """Move ``ticket`` (loaded through the caller's scope) one step (commits)."""
    data = data or {}
    with committing(db.session):
        _check_move(ticket, to, data)
        previous = take_step(ticket, to, TICKET_FLOW, state_label)
        _event(ticket, previous, to, principal, data.get("note") or "")
        if to == "received":
            ticket.due_at = utcnow() + timedelta(days=SLA_DAYS[ticket.kind])
            if data.get("condition_notes"):
                ticket.condition_notes = data["condition_notes"]
        if to == "quoted":
            _quote(ticket, data)
        if to == "ready":
            enqueue(READY_NOTICE_KIND, {"ticket_id": ticket.id}, f"ticket-ready:{ticket.id}")
    if to == "cancelled" and ticket.order_id is not None:
        _close_quote_order(ticket.order_id)
    return ticket


def _quote(ticket: ServiceTicket, data: dict) -> None:
    if benefit_covers(ticket):
        ticket.quote_fen, ticket.covered_by_benefit = 0, True
        # free: approved at once, recorded as its own step
        ticket.status = "approved"
        _event(ticket, "quoted", "approved", None, "covered by a member benefit")
        return
    ticket.quote_fen = data["quote_fen"]
    ticket.order_id = _quote_order(ticket, ticket.quote_fen).id


def _close_quote_order(order_id: int) -> None:
    from franchise.services.orders import close_unpaid_order

    order = db.session.get(Order, order_id)
    if order is not None and order.status == CREATED:
        with suppress(DomainError):  # paid meanwhile: the refund path handles it
            close_unpaid_order(order_id, "service ticket cancelled")


def ticket_stmt(args: dict) -> Select:
    """Tickets newest first; filters ``status``, ``kind``, ``store_id``, ``overdue``."""
    stmt = select(ServiceTicket).order_by(ServiceTicket.id.desc())
    stmt = where_given(stmt, ServiceTicket, args, ("status", "kind", "store_id", "customer_id"))
    if args.get("overdue"):
        stmt = stmt.where(overdue_clause())
    return stmt


def overdue_clause():
    """Open tickets past their service-level target."""
    return ServiceTicket.status.in_(OPEN_STATES) & (ServiceTicket.due_at < utcnow())


def is_overdue(ticket: ServiceTicket) -> bool:
    from app.clock import as_utc

    return (
        ticket.status in OPEN_STATES
        and ticket.due_at is not None
        and as_utc(ticket.due_at) < utcnow()
    )
