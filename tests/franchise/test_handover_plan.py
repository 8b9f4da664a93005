"""A store's orders waiting to be handed over are found through ``(store_id, status)``
in any plan: the statuses are constants in the SQL (``app.db.fixed_values``), so even
PostgreSQL's generic plan of the prepared statement, which cannot see parameter values,
reads the index instead of every order the store ever took (with rows, the statuses are
in its index condition: 0.08 ms against 24 ms at 40,000 orders; see the migration). The
fixed values are the code's constants: anything but a plain word or an integer is
refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from app.db import fixed_values
from app.extensions import db
from franchise.guide.orders import WAITING
from franchise.models import Order


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


def test_the_generic_plan_reads_the_store_and_status_index(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's generic plan")
        sql = str(_count(1).compile(dialect=db.engine.dialect))
        conn = db.session.connection()
        conn.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        conn.execute(text("SET LOCAL enable_seqscan = off"))  # an empty table: no scan wins
        conn.exec_driver_sql(f"PREPARE handover AS {sql.replace('%(store_id_1)s', '$1')}")
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN EXECUTE handover(1)"))
        conn.exec_driver_sql("DEALLOCATE handover")
        db.session.rollback()
        assert "ix_orders_store_id_status" in plan, plan
        assert "{shipped,received,delivered,picked_up}" in plan, plan  # constants, not $n
