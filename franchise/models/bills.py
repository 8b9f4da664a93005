"""WeChat Pay's bills as downloaded for T+1 reconciliation: one row per bill line.

``kind`` ``trade`` lines come from the trade bill (交易账单: a payment or a refund, by
``transaction_id``); ``fund`` lines from the sub-merchant's fund-flow bill (资金账单: money
that actually moved in the franchisee's WeChat Pay basic account — 交易 income, fees,
profit sharing, refunds). A payment is *settled by WeChat* when its 交易 income line is in
the fund-flow bill; that state is kept here, apart from the ledger's booked figure. A
download replaces the lines of its (day, kind, sub-merchant).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import Model, Money

__all__ = ["BILL_KINDS", "BillLine"]

BILL_KINDS = ("trade", "fund")


class BillLine(Model):
    """One line of WeChat's trade or fund-flow bill of a day."""

    __tablename__ = "wechat_bill_lines"
    __scope__ = {"franchisee": "franchisee_id"}
    __table_args__ = (
        Index("ix_wechat_bill_lines_day_kind_sub", "bill_date", "kind", "sub_mch_id"),
        Index("ix_wechat_bill_lines_transaction", "transaction_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))  # trade | fund
    line_no: Mapped[int] = mapped_column(default=0)
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    sub_mch_id: Mapped[str] = mapped_column(String(32), default="")
    transaction_id: Mapped[str] = mapped_column(String(32), default="")
    reference: Mapped[str] = mapped_column(String(64), default="")  # out_trade_no / voucher
    business: Mapped[str] = mapped_column(String(16), default="")  # SUCCESS, REFUND, 交易, 分账...
    amount_fen: Mapped[int] = mapped_column(Money, default=0)  # signed for fund lines
    fee_fen: Mapped[int | None] = mapped_column(Money)
    booked_at: Mapped[str] = mapped_column(String(19), default="")  # as WeChat wrote it
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
