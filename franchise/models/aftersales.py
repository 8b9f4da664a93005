"""What happens around and after a jewellery sale (issue 19): how an order reaches the
customer (store pickup with a code, or home delivery with an address and a waybill),
what an in-store appointment came to, service tickets (售后: cleaning, polishing,
resizing, re-plating, repair) with their photos and history, trade-ins of old gold
(以旧换新) with every step recorded, and consignments (寄售).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model, Money


class CustomerCase:
    """The columns a customer's case at a store shares (a service ticket, a trade-in, a
    consignment): its id, the customer, the franchisee and store that hold it (the
    tenant scope), when it was opened, and the customer and store it names."""

    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "customer": "customer_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @declared_attr
    def customer(cls) -> Mapped[Any]:
        return relationship("Customer")

    @declared_attr
    def store(cls) -> Mapped[Any]:
        return relationship("Store")


def case_log(model: str) -> Any:
    """A case's own rows (its steps, its photos) of ``model``, in the order written and
    removed with the case."""
    return relationship(model, order_by=f"{model}.id", cascade="all, delete-orphan")


class CaseStep:
    """The columns every recorded step of a case shares (its timeline): who, a note,
    when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


PICKUP, DELIVERY = "pickup", "delivery"
FULFILMENT_MODES = (PICKUP, DELIVERY)


class OrderFulfilment(Model):
    """How one order reaches its customer; the waybill when HQ ships it; the pickup code
    the store checks when the customer collects it."""

    __tablename__ = "order_fulfilments"

    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(10), default=PICKUP)
    recipient: Mapped[str] = mapped_column(String(32), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(32), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    carrier: Mapped[str] = mapped_column(String(32), default="")
    waybill_no: Mapped[str] = mapped_column(String(40), default="")
    shipped_at: Mapped[datetime | None]
    pickup_code: Mapped[str] = mapped_column(String(8))
    picked_up_at: Mapped[datetime | None]
    verified_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    order = relationship("Order")


APPOINTMENT_OUTCOMES = ("attended", "no_show", "rescheduled")
INSPECTION_RESULTS = ("accepted", "defect")
DEFECT_REMEDIES = ("exchange", "refund")


class AppointmentOutcome(Model):
    """What an appointment came to, recorded once by the store."""

    __tablename__ = "appointment_outcomes"

    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), primary_key=True
    )
    outcome: Mapped[str] = mapped_column(String(12))
    inspection_result: Mapped[str | None] = mapped_column(String(10))
    remedy: Mapped[str | None] = mapped_column(String(10))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    replacement_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    rescheduled_to_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    service_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("service_tickets.id"))
    note: Mapped[str] = mapped_column(String(255), default="")
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    photos = case_log("InspectionPhoto")  # an inspection's photos of the piece


SERVICE_KINDS = ("cleaning", "polishing", "resizing", "replating", "repair")
# requested (by the customer) → received (intake) → quoted → approved → in_progress →
# ready → picked_up; cancelled from the first three
TICKET_STATES = (
    "requested",
    "received",
    "quoted",
    "approved",
    "in_progress",
    "ready",
    "picked_up",
    "cancelled",
)


class ServiceTicket(CustomerCase, Model):
    """An after-sales job on a customer's piece, owned by a store of their franchisee."""

    __tablename__ = "service_tickets"
    __table_args__ = (
        CheckConstraint("quote_fen >= 0", name="quote_nonnegative"),
        Index("ix_service_tickets_status_due_at", "status", "due_at"),
    )

    ticket_no: Mapped[str] = mapped_column(String(24), unique=True)
    piece_id: Mapped[int | None] = mapped_column(ForeignKey("pieces.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default="requested")
    item_description: Mapped[str] = mapped_column(String(255), default="")
    condition_notes: Mapped[str] = mapped_column(Text, default="")
    quote_fen: Mapped[int] = mapped_column(Money, default=0)
    covered_by_benefit: Mapped[bool] = mapped_column(default=False)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))  # the paid quote
    due_at: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    piece = relationship("Piece")
    order = relationship("Order")
    events = case_log("ServiceTicketEvent")
    photos = case_log("ServiceTicketPhoto")


