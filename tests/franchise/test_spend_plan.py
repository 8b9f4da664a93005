"""The member's rolling 12-month spend (``members.spend_12m``, reviewed after every
payment) reads only the customer's orders paid within the window, through
``(customer_id, paid_at)``: on ``customer_id`` alone PostgreSQL read every order the
customer ever placed, paid or not, and filtered them (about 20 ms a payment for a
customer with 24,000 orders). Checked on the statement ``spend_12m`` sends, in the plan
PostgreSQL makes for its values and in the generic plan of the prepared statement."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from app.clock import utcnow
from app.extensions import db
from franchise.models import Order
from franchise.services import members
from tests.fixtures.order_plans import copy_orders, generic_plan
from tests.franchise.factories import build_org
from tests.franchise.factories_payments import gen_customer, gen_order

INDEX = "ix_orders_customer_id_paid_at"
AGE = "CAST(:now AS timestamp) - g * interval '2 hours'"  # an order every two hours


@pytest.fixture
def customer_history(app):
    """Three years of one customer's orders (and another's), one in twenty paid, the rest
    never paid (``paid_at`` empty), analysed: the planner chooses as in production."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's plans")
        org = build_org()
        customer, other = gen_customer(org.fa), gen_customer(org.fa)
        order = gen_order(customer, store_id=org.sa)
        db.session.commit()
        copy_orders(
            order.id,
            12000,
            {
                "customer_id": "CASE WHEN g % 4 = 0 THEN :other ELSE :customer END",
                "status": "CASE WHEN g % 20 = 1 THEN 'completed' ELSE 'created' END",
                "paid_fen": "CASE WHEN g % 20 = 1 THEN 100 ELSE 0 END",
                "created_at": AGE,
                "paid_at": f"CASE WHEN g % 20 = 1 THEN {AGE} END",
            },
            customer=customer.id,
            other=other.id,
            now=utcnow(),
        )
        yield customer.id


@contextmanager
def _sent():
    """The statements (SQL, parameters) sent on the app's engine inside the block."""
    seen: list[tuple[str, dict]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, dict(parameters)))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _literal(value) -> str:
    return f"'{value.isoformat()}'::timestamptz" if isinstance(value, datetime) else str(value)


def _index_condition(plan: str) -> str:
    assert INDEX in plan, plan
    return plan.split("Index Cond:")[1].splitlines()[0]


def test_the_spend_reads_only_the_window(app, customer_history):
    with app.app_context():
        with _sent() as seen:
            spend = members.spend_12m(customer_history)
        ((sql, params),) = [s for s in seen if "sum" in s[0]]
        # the figure itself: the paid orders of the last 365 days (the app's clock)
        since = utcnow() - timedelta(days=365)
        paid = db.session.scalar(
            select(func.count(Order.id)).where(
                Order.customer_id == customer_history, Order.paid_at >= since
            )
        )
        assert spend == paid * 100 and 0 < paid < 12000 // 20
        conn = db.session.connection()
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}", params))
        assert "paid_at" in _index_condition(plan), plan
        names = re.findall(r"%\((\w+)\)s", sql)
        numbered = sql
        for n, name in enumerate(names, 1):
            numbered = numbered.replace(f"%({name})s", f"${n}")
        args = ", ".join(
            f"'{params[name].isoformat()}'::timestamp"
            if name.startswith("paid")
            else str(params[name])
            for name in names
        )
        db.session.rollback()
        assert "paid_at" in _index_condition(generic_plan(numbered, args))
