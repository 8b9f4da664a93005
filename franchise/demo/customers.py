"""Demo data of the customers area: about 200 customers near the seeded stores.

``seed_customers`` is registered by ``franchise.wiring.customers``; idempotent.
"""

from __future__ import annotations

import random
from datetime import timedelta

from flask import Flask

DEMO_CUSTOMERS = 200
NICKNAMES = ["小雨", "安琪", "露露", "思思", "晓梅", "佳怡", "子涵", "若曦", "可欣", "雅婷"]


def seed_customers(app: Flask) -> list[str]:
    """About 200 demo customers near the seeded stores, assigned by the real engine.

    A third arrive with a guide's share code, most with coordinates near a store (rule
    3), some only with a city (rule 4); some have birthdays, phones and appointments.
    Does nothing when customers exist or the organisation is missing.
    """
    from sqlalchemy import func, select

    from app.clock import shanghai_day
    from app.extensions import db
    from franchise.models import Customer, Guide, Store
    from franchise.services import appointments
    from franchise.services.customers import assign_one, guide_share_code

    with app.app_context():
        if db.session.scalar(select(func.count()).select_from(Customer)):
            return ["customers: already seeded"]
        stores = db.session.scalars(
            select(Store).where(Store.is_open.is_(True)).order_by(Store.id)
        ).all()
        guides = db.session.scalars(
            select(Guide).where(Guide.status == "active").order_by(Guide.id)
        ).all()
        if not stores:
            return ["customers: no stores to seed around"]
        rng = random.Random(20261126)
        codes = [guide_share_code(g).code for g in guides]
        today = shanghai_day()
        for n in range(DEMO_CUSTOMERS):
            store = stores[n % len(stores)]
            customer = Customer(
                openid=f"demo-openid-{n:04d}",
                nickname=f"{rng.choice(NICKNAMES)}{n}",
                city=store.city,
            )
            kind = n % 6
            if kind != 5:  # near the store (within ~5 km)
                customer.latitude = store.latitude + rng.uniform(-0.04, 0.04)
                customer.longitude = store.longitude + rng.uniform(-0.04, 0.04)
            if n % 3 == 0:
                customer.birthday = today - timedelta(
                    days=365 * rng.randint(22, 50) - rng.randint(-20, 20)
                )
            if n % 4 == 0:
                customer.phone = f"1380013{n:04d}"
            share = codes[n % len(codes)] if codes and kind in (0, 3) else None
            assign_one(customer, share)
            db.session.commit()
            if n % 10 == 0 and customer.store_id:
                try:
                    start = appointments.slot_starts(today + timedelta(days=1 + n % 5))[n % 8]
                    appointments.book(
                        customer,
                        {"store_id": customer.store_id, "kind": "try_on", "slot_start": start},
                    )
                except Exception:  # noqa: BLE001 - a full demo slot is fine
                    db.session.rollback()
        rules = db.session.execute(
            select(Customer.assignment_rule, func.count()).group_by(Customer.assignment_rule)
        ).all()
        return [
            f"customers: {DEMO_CUSTOMERS} seeded (" + ", ".join(f"{r} {c}" for r, c in rules) + ")"
        ]
