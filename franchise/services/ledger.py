"""The double-entry ledger: append-only postings in integer fen, idempotent by key.

Accounts are per franchisee and created on demand (race-safe: insert … on conflict do
nothing, then read): ``wallet:<fid>`` (the franchisee's money at WeChat, the available
balance), ``sales:<fid>``, ``wechat_fee:<fid>``, ``hq_share:<fid>``. A posting is a
``LedgerTransaction`` with a unique ``idempotency_key`` and balanced entries; posting the
same key twice does nothing. Balances are sums of entries, never stored counters.

None of these functions commits: they run inside the caller's (the payment or refund
service's) transaction, so a payment and its entries become visible together.

The postings themselves — a payment's three (payment, WeChat fee, HQ share) and a
refund's three reversals, with their accounts, sides and amounts — are described once,
in ``franchise.services.postings``; ``post_payment`` and ``post_refund`` write them from
there, as does the PostgreSQL notify statement (``payments_pg.SETTLE_SQL``).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import func, insert, select

from app.clock import utcnow
from app.db import insert_ignoring
from app.extensions import db
from franchise.models import LedgerAccount, LedgerEntry, LedgerTransaction
from franchise.models.org import MAX_PROFIT_SHARE_BPS
from franchise.services import double_entry, postings

ACCOUNT_KINDS = ("wallet", "sales", "wechat_fee", "hq_share")  # a payment's, made up front
# old_gold (issue 19): metal traded in at the franchisee's stores, at buy-back value,
# made on first use
POSTABLE_KINDS = (*ACCOUNT_KINDS, "old_gold")


class UnbalancedPosting(ValueError):
    """A posting whose debits and credits differ, or with a malformed line."""


def code_of(kind: str, franchisee_id: int) -> str:
    return f"{kind}:{franchisee_id}"


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
            insert_ignoring(db.engine, LedgerAccount, "code"),
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
        if kind not in POSTABLE_KINDS:
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
        insert_ignoring(db.engine, LedgerTransaction, "idempotency_key").returning(
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
    return Decimal(str(current_app.config["FRANCHISE_PAY_FEE_RATE"]))


def wechat_fee(amount_fen: int) -> int:
    """WeChat's fee on ``amount_fen``, rounded half-up to the fen."""
    return int((Decimal(amount_fen) * fee_rate()).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def hq_share(amount_fen: int, bps: int) -> int:
    """HQ's share in fen: ``bps`` of the amount (capped at 30 %), rounded down."""
    return amount_fen * max(0, min(bps, MAX_PROFIT_SHARE_BPS)) // 10000


def hq_share_sql(amount: str, bps: str) -> str:
    """``hq_share`` as a PostgreSQL expression over the SQL expressions ``amount`` and
    ``bps``: bigint throughout (amount × bps passes 2**31 from ¥21,474.84 at 10 %), and
    bigint division truncates, which floors as amounts are ≥ 0."""
    return f"{amount}::bigint * GREATEST(0, LEAST({bps}, {MAX_PROFIT_SHARE_BPS}))::bigint / 10000"


def proportional(part_total: int, refunded_total: int, paid: int) -> int:
    """``part_total × refunded_total / paid`` rounded half-up (exact when all is refunded)."""
    if paid <= 0:
        return 0
    value = Decimal(part_total) * Decimal(refunded_total) / Decimal(paid)
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


# --- the postings of a payment and a refund ---------------------------------------


def post_payment(payment, share_fen: int) -> None:
    """The postings of a verified payment (``postings.PAYMENT``: keys
    ``pay|fee|hq:<transaction_id>``).

    ``payment`` needs ``franchisee_id, order_id, id, transaction_id, out_trade_no,
    amount_fen, fee_fen, business_date`` (a ``Payment`` or any object with them).
    """
    amounts = {"gross": payment.amount_fen, "fee": payment.fee_fen, "share": share_fen}
    post_many(
        payment.franchisee_id,
        postings.build(
            postings.PAYMENT,
            payment.transaction_id,
            amounts,
            {"out_trade_no": payment.out_trade_no},
            business_date=payment.business_date,
            order_id=payment.order_id,
            payment_id=payment.id,
        ),
    )


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
    """Reversing postings of a successful refund (``postings.REFUND``: keys
    ``refund|rfee|rhq:<refund id>``).

    ``refunded_total`` is the payment's refunded amount including this refund; the fee
    and HQ share are reversed in proportion, so a full refund reverses them exactly.
    """
    fee_back = proportional(payment.fee_fen, refunded_total, payment.amount_fen) - (
        _reversed_so_far(payment.id, "fee_refund")
    )
    share_back = proportional(share_fen, refunded_total, payment.amount_fen) - (
        _reversed_so_far(payment.id, "hq_share_refund")
    )
    amounts = {"gross": refund.amount_fen, "fee": max(fee_back, 0), "share": max(share_back, 0)}
    post_many(
        refund.franchisee_id,
        postings.build(
            postings.REFUND,
            refund.id,
            amounts,
            {"out_refund_no": refund.out_refund_no},
            business_date=day,
            order_id=refund.order_id,
            payment_id=payment.id,
            refund_id=refund.id,
        ),
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
    totals = double_entry.totals_by_kind(
        LedgerAccount, LedgerEntry, LedgerEntry.debit_fen, LedgerEntry.credit_fen
    )
    return [
        {"kind": kind, "accounts": n, "debit_fen": d, "credit_fen": c, "balance_fen": d - c}
        for kind, n, d, c in totals
    ]


def unbalanced_transactions() -> list[int]:
    """Ids of transactions whose entries do not balance (should always be empty)."""
    return double_entry.unbalanced_transactions(
        LedgerEntry, LedgerEntry.debit_fen, LedgerEntry.credit_fen
    )
