"""A store's orders waiting to be handed over are found through ``(store_id, status)``
in any plan: the statuses are constants in the SQL (``app.db.fixed_values``), so even
PostgreSQL's generic plan of the prepared statement, which cannot see parameter values,
reads the index instead of every order the store ever took (with rows, the statuses are
in its index condition: 0.08 ms against 24 ms at 40,000 orders; see the migration). The
fixed values are the code's constants: anything but a plain word or an integer is
refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from app.db import fixed_values
from app.extensions import db
from franchise.guide.orders import WAITING
from franchise.models import Order
from tests.fixtures.order_plans import copy_orders, generic_plan
from tests.franchise.factories import build_org
from tests.franchise.factories_payments import gen_customer, gen_order


def _count(store_id: int):
    waiting = Order.status.in_(fixed_values(Order.status, WAITING))
    return select(func.count(Order.id)).where(Order.store_id == store_id, waiting)


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()])
def test_statuses_are_constants_not_parameters(dialect):
    compiled = _count(7).compile(dialect=dialect)
    sql = str(compiled)
    for status in WAITING:
        assert f"'{status}'" in sql
    assert list(compiled.params) == ["store_id_1"]  # the store alone is bound


@pytest.mark.parametrize("value", ["a'b", "x OR 1=1", "", None, 1.5, True])
def test_only_plain_words_and_integers_are_fixed_values(value):
    with pytest.raises(ValueError):
        fixed_values(Order.status, [value])


def test_integers_are_written_as_numbers():
    sql = str(Order.id.in_(fixed_values(Order.id, [3, 40])).compile(dialect=postgresql.dialect()))
    assert "(3, 40)" in sql


@pytest.fixture
def store_history(app):
    """PostgreSQL with three years of one store's orders (and a little of another store's),
    nearly all completed, analysed: the planner chooses as it would in production."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's generic plan")
        org = build_org()
        order = gen_order(gen_customer(org.fa), store_id=org.sa)
        db.session.commit()
        copy_orders(
            order.id,
            9000,
            {
                "status": "CASE WHEN g % 500 = 0 THEN 'shipped' ELSE 'completed' END",
                "created_at": "now() - g * interval '3 hours'",
                "paid_at": "now() - g * interval '3 hours'",
                "store_id": "CASE WHEN g % 10 = 0 THEN :other ELSE :store END",
            },
            store=org.sa,
            other=org.sb,
        )
        yield org.sa


def test_the_generic_plan_reads_the_store_and_status_index(app, store_history):
    with app.app_context():
        sql = str(_count(store_history).compile(dialect=db.engine.dialect))
        plan = generic_plan(sql.replace("%(store_id_1)s", "$1"), str(store_history))
        assert "ix_orders_store_id_status" in plan, plan
        assert "{shipped,received,delivered,picked_up}" in plan, plan  # constants, not $n


@pytest.mark.parametrize("column", ["created_at", "paid_at"])
def test_the_days_figures_read_within_the_day(app, store_history, column):
    """Today's orders placed and paid at a store (``franchise.guide.results``) are read
    within the day (an index on the day column, alone or after ``store_id``), not across
    every order the store ever took, in PostgreSQL's generic plan."""
    with app.app_context():
        sql = f"SELECT count(id) FROM orders WHERE store_id = $1 AND {column} >= $2"
        args = f"{store_history}, now() - interval '1 day', now()"
        plan = generic_plan(f"{sql} AND {column} < $3", args)
        assert column in plan.split("Index Cond:")[1].splitlines()[0], plan
