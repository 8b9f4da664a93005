"""The demo reconciles yesterday: orders paid in the emulator on yesterday's date, the
emulator's own trade and fund-flow bills of that day, and the owner's reconciliation
with matched and settled lines, one difference (a payment WeChat never saw) and a
statement hash, over the API and on the owner's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import shanghai_day
from app.extensions import db
from app.seed import seed_demo
from franchise.models import BillLine, Franchisee, ReconciliationRun
from tests.fixtures.auth import api_token, bearer, gen_user, login


@pytest.mark.slow
def test_seeded_demo_reconciles_yesterday_from_the_emulators_bills(app, client):
    seed_demo(app)
    day = shanghai_day() - timedelta(days=1)
    with app.app_context():
        run = db.session.scalars(
            select(ReconciliationRun).where(ReconciliationRun.bill_date == day)
        ).one()
        assert run.status == "differences" and run.bill_rows >= 1
        assert [i.kind for i in run.items] == ["missing_in_bill"]
        franchisee_id = run.items[0].franchisee_id
        kinds = set(
            db.session.scalars(
                select(BillLine.kind).where(
                    BillLine.bill_date == day, BillLine.franchisee_id == franchisee_id
                )
            )
        )
        assert kinds == {"trade", "fund"}  # both bills, from what the emulator recorded
        other = db.session.scalar(select(Franchisee.id).where(Franchisee.id != franchisee_id))
        gen_user("bills-owner", "franchise_owner", franchisee_id=franchisee_id)
        gen_user("bills-other", "franchise_owner", franchisee_id=other)
    url = f"/api/v1/franchisees/{franchisee_id}/reconciliation?date={day}"
    foreign = client.get(url, headers=bearer(api_token(client, "bills-other")))
    assert foreign.status_code == 404
    res = client.get(url, headers=bearer(api_token(client, "bills-owner")))
    assert res.status_code == 200, res.get_json()
    view = res.get_json()
    statuses = [item["status"] for item in view["items"]]
    assert statuses.count("matched") >= 1 and statuses.count("missing_in_bill") == 1
    assert any(item["settled"] for item in view["items"])
    assert any(not item["settled"] for item in view["items"])
    assert len(view["statement_sha256"]) == 64
    login(client, "bills-owner")
    page = client.get("/admin/money/reconciliation").get_data(as_text=True)  # yesterday
    assert view["statement_sha256"] in page and view["items"][0]["transaction_id"] in page
    seed_demo(app)  # idempotent: the day is reconciled once
    with app.app_context():
        runs = db.session.scalars(
            select(ReconciliationRun).where(ReconciliationRun.bill_date == day)
        )
        assert len(runs.all()) == 1
