"""Guides' commission: rates, the book (accrual, reversal, moves, live rewards), statements.

Rounding, stated once: a credited share earns ``round_half_up(basis_fen × rate_bps /
10,000)`` fen, accrued when the order's credit is computed (in the Shanghai month of the
payment). Refunds reverse it in proportion, cumulatively: after refunds totalling R of a
payment P a share's reversals total ``round_half_up(accrued × R / P)``, so a full refund
reverses exactly what was accrued and no fen is lost or made however the refunds are
split. A ruling that moves a line's credit posts the old share's net (accrued minus
reversed) back out and accrues the new share at today's rates, less what was refunded.

Rates: a campaign's rate (``CommissionRate`` with ``campaign_id``) beats the product
category's, which beats the default (category "", no campaign); none means 0.
Every entry has a ``dedupe_key`` (unique, inserted with ``ON CONFLICT DO NOTHING``), so a
hook or job that runs twice posts once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select

from app.auth.scope import not_found
from app.clock import shanghai_day, utcnow
from app.db import committing, insert_ignoring
from app.extensions import db, hooks
from franchise.models import (
    ACCRUAL,
    FULL_BPS,
    MOVED_OUT,
    REVERSAL,
    CommissionEntry,
    CommissionRate,
    CreditLine,
    Guide,
    Order,
    OrderLine,
    Product,
)
from franchise.services.base import invalid
from franchise.services.coupon_templates import CAMPAIGN_EXISTS


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def reversal_target(accrued: int, refunded: int, paid: int) -> int:
    """What a share's reversals total once ``refunded`` of ``paid`` fen went back."""
    return round_half_up(accrued * min(refunded, paid), paid) if paid > 0 else 0


def month_of(moment: datetime) -> str:
    """The Shanghai month (``YYYY-MM``) a moment falls in."""
    return shanghai_day(moment).strftime("%Y-%m")


def rate_for(category: str, campaign_id: int | None) -> int:
    """The rate (bps) for a product category within a campaign (or none)."""
    rows = db.session.execute(
        select(CommissionRate.category, CommissionRate.campaign_id, CommissionRate.rate_bps).where(
            CommissionRate.category.in_(("", category or ""))
        )
    ).all()
    by_key = {(r.category, r.campaign_id): r.rate_bps for r in rows}
    cat = category or ""
    for key in ((cat, campaign_id), ("", campaign_id), (cat, None), ("", None)):
        if key in by_key:
            return int(by_key[key])
    return 0


def post(kind: str, key: str, holder, amount_fen: int, **extra) -> None:
    """Insert one book entry for ``holder`` (a credit line, or a guide for a live
    reward) unless ``key`` is already in the book (no commit). ``extra``: ``basis_fen``,
    ``rate_bps``, ``campaign_id``, ``note``, ``month`` (default: this month)."""
    is_line = isinstance(holder, CreditLine)
    entry = {
        "dedupe_key": key[:80],
        "kind": kind,
        "guide_id": holder.guide_id if is_line else holder.id,
        "store_id": holder.store_id,
        "franchisee_id": holder.franchisee_id,
        "order_id": holder.order_id if is_line else None,
        "credit_line_id": holder.id if is_line else None,
        "campaign_id": extra.get("campaign_id"),
        "basis_fen": extra.get("basis_fen", 0),
        "rate_bps": extra.get("rate_bps", 0),
        "amount_fen": amount_fen,
        "month": extra.get("month") or month_of(utcnow()),
        "note": (extra.get("note") or "")[:255],
        "created_at": utcnow(),
    }
    db.session.execute(insert_ignoring(db.engine, CommissionEntry, "dedupe_key"), [entry])


def _line_rows(credit_lines: Iterable[CreditLine]):
    """Each guide's credit line with its product category and order."""
    ids = [cl.id for cl in credit_lines if cl.guide_id is not None]
    if not ids:
        return []
    return db.session.execute(
        select(CreditLine, Product.category, Order.campaign_id, Order.paid_at)
        .join(OrderLine, OrderLine.id == CreditLine.order_line_id)
        .join(Product, Product.id == OrderLine.product_id)
        .join(Order, Order.id == CreditLine.order_id)
        .where(CreditLine.id.in_(ids))
    ).all()


def accrue(credit_lines: Iterable[CreditLine], when: datetime | None = None) -> None:
    """Accrue commission on the guides' shares (no commit); ``when`` picks the month
    (default: the order's payment)."""
    for cl, category, campaign_id, paid_at in _line_rows(credit_lines):
        rate = rate_for(category, campaign_id)
        amount = round_half_up(cl.basis_fen * rate, FULL_BPS)
        if amount == 0:
            continue
        post(
            ACCRUAL,
            f"accrual:{cl.id}",
            cl,
            amount,
            campaign_id=campaign_id,
            basis_fen=cl.basis_fen,
            rate_bps=rate,
            month=month_of(when or paid_at or utcnow()),
        )


