"""Registration of the customers area: the mini-program and customers APIs, admin and
guide pages, the store-closed / guide-left hand-over (继承), the nightly RFM job, the
CLI commands (via ``franchise.cli``) and the demo customers seeder."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from flask import Flask

log = logging.getLogger("siyu.franchise")


def _on_store_closed(store_id: int) -> None:
    from franchise.services.assignment_bulk import inherit_store_customers

    moved = inherit_store_customers(store_id)
    log.info("store %s closed: %d customer(s) handed over", store_id, moved)


def _on_guide_left(guide_id: int) -> None:
    from franchise.services.assignment_bulk import inherit_guide_customers

    moved = inherit_guide_customers(guide_id)
    log.info("guide %s left: %d customer(s) handed over", guide_id, moved)


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


def init_app(app: Flask) -> None:
    """Register the customers area on the app."""
    from app.extensions import add_hook, registry
    from app.extensions import api as openapi
    from app.scheduler import register_job
    from franchise import services
    from franchise.admin.customers import init_app as init_admin
    from franchise.api.customers import blp as customers_blp
    from franchise.api.mp import blp as mp_blp
    from franchise.guide.customers import init_app as init_guide
    from franchise.jobs.value_tiers import run_value_tiers

    openapi.register_blueprint(mp_blp)
    openapi.register_blueprint(customers_blp)
    init_admin(app)
    init_guide(app)
    add_hook(app, services.STORE_CLOSED, _on_store_closed)
    add_hook(app, services.GUIDE_LEFT, _on_guide_left)
    register_job(
        app,
        "franchise.value_tiers",
        run_value_tiers,
        "cron",
        hour=2,
        minute=30,
        timezone="Asia/Shanghai",
    )
    registry(app).seeders.append(seed_customers)
