"""The points book: double-entry, append-only, idempotent, in integer points.

Each kind of posting is described once in ``POSTINGS`` (the account kinds it may debit
and credit, and which way the member's balance moves); ``post`` checks a posting's
lines against it, writes the transaction (``INSERT … ON CONFLICT (idempotency_key) DO
NOTHING``: a key posted twice posts once) and its entries, and moves
``Member.points`` with one conditional ``UPDATE … WHERE points + :delta >= 0`` in the
same transaction, so the balance can never go below zero and two spends of the same
points cannot both pass. Nothing here commits.

Accounts are ``<kind>:<owner>``: ``member:<customer>``, ``debt:<customer>``,
``carrier:<franchisee|hq>``, ``redeemed:<franchisee|hq>``, ``expired:hq``. In fen, a
franchisee's points line is Σ (credit − debit) × value over its ``carrier`` and
``redeemed`` accounts: negative for the points it paid for, positive for the value it
gave away when a member spent points in its stores. HQ's line is the same sum over every
other account (the members' balances, debts, expiry and HQ's own carrier account), so
the franchisees' lines and HQ's sum to zero whenever the book balances.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import CursorResult

from app.clock import utcnow
from app.db import insert_ignoring
from app.extensions import db
from app.web.i18n import N_
from franchise.models import Member, PointAccount, PointEntry, PointTransaction
from franchise.services import double_entry

HQ = "hq"
FRANCHISEE_KINDS = ("carrier", "redeemed")


@dataclass(frozen=True)
class PointPosting:
    """What a kind of posting may debit and credit, and the member's side of it."""

    debit: frozenset[str]
    credit: frozenset[str]
    label: str  # the member's word for it (translated by ``kind_label``)


def _p(debit: str, credit: str, label: str) -> PointPosting:
    return PointPosting(frozenset(debit.split()), frozenset(credit.split()), label)


# kind → (debit account kinds, credit account kinds); earning may repay a debt first
POSTINGS: dict[str, PointPosting] = {
    "earn": _p("carrier", "member debt", N_("Earned on an order")),
    "event": _p("carrier", "member debt", N_("Reward")),
    "burn": _p("member", "redeemed", N_("Used on an order")),
    "exchange": _p("member", "redeemed", N_("Exchanged for an item")),
    "burn_return": _p("redeemed", "member", N_("Returned from an order")),
    "unearn": _p("member debt", "carrier", N_("Taken back after a refund")),
    "expiry": _p("member", "expired", N_("Expired")),
    "write_off": _p("carrier", "debt", N_("Debt written off")),
}


class UnbalancedPoints(ValueError):
    """A posting whose lines do not balance or touch accounts its kind may not."""


_members = Member.__table__
_ACCOUNT_IDS = select(PointAccount.code, PointAccount.id).where(
    PointAccount.code.in_(bindparam("codes", expanding=True))
)
# the member's balance moves only when it stays >= 0 (two spends cannot both pass)
_MOVE_MEMBER = (
    update(_members)
    .where(
        _members.c.customer_id == bindparam("customer"),
        _members.c.points + bindparam("delta") >= 0,
    )
    .values(
        points=_members.c.points + bindparam("delta"),
        points_consumed=_members.c.points_consumed + bindparam("consumed"),
        updated_at=bindparam("now"),
    )
)
_INSERT_ENTRIES = PointEntry.__table__.insert()


@lru_cache(maxsize=4)
def _inserts(engine) -> tuple[Any, Any]:
    """The transaction's and the accounts' ``ON CONFLICT DO NOTHING`` inserts, built once
    per engine (not per posting)."""
    accounts = PointAccount.__table__
    return (
        insert_ignoring(engine, PointTransaction, "idempotency_key").returning(
            PointTransaction.__table__.c.id
        ),
        insert_ignoring(engine, PointAccount, "code").returning(accounts.c.code, accounts.c.id),
    )


def account_code(kind: str, owner: int | str) -> str:
    """An account's code: its kind and owner (``member:<customer>``, ``carrier:hq``)."""
    return f"{kind}:{owner}"


def account_code_sql(kind: str, owner_sql: str) -> str:
    """``account_code`` as a SQL expression over the owner ``owner_sql`` (the one-statement
    welcome's, ``welcome_pg``): the code ``account_code`` makes around a marker, the
    marker replaced by the owner."""
    before, after = account_code(kind, "\x00").split("\x00")
    return " || ".join([f"'{before}'", f"{owner_sql}::text"] + ([f"'{after}'"] if after else []))


def account_row(code: str) -> dict:
    """The ``PointAccount`` values of the account ``code`` (``<kind>:<owner>``)."""
    kind, owner = code.split(":", 1)
    number = None if owner == HQ else int(owner)
    per_member = kind in ("member", "debt")
    return {
        "code": code,
        "kind": kind,
        "customer_id": number if per_member else None,
        "franchisee_id": None if per_member else number,
        "created_at": utcnow(),
    }


