"""Demo members: three point items, every demo customer a member, and the points of the
paid demo orders earned (idempotent: the items once, the earnings by their keys)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from franchise.models import Customer, PointItem
from franchise.services import members, points

DEMO_ITEMS = (("足金转运珠", 3_000, 20), ("珍珠清洗护理套装", 800, 50), ("首饰收纳盒", 500, 100))


def seed_members(app: Flask) -> list[str]:
    """Point items, members, earned points; returns what was done."""
    lines = []
    if db.session.scalar(select(PointItem.id).limit(1)) is None:
        db.session.add_all(
            PointItem(name=name, points=cost, stock=stock) for name, cost, stock in DEMO_ITEMS
        )
        db.session.commit()
        lines.append(f"members: {len(DEMO_ITEMS)} point items")
    ids = list(db.session.scalars(select(Customer.id).order_by(Customer.id)))
    earned = 0
    for customer_id in ids:
        members.ensure(customer_id)
        earned += points.earn_pending(customer_id)  # back-dated orders too
    db.session.commit()
    lines.append(f"members: {len(ids)} members, points earned on {earned} paid orders")
    return lines
