"""The ledger's postings, each described once, and the two ways they are written.

A settled payment is three postings and a successful refund reverses them in three more;
old gold traded in is one posting, credited to a sale (and released if that order is
never paid) or paid out.
Each posting is one ``Posting`` row below: its transaction kind, its idempotency-key
prefix, the account it debits and the account it credits (account kinds, on the
franchisee's own accounts) and which amount it moves:

    ``gross``  the payment's (or the refund's) amount
    ``fee``    WeChat's fee on it (``ledger.wechat_fee``; for a refund, its share of it)
    ``share``  HQ's profit share (``ledger.hq_share``; for a refund, its share of it)

Both paths are derived from these rows, so a posting is changed here and only here:

- Python (SQLite, and every refund): ``build`` turns a table into the postings that
  ``ledger.post_many`` writes (``ledger.post_payment``, ``ledger.post_refund``).
- PostgreSQL (the one-statement notify): ``sql_ctes`` turns a table into the two
  data-modifying CTEs of ``payments_pg.SETTLE_SQL``, generated once at import.

A posting whose amount is zero is skipped on both paths (no transaction, no entries).
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter

AMOUNTS = ("gross", "fee", "share")


@dataclass(frozen=True)
class Posting:
    """One balanced posting: Dr ``debit`` / Cr ``credit`` of the ``amount`` named."""

    kind: str  # LedgerTransaction.kind
    key: str  # idempotency key ``<key>:<transaction_id or refund id>``
    debit: str  # account kind debited
    credit: str  # account kind credited
    amount: str  # one of AMOUNTS
    memo: str  # a ``str.format`` template over the payment's or refund's fields


PAYMENT = (
    Posting("payment", "pay", "wallet", "sales", "gross", "payment {out_trade_no}"),
    Posting("fee", "fee", "wechat_fee", "wallet", "fee", "WeChat Pay fee"),
    Posting("hq_share", "hq", "hq_share", "wallet", "share", "HQ profit share"),
)

# Each reverses the payment posting of the same amount (its sides swapped), in proportion
# to the amount refunded, exact on the last refund (``ledger.post_refund``).
REFUND = (
    Posting("refund", "refund", "sales", "wallet", "gross", "refund {out_refund_no}"),
    Posting("fee_refund", "rfee", "wallet", "wechat_fee", "fee", "WeChat Pay fee returned"),
    Posting("hq_share_refund", "rhq", "wallet", "hq_share", "share", "HQ profit share returned"),
)

# Old gold taken in at a store (issue 19, ``franchise.services.trade_in``): the metal goes
# to the ``old_gold`` account of the franchisee that took it in, against the sale it paid
# part of, or against the money paid out for it; ``gross`` is its buy-back value.
TRADE_IN_CREDIT = (
    Posting("trade_in", "tin", "old_gold", "sales", "gross", "old gold {trade_in_no} → {order_no}"),
)
TRADE_IN_RELEASE = (
    Posting("trade_in_back", "tinr", "sales", "old_gold", "gross", "credit {trade_in_no} released"),
)
TRADE_IN_PAYOUT = (
    Posting("trade_in_payout", "tpo", "old_gold", "wallet", "gross", "old gold {trade_in_no} paid"),
)

# A consigned piece sold (issue 19, ``franchise.services.consignment``): the sale's gross
# went to sales like any payment; paying the consignor takes their part back out of
# sales and the wallet, so the franchisee keeps the commission only.
CONSIGNMENT_PAYOUT = (
    Posting("consign_payout", "cpo", "sales", "wallet", "gross", "consignor {consignment_no}"),
)


# --- the Python path --------------------------------------------------------------


def build(table, ref: str, amounts: dict[str, int], fields: dict, **common) -> list[dict]:
    """The postings of ``table`` in ``ledger.post_many``'s form: keys ``<key>:<ref>``,
    amounts by name from ``amounts``, memos formatted with ``fields``, and ``common``
    (business_date, order_id, payment_id, refund_id) on each."""
    return [
        {
            "idempotency_key": f"{p.key}:{ref}",
            "kind": p.kind,
            "lines": [(p.debit, amounts[p.amount], 0), (p.credit, 0, amounts[p.amount])],
            "memo": p.memo.format(**fields),
            **common,
        }
        for p in table
    ]


# --- the PostgreSQL path ----------------------------------------------------------


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal inside a psycopg statement with ``%(name)s``
    parameters (quotes doubled, ``%`` escaped)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def sql_memo(template: str, fields: dict[str, str]) -> str:
    """A memo template as a SQL expression: literal parts quoted, each ``{field}`` the
    SQL expression ``fields[field]``, joined by ``||``."""
    parts = []
    for literal, field, _spec, _conv in Formatter().parse(template):
        if literal:
            parts.append(sql_literal(literal))
        if field is not None:
            parts.append(fields[field])
    return " || ".join(parts) or "''"


def sql_ctes(table, *, ref: str, amounts: dict[str, str], fields: dict[str, str], joins: str):
    """The postings of ``table`` as the CTEs ``tx`` (the transactions) and ``entries``
    (two per transaction) of one PostgreSQL statement.

    The statement needs a CTE ``p`` (the payment just inserted: ``id, order_id,
    franchisee_id`` and the memo ``fields``) and the parameters ``business_date, now``;
    ``ref``, ``amounts`` (by name) and ``fields`` are SQL expressions, ``joins`` the
    further FROM items they read (cross-joined with ``p``). Zero amounts are skipped; a
    transaction already posted (same key) is not posted again. An entry whose account
    does not exist yet gets a NULL account and fails the whole statement (NOT NULL), so
    the caller creates the accounts and runs it again.
    """
    tx_rows = ",\n      ".join(
        f"({sql_literal(p.key + ':')} || {ref}, {sql_literal(p.kind)}, {amounts[p.amount]},"
        f" {sql_memo(p.memo, fields)})"
        for p in table
    )
    sides = ", ".join(
        f"({sql_literal(p.kind)}, {sql_literal(p.debit)}, {sql_literal(p.credit)})" for p in table
    )
    return f"""
