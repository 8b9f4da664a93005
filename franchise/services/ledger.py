"""The double-entry ledger: append-only postings in integer fen, idempotent by key.

Accounts are per franchisee and created on demand (race-safe: insert … on conflict do
nothing, then read): ``wallet:<fid>`` (the franchisee's money at WeChat, the available
balance), ``sales:<fid>``, ``wechat_fee:<fid>``, ``hq_share:<fid>``. A posting is a
``LedgerTransaction`` with a unique ``idempotency_key`` and balanced entries; posting the
same key twice does nothing. Balances are sums of entries, never stored counters.

None of these functions commits: they run inside the caller's (the payment or refund
service's) transaction, so a payment and its entries become visible together.

Payment (one settlement, three postings):
    payment   Dr wallet      / Cr sales        gross
    fee       Dr wechat_fee  / Cr wallet       fee (rate, half-up to fen)
    hq_share  Dr hq_share    / Cr wallet       HQ's profit share (bps of gross, floor, ≤ 30 %)
Refund (reversing postings, proportional and exact on the last refund):
    refund           Dr sales   / Cr wallet      refunded amount
    fee_refund       Dr wallet  / Cr wechat_fee  fee share of the refund
    hq_share_refund  Dr wallet  / Cr hq_share    HQ share of the refund
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import func, insert, select

from app.clock import utcnow
from app.db import is_postgres
from app.extensions import db
from franchise.models import LedgerAccount, LedgerEntry, LedgerTransaction
from franchise.models.org import MAX_PROFIT_SHARE_BPS

ACCOUNT_KINDS = ("wallet", "sales", "wechat_fee", "hq_share")
DEFAULT_FEE_RATE = "0.006"


class UnbalancedPosting(ValueError):
    """A posting whose debits and credits differ, or with a malformed line."""


def code_of(kind: str, franchisee_id: int) -> str:
    return f"{kind}:{franchisee_id}"


def _upsert(model, index: str):
    """``INSERT … ON CONFLICT (index) DO NOTHING`` for PostgreSQL and SQLite; the values
    are passed at execution, so the statement compiles once and is cached."""
    if is_postgres(db.engine):
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    # on the Table, not the mapped class: plain core, no ORM bulk-insert machinery
    return dialect_insert(model.__table__).on_conflict_do_nothing(index_elements=[index])


def account_ids(franchisee_id: int, kinds=ACCOUNT_KINDS) -> dict[str, int]:
    """Ids of the franchisee's accounts by kind, creating any missing one (race-safe)."""
    codes = {code_of(k, franchisee_id): k for k in kinds}
    rows = db.session.execute(
        select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(codes))
    ).all()
    found = dict(rows)
    missing = [c for c in codes if c not in found]
    if missing:
        now = utcnow()
        db.session.execute(
            _upsert(LedgerAccount, "code"),
            [
                {"code": c, "kind": codes[c], "franchisee_id": franchisee_id, "created_at": now}
                for c in missing
            ],
        )
        rows = db.session.execute(
            select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(missing))
        ).all()
        found.update(dict(rows))
    return {codes[c]: found[c] for c in codes}


def check_balanced(lines) -> int:
    """The posting's total (Σ debits); raises ``UnbalancedPosting`` when it is malformed."""
    if not lines:
        raise UnbalancedPosting("a posting needs lines")
    debits = credits = 0
    for kind, debit, credit in lines:
        for value in (debit, credit):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise UnbalancedPosting("amounts are non-negative integers (fen)")
        if (debit == 0) == (credit == 0):
            raise UnbalancedPosting("each line is either a debit or a credit")
        if kind not in ACCOUNT_KINDS:
            raise UnbalancedPosting(f"unknown account kind {kind!r}")
        debits += debit
        credits += credit
    if debits != credits:
        raise UnbalancedPosting(f"debits {debits} != credits {credits}")
    return debits


def post(
    idempotency_key: str,
    kind: str,
    franchisee_id: int,
    lines: list[tuple[str, int, int]],
    *,
    business_date: date,
    order_id: int | None = None,
    payment_id: int | None = None,
    refund_id: int | None = None,
    memo: str = "",
) -> int | None:
    """Post one balanced transaction; returns its id, or None when the key was posted.

    ``lines`` are ``(account kind, debit_fen, credit_fen)`` on the franchisee's accounts;
    zero-amount postings are skipped (None). Runs in the caller's transaction.
    """
    posting = {
        "idempotency_key": idempotency_key,
        "kind": kind,
        "lines": lines,
        "business_date": business_date,
        "order_id": order_id,
        "payment_id": payment_id,
        "refund_id": refund_id,
        "memo": memo,
    }
    return post_many(franchisee_id, [posting]).get(idempotency_key)


