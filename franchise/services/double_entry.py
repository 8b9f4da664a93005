"""What the two double-entry books check alike: the money ledger
(``franchise.services.ledger``, fen) and the points book
(``franchise.services.points_book``, points).

Each book has accounts with a ``kind`` and entries with a ``transaction_id``, an
``account_id`` and a debit and a credit column; a transaction balances when its debits
equal its credits. Each book names its own figures (``debit_fen`` or ``debit``) and
which side its balance counts from.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db


def totals_by_kind(account, entry, debit, credit) -> list[tuple[str, int, int, int]]:
    """``(kind, accounts, Σ debits, Σ credits)`` per account kind of a book, by kind;
    accounts without entries count, with zero sums."""
    rows = db.session.execute(
        select(
            account.kind,
            func.count(func.distinct(account.id)),
            func.coalesce(func.sum(debit), 0),
            func.coalesce(func.sum(credit), 0),
        )
        .join(entry, entry.account_id == account.id, isouter=True)
        .group_by(account.kind)
        .order_by(account.kind)
    ).all()
    return [(kind, int(n), int(d), int(c)) for kind, n, d, c in rows]


def unbalanced_transactions(entry, debit, credit) -> list[int]:
    """Ids of the book's transactions whose entries do not balance (always empty)."""
    return list(
        db.session.scalars(
            select(entry.transaction_id)
            .group_by(entry.transaction_id)
            .having(func.sum(debit) != func.sum(credit))
        )
    )