tx AS (
  INSERT INTO ledger_transactions (idempotency_key, kind, franchisee_id, order_id,
      payment_id, amount_fen, business_date, memo, created_at)
  SELECT x.key, x.kind, p.franchisee_id, p.order_id, p.id, x.amount,
      %(business_date)s::date, x.memo, %(now)s::timestamptz
  FROM p CROSS JOIN {joins} CROSS JOIN LATERAL (VALUES
      {tx_rows}
  ) AS x(key, kind, amount, memo)
  WHERE x.amount > 0
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id, kind, amount_fen, franchisee_id
),
entries AS (
  INSERT INTO ledger_entries (transaction_id, account_id, debit_fen, credit_fen, created_at)
  SELECT tx.id, a.id, l.debit, l.credit, %(now)s::timestamptz
  FROM tx
  JOIN (VALUES {sides}) AS m(kind, dr, cr) ON m.kind = tx.kind
  CROSS JOIN LATERAL (VALUES (m.dr, tx.amount_fen, 0), (m.cr, 0, tx.amount_fen))
      AS l(account, debit, credit)
  LEFT JOIN ledger_accounts a ON a.code = l.account || ':' || tx.franchisee_id
)"""


def _check(table) -> None:
    """Import-time sanity: unique kinds and keys, known amounts, debit ≠ credit."""
    if not len({p.kind for p in table}) == len({p.key for p in table}) == len(table):
        raise ValueError("posting kinds and keys must be unique")
    for p in table:
        if p.amount not in AMOUNTS or p.debit == p.credit:
            raise ValueError(f"malformed posting {p}")


_check(PAYMENT)
_check(REFUND)
for _table in (TRADE_IN_CREDIT, TRADE_IN_RELEASE, TRADE_IN_PAYOUT, CONSIGNMENT_PAYOUT):
    _check(_table)