def post_many(franchisee_id: int, postings: list[dict]) -> dict[str, int]:
    """Post several balanced transactions of one franchisee in three statements (accounts,
    transactions, entries); returns ``{idempotency_key: id}`` of those newly posted.

    Each posting: ``idempotency_key, kind, lines, business_date`` and optional
    ``order_id, payment_id, refund_id, memo``. All are checked before anything is written.
    """
    postings = [
        {**p, "lines": [line for line in p["lines"] if line[1] or line[2]]} for p in postings
    ]
    postings = [p for p in postings if p["lines"]]
    if not postings:
        return {}
    totals = [check_balanced(p["lines"]) for p in postings]
    accounts = account_ids(franchisee_id, {line[0] for p in postings for line in p["lines"]})
    now = utcnow()
    rows = db.session.execute(
        _upsert(LedgerTransaction, "idempotency_key").returning(
            LedgerTransaction.__table__.c.idempotency_key, LedgerTransaction.__table__.c.id
        ),
        [
            {
                "idempotency_key": p["idempotency_key"],
                "kind": p["kind"],
                "franchisee_id": franchisee_id,
                "order_id": p.get("order_id"),
                "payment_id": p.get("payment_id"),
                "refund_id": p.get("refund_id"),
                "amount_fen": total,
                "business_date": p["business_date"],
                "memo": (p.get("memo") or "")[:255],
                "created_at": now,
            }
            for p, total in zip(postings, totals, strict=True)
        ],
    ).all()
    posted = dict(rows)
    entries = [
        {
            "transaction_id": posted[p["idempotency_key"]],
            "account_id": accounts[k],
            "debit_fen": d,
            "credit_fen": c,
            "created_at": now,
        }
        for p in postings
        if p["idempotency_key"] in posted
        for k, d, c in p["lines"]
    ]
    if entries:
        db.session.execute(insert(LedgerEntry.__table__), entries)
    return posted


# --- amounts ----------------------------------------------------------------------


def fee_rate() -> Decimal:
    return Decimal(str(current_app.config.get("FRANCHISE_PAY_FEE_RATE", DEFAULT_FEE_RATE)))


def wechat_fee(amount_fen: int) -> int:
    """WeChat's fee on ``amount_fen``, rounded half-up to the fen."""
    return int((Decimal(amount_fen) * fee_rate()).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def hq_share(amount_fen: int, bps: int) -> int:
    """HQ's share in fen: ``bps`` of the amount (capped at 30 %), rounded down."""
    return amount_fen * max(0, min(bps, MAX_PROFIT_SHARE_BPS)) // 10000


def proportional(part_total: int, refunded_total: int, paid: int) -> int:
    """``part_total × refunded_total / paid`` rounded half-up (exact when all is refunded)."""
    if paid <= 0:
        return 0
    value = Decimal(part_total) * Decimal(refunded_total) / Decimal(paid)
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


# --- the postings of a payment and a refund ---------------------------------------


def post_payment(payment, share_fen: int) -> None:
    """The three postings of a verified payment (keys ``pay|fee|hq:<transaction_id>``).

    ``payment`` needs ``franchisee_id, order_id, id, transaction_id, out_trade_no,
    amount_fen, fee_fen, business_date`` (a ``Payment`` or any object with them).
    """
    common = {
        "business_date": payment.business_date,
        "order_id": payment.order_id,
        "payment_id": payment.id,
    }
    tid, amount, fee = payment.transaction_id, payment.amount_fen, payment.fee_fen
    post_many(
        payment.franchisee_id,
        [
            {
                "idempotency_key": f"pay:{tid}",
                "kind": "payment",
                "lines": [("wallet", amount, 0), ("sales", 0, amount)],
                "memo": f"payment {payment.out_trade_no}",
                **common,
            },
            {
                "idempotency_key": f"fee:{tid}",
                "kind": "fee",
                "lines": [("wechat_fee", fee, 0), ("wallet", 0, fee)],
                "memo": "WeChat Pay fee",
                **common,
            },
            {
                "idempotency_key": f"hq:{tid}",
                "kind": "hq_share",
                "lines": [("hq_share", share_fen, 0), ("wallet", 0, share_fen)],
                "memo": "HQ profit share",
                **common,
            },
        ],
    )


# The same three postings as one part of a single SQL statement (PostgreSQL), used by
# the payment service's one-round-trip settle. It needs the CTEs ``p`` (the payment just
# inserted: ``id, order_id, franchisee_id, out_trade_no``) and ``calc`` (``share``), and
# the parameters ``tid, amount, fee, business_date, now``. Keys, kinds, memos, accounts
# and the skipped zero postings are those of ``post_payment``; an entry whose account
# does not exist yet gets a NULL account and fails the whole statement (NOT NULL), so the
# caller creates the accounts (``account_ids``) and runs it again.
PAYMENT_POSTINGS_CTES = """
tx AS (
  INSERT INTO ledger_transactions (idempotency_key, kind, franchisee_id, order_id,
      payment_id, amount_fen, business_date, memo, created_at)
  SELECT x.key, x.kind, p.franchisee_id, p.order_id, p.id, x.amount,
      %(business_date)s::date, x.memo, %(now)s::timestamptz
  FROM p CROSS JOIN calc CROSS JOIN LATERAL (VALUES
      ('pay:' || %(tid)s::text, 'payment', %(amount)s::bigint, 'payment ' || p.out_trade_no),
      ('fee:' || %(tid)s::text, 'fee', %(fee)s::bigint, 'WeChat Pay fee'),
      ('hq:' || %(tid)s::text, 'hq_share', calc.share, 'HQ profit share')
  ) AS x(key, kind, amount, memo)
  WHERE x.amount > 0
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id, kind, amount_fen, franchisee_id
),
entries AS (
  INSERT INTO ledger_entries (transaction_id, account_id, debit_fen, credit_fen, created_at)
  SELECT tx.id, a.id, l.debit, l.credit, %(now)s::timestamptz
  FROM tx
  JOIN (VALUES ('payment', 'wallet', 'sales'), ('fee', 'wechat_fee', 'wallet'),
               ('hq_share', 'hq_share', 'wallet')) AS m(kind, dr, cr) ON m.kind = tx.kind
  CROSS JOIN LATERAL (VALUES (m.dr, tx.amount_fen, 0), (m.cr, 0, tx.amount_fen))
      AS l(account, debit, credit)
  LEFT JOIN ledger_accounts a ON a.code = l.account || ':' || tx.franchisee_id
)"""


def _reversed_so_far(payment_id: int, kind: str) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerTransaction.amount_fen), 0)).where(
                LedgerTransaction.payment_id == payment_id, LedgerTransaction.kind == kind
            )
        )
        or 0
    )


