"""Demo data of the payments area: orders paid through the sandbox and one partial refund.

``seed_payments`` is registered by ``franchise.wiring.payments``; idempotent.
"""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger("siyu.franchise.payments")

DEMO_PAID_ORDERS = 15


def seed_payments(app: Flask) -> list[str]:
    """~15 orders paid through the real flow (unified order at the sandbox, the
    customer pays, the notify posts the ledger) and one partial refund. Idempotent:
    does nothing when a payment at the sandbox exists (the commerce seeder's demo
    payments do not count) or customers / products are missing."""
    import random

    from sqlalchemy import select

    from app.errors import DomainError
    from app.extensions import db
    from app.wechat.sandbox import customer_pays, sandbox_reachable
    from franchise.demo.commerce import orderable_products
    from franchise.models import Customer, Payment
    from franchise.services import orders, payments, refunds

    with app.app_context():
        paid_at_sandbox = select(Payment.id).where(Payment.source != "demo").limit(1)
        if db.session.scalar(paid_at_sandbox) is not None:  # the commerce seeder's are demo
            return ["payments: already seeded"]
        customers = db.session.scalars(select(Customer).order_by(Customer.id).limit(100)).all()
        products = orderable_products()
        if not customers or not products or not sandbox_reachable(app):
            return ["payments: no customers, products or sandbox to pay with"]
        rng = random.Random(20261126)
        paid = []
        for _ in range(DEMO_PAID_ORDERS):
            customer = rng.choice(customers)
            items = [{"product_id": rng.choice(products).id, "quantity": 1}]
            try:
                order = orders.create_order(customer.id, items)
                answer = payments.start_payment(order)
                customer_pays(app, answer["out_trade_no"])
            except (DomainError, KeyError, ValueError) as exc:
                db.session.rollback()
                log.warning("demo payment skipped: %s", exc)
                continue
            paid.append(order.id)
        lines = [f"payments: {len(paid)} orders paid through the sandbox"]
        if paid:
            from app.auth.models import HQ_ADMIN
            from app.auth.principal import Principal
            from franchise.models import Order

            first = db.session.get(Order, paid[0])
            if first is not None and first.paid_fen > 1:
                refund = refunds.request_refund(
                    first, first.paid_fen // 3, "演示：部分退款", Principal(HQ_ADMIN)
                )
                refunds.execute_refund(refund.id)
                lines.append("payments: 1 partial refund")
        return lines
