"""Members, their levels, and the points book.

Every mini-program customer is a member of the brand (one row per customer, across all
franchisees) with a member number and a level; every level change is a
``MemberLevelChange`` with its reason.

The points book is kept like the money ledger: append-only ``point_transactions`` with a
unique ``idempotency_key`` and balanced ``point_entries`` (integer points; each
transaction also records the value of one point in fen when it was posted, so the
franchisees' settlement in fen follows from it). Accounts (``point_accounts``) are
``member:<customer id>`` (what the brand owes the member), ``carrier:<franchisee id |
hq>`` (who paid for the points earned), ``redeemed:<franchisee id | hq>`` (where points
were spent), ``expired:hq`` and ``debt:<customer id>`` (points reversed after they were
spent, owed by the member until HQ writes them off or later earnings repay them).

``Member.points`` is the spendable balance, changed only by ``franchise.services.points``
in the same transaction as the entries, with conditional updates (never negative, a
CHECK holds it); ``points_consumed`` and ``PointLot`` (points per expiry day) let the
nightly expiry decide first-in-first-out in one statement: what a member holds is
``Σ lots − points_consumed``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model, Money

LEVELS = ("regular", "silver", "gold", "platinum", "diamond")


class Member(Model):
    """A customer's membership of the brand: number, level, points held."""

    __tablename__ = "members"
    __scope__ = {"customer": "customer_id"}  # staff lists join Customer (its owner)
    __table_args__ = (
        CheckConstraint("points >= 0", name="points_nonnegative"),
        CheckConstraint("points_consumed >= 0", name="consumed_nonnegative"),
        Index("ix_members_level", "level"),
        # room on each page for the balance updates to stay HOT (no index writes): the
        # nightly expiry updates every member holding an expired lot
        {"postgresql_with": {"fillfactor": 85}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), unique=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    level: Mapped[str] = mapped_column(String(12), default="regular")
    level_since: Mapped[datetime] = mapped_column(default=utcnow)
    spend_12m_fen: Mapped[int] = mapped_column(Money, default=0)
    points: Mapped[int] = mapped_column(Money, default=0)
    points_consumed: Mapped[int] = mapped_column(Money, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer = relationship("Customer")


class MemberLevelChange(Model):
    """One change of a member's level: from, to, why, the spend it was decided on."""

    __tablename__ = "member_level_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    from_level: Mapped[str | None] = mapped_column(String(12))
    to_level: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(32))  # joined|upgrade|yearly_review|manual
    spend_fen: Mapped[int] = mapped_column(Money, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PointAccount(Model):
    """An account of the points book (see the module docstring for the kinds)."""

    __tablename__ = "point_accounts"
    __scope__ = {"franchisee": "franchisee_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PointTransaction(Model):
    """One balanced posting of points, keyed for idempotency."""

    __tablename__ = "point_transactions"
    __scope__ = {"franchisee": "franchisee_id", "customer": "customer_id"}
    __table_args__ = (
        Index("ix_point_tx_customer_id", "customer_id", "id"),
        Index("ix_point_tx_franchisee_date", "franchisee_id", "business_date"),
        CheckConstraint("points > 0", name="points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    # where it happened: the earning or the redeeming franchisee (None: HQ)
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    points: Mapped[int] = mapped_column(Money)  # Σ debits (= Σ credits)
    # the member's side: + added to the balance, − taken from it, 0 none
    member_points: Mapped[int] = mapped_column(Money, default=0)
    value_fen: Mapped[int] = mapped_column(Money)  # one point's value when posted
    business_date: Mapped[date] = mapped_column(Date)
    memo: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entries = relationship(
        "PointEntry",
        primaryjoin="PointTransaction.id == foreign(PointEntry.transaction_id)",
        back_populates="transaction",
    )


class PointEntry(Model):
    """One side of a points posting: a debit or a credit (the other is zero)."""

    __tablename__ = "point_entries"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="nonnegative"),
        CheckConstraint("(debit = 0) <> (credit = 0)", name="one_side"),
    )

    # No foreign-key constraints on these two: entries are written only with their
    # transaction, in the same statement (``points_book.post``, the nightly expiry), from
    # ids just read; per-row reference checks were a third of the expiry's time on
    # PostgreSQL. ``points_book.orphan_entries`` checks what the constraints did.
    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(index=True)
    account_id: Mapped[int] = mapped_column(index=True)
    debit: Mapped[int] = mapped_column(Money, default=0)
    credit: Mapped[int] = mapped_column(Money, default=0)

    transaction = relationship(
        "PointTransaction",
        primaryjoin="foreign(PointEntry.transaction_id) == PointTransaction.id",
        back_populates="entries",
    )
    account = relationship(
        "PointAccount", primaryjoin="foreign(PointEntry.account_id) == PointAccount.id"
    )


class PointLot(Model):
    """Points a member earned that expire on ``expires_on`` (the end of that Shanghai
    day); deleted by the nightly expiry once the day has passed."""

    __tablename__ = "point_lots"
    __table_args__ = (
        UniqueConstraint("member_id", "expires_on"),
        Index("ix_point_lots_expires_on", "expires_on"),
        # never reuse a lot's id (SQLite would reuse the highest one once deleted): the
        # expiry's idempotency key names the newest lot it took
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    expires_on: Mapped[date] = mapped_column(Date)
    points: Mapped[int] = mapped_column(Money, default=0)


class PointItem(Model):
    """Something a member may take for points alone (HQ's catalogue)."""

    __tablename__ = "point_items"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("stock >= 0", name="stock_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(Money)
    stock: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PointRedemption(Model):
    """A member took a point item, collected at their franchisee's store."""

    __tablename__ = "point_redemptions"
    __scope__ = {"franchisee": "franchisee_id", "customer": "customer_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("point_items.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    points: Mapped[int] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item = relationship("PointItem")


PAID_BY = ("cash", "card", "wechat", "alipay")


class StoreSale(Model):
    """An in-store sale a guide recorded: the order (channel ``store``), how it was
    paid, who recorded it."""

    __tablename__ = "store_sales"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    paid_by: Mapped[str] = mapped_column(String(8))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
