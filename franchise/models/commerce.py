"""Products, coupon templates and coupons, orders with their lines and status log.

Money is integer fen. An order belongs to the franchisee that owned the customer when it
was placed; its status only moves through ``franchise.services.orders`` (ORDER_FLOW).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model, Money
from franchise.models.customers import CUSTOMER_SCOPE


class Product(Model):
    """A catalogue item; ``care_interval_days`` and ``care_kind`` (a service kind, cleaning
    when unset) drive the maintenance reminders of the pieces sold of it."""

    __tablename__ = "products"
    __table_args__ = (CheckConstraint("price_fen >= 0", name="price_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32), default="", index=True)
    price_fen: Mapped[int] = mapped_column(Money)
    stock: Mapped[int] = mapped_column(default=0)
    care_interval_days: Mapped[int | None]
    care_kind: Mapped[str | None] = mapped_column(String(12))  # issue 19: a SERVICE_KINDS
    description: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(String(255), default="")
    is_active: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


COUPON_KINDS = ("new_customer", "campaign")


class CouponTemplate(Model):
    """Amount off above a threshold, valid for a period, with a budget per region."""

    __tablename__ = "coupon_templates"
    __table_args__ = (
        CheckConstraint("amount_off_fen > 0", name="amount_positive"),
        CheckConstraint("threshold_fen >= 0", name="threshold_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="campaign")
    amount_off_fen: Mapped[int] = mapped_column(Money)
    threshold_fen: Mapped[int] = mapped_column(Money, default=0)
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    valid_days: Mapped[int | None]  # days from issue, when set
    campaign_id: Mapped[int | None] = mapped_column(index=True)  # livestream, no FK upward
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    budgets = relationship("CouponBudget", back_populates="template", cascade="all, delete-orphan")


class CouponBudget(Model):
    """How many coupons of a template a region may issue."""

    __tablename__ = "coupon_budgets"
    __table_args__ = (UniqueConstraint("template_id", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id", ondelete="CASCADE"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    budget_count: Mapped[int]
    issued_count: Mapped[int] = mapped_column(default=0)

    template = relationship("CouponTemplate", back_populates="budgets")


COUPON_ISSUED, COUPON_REDEEMED, COUPON_VOID = "issued", "redeemed", "void"
# the states a coupon is stored in (``expired`` is derived from ``expires_at``)
COUPON_STATUSES = (COUPON_ISSUED, COUPON_REDEEMED, COUPON_VOID)


class Coupon(Model):
    """A coupon issued to a customer; redeemed online or in store, with attribution."""

    __tablename__ = "coupons"
    __scope__ = {"franchisee": "franchisee_id", "customer": "customer_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=COUPON_ISSUED, index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    redeemed_at: Mapped[datetime | None]
    redeemed_channel: Mapped[str | None] = mapped_column(String(8))  # online | store
    # orders.coupon_id points back here: this key is created after both tables exist
    redeemed_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", use_alter=True, ondelete="SET NULL")
    )
    redeemed_guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    redeemed_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    redeemed_franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"))

    template = relationship("CouponTemplate")
    customer = relationship("Customer")


# created → paid → shipped (HQ warehouse → franchisee) → received (by the store) →
# delivered | picked_up → completed; cancelled before payment; refunded when fully refunded.
CREATED, PAID, SHIPPED, RECEIVED = "created", "paid", "shipped", "received"
DELIVERED, PICKED_UP, COMPLETED = "delivered", "picked_up", "completed"
CANCELLED, REFUNDED, CLOSED = "cancelled", "refunded", "closed"
ORDER_STATUSES = (
    CREATED,
    PAID,
    SHIPPED,
    RECEIVED,
    DELIVERED,
    PICKED_UP,
    COMPLETED,
    CANCELLED,
    REFUNDED,
    CLOSED,
)
# an order that was paid and stays paid (a refunded, cancelled or closed one is not)
PAID_STATUSES = (PAID, SHIPPED, RECEIVED, DELIVERED, PICKED_UP, COMPLETED)


class Order(Model):
    """A mini-program order, owned by a franchisee, store and (when known) guide."""

    __tablename__ = "orders"
    if TYPE_CHECKING:
        allowed_transitions: list[str]  # not a column: set for the detail schema (api.orders)
    __scope__ = CUSTOMER_SCOPE
    __table_args__ = (
        CheckConstraint("payable_fen >= 0", name="payable_nonnegative"),
        CheckConstraint("refunded_fen <= paid_fen", name="refund_not_above_paid"),
        Index("ix_orders_franchisee_id_status", "franchisee_id", "status"),
        # a store's orders in a state (the guide's hand-over count and order tabs): the
        # statuses are constants in the SQL (``app.db.fixed_values``) so any plan uses it
        Index("ix_orders_store_id_status", "store_id", "status"),
        # a store's orders placed / paid in a day (the guide's Today and results): read
        # within the day, not across every order the store ever took
        Index("ix_orders_store_id_created_at", "store_id", "created_at"),
        Index("ix_orders_store_id_paid_at", "store_id", "paid_at"),
        Index("ix_orders_created_at", "created_at"),
        # a customer's orders paid in a window (the member's rolling 12-month spend after
        # each payment): read within the window, not across every order they placed; it
        # serves every ``customer_id``-only lookup too
        Index("ix_orders_customer_id_paid_at", "customer_id", "paid_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(index=True)  # livestream, no FK upward
    share_code: Mapped[str | None] = mapped_column(String(32))
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"))
    status: Mapped[str] = mapped_column(String(12), default=CREATED)
    fulfilment: Mapped[str] = mapped_column(String(10), default="pickup")  # pickup | delivery
    total_fen: Mapped[int] = mapped_column(Money)
    discount_fen: Mapped[int] = mapped_column(Money, default=0)
    payable_fen: Mapped[int] = mapped_column(Money)
    paid_fen: Mapped[int] = mapped_column(Money, default=0)
    refunded_fen: Mapped[int] = mapped_column(Money, default=0)
    # Σ refunds requested or done: taken by one conditional UPDATE before WeChat is asked
    # (``franchise.services.refunds``), given back when WeChat refuses; ≤ paid_fen
    refund_reserved_fen: Mapped[int] = mapped_column(Money, default=0, server_default="0")
    # --- members: points offset at checkout (franchise.services.points); payable is
    # total − discount − points_fen ---
    points_used: Mapped[int] = mapped_column(Money, default=0, server_default="0")
    points_fen: Mapped[int] = mapped_column(Money, default=0, server_default="0")
    # --- members: ``online`` (mini-program) or ``store`` (a guide recorded the sale)
    channel: Mapped[str] = mapped_column(String(8), default="online", server_default="online")
    out_trade_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    transaction_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    paid_at: Mapped[datetime | None]
    # issue 19: the order this one replaces after a defect (no payment of its own)
    replaces_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines = relationship(
        "OrderLine", back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    events = relationship("OrderEvent", back_populates="order", order_by="OrderEvent.id")
    customer = relationship("Customer")
    franchisee = relationship("Franchisee")
    store = relationship("Store")
    guide = relationship("Guide")


class OrderLine(Model):
    """A product line at list price (the discount sits on the order)."""

    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    unit_price_fen: Mapped[int] = mapped_column(Money)
    quantity: Mapped[int]
    line_total_fen: Mapped[int] = mapped_column(Money)

    order = relationship("Order", back_populates="lines")


class OrderEvent(Model):
    """Every status change of an order: from, to, who, why."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(20), default="system")
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order = relationship("Order", back_populates="events")
