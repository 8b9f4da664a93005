"""Demo data of the bills area: yesterday's WeChat Pay bills in the emulator and the
reconciliation of that day, so the owner's reconciliation page has a day to show.

WeChat's bill of a day exists only from 10:00 the next day, and the emulator builds it
from what it recorded, so the demo makes yesterday happen in the emulator rather than
writing bill lines: the emulator's clock is set back to yesterday 15:00 (Shanghai) and
orders of one franchisee are paid through the real flow (unified order, the customer
pays, the emulator's signed notify posts the ledger on the notify's ``success_time``, so
on yesterday's business date), HQ's profit share of the first ones is sent to the
emulator on that day, and one payment is the commerce seeder's kind WeChat never saw
(``pay_demo_order``: the day's honest difference, missing in the bill). The clock is
put back, moved to 10:00 today only while the bills are fetched when the real time is
earlier, and ``reconciliation.reconcile`` downloads the trade bill and each franchisee's
fund-flow bill and compares them as the 10:30 job does.

Only with the emulator mounted in this process (``scripts/run``): its clock is not ours to
move otherwise. Idempotent: a day already reconciled is left alone.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from flask import Flask

log = logging.getLogger("siyu.franchise.payments")

DEMO_BILL_ORDERS = 6
PROFIT_SHARED = 3  # of those, HQ's share sent on the bill's day
PAID_AT = time(15, 0)
BILLS_AT = time(10, 5)


@contextmanager
def emulator_at(st, moment: datetime):
    """The emulator's clock at ``moment`` while the block runs, then back where it was."""
    shift = moment.timestamp() - st.now()
    st.advance(shift)
    try:
        yield
    finally:
        st.advance(-shift)


def _customers_of_one_franchisee():
    from sqlalchemy import func, select

    from app.extensions import db
    from franchise.models import Customer

    top = db.session.execute(
        select(Customer.franchisee_id, func.count())
        .where(Customer.franchisee_id.is_not(None))
        .group_by(Customer.franchisee_id)
        .order_by(Customer.franchisee_id)
    ).first()
    if top is None:
        return []
    return db.session.scalars(
        select(Customer).where(Customer.franchisee_id == top[0]).order_by(Customer.id).limit(20)
    ).all()


def _created_at(order, moment: datetime) -> None:
    """The order and its creation event dated ``moment`` (committed), as the commerce
    seeder dates its orders."""
    from app.extensions import db

    order.created_at = moment
    for event in order.events:
        event.created_at = moment
    db.session.commit()


def _share_now(order_ids: list[int]) -> None:
    """Send HQ's profit share of these orders' payments now (the outbox's own path)."""
    from sqlalchemy import select, update

    from app.extensions import db
    from app.outbox import IN_FLIGHT, OutboxMessage, process
    from franchise.models import Payment, ProfitShare

    shares = db.session.scalars(
        select(ProfitShare.id)
        .join(Payment, Payment.id == ProfitShare.payment_id)
        .where(Payment.order_id.in_(order_ids))
    ).all()
    keys = [f"profit_share:{share_id}" for share_id in shares]
    ids = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.dedupe_key.in_(keys)))
    for message_id in list(ids):
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=IN_FLIGHT, attempts=OutboxMessage.attempts + 1)
        )
        db.session.commit()
        process(message_id)


def _pay_on(app: Flask, st, day: date, customers) -> list[int]:
    """Orders paid through the emulator at ``day`` 15:00 Shanghai (one a minute)."""
    from app.clock import SHANGHAI
    from app.errors import DomainError
    from app.extensions import db
    from app.wechat.sandbox import customer_pays
    from franchise.demo.commerce import orderable_products
    from franchise.services import orders, payments

    products = orderable_products()
    paid: list[int] = []
    start = datetime.combine(day, PAID_AT, tzinfo=SHANGHAI)
    for n in range(DEMO_BILL_ORDERS):
        moment = start + timedelta(minutes=n)
        with emulator_at(st, moment):
            try:
                product = products[n % len(products)]
                order = orders.create_order(
                    customers[n % len(customers)].id, [{"product_id": product.id, "quantity": 1}]
                )
                _created_at(order, moment - timedelta(minutes=2))
                answer = payments.start_payment(order)
                customer_pays(app, answer["out_trade_no"])
                paid.append(order.id)
                if len(paid) <= PROFIT_SHARED:
                    _share_now([order.id])
            except (DomainError, KeyError, ValueError) as exc:
                db.session.rollback()
                log.warning("demo bill payment skipped: %s", exc)
    return paid


def seed_bills(app: Flask) -> list[str]:
    """Yesterday's bills in the emulator and their reconciliation (see the module)."""
    from sqlalchemy import select

    from app.clock import SHANGHAI, shanghai_yesterday, utcnow
    from app.errors import DomainError
    from app.extensions import db
    from app.wechat.sandbox import EXTENSION_KEY, sandbox_state
    from franchise.demo.commerce import orderable_products, pay_demo_order
    from franchise.models import ReconciliationRun
    from franchise.services import orders
    from franchise.services.reconciliation import reconcile

    if EXTENSION_KEY not in app.extensions:
        return ["bills: the emulator is not in this process; its clock is not ours to move"]
    with app.app_context():
        day = shanghai_yesterday()
        if db.session.scalar(
            select(ReconciliationRun.id).where(ReconciliationRun.bill_date == day)
        ):
            return [f"bills: {day} already reconciled"]
        customers = _customers_of_one_franchisee()
        if not customers:
            return ["bills: no customers to pay with"]
        st = sandbox_state(app)
        paid = _pay_on(app, st, day, customers)
        try:  # one payment WeChat never saw: the day's difference
            extra = orders.create_order(
                customers[-1].id, [{"product_id": orderable_products()[0].id, "quantity": 1}]
            )
            moment = datetime.combine(day, PAID_AT, tzinfo=SHANGHAI) + timedelta(hours=1)
            _created_at(extra, moment - timedelta(minutes=2))
            pay_demo_order(extra.id, moment)
        except DomainError as exc:
            db.session.rollback()
            log.warning("demo bill difference skipped: %s", exc)
        ready = datetime.combine(day + timedelta(days=1), BILLS_AT, tzinfo=SHANGHAI)
        if utcnow() < ready:
            with emulator_at(st, ready):
                run = reconcile(day)
        else:
            run = reconcile(day)
        return [
            f"bills: {len(paid)} orders paid in the emulator on {day}, "
            f"reconciled: {run.status} ({run.bill_rows} bill rows)"
        ]
