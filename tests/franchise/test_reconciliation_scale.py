"""A festival day of ¥100 million across the franchise network reconciles: payments past
2**31 fen each, a franchisee's day past it, the bill's and the ledger's totals at 10**10
fen, all held in BIGINT columns (the run's totals, the statements' gross and net)."""

from __future__ import annotations

from sqlalchemy import select

from app.clock import shanghai_day
from app.extensions import db
from franchise.models import ReconciliationRun, SettlementStatement
from franchise.services import ledger, reconciliation
from tests.franchise.factories_payments import paid_orders, to_bill_time

HUNDRED_MILLION_YUAN = 100_000_000_00  # fen


def test_a_day_of_a_hundred_million_yuan_reconciles(app, client, org):
    org_a = [3_000_000_000, 2_500_000_000, 1_500_000_000]  # ¥70 million at franchisee A
    org_b = [2_000_000_000, 1_000_000_000]  # ¥30 million at franchisee B
    assert sum(org_a + org_b) == HUNDRED_MILLION_YUAN
    paid_orders(app, client, org, org_a)
    fb = type(org)(**{**vars(org), "fa": org.fb})  # the same helper, paying B's customers
    paid_orders(app, client, fb, org_b)
    day = shanghai_day()
    to_bill_time(app, day)
    with app.app_context():
        run_id = reconciliation.reconcile(day).id
        db.session.remove()
        run = db.session.get(ReconciliationRun, run_id)
        assert (run.status, run.items) == ("ok", [])
        assert (run.bill_rows, run.ledger_rows) == (5, 5)
        assert run.bill_total_fen == run.ledger_total_fen == HUNDRED_MILLION_YUAN
        statements = {
            s.franchisee_id: s
            for s in db.session.scalars(
                select(SettlementStatement).where(SettlementStatement.business_date == day)
            )
        }
        assert statements[org.fa].gross_fen == sum(org_a)
        assert statements[org.fb].gross_fen == sum(org_b)
        for fid, amounts in ((org.fa, org_a), (org.fb, org_b)):
            s = statements[fid]
            assert s.fee_fen == sum(ledger.wechat_fee(a) for a in amounts)
            assert s.net_fen == s.gross_fen - s.fee_fen - s.hq_share_fen - s.refund_fen
            assert s.net_fen == ledger.available_balance(fid)
        assert ledger.unbalanced_transactions() == []
        trial = {row["kind"]: row for row in ledger.trial_balance()}
        assert trial["sales"]["credit_fen"] == HUNDRED_MILLION_YUAN
        assert sum(row["balance_fen"] for row in trial.values()) == 0
