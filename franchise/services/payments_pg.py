"""The pay notify's PostgreSQL path: one statement that posts a verified payment.

``SETTLE_SQL`` (data-modifying CTEs, run in autocommit, so one round trip is the whole
transaction) locks the order row and, only when the sub-merchant and the amount match
and the transaction is new, inserts the payment (``ON CONFLICT (transaction_id) DO
NOTHING``: the exactly-once gate), marks the order paid with its event, posts the three
ledger transactions (``POSTINGS_CTES``, generated at import from ``postings.PAYMENT``, the
description ``ledger.post_payment`` writes from too), the profit share and its outbox
row. ``franchise.services.payments.settle`` calls ``run_settle`` and applies the same
checks in Python to the row it returns; SQLite keeps the statement-by-statement path
(``payments._post_once``), and ``tests/franchise/test_payments_fast.py`` holds both to the
same rows.
"""

from __future__ import annotations

from collections import namedtuple

import psycopg
from sqlalchemy import select

from app.db import committing
from app.extensions import db
from app.outbox import PENDING as OUTBOX_PENDING
from franchise.models import PAID, Order
from franchise.services import ledger, postings

PROFIT_SHARE_KIND = "franchise.profit_share"

# The payment's postings (``postings.PAYMENT``) as two CTEs of SETTLE_SQL: ``p`` is the
# payment just inserted, ``calc`` the HQ share; the fee is computed in Python
# (``ledger.wechat_fee``) and passed as ``fee``.
POSTINGS_CTES = postings.sql_ctes(
    postings.PAYMENT,
    ref="%(tid)s::text",
    amounts={"gross": "%(amount)s::bigint", "fee": "%(fee)s::bigint", "share": "calc.share"},
    fields={"out_trade_no": "p.out_trade_no"},
    joins="calc",
)


# One statement, one round trip, run in autocommit (a statement is atomic on its own):
# lock the order row, and only when the sub-merchant and the amount match and the
# transaction is new: insert the payment (ON CONFLICT (transaction_id) DO NOTHING is the
# exactly-once gate), mark the order paid with its event unless it already was, post
# the three ledger transactions and their entries, the profit share and its outbox row.
# A concurrent copy waits on the row lock and then sees the committed transaction_id.
# Money is bigint throughout (amount × bps passes 2**31 from ¥21,474.84 at 10 %); the
# share is ``ledger.hq_share_sql``, floor(amount × bps / 10000) like ``ledger.hq_share``.
SETTLE_SQL = f"""
WITH o AS MATERIALIZED (
  SELECT o.id, o.payable_fen, o.transaction_id, o.status, o.order_no, o.out_trade_no,
         o.franchisee_id, f.sub_mch_id, f.profit_share_bps
  FROM orders o JOIN franchisees f ON f.id = o.franchisee_id
  WHERE o.out_trade_no = %(out_trade_no)s::text
  FOR UPDATE OF o
),
ok AS (
  SELECT * FROM o
  WHERE o.transaction_id IS DISTINCT FROM %(tid)s::text
    AND o.sub_mch_id = %(sub_mch_id)s::text AND o.payable_fen = %(amount)s::bigint
),
calc AS (
  SELECT {ledger.hq_share_sql("%(amount)s", "ok.profit_share_bps")} AS share,
         ok.profit_share_bps AS bps
  FROM ok
),
p AS (
  INSERT INTO payments (order_id, franchisee_id, sub_mch_id, out_trade_no, transaction_id,
      amount_fen, fee_fen, source, paid_at, business_date, created_at)
  SELECT ok.id, ok.franchisee_id, ok.sub_mch_id, ok.out_trade_no, %(tid)s::text,
      %(amount)s::bigint, %(fee)s::bigint, %(source)s::text, %(paid_at)s::timestamptz,
      %(business_date)s::date, %(now)s::timestamptz
  FROM ok
  ON CONFLICT (transaction_id) DO NOTHING
  RETURNING id, order_id, franchisee_id, out_trade_no
),
paid AS (
  UPDATE orders SET status = '{PAID}', paid_fen = %(amount)s::bigint,
      paid_at = %(paid_at)s::timestamptz, transaction_id = %(tid)s::text,
      updated_at = %(now)s::timestamptz
  FROM p, ok WHERE orders.id = p.order_id AND ok.transaction_id IS NULL
  RETURNING orders.id
),
event AS (
  INSERT INTO order_events (order_id, from_status, to_status, actor_role, note, created_at)
  SELECT p.order_id, ok.status, '{PAID}', 'wechat', %(note)s::text, %(now)s::timestamptz
  FROM p, ok WHERE ok.transaction_id IS NULL
),
{POSTINGS_CTES},
share AS (
  INSERT INTO profit_shares (payment_id, franchisee_id, out_order_no, amount_fen, status,
      created_at)
  SELECT p.id, p.franchisee_id, 'PS' || lpad(p.id::text, 10, '0'), calc.share, 'pending',
      %(now)s::timestamptz
  FROM p, calc WHERE calc.bps > 0
  RETURNING id
),
queued AS (
  INSERT INTO outbox_messages (kind, dedupe_key, payload, status, attempts, available_at,
      created_at)
  SELECT '{PROFIT_SHARE_KIND}', 'profit_share:' || share.id,
      json_build_object('profit_share_id', share.id), '{OUTBOX_PENDING}', 0,
      %(now)s::timestamptz, %(now)s::timestamptz
  FROM share
  ON CONFLICT (dedupe_key) DO NOTHING
)
SELECT o.*, (SELECT id FROM p) AS payment_id FROM o
"""


SettleRow = namedtuple(
    "SettleRow",
    "id payable_fen transaction_id status order_no out_trade_no franchisee_id sub_mch_id"
    " profit_share_bps payment_id",
)


def run_settle(params: dict):
    """Execute ``SETTLE_SQL``: in the session's transaction when one is open (committed
    here), else on a pooled connection in autocommit (the statement is its own
    transaction: no BEGIN/COMMIT round trips, no session bookkeeping)."""
    if db.session.registry.has() and db.session().in_transaction():  # not made just to ask
        with committing(db.session):
            row = db.session.connection().exec_driver_sql(SETTLE_SQL, params).first()
        return row
    raw = db.engine.raw_connection()
    conn = raw.driver_connection  # psycopg's
    assert conn is not None  # a pooled connection has its driver's
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            row = cursor.execute(SETTLE_SQL, params).fetchone()
        return SettleRow(*row) if row is not None else None
    finally:
        try:
            conn.autocommit = False
        except psycopg.Error:  # a broken connection: do not give it back
            raw.invalidate()
        raw.close()  # back to the pool


def ensure_accounts(out_trade_no: str) -> None:
    """Create the ledger accounts of the order's franchisee (a first payment)."""
    fid = db.session.scalar(select(Order.franchisee_id).where(Order.out_trade_no == out_trade_no))
    if fid is not None:
        ledger.account_ids(fid)
    db.session.commit()
