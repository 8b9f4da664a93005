"""Ledger postings are described once (``franchise.services.postings``) and both paths
write what the description says: a paid notify (PostgreSQL: the one statement generated
from ``postings.PAYMENT``; SQLite: ``ledger.post_payment``) and a refund
(``ledger.post_refund`` from ``postings.REFUND``). Also: the refund table mirrors the
payment table, memo text reaches the generated SQL intact, and no module reaches into a
private name of the ledger path's modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.auth.models import HQ_ADMIN
from app.auth.principal import Principal
from app.extensions import db
from app.wechat.sandbox import sandbox_state
from franchise.models import LedgerAccount, LedgerEntry, LedgerTransaction, Order, Payment
from franchise.services import ledger, payments, postings, refunds
from tests.franchise.factories import gen_franchisee
from tests.franchise.factories_payments import gen_customer, gen_order

HQ = Principal(HQ_ADMIN)
ROOT = Path(__file__).resolve().parents[2]


def _described(table, ref, amounts: dict, fields: dict, fid: int) -> set:
    """What ``table`` says is written: per non-zero posting its key, kind, amount, memo
    and its two entries (account code, debit, credit)."""
    rows = set()
    for p in table:
        amount = amounts[p.amount]
        if amount:
            entries = frozenset({(f"{p.debit}:{fid}", amount, 0), (f"{p.credit}:{fid}", 0, amount)})
            rows.add((f"{p.key}:{ref}", p.kind, amount, p.memo.format(**fields), entries))
    return rows


def _written(fid: int) -> set:
    """The franchisee's ledger transactions in the same form as ``_described``."""
    rows = set()
    for tx in db.session.scalars(
        select(LedgerTransaction).where(LedgerTransaction.franchisee_id == fid)
    ):
        entries = db.session.execute(
            select(LedgerAccount.code, LedgerEntry.debit_fen, LedgerEntry.credit_fen)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(LedgerEntry.transaction_id == tx.id)
        ).all()
        assert len(entries) == 2
        rows.add((tx.idempotency_key, tx.kind, tx.amount_fen, tx.memo, frozenset(entries)))
    return rows


@pytest.mark.parametrize("bps", [1000, 0])
def test_a_payment_and_a_refund_write_the_described_postings(app, ctx, bps):
    franchisee = gen_franchisee(profit_share_bps=bps)
    fid = franchisee.id
    order = gen_order(gen_customer(fid), 12345)
    answer = payments.start_payment(order)
    tid = sandbox_state(app).succeed_order(answer["out_trade_no"])["transaction_id"]
    db.session.rollback()
    payment = db.session.scalars(select(Payment).where(Payment.order_id == order.id)).one()
    share = 1234 if bps else 0  # floor(12345 × 10 %)
    assert (payment.fee_fen, ledger.hq_share(12345, bps)) == (74, share)  # 74.07 → 74
    paid = _described(
        postings.PAYMENT,
        tid,
        {"gross": 12345, "fee": 74, "share": share},
        {"out_trade_no": payment.out_trade_no},
        fid,
    )
    assert _written(fid) == paid
    assert len(paid) == (3 if bps else 2)

    refund = refunds.request_refund(db.session.get(Order, order.id), 5000, "", HQ)
    refunds.execute_refund(refund.id)
    db.session.rollback()
    # in proportion, half up: 74 × 5000 / 12345 = 29.97 → 30; 1234 × … = 499.8 → 500
    back = {"gross": 5000, "fee": 30, "share": 500 if bps else 0}
    reversed_ = _described(
        postings.REFUND, refund.id, back, {"out_refund_no": refund.out_refund_no}, fid
    )
    assert _written(fid) == paid | reversed_
    assert ledger.unbalanced_transactions() == []
    assert ledger.available_balance(fid) == 12345 - 74 - share - 5000 + 30 + back["share"]


def test_each_refund_posting_reverses_the_payment_posting_of_its_amount():
    by_amount = {p.amount: p for p in postings.PAYMENT}
    assert sorted(by_amount) == sorted(postings.AMOUNTS)
    for r in postings.REFUND:
        p = by_amount[r.amount]
        assert (r.debit, r.credit) == (p.credit, p.debit)


def test_payment_statement_is_generated_from_the_description():
    from franchise.services import payments_pg

    assert payments_pg.POSTINGS_CTES in payments_pg.SETTLE_SQL
    for p in postings.PAYMENT:
        assert f"'{p.key}:' || %(tid)s::text, '{p.kind}'" in payments_pg.POSTINGS_CTES
        assert f"('{p.kind}', '{p.debit}', '{p.credit}')" in payments_pg.POSTINGS_CTES


# any text PostgreSQL stores (no NUL, no lone surrogate), braces kept for the field
memo_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00{}")
memo_parts = st.text(memo_chars, max_size=20)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(head=memo_parts, tail=memo_parts, value=memo_parts)
def test_memo_text_reaches_the_sql_intact(app, head, tail, value):
    """Any memo (quotes, ``%``, ``%(x)s``, any script) around a field evaluates in
    PostgreSQL to the text ``str.format`` gives the Python path."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("psycopg parameters: PostgreSQL only")
    for memo in (head + "{no}" + tail, head):
        expr = postings.sql_memo(memo, {"no": "%(no)s::text"})
        with app.app_context():
            raw = db.engine.raw_connection()
            try:
                with raw.driver_connection.cursor() as cursor:
                    got = cursor.execute(f"SELECT {expr}", {"no": value}).fetchone()[0]
            finally:
                raw.close()
        assert got == memo.format(no=value)


GUARDED = {"ledger", "postings", "payments", "payments_pg", "refunds"}


def _private_reaches(path: Path) -> list[str]:
    """``module._name`` and ``from pkg.module import _name`` in ``path`` where the module
    is one of franchise.services' GUARDED modules other than ``path`` itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    itself = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    guarded = {f"franchise.services.{name}" for name in GUARDED} - {itself}
    names: set[str] = set()  # local names bound to a guarded module
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in guarded:
                    names.add(alias.asname or alias.name)
                if node.module in guarded and alias.name.startswith("_"):
                    found.append(f"{path}:{node.lineno} {node.module}.{alias.name}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in names
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{path}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_no_module_calls_a_private_function_of_the_ledger_path():
    found = [
        hit
        for package in ("app", "franchise", "community", "livestream")
        for path in sorted((ROOT / package).rglob("*.py"))
        for hit in _private_reaches(path)
    ]
    assert found == []
