"""Monthly commission statements: per guide (every entry) and per store or franchise
(one row per guide, for payroll), in the caller's scope.

A month is ``YYYY-MM`` in Asia/Shanghai; a month after the current one is a 422 naming
``month``. Who may read a guide's statement: HQ, the guide's franchise owner, the guide.
"""

from __future__ import annotations

import re

from sqlalchemy import case, func, select

from app.auth.models import FRANCHISE_OWNER, GUIDE
from app.auth.principal import Principal
from app.auth.scope import not_found, scoped
from app.clock import shanghai_day
from app.extensions import db
from franchise.models import (
    ACCRUAL,
    LIVE_PENALTY,
    LIVE_REWARD,
    MOVED_OUT,
    REVERSAL,
    CommissionEntry,
    Guide,
)
from franchise.services.base import invalid

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# the statement's columns: kind(s) → key
TOTALS = (
    ("accrued_fen", (ACCRUAL,)),
    ("reversed_fen", (REVERSAL,)),
    ("moved_fen", (MOVED_OUT,)),
    ("live_fen", (LIVE_REWARD, LIVE_PENALTY)),
)


def check_month(month: str | None) -> str:
    """``month`` when it is ``YYYY-MM`` and not in the future (Shanghai), else 422; the
    current month when None."""
    current = shanghai_day().strftime("%Y-%m")
    if month is None:
        return current
    if not MONTH.match(month):
        raise invalid("month", "A month as YYYY-MM.")
    if month > current:
        raise invalid("month", "That month has not begun yet.")
    return month


def guide_or_404(guide_id: int, principal: Principal) -> Guide:
    """The guide if ``principal`` may read their commission, else 404."""
    guide = db.session.get(Guide, guide_id) if 1 <= guide_id <= 2**31 - 1 else None
    allowed = guide is not None and (
        principal.is_hq
        or (principal.role == FRANCHISE_OWNER and guide.franchisee_id == principal.franchisee_id)
        or (principal.role == GUIDE and guide.id == principal.guide_id)
    )
    if guide is None or not allowed:
        raise not_found(Guide)
    return guide


def _total_columns():
    return [
        func.coalesce(
            func.sum(case((CommissionEntry.kind.in_(kinds), CommissionEntry.amount_fen), else_=0)),
            0,
        ).label(key)
        for key, kinds in TOTALS
    ] + [func.coalesce(func.sum(CommissionEntry.amount_fen), 0).label("total_fen")]


def guide_statement(guide_id: int, month: str | None, principal: Principal) -> dict:
    """A guide's month: every entry and the totals by kind (CONTRACT of
    ``GET /api/v1/guides/{id}/commission``)."""
    month = check_month(month)
    guide = guide_or_404(guide_id, principal)
    where = (CommissionEntry.guide_id == guide.id, CommissionEntry.month == month)
    entries = db.session.scalars(select(CommissionEntry).where(*where).order_by(CommissionEntry.id))
    totals = db.session.execute(select(*_total_columns()).where(*where)).one()
    return {
        "guide_id": guide.id,
        "guide_name": guide.name,
        "month": month,
        "entries": list(entries),
        **{key: int(value) for key, value in totals._mapping.items()},
    }


def payroll_stmt(month: str, store_id: int | None = None, franchisee_id: int | None = None):
    """One row per guide of the month (scoped): guide, store, the totals by kind."""
    stmt = (
        select(
            Guide.id.label("guide_id"),
            Guide.name.label("guide_name"),
            CommissionEntry.store_id,
            CommissionEntry.franchisee_id,
            *_total_columns(),
        )
        .join(Guide, Guide.id == CommissionEntry.guide_id)
        .where(CommissionEntry.month == month)
        .group_by(Guide.id, Guide.name, CommissionEntry.store_id, CommissionEntry.franchisee_id)
        .order_by(Guide.name, Guide.id)
    )
    if store_id:
        stmt = stmt.where(CommissionEntry.store_id == store_id)
    if franchisee_id:
        stmt = stmt.where(CommissionEntry.franchisee_id == franchisee_id)
    return scoped(stmt, CommissionEntry)