def _ensure_accounts(codes: set[str]) -> dict[str, int]:
    """Ids of the accounts ``codes``, creating the missing ones (race-safe): the insert
    answers with the ids it made, so only an account another transaction made meanwhile
    is read a second time."""
    found = dict(db.session.execute(_ACCOUNT_IDS, {"codes": sorted(codes)}).all())
    missing = codes - found.keys()
    if missing:
        rows = [account_row(code) for code in sorted(missing)]
        # the rows made now; one another transaction made meanwhile is read
        found.update(db.session.execute(_inserts(db.engine)[1], rows).all())
        if missing - found.keys():
            left = sorted(missing - found.keys())
            found.update(db.session.execute(_ACCOUNT_IDS, {"codes": left}).all())
    return found


def check(kind: str, lines: list[tuple[str, int, int]]) -> int:
    """The posting's total; raises ``UnbalancedPoints`` when malformed."""
    posting = POSTINGS.get(kind)
    if posting is None or not lines:
        raise UnbalancedPoints(f"unknown or empty posting {kind!r}")
    debits = credits = 0
    for code, debit, credit in lines:
        for value in (debit, credit):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise UnbalancedPoints("points are non-negative integers")
        if (debit == 0) == (credit == 0):
            raise UnbalancedPoints("each line is either a debit or a credit")
        allowed = posting.debit if debit else posting.credit
        if code.split(":", 1)[0] not in allowed:
            raise UnbalancedPoints(f"{kind} may not touch {code} on that side")
        debits += debit
        credits += credit
    if debits != credits:
        raise UnbalancedPoints(f"debits {debits} != credits {credits}")
    return debits


def member_delta(customer_id: int, lines: list[tuple[str, int, int]]) -> int:
    """How the member's balance moves: credits − debits on ``member:<customer>``."""
    code = account_code("member", customer_id)
    return sum(c - d for k, d, c in lines if k == code)


def post(
    key: str,
    kind: str,
    customer_id: int,
    lines: list[tuple[str, int, int]],
    *,
    value_fen: int,
    business_date: date,
    franchisee_id: int | None = None,
    order_id: int | None = None,
    refund_id: int | None = None,
    memo: str = "",
    consumed: int = 0,
) -> int | None:
    """Post one balanced transaction and move the member's balance; the transaction's
    id, or None when ``key`` was posted before (nothing written) or nothing moves.

    Raises ``InsufficientPoints`` when the member holds less than the posting takes
    (the conditional UPDATE found no row): the caller's transaction must roll back.
    ``consumed`` is added to ``Member.points_consumed`` (first-in-first-out expiry).
    """
    lines = [line for line in lines if line[1] or line[2]]
    if not lines:
        return None
    total = check(kind, lines)
    tx_id = db.session.execute(
        _inserts(db.engine)[0],
        [
            {
                "idempotency_key": key,
                "kind": kind,
                "customer_id": customer_id,
                "franchisee_id": franchisee_id,
                "order_id": order_id,
                "refund_id": refund_id,
                "points": total,
                "member_points": member_delta(customer_id, lines),
                "value_fen": value_fen,
                "business_date": business_date,
                "memo": memo[:128],
                "created_at": utcnow(),
            }
        ],
    ).scalar()
    if tx_id is None:
        return None
    delta = member_delta(customer_id, lines)
    if delta or consumed:
        moved = db.session.execute(
            _MOVE_MEMBER,
            {"customer": customer_id, "delta": delta, "consumed": consumed, "now": utcnow()},
        )
        if cast(CursorResult, moved).rowcount != 1:
            raise InsufficientPoints(customer_id, -delta)
    accounts = _ensure_accounts({code for code, _d, _c in lines})
    db.session.execute(
        _INSERT_ENTRIES,
        [
            {"transaction_id": tx_id, "account_id": accounts[code], "debit": d, "credit": c}
            for code, d, c in lines
        ],
    )
    return tx_id


class InsufficientPoints(Exception):
    """The member holds fewer points than a posting takes (nothing was changed)."""

    def __init__(self, customer_id: int, wanted: int):
        super().__init__(f"customer {customer_id} holds fewer than {wanted} points")
        self.customer_id = customer_id
        self.wanted = wanted


def posted_points(kind: str, order_id: int) -> int:
    """Σ points of the order's transactions of ``kind`` (what was earned, burned...)."""
    value = db.session.scalar(
        select(func.coalesce(func.sum(PointTransaction.points), 0)).where(
            PointTransaction.order_id == order_id, PointTransaction.kind == kind
        )
    )
    return int(value or 0)


# --- balances, statements, the trial balance ---------------------------------------


def account_balance(code: str) -> int:
    """Σ credit − Σ debit of one account (what it is owed, in points)."""
    value = db.session.scalar(
        select(func.coalesce(func.sum(PointEntry.credit - PointEntry.debit), 0))
        .join(PointAccount, PointAccount.id == PointEntry.account_id)
        .where(PointAccount.code == code)
    )
    return int(value or 0)


