"""Payments, refunds, profit-sharing instructions, the double-entry ledger, daily
settlement statements, reconciliation against WeChat's bill, and alerts for HQ.

The ledger is append-only: rows of ``ledger_transactions`` and ``ledger_entries`` are
never updated or deleted; a refund is a reversing transaction. Each transaction has a
unique ``idempotency_key`` and its entries' debits equal its credits. Balances are sums of
entries, never stored counters. A payment's ``transaction_id`` is unique.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship, synonym

from app.clock import utcnow
from app.extensions import Model, Money


class FranchiseeMoney:
    """The columns a franchisee's money through WeChat Pay shares (a payment, a refund,
    a profit share): its id, the franchisee whose it is (the tenant scope), the amount in
    fen, when it was recorded."""

    __scope__ = {"franchisee": "franchisee_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payment(FranchiseeMoney, Model):
    """A verified WeChat Pay payment into a franchisee's sub-merchant account."""

    __tablename__ = "payments"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    sub_mch_id: Mapped[str] = mapped_column(String(12))
    out_trade_no: Mapped[str] = mapped_column(String(32), index=True)
    transaction_id: Mapped[str] = mapped_column(String(32), unique=True)
    fee_fen: Mapped[int] = mapped_column(Money, default=0)
    source: Mapped[str] = mapped_column(String(12), default="notify")  # notify | orderquery
    paid_at: Mapped[datetime]
    business_date: Mapped[date] = mapped_column(Date, index=True)  # Asia/Shanghai day


class Refund(FranchiseeMoney, Model):
    """A full or partial refund of a payment."""

    __tablename__ = "refunds"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    out_refund_no: Mapped[str] = mapped_column(String(32), unique=True)
    reason: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(12), default="requested")
    refund_id: Mapped[str | None] = mapped_column(String(32))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    succeeded_at: Mapped[datetime | None]


class ProfitShare(FranchiseeMoney, Model):
    """HQ's share of a payment, as a WeChat profit-sharing instruction (never a transfer)."""

    __tablename__ = "profit_shares"

    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    out_order_no: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|done|failed
    wechat_order_id: Mapped[str | None] = mapped_column(String(64))
    finished_at: Mapped[datetime | None]


class LedgerAccount(Model):
    """An account: per franchisee (wallet, sales, fees, HQ share) or HQ-wide."""

    __tablename__ = "ledger_accounts"
    __scope__ = {"franchisee": "franchisee_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # e.g. "wallet:3"
    kind: Mapped[str] = mapped_column(String(16))  # wallet | sales | wechat_fee | hq_share
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerTransaction(Model):
    """One balanced posting (payment, fee, HQ share, refund), keyed for idempotency."""

    __tablename__ = "ledger_transactions"
    __scope__ = {"franchisee": "franchisee_id"}
    __table_args__ = (Index("ix_ledger_tx_franchisee_date", "franchisee_id", "business_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(96), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # payment | refund | fee | hq_share
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    amount_fen: Mapped[int] = mapped_column(Money)
    business_date: Mapped[date] = mapped_column(Date)
    memo: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entries = relationship("LedgerEntry", back_populates="transaction")


class LedgerEntry(Model):
    """One side of a posting: a debit or a credit in fen (the other is zero)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("debit_fen >= 0 AND credit_fen >= 0", name="nonnegative"),
        CheckConstraint("(debit_fen = 0) <> (credit_fen = 0)", name="one_side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    debit_fen: Mapped[int] = mapped_column(Money, default=0)
    credit_fen: Mapped[int] = mapped_column(Money, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    transaction = relationship("LedgerTransaction", back_populates="entries")
    account = relationship("LedgerAccount")


class SettlementStatement(Model):
    """A franchisee's closed day: gross, fees, HQ share, refunds, net (snapshot at close)."""

    __tablename__ = "settlement_statements"
    __scope__ = {"franchisee": "franchisee_id"}
    __table_args__ = (UniqueConstraint("franchisee_id", "business_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"))
    business_date: Mapped[date] = mapped_column(Date, index=True)
    payments_count: Mapped[int] = mapped_column(default=0)
    gross_fen: Mapped[int] = mapped_column(Money, default=0)
    fee_fen: Mapped[int] = mapped_column(Money, default=0)
    hq_share_fen: Mapped[int] = mapped_column(Money, default=0)
    refund_fen: Mapped[int] = mapped_column(Money, default=0)
    net_fen: Mapped[int] = mapped_column(Money, default=0)
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReconciliationRun(Model):
    """One comparison of WeChat's bill for a day with the ledger."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = (UniqueConstraint("bill_date", "attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_date: Mapped[date] = mapped_column(Date, index=True)
    attempt: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(12), default="running")  # ok | differences | error
    bill_rows: Mapped[int] = mapped_column(default=0)
    ledger_rows: Mapped[int] = mapped_column(default=0)
    bill_total_fen: Mapped[int] = mapped_column(Money, default=0)
    ledger_total_fen: Mapped[int] = mapped_column(Money, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items = relationship("ReconciliationItem", back_populates="run", cascade="all, delete-orphan")


class ReconciliationItem(Model):
    """A difference: in the bill but not the ledger, the reverse, or another amount."""

    __tablename__ = "reconciliation_items"
    __scope__ = {"franchisee": "franchisee_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("reconciliation_runs.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # missing_in_ledger|missing_in_bill|amount
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"))
    transaction_id: Mapped[str | None] = mapped_column(String(32))
    out_trade_no: Mapped[str | None] = mapped_column(String(32))
    bill_amount_fen: Mapped[int | None] = mapped_column(Money)
    ledger_amount_fen: Mapped[int | None] = mapped_column(Money)

    run = relationship("ReconciliationRun", back_populates="items")


class Alert(Model):
    """One cause HQ (or the franchise owner) must look at, however often it recurs.

    An alert is a ``code`` from ``franchise.services.alert_catalogue`` with ``params``
    (shown translated, never stored as text); ``(code, cause_key)`` is the cause, so a
    notify WeChat re-sends 15 times is one row with ``count`` 15 and ``last_seen_at``.
    HQ and the owner acknowledge separately; a recurrence re-opens it for both.
    """

    __tablename__ = "alerts"
    __scope__ = {"franchisee": "franchisee_id"}
    __table_args__ = (UniqueConstraint("code", "cause_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    cause_key: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(8), default="warning")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    count: Mapped[int] = mapped_column(default=1)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    hq_acknowledged_at: Mapped[datetime | None]
    hq_acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_acknowledged_at: Mapped[datetime | None]
    owner_acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # the customer ``params.customer_id`` names as they are now, when the alert list's
    # statement joins them (``franchise.admin.alerts.alert_stmt``; None otherwise)
    customer_now_id: Mapped[int | None] = query_expression()
    customer_now_nickname: Mapped[str | None] = query_expression()
    customer_now_phone: Mapped[str | None] = query_expression()

    # the names before codes: ``kind`` and ``severity`` still read and filter
    kind = synonym("code")
    severity = synonym("level")