def _sums_by_line(order_id: int, kind: str) -> dict[int, int]:
    rows = db.session.execute(
        select(CommissionEntry.credit_line_id, func.sum(CommissionEntry.amount_fen))
        .where(CommissionEntry.order_id == order_id, CommissionEntry.kind == kind)
        .group_by(CommissionEntry.credit_line_id)
    ).all()
    return {int(line_id): int(total or 0) for line_id, total in rows if line_id is not None}


def sync_reversals(order: Order, key: str) -> None:
    """Bring each current share's reversals to ``round_half_up(accrued × refunded /
    paid)`` (no commit); ``key`` names the event (a refund, a ruling) for the dedupe key."""
    if order.paid_fen <= 0:
        return
    accrued = _sums_by_line(order.id, ACCRUAL)
    reversed_ = _sums_by_line(order.id, REVERSAL)
    current = db.session.scalars(
        select(CreditLine).where(
            CreditLine.order_id == order.id,
            CreditLine.is_current.is_(True),
            CreditLine.id.in_(accrued),
        )
    ).all()
    for cl in current:
        target = reversal_target(accrued[cl.id], order.refunded_fen, order.paid_fen)
        delta = target + reversed_.get(cl.id, 0)  # reversals are negative
        if delta <= 0:
            continue
        post(
            REVERSAL, f"reversal:{key}:{cl.id}", cl, -delta, campaign_id=order.campaign_id, note=key
        )


def on_refund(order: Order, refund) -> None:
    """``REFUND_COMPLETED`` listener: reverse commission in the refund's transaction."""
    sync_reversals(order, f"refund{refund.id}")


def move_out(credit_lines: Iterable[CreditLine], dispute_id: int) -> None:
    """Post the net commission of shares a ruling superseded back out (no commit)."""
    for cl in credit_lines:
        if cl.guide_id is None:
            continue
        net = int(
            db.session.scalar(
                select(func.coalesce(func.sum(CommissionEntry.amount_fen), 0)).where(
                    CommissionEntry.credit_line_id == cl.id
                )
            )
            or 0
        )
        if net == 0:
            continue
        post(MOVED_OUT, f"moved:{dispute_id}:{cl.id}", cl, -net, note=f"dispute {dispute_id}")


def post_adjustment(
    guide_id: int, kind: str, amount_fen: int, dedupe_key: str, campaign_id: int | None, note: str
) -> None:
    """A live campaign's reward (positive) or penalty (negative) for a guide (no commit)."""
    guide = db.session.get(Guide, guide_id)
    if guide is None:
        return
    post(kind, dedupe_key, guide, amount_fen, campaign_id=campaign_id, note=note)


# --- rates ------------------------------------------------------------------------


def save_rate(category: str, campaign_id: int | None, rate_bps: int) -> CommissionRate:
    """Set the rate of a category and / or campaign (0..10,000 bps, else 422; an unknown
    campaign is a 422 on ``campaign_id``); commits."""
    with committing(db.session):
        if (
            not isinstance(rate_bps, int)
            or isinstance(rate_bps, bool)
            or not 0 <= rate_bps <= FULL_BPS
        ):
            raise invalid("rate_percent", "A rate from 0 to 100 %.")
        if campaign_id is not None and not any(
            listener(campaign_id) for listener in hooks(CAMPAIGN_EXISTS)
        ):
            raise invalid("campaign_id", "No such campaign.")
        category = (category or "").strip()
        row = db.session.scalars(
            select(CommissionRate).where(
                CommissionRate.category == category,
                CommissionRate.campaign_id.is_(None)
                if campaign_id is None
                else CommissionRate.campaign_id == campaign_id,
            )
        ).first()
        row = row or CommissionRate(category=category, campaign_id=campaign_id)
        row.rate_bps = rate_bps
        db.session.add(row)
    return row


def delete_rate(rate_id: int) -> None:
    """Remove a rate (commits); 404 when there is none."""
    row = db.session.get(CommissionRate, rate_id) if 1 <= rate_id <= 2**31 - 1 else None
    if row is None:
        raise not_found(CommissionRate)
    db.session.delete(row)
    db.session.commit()


def rates() -> list[CommissionRate]:
    return list(
        db.session.scalars(
            select(CommissionRate).order_by(
                CommissionRate.campaign_id.is_not(None), CommissionRate.category, CommissionRate.id
            )
        )
    )