def _fen_lines(day: date | None = None):
    """(franchisee id or None for HQ, Σ (credit − debit) × value in fen)."""
    stmt = (
        select(
            PointAccount.kind,
            PointAccount.franchisee_id,
            func.coalesce(
                func.sum((PointEntry.credit - PointEntry.debit) * PointTransaction.value_fen), 0
            ),
            func.coalesce(func.sum(PointEntry.credit - PointEntry.debit), 0),
        )
        .join(PointEntry, PointEntry.account_id == PointAccount.id)
        .join(PointTransaction, PointTransaction.id == PointEntry.transaction_id)
        .group_by(PointAccount.kind, PointAccount.franchisee_id)
    )
    if day is not None:
        stmt = stmt.where(PointTransaction.business_date == day)
    return db.session.execute(stmt).all()


def settlement_lines(day: date | None = None) -> dict[int | None, dict]:
    """Per franchisee (None: HQ) the points line of ``day`` (every day when None):
    ``{"points", "fen"}`` with fen what HQ owes the franchisee (negative: it owes HQ)."""
    lines: dict[int | None, dict] = {}
    for kind, franchisee_id, fen, points in _fen_lines(day):
        owner = franchisee_id if kind in FRANCHISEE_KINDS else None
        line = lines.setdefault(owner, {"points": 0, "fen": 0, "earned": 0, "redeemed": 0})
        line["fen"] += int(fen)
        line["points"] += int(points)
        if owner is not None:
            line["earned" if kind == "carrier" else "redeemed"] += int(points)
    return lines


def franchisee_points(franchisee_id: int, day: date | None = None) -> dict:
    """One franchisee's points line (zeros when it has none)."""
    empty = {"points": 0, "fen": 0, "earned": 0, "redeemed": 0}
    return settlement_lines(day).get(franchisee_id, empty)


def daily_lines(franchisee_id: int, since: date) -> list[dict]:
    """The franchisee's points line per business day from ``since``, newest first:
    ``{"date", "earned", "redeemed", "points", "fen"}`` (one grouped query)."""
    net = PointEntry.credit - PointEntry.debit
    rows = db.session.execute(
        select(
            PointTransaction.business_date,
            PointAccount.kind,
            func.sum(net),
            func.sum(net * PointTransaction.value_fen),
        )
        .join(PointEntry, PointEntry.account_id == PointAccount.id)
        .join(PointTransaction, PointTransaction.id == PointEntry.transaction_id)
        .where(
            PointAccount.franchisee_id == franchisee_id,
            PointAccount.kind.in_(FRANCHISEE_KINDS),
            PointTransaction.business_date >= since,
        )
        .group_by(PointTransaction.business_date, PointAccount.kind)
    ).all()
    days: dict[date, dict] = {}
    for day, kind, points, fen in rows:
        line = days.setdefault(
            day, {"date": day, "earned": 0, "redeemed": 0, "points": 0, "fen": 0}
        )
        line["earned" if kind == "carrier" else "redeemed"] += int(points or 0)
        line["points"] += int(points or 0)
        line["fen"] += int(fen or 0)
    return [days[d] for d in sorted(days, reverse=True)]


def trial_balance() -> list[dict]:
    """Σ debits and Σ credits in points per account kind, and whether they balance."""
    totals = double_entry.totals_by_kind(
        PointAccount, PointEntry, PointEntry.debit, PointEntry.credit
    )
    return [
        {"kind": kind, "accounts": n, "debit": d, "credit": c, "balance": c - d}
        for kind, n, d, c in totals
    ]


def unbalanced_transactions() -> list[int]:
    """Ids of points transactions whose entries do not balance (always empty)."""
    return double_entry.unbalanced_transactions(PointEntry, PointEntry.debit, PointEntry.credit)


def orphan_entries() -> list[int]:
    """Ids of entries whose transaction or account does not exist (always empty: what
    the foreign keys the entries no longer carry would refuse)."""
    return list(
        db.session.scalars(
            select(PointEntry.id)
            .join(PointTransaction, PointTransaction.id == PointEntry.transaction_id, isouter=True)
            .join(PointAccount, PointAccount.id == PointEntry.account_id, isouter=True)
            .where(PointTransaction.id.is_(None) | PointAccount.id.is_(None))
        )
    )


def balances_disagree() -> list[int]:
    """Customers whose ``Member.points`` is not their member account's balance."""
    held = (
        select(
            PointAccount.customer_id.label("cid"),
            func.sum(PointEntry.credit - PointEntry.debit).label("points"),
        )
        .join(PointEntry, PointEntry.account_id == PointAccount.id)
        .where(PointAccount.kind == "member")
        .group_by(PointAccount.customer_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(Member.customer_id)
            .join(held, held.c.cid == Member.customer_id, isouter=True)
            .where(Member.points != func.coalesce(held.c.points, 0))
        )
    )