class ServiceTicketEvent(CaseStep, Model):
    """Every move of a ticket: from, to, who, note."""

    __tablename__ = "service_ticket_events"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("service_tickets.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor_role: Mapped[str] = mapped_column(String(20), default="system")

    actor = relationship("User")


class IntakePhoto:
    """The columns of a photo taken when a piece is taken in (JPG or PNG, kept in the
    database; ``franchise.services.ticket_photos``)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(128))
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    taken_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who added it


class ServiceTicketPhoto(IntakePhoto, Model):
    """A photo of a piece taken in for service."""

    __tablename__ = "service_ticket_photos"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("service_tickets.id", ondelete="CASCADE"), index=True
    )


class InspectionPhoto(IntakePhoto, Model):
    """A photo of a piece at its O2O inspection (the defect, or the piece as accepted),
    taken by the guide who records the outcome."""

    __tablename__ = "inspection_photos"

    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment_outcomes.appointment_id", ondelete="CASCADE"), index=True
    )


TRADE_IN_STATES = ("valued", "credited", "paid_out", "cancelled")


class TradeIn(CustomerCase, Model):
    """Old gold taken in at a store: weighed, tested, valued at the day's buy-back price,
    then credited against a new order or paid out. The franchisee that took it in owns
    the metal (its ``old_gold`` ledger account)."""

    __tablename__ = "trade_ins"
    __table_args__ = (
        CheckConstraint("weight_mg > 0", name="weight_positive"),
        CheckConstraint("value_fen > 0", name="value_positive"),
    )

    trade_in_no: Mapped[str] = mapped_column(String(24), unique=True)
    metal: Mapped[str] = mapped_column(String(10))
    purity: Mapped[str] = mapped_column(String(8))
    purity_permille: Mapped[int]
    weight_mg: Mapped[int]
    metal_price_id: Mapped[int] = mapped_column(ForeignKey("metal_prices.id"))
    buyback_fen_per_gram: Mapped[int] = mapped_column(Money)
    value_fen: Mapped[int] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(10), default="valued")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[datetime | None]

    events = case_log("TradeInEvent")


class TradeInEvent(CaseStep, Model):
    """Every step of a trade-in, for audit."""

    __tablename__ = "trade_in_events"

    trade_in_id: Mapped[int] = mapped_column(
        ForeignKey("trade_ins.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(12))


CONSIGNMENT_STATES = (
    "received",
    "appraised",
    "agreed",
    "listed",
    "sold",
    "paid_out",
    "returned",
)


class Consignment(CustomerCase, Model):
    """A luxury piece a customer leaves to be sold (寄售): appraised, priced with the
    consignor, listed as a one-off product, sold, and paid out net of the commission."""

    __tablename__ = "consignments"
    __table_args__ = (
        CheckConstraint("commission_bps BETWEEN 0 AND 5000", name="commission_range"),
    )

    consignment_no: Mapped[str] = mapped_column(String(24), unique=True)
    description: Mapped[str] = mapped_column(String(255))
    appraisal_notes: Mapped[str] = mapped_column(Text, default="")
    appraised_fen: Mapped[int | None] = mapped_column(Money)
    agreed_price_fen: Mapped[int | None] = mapped_column(Money)
    commission_bps: Mapped[int] = mapped_column(default=2000)
    status: Mapped[str] = mapped_column(String(10), default="received")
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    payout_fen: Mapped[int | None] = mapped_column(Money)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    product = relationship("Product")
    order = relationship("Order")
    events = case_log("ConsignmentEvent")
    photos = case_log("ConsignmentPhoto")


class ConsignmentEvent(CaseStep, Model):
    """Every step of a consignment, for audit."""

    __tablename__ = "consignment_events"

    consignment_id: Mapped[int] = mapped_column(
        ForeignKey("consignments.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))


class ConsignmentPhoto(IntakePhoto, Model):
    """A photo of a consigned piece taken at intake (the rules of a service ticket's)."""

    __tablename__ = "consignment_photos"

    consignment_id: Mapped[int] = mapped_column(
        ForeignKey("consignments.id", ondelete="CASCADE"), index=True
    )


__all__ = [
    "CONSIGNMENT_STATES",
    "Consignment",
    "ConsignmentEvent",
    "ConsignmentPhoto",
    "APPOINTMENT_OUTCOMES",
    "DEFECT_REMEDIES",
    "DELIVERY",
    "FULFILMENT_MODES",
    "INSPECTION_RESULTS",
    "PICKUP",
    "SERVICE_KINDS",
    "TICKET_STATES",
    "TRADE_IN_STATES",
    "AppointmentOutcome",
    "InspectionPhoto",
    "OrderFulfilment",
    "ServiceTicket",
    "ServiceTicketEvent",
    "ServiceTicketPhoto",
    "TradeIn",
    "TradeInEvent",
]