def post_refund(refund, payment, share_fen: int, refunded_total: int, day: date) -> None:
    """Reversing postings of a successful refund (keys ``refund|rfee|rhq:<refund id>``).

    ``refunded_total`` is the payment's refunded amount including this refund; the fee
    and HQ share are reversed in proportion, so a full refund reverses them exactly.
    """
    common = {
        "business_date": day,
        "order_id": refund.order_id,
        "payment_id": payment.id,
        "refund_id": refund.id,
    }
    fid = refund.franchisee_id
    fee_back = proportional(payment.fee_fen, refunded_total, payment.amount_fen) - (
        _reversed_so_far(payment.id, "fee_refund")
    )
    share_back = proportional(share_fen, refunded_total, payment.amount_fen) - (
        _reversed_so_far(payment.id, "hq_share_refund")
    )
    post(
        f"refund:{refund.id}",
        "refund",
        fid,
        [("sales", refund.amount_fen, 0), ("wallet", 0, refund.amount_fen)],
        memo=f"refund {refund.out_refund_no}",
        **common,
    )
    post(
        f"rfee:{refund.id}",
        "fee_refund",
        fid,
        [("wallet", max(fee_back, 0), 0), ("wechat_fee", 0, max(fee_back, 0))],
        memo="WeChat Pay fee returned",
        **common,
    )
    post(
        f"rhq:{refund.id}",
        "hq_share_refund",
        fid,
        [("wallet", max(share_back, 0), 0), ("hq_share", 0, max(share_back, 0))],
        memo="HQ profit share returned",
        **common,
    )


# --- balances ---------------------------------------------------------------------


def account_balance(franchisee_id: int, kind: str) -> int:
    """Σ debit − Σ credit of one of the franchisee's accounts (0 when it has none)."""
    value = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.debit_fen - LedgerEntry.credit_fen), 0))
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerAccount.code == code_of(kind, franchisee_id))
    )
    return int(value or 0)


def available_balance(franchisee_id: int) -> int:
    """The franchisee's available balance: the wallet account, derived from entries."""
    return account_balance(franchisee_id, "wallet")


def trial_balance() -> list[dict]:
    """Σ debits and Σ credits per account kind (HQ's check that the books balance)."""
    rows = db.session.execute(
        select(
            LedgerAccount.kind,
            func.count(func.distinct(LedgerAccount.id)),
            func.coalesce(func.sum(LedgerEntry.debit_fen), 0),
            func.coalesce(func.sum(LedgerEntry.credit_fen), 0),
        )
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id, isouter=True)
        .group_by(LedgerAccount.kind)
        .order_by(LedgerAccount.kind)
    ).all()
    return [
        {
            "kind": kind,
            "accounts": int(n),
            "debit_fen": int(d),
            "credit_fen": int(c),
            "balance_fen": int(d) - int(c),
        }
        for kind, n, d, c in rows
    ]


def unbalanced_transactions() -> list[int]:
    """Ids of transactions whose entries do not balance (should always be empty)."""
    return list(
        db.session.scalars(
            select(LedgerEntry.transaction_id)
            .group_by(LedgerEntry.transaction_id)
            .having(func.sum(LedgerEntry.debit_fen) != func.sum(LedgerEntry.credit_fen))
        )
    )
