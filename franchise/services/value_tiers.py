"""Customer value tiers from RFM (recency, frequency, monetary), refreshed nightly.

From paid orders (status paid … completed): recency = days since the last paid order,
frequency = paid orders in the last 365 days, monetary = paid − refunded fen in those
365 days. Each scores 1–3 by the cut-offs in ``franchise.services.settings``; the sum
gives the tier (≥ 8 high, ≥ 5 mid, else low) and a short Chinese label for guides.
One aggregate query, then one executemany UPDATE pass in chunks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, select, update

from app.clock import as_utc, utcnow
from app.extensions import db
from franchise.models import (
    PAID_STATUSES,
    TIER_HIGH,
    TIER_LOW,
    TIER_MID,
    Customer,
    Order,
)
from franchise.services import settings

TIER_NAMES = {TIER_HIGH: "高价值", TIER_MID: "中价值", TIER_LOW: "低价值"}
LABEL_NEW, LABEL_ASLEEP = "新客", "沉睡"
CHUNK = 5000


def scores(recency_days: int, frequency: int, monetary_fen: int, cut: dict) -> tuple[int, int, int]:
    """R, F and M scores, each 1–3."""
    r = (
        3
        if recency_days <= cut["recency_high_days"]
        else 2
        if recency_days <= cut["recency_mid_days"]
        else 1
    )
    f = 3 if frequency >= cut["frequency_high"] else 2 if frequency >= cut["frequency_mid"] else 1
    m = (
        3
        if monetary_fen >= cut["monetary_high_fen"]
        else 2
        if monetary_fen >= cut["monetary_mid_fen"]
        else 1
    )
    return r, f, m


def classify(
    recency_days: int | None, frequency: int, monetary_fen: int, cut: dict
) -> tuple[str, str]:
    """``(tier, label)``; a customer without a paid order is low value, label 新客."""
    if recency_days is None:
        return TIER_LOW, LABEL_NEW
    r, f, m = scores(recency_days, frequency, monetary_fen, cut)
    total = r + f + m
    tier = TIER_HIGH if total >= 8 else TIER_MID if total >= 5 else TIER_LOW
    if r == 1:
        return tier, f"{TIER_NAMES[tier]}·{LABEL_ASLEEP}" if tier != TIER_LOW else LABEL_ASLEEP
    if r == 2:
        return tier, f"{TIER_NAMES[tier]}·待唤醒"
    return tier, f"{TIER_NAMES[tier]}·{'忠诚' if f >= 2 else '新近'}"


def refresh_value_tiers(now: datetime | None = None, progress=None) -> int:
    """Recompute every customer's RFM, tier and label; returns how many customers."""
    now = now or utcnow()
    cut = settings.rfm_cutoffs()
    year_ago = now - timedelta(days=365)
    paid_time = func.coalesce(Order.paid_at, Order.created_at)
    in_year = paid_time >= year_ago
    aggregates = db.session.execute(
        select(
            Order.customer_id,
            func.max(paid_time),
            func.sum(case((in_year, 1), else_=0)),
            func.sum(case((in_year, Order.paid_fen - Order.refunded_fen), else_=0)),
        )
        .where(Order.status.in_(PAID_STATUSES))
        .group_by(Order.customer_id)
    ).all()
    by_customer = {row[0]: row[1:] for row in aggregates}
    ids = db.session.scalars(select(Customer.id).order_by(Customer.id)).all()
    table = Customer.__table__
    stmt = (
        update(table)
        .where(table.c.id == bindparam("cid"))
        .values(
            recency_days=bindparam("r"),
            order_count=bindparam("f"),
            monetary_fen=bindparam("m"),
            value_tier=bindparam("tier"),
            tier_label=bindparam("label"),
            last_order_at=bindparam("last", type_=table.c.last_order_at.type),
        )
    )
    for start in range(0, len(ids), CHUNK):
        params = []
        for cid in ids[start : start + CHUNK]:
            last, frequency, monetary = by_customer.get(cid, (None, 0, 0))
            last = as_utc(last)
            recency = max((now - last).days, 0) if last else None
            tier, label = classify(recency, int(frequency or 0), int(monetary or 0), cut)
            params.append(
                {
                    "cid": cid,
                    "r": recency,
                    "f": int(frequency or 0),
                    "m": int(monetary or 0),
                    "tier": tier,
                    "label": label,
                    "last": last,
                }
            )
        db.session.execute(stmt, params)
        if progress is not None:
            progress(len(params))
    db.session.commit()
    return len(ids)
