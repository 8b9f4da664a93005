"""Mini-program customers, their franchise assignment and its history, share codes,
assignment settings, and in-store appointments.

Invariant: every customer has exactly one franchisee at all times (``franchisee_id`` is
NOT NULL and only ``franchise.services.assignment`` changes it, always with a history row).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model, Money

# Assignment rules, in the order they are tried (DESIGN.md), plus manual and inheritance.
RULE_SHARE_CODE = "share_code"
RULE_BINDING = "binding"
RULE_NEAREST_STORE = "nearest_store"
RULE_REGION_DEFAULT = "region_default"
RULE_HQ_POOL = "hq_pool"
RULE_MANUAL = "manual"
RULE_STORE_CLOSED = "store_closed"
RULE_GUIDE_LEFT = "guide_left"
ASSIGNMENT_RULES = (
    RULE_SHARE_CODE,
    RULE_BINDING,
    RULE_NEAREST_STORE,
    RULE_REGION_DEFAULT,
    RULE_HQ_POOL,
    RULE_MANUAL,
    RULE_STORE_CLOSED,
    RULE_GUIDE_LEFT,
)

TIER_LOW, TIER_MID, TIER_HIGH = "low", "mid", "high"

# The tenant scope (``app.auth.scope`` reads a model's ``__scope__``) of a row about one
# customer, whom a guide at a store of a franchisee serves: an appointment, an order, an
# event invitation (the customer row itself is its own ``customer``).
CUSTOMER_SCOPE = {
    "franchisee": "franchisee_id",
    "store": "store_id",
    "guide": "guide_id",
    "customer": "customer_id",
}


class Customer(Model):
    """A mini-program customer (by openid), owned by exactly one franchisee."""

    __tablename__ = "customers"
    __scope__ = CUSTOMER_SCOPE | {"customer": "id"}
    __table_args__ = (
        Index("ix_customers_franchisee_id_store_id", "franchisee_id", "store_id"),
        Index("ix_customers_value_tier", "value_tier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), unique=True)
    nickname: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    birthday: Mapped[date | None] = mapped_column(Date)
    city: Mapped[str | None] = mapped_column(String(32))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    assignment_rule: Mapped[str] = mapped_column(String(20))
    # Start of the binding's protection period (rule 2): a later login inside
    # ``lock_days`` keeps the binding unless a share code says otherwise. A visit, an
    # appointment or a purchase moves it forward (``assignment.extend_binding``).
    bound_at: Mapped[datetime] = mapped_column(default=utcnow)
    # RFM, refreshed nightly by franchise.jobs.refresh_value_tiers
    recency_days: Mapped[int | None]
    order_count: Mapped[int] = mapped_column(default=0)
    monetary_fen: Mapped[int] = mapped_column(Money, default=0)
    value_tier: Mapped[str | None] = mapped_column(String(8))
    tier_label: Mapped[str | None] = mapped_column(String(32))
    last_order_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    franchisee = relationship("Franchisee")
    store = relationship("Store")
    guide = relationship("Guide")

    def guide_at(self, store_id: int | None) -> int | None:
        """The customer's own guide when they belong to ``store_id``, else None: a visit
        booked or a job taken in at another store is no guide's."""
        return self.guide_id if self.store_id == store_id else None


class AssignmentHistory(Model):
    """One change of a customer's owner: who, why, from, to."""

    __tablename__ = "assignment_history"
    __scope__ = {"franchisee": "to_franchisee_id", "customer": "customer_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    from_franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"))
    to_franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    from_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    to_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    from_guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"))
    to_guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"))
    rule: Mapped[str] = mapped_column(String(20), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    customer = relationship("Customer", viewonly=True)


class ShareCode(Model):
    """A guide's share code or a store QR scene; may carry a livestream campaign."""

    __tablename__ = "share_codes"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # "guide" | "store"
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"))
    campaign_id: Mapped[int | None] = mapped_column(index=True)  # livestream, no FK upward
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FranchiseSetting(Model):
    """Configurable thresholds (assignment radius, lock days, RFM cut-offs...)."""

    __tablename__ = "franchise_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict | int | float | str] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


APPOINTMENT_KINDS = ("try_on", "maintenance", "inspection")


class Appointment(Model):
    """An in-store visit: try-on, cleaning/maintenance, or inspecting an online purchase."""

    __tablename__ = "appointments"
    __scope__ = CUSTOMER_SCOPE
    __table_args__ = (Index("ix_appointments_store_id_slot_start", "store_id", "slot_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(String(16))
    slot_start: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="booked")
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer = relationship("Customer")
    store = relationship("Store")
