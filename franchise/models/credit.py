"""Who gets credit for each order line, the appeals against it, and guides' commission.

- ``CreditRule``: one row per source of credit (a live campaign's guide, the share code's
  guide, the guide who served the customer in store, the assigned guide), with its
  precedence and its share in basis points; HQ keeps the active shares at 10,000.
- ``OrderCredit``: one row per paid order whose credit was computed (the exactly-once
  gate: inserted with ``ON CONFLICT (order_id) DO NOTHING``).
- ``CreditLine``: one share of one order line: guide (or none: the store's share), store,
  franchisee, basis points, the fen of the line it stands for, and the evidence (JSON).
  A ruling supersedes a line's rows (``is_current`` false) and writes new ones.
- ``CreditDispute`` and ``DisputeEvent``: an appeal against a line's credit with its
  deadline, ruling and every step.
- ``CommissionRate`` and ``CommissionEntry``: rates per category / campaign, and the
  commission book (signed fen, one row per accrual, reversal, move or live reward).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model, Money
from franchise.models.aftersales import case_log

FULL_BPS = 10_000

# sources of credit, in their default precedence
SOURCE_LIVE, SOURCE_SHARE_CODE, SOURCE_IN_STORE, SOURCE_ASSIGNED = (
    "live_campaign",
    "share_code",
    "in_store",
    "assigned",
)
CREDIT_SOURCES = (SOURCE_LIVE, SOURCE_SHARE_CODE, SOURCE_IN_STORE, SOURCE_ASSIGNED)
SOURCE_STORE, SOURCE_RULING = "store", "ruling"  # no guide found; moved by a ruling

DISPUTE_OPEN, DISPUTE_UPHELD, DISPUTE_REJECTED = "open", "upheld", "rejected"
DISPUTE_STATUSES = (DISPUTE_OPEN, DISPUTE_UPHELD, DISPUTE_REJECTED)

# commission book entry kinds
ACCRUAL, REVERSAL, MOVED_OUT = "accrual", "reversal", "moved_out"
LIVE_REWARD, LIVE_PENALTY = "live_reward", "live_penalty"
COMMISSION_KINDS = (ACCRUAL, REVERSAL, MOVED_OUT, LIVE_REWARD, LIVE_PENALTY)


class CreditRule(Model):
    """One source of credit: its precedence (1 first) and share of a line in bps."""

    __tablename__ = "credit_rules"
    __table_args__ = (
        CheckConstraint("share_bps >= 0 AND share_bps <= 10000", name="share_bps_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), unique=True)
    precedence: Mapped[int]
    share_bps: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrderCredit(Model):
    """A paid order whose credit was computed (once), and when."""

    __tablename__ = "order_credits"
    __scope__ = {"franchisee": "franchisee_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    paid_at: Mapped[datetime]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditLine(Model):
    """One share of an order line's credit, with the evidence behind it."""

    __tablename__ = "credit_lines"
    __scope__ = {"franchisee": "order_franchisee_id", "guide": "guide_id"}
    __table_args__ = (
        CheckConstraint("share_bps > 0 AND share_bps <= 10000", name="share_bps_range"),
        Index("ix_credit_lines_order_line_id_is_current", "order_line_id", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    order_franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"))
    share_bps: Mapped[int]
    basis_fen: Mapped[int] = mapped_column(Money)  # the paid fen of the line this share is
    sources: Mapped[str] = mapped_column(String(80))  # comma-separated source keys
    evidence: Mapped[list] = mapped_column(JSON)
    is_current: Mapped[bool] = mapped_column(default=True)
    dispute_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_disputes.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    guide = relationship("Guide")
    store = relationship("Store")
    franchisee = relationship("Franchisee", foreign_keys=[franchisee_id])


class CreditDispute(Model):
    """A guide's or owner's appeal against one line's credit, decided by HQ."""

    __tablename__ = "credit_disputes"
    __scope__ = {"franchisee": "order_franchisee_id", "guide": "filed_guide_id"}
    __table_args__ = (Index("ix_credit_disputes_status_decide_by", "status", "decide_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), index=True
    )
    order_franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    filed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filed_role: Mapped[str] = mapped_column(String(20))
    filed_guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=DISPUTE_OPEN)
    decide_by: Mapped[datetime]
    ruling: Mapped[str] = mapped_column(Text, default="")
    awarded_guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"))
    ruled_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ruled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    events = case_log("DisputeEvent")
    filed_guide = relationship("Guide", foreign_keys=[filed_guide_id])
    awarded_guide = relationship("Guide", foreign_keys=[awarded_guide_id])
    order = relationship("Order")
    order_line = relationship("OrderLine")


class DisputeEvent(Model):
    """One step of a dispute: filed, ruled (upheld or rejected), credit moved."""

    __tablename__ = "dispute_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("credit_disputes.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommissionRate(Model):
    """A guide's commission rate (bps of the credited fen) for a category or a campaign.

    ``category`` "" with no campaign is the default rate; a campaign's rate beats a
    category's.
    """

    __tablename__ = "commission_rates"
    __table_args__ = (
        UniqueConstraint("category", "campaign_id"),
        CheckConstraint("rate_bps >= 0 AND rate_bps <= 10000", name="rate_bps_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32), default="")
    campaign_id: Mapped[int | None]  # livestream, no FK upward
    rate_bps: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CommissionEntry(Model):
    """One signed amount in a guide's commission book (fen), in a Shanghai month."""

    __tablename__ = "commission_entries"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}
    __table_args__ = (Index("ix_commission_entries_guide_id_month", "guide_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    guide_id: Mapped[int] = mapped_column(ForeignKey("guides.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    credit_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_lines.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[int | None]
    basis_fen: Mapped[int] = mapped_column(Money, default=0)
    rate_bps: Mapped[int] = mapped_column(default=0)
    amount_fen: Mapped[int] = mapped_column(Money)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, Asia/Shanghai
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    guide = relationship("Guide")
    store = relationship("Store")
