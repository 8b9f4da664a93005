"""The notify → ledger path row by row: what a paid notify writes (payment, order, event,
three postings, six entries, profit share, outbox row), zero postings skipped, paid after
close, a second payment, first payment of a franchisee without ledger accounts, and on
PostgreSQL the single statement (one round trip) and concurrent different payments.

Every test but the PostgreSQL-only ones runs on both backends, so the SQLite statements
and the PostgreSQL statement are held to the same rows.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import psycopg
import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.outbox import OutboxMessage
from franchise.models import (
    Alert,
    Franchisee,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Order,
    OrderEvent,
    Payment,
    ProfitShare,
)
from franchise.services import ledger
from tests.franchise.factories_payments import SUB_MCH_A, order_after_a_payment
from tests.franchise.factories_payments import order_to_pay as _order
from tests.franchise.factories_payments import post_notify as _notify


def _is_pg(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def test_one_notify_writes_every_row(app, client, org):
    otn = _order(app, org.fa, 12345)
    assert _notify(client, app, otn, 12345, "4200000000202611260000000101") == "SUCCESS"
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.out_trade_no == otn)).one()
        assert (order.status, order.paid_fen) == ("paid", 12345)
        assert order.transaction_id == "4200000000202611260000000101"
        # time_end 20261126120000 Shanghai = 04:00 UTC
        assert order.paid_at.astimezone(UTC) == datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
        ev = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)).one()
        assert (ev.from_status, ev.to_status, ev.actor_role) == ("created", "paid", "wechat")
        assert ev.note == "WeChat Pay 4200000000202611260000000101 (notify)"
        pay = db.session.scalars(select(Payment)).one()
        assert (pay.amount_fen, pay.fee_fen, pay.source) == (12345, 74, "notify")
        assert pay.sub_mch_id == SUB_MCH_A and pay.business_date == date(2026, 11, 26)
        assert pay.out_trade_no == otn and pay.franchisee_id == org.fa
        txs = {
            t.idempotency_key: t
            for t in db.session.scalars(select(LedgerTransaction).order_by(LedgerTransaction.id))
        }
        tid = pay.transaction_id
        assert set(txs) == {f"pay:{tid}", f"fee:{tid}", f"hq:{tid}"}
        assert [(t.kind, t.amount_fen, t.memo) for t in txs.values()] == [
            ("payment", 12345, f"payment {otn}"),
            ("fee", 74, "WeChat Pay fee"),
            ("hq_share", 1234, "HQ profit share"),
        ]
        assert all(
            (t.payment_id, t.order_id, t.franchisee_id) == (pay.id, order.id, org.fa)
            and t.business_date == date(2026, 11, 26)
            for t in txs.values()
        )
        lines = db.session.execute(
            select(LedgerTransaction.kind, LedgerAccount.code, LedgerEntry.debit_fen)
            .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(LedgerEntry.credit_fen == 0)
        ).all()
        debits = {(kind, code.split(":")[0]) for kind, code, _ in lines}
        assert debits == {("payment", "wallet"), ("fee", "wechat_fee"), ("hq_share", "hq_share")}
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 6
        assert ledger.unbalanced_transactions() == []
        assert ledger.available_balance(org.fa) == 12345 - 74 - 1234
        share = db.session.scalars(select(ProfitShare)).one()
        assert share.out_order_no == f"PS{pay.id:010d}" and share.amount_fen == 1234
        assert share.status == "pending" and share.franchisee_id == org.fa
        msg = db.session.scalars(select(OutboxMessage)).one()
        assert msg.kind == "franchise.profit_share" and msg.status == "pending"
        assert msg.dedupe_key == f"profit_share:{share.id}" and msg.attempts == 0
        assert msg.payload == {"profit_share_id": share.id}
        assert db.session.scalar(select(func.count()).select_from(Alert)) == 0


def test_zero_share_and_tiny_amount_skip_zero_postings(app, client, org):
    with app.app_context():
        db.session.execute(
            update(Franchisee).where(Franchisee.id == org.fa).values(profit_share_bps=0)
        )
        db.session.commit()
    otn = _order(app, org.fa, 50)  # fee 0.3 fen rounds to 0
    assert _notify(client, app, otn, 50, "4200000000202611260000000102") == "SUCCESS"
    with app.app_context():
        kinds = db.session.scalars(select(LedgerTransaction.kind)).all()
        assert kinds == ["payment"]
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 2
        assert db.session.scalar(select(func.count()).select_from(ProfitShare)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert ledger.available_balance(org.fa) == 50


def test_paid_after_close_is_posted_and_alerted(app, client, org):
    otn = _order(app, org.fa, 10000, status="closed")
    assert _notify(client, app, otn, 10000, "4200000000202611260000000103") == "SUCCESS"
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.out_trade_no == otn)).one()
        assert order.status == "paid"
        ev = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)).one()
        assert ev.from_status == "closed"
        assert db.session.scalars(select(Alert.kind)).all() == ["pay_after_close"]
        assert ledger.available_balance(org.fa) == 10000 - 60 - 1000


def test_second_different_payment_keeps_money_and_alerts(app, client, org):
    otn = _order(app, org.fa, 10000)
    first, second = "4200000000202611260000000104", "4200000000202611260000000105"
    assert _notify(client, app, otn, 10000, first) == "SUCCESS"
    assert _notify(client, app, otn, 10000, second) == "SUCCESS"
    assert _notify(client, app, otn, 10000, second) == "SUCCESS"  # duplicate: nothing
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.out_trade_no == otn)).one()
        assert order.transaction_id == first
        paid_events = (
            select(func.count()).select_from(OrderEvent).where(OrderEvent.to_status == "paid")
        )
        assert db.session.scalar(paid_events) == 1
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 2
        assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 6
        assert db.session.scalars(select(Alert.kind)).all() == ["pay_duplicate_payment"]
        assert ledger.available_balance(org.fa) == 2 * (10000 - 60 - 1000)


def test_first_payment_creates_missing_accounts(app, client, org):
    with app.app_context():
        db.session.execute(
            LedgerAccount.__table__.delete().where(LedgerAccount.franchisee_id == org.fa)
        )
        db.session.commit()
    otn = _order(app, org.fa, 10000)
    assert _notify(client, app, otn, 10000, "4200000000202611260000000106") == "SUCCESS"
    with app.app_context():
        codes = db.session.scalars(
            select(LedgerAccount.code).where(LedgerAccount.franchisee_id == org.fa)
        ).all()
        assert sorted(codes) == sorted(ledger.code_of(k, org.fa) for k in ledger.ACCOUNT_KINDS)
        assert ledger.available_balance(org.fa) == 10000 - 60 - 1000
        assert ledger.unbalanced_transactions() == []


def test_postgres_settles_in_one_statement(app, client, org):
    if not _is_pg(app):
        pytest.skip("PostgreSQL only: the single-statement path")
    otn = order_after_a_payment(client, app, org.fa, 10000, "4200000000202611260000000107")
    seen: list[str] = []
    real_execute = psycopg.Cursor.execute

    def execute(self, query, *args, **kwargs):
        seen.append(str(query)[:60])
        return real_execute(self, query, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(psycopg.Cursor, "execute", execute)
        assert _notify(client, app, otn, 10000, "4200000000202611260000000108") == "SUCCESS"
        assert _notify(client, app, otn, 10000, "4200000000202611260000000108") == "SUCCESS"
    statements = [q for q in seen if q.strip() != ";"]  # ";" is pool_pre_ping's ping
    assert len(statements) == 2, seen  # one statement per notify, the duplicate included


def test_postgres_concurrent_different_payments_of_one_order(app, client, org):
    if not _is_pg(app):
        pytest.skip("PostgreSQL only: concurrent writers")
    otn = _order(app, org.fa, 10000)
    tids = [f"42000000002026112600000002{n:02d}" for n in range(6)]
    barrier = threading.Barrier(len(tids))
    codes: list[str] = []

    def send(tid):
        c = app.test_client()
        barrier.wait()
        codes.append(_notify(c, app, otn, 10000, tid))

    threads = [threading.Thread(target=send, args=(t,)) for t in tids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert codes == ["SUCCESS"] * len(tids)
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.out_trade_no == otn)).one()
        assert order.status == "paid" and order.transaction_id in tids
        paid_events = (
            select(func.count()).select_from(OrderEvent).where(OrderEvent.to_status == "paid")
        )
        assert db.session.scalar(paid_events) == 1
        assert db.session.scalar(select(func.count()).select_from(Payment)) == len(tids)
        kinds = db.session.scalars(select(Alert.kind)).all()
        assert set(kinds) == {"pay_duplicate_payment"}  # the later payers, folded
        assert ledger.unbalanced_transactions() == []
        assert ledger.available_balance(org.fa) == len(tids) * (10000 - 60 - 1000)
