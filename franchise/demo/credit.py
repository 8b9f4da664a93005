"""Demo data of the credit area: commission rates, the demo's paid orders credited, and
one dispute by a franchise owner waiting for HQ's ruling.

``seed_credit`` is registered by ``franchise.wiring.credit`` after the payments seeder;
idempotent. Orders paid by later seeders (live campaigns) are credited by the
every-minute sweep.
"""

from __future__ import annotations

from flask import Flask

DEMO_RATES = (("", 300), ("黄金", 200), ("钻石", 500))  # (category, bps): default 3 %


def seed_credit(app: Flask) -> list[str]:
    """Rates, credit for every paid order so far, one open dispute."""
    from sqlalchemy import select

    from app.auth.models import FRANCHISE_OWNER, User
    from app.auth.principal import Principal
    from app.errors import DomainError
    from app.extensions import db
    from franchise.models import CommissionRate, CreditDispute, CreditLine, OrderCredit
    from franchise.services import commission, credit, disputes

    with app.app_context():
        if db.session.scalar(select(CommissionRate.id).limit(1)) is None:
            for category, bps in DEMO_RATES:
                commission.save_rate(category, None, bps)
        credited = credit.credit_missing(limit=10_000, days=None)
        notes = [f"credit: {credited} paid orders credited"]
        if db.session.scalar(select(CreditDispute.id).limit(1)) is not None:
            return notes
        share = db.session.scalars(  # the latest payment's: inside the dispute window
            select(CreditLine)
            .join(OrderCredit, OrderCredit.order_id == CreditLine.order_id)
            .where(CreditLine.guide_id.is_not(None))
            .order_by(OrderCredit.paid_at.desc(), CreditLine.id)
        ).first()
        owner = db.session.scalars(
            select(User).where(
                User.role == FRANCHISE_OWNER,
                User.franchisee_id == (share.order_franchisee_id if share else 0),
            )
        ).first()
        if share is None or owner is None:
            return notes
        try:
            disputes.file_dispute(
                share.order_id,
                share.order_line_id,
                "顾客是门店老客户，由店员到店接待成交，申请调整业绩归属。",
                Principal.of_user(owner),
            )
        except DomainError as exc:
            return [*notes, f"credit: no demo dispute ({exc.message})"]
        return [*notes, "credit: one dispute waiting for HQ's ruling"]
