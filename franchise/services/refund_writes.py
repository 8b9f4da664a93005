"""A refund request's writes in one PostgreSQL statement (issue 20): the reservation on
the order (``refunds._RESERVE_PG``, the conditional ``UPDATE`` that is the check), the
refund row and its outbox message, where they were three statements. The reservation's
answer feeds the refund's ``payment_id``; the message's payload and dedupe key are
``enqueue``'s (``{"refund_id": id}``, ``message_key``), built from the refund's id in the
same statement. When the reservation does not fit, or the order has no payment, nothing
is inserted and the caller answers as before. SQLite keeps the three statements (no
round trips there). Built once.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.dml import ReturningUpdate

from app.clock import utcnow
from app.direct_read import send_sql
from app.extensions import db
from app.outbox import PENDING, OutboxMessage
from franchise.models import Refund
from franchise.services.order_writes import (
    column_names,
    column_values,
    insert_columns,
    keep_written,
    param_row,
)

REFUNDS: Table = Refund.__table__
OUTBOX: Table = OutboxMessage.__table__
_BOUND = ("order_id", "amount_fen")  # the reservation's parameters; the rest are its own
KEY_PREFIX = "refund:"  # a refund's outbox message is keyed by the refund's id


def message_key(refund_id: int) -> str:
    """The dedupe key of a refund's outbox message (both databases' paths)."""
    return f"{KEY_PREFIX}{refund_id}"


@cache
def request_sql(reserve: ReturningUpdate) -> tuple[str, dict]:
    """The statement for the reservation ``reserve`` (compiled for PostgreSQL) and the
    constants its compilation bound; parameters ``order_id``, ``amount_fen``,
    ``x_<column>`` (the refund's columns but its payment), ``m_kind``, ``m_key``
    (``KEY_PREFIX``), ``m_status`` and ``m_now``. Answers the order's reserved total,
    its transaction id, the payment's id and the refund's id (NULL when nothing was
    inserted); no row when nothing fit."""
    compiled = reserve.compile(dialect=postgresql.dialect())
    fixed = {name: value for name, value in compiled.params.items() if name not in _BOUND}
    columns = insert_columns(REFUNDS, ("payment_id",))
    names = column_names(columns)
    sql = f"""
WITH r(reserved, transaction_id, payment_id) AS (
{compiled}
),
x AS (
  INSERT INTO {REFUNDS.name} (payment_id, {names})
  SELECT r.payment_id, v.* FROM r CROSS JOIN (VALUES {param_row("x_", columns)}) AS v({names})
  WHERE r.payment_id IS NOT NULL
  RETURNING id
),
m AS (
  INSERT INTO {OUTBOX.name} (kind, dedupe_key, payload, status, attempts, available_at,
    created_at)
  SELECT %(m_kind)s::varchar, %(m_key)s::varchar || x.id, json_build_object('refund_id', x.id),
    %(m_status)s::varchar, 0, %(m_now)s::timestamptz, %(m_now)s::timestamptz FROM x
  ON CONFLICT (dedupe_key) DO NOTHING
)
SELECT r.reserved, r.transaction_id, r.payment_id, x.id FROM r LEFT JOIN x ON true
"""
    return sql, fixed


def reserve_and_request(
    reserve: ReturningUpdate, order_id: int, amount_fen: int, refund: Refund, kind: str
) -> tuple[int, str | None, int | None] | None:
    """Reserve ``amount_fen`` of the order, insert ``refund`` (every column but its
    payment filled by the caller) and its ``kind`` outbox message; ``refund`` is then
    persistent in the session with its id and payment. Returns the order's reserved
    total, transaction id and payment id as the reservation left them (payment None:
    nothing inserted), or None when the amount did not fit."""
    sql, fixed = request_sql(reserve)
    params = {
        f"x_{name}": value
        for name, value in column_values(refund, REFUNDS, ("payment_id",)).items()
    }
    params |= fixed | {"order_id": order_id, "amount_fen": amount_fen}
    params |= {"m_kind": kind, "m_key": KEY_PREFIX, "m_status": PENDING, "m_now": utcnow()}
    rows = send_sql(db.session.connection(), sql, params)  # straight on the cursor
    if not rows:
        return None
    reserved, transaction_id, payment_id, refund_id = rows[0]
    if refund_id is not None:
        refund.id, refund.payment_id = refund_id, payment_id
        keep_written(refund)
    return reserved, transaction_id, payment_id
