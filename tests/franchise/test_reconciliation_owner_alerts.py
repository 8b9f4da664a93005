"""Every difference of an owner's reconciliation is in that owner's alerts list as well as
HQ's: one ``owner_reconciliation`` alert per franchisee and day (a second run of the day
counts on the same row), linked to the owner's reconciliation page, never shown to
another owner; a day without differences raises none."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from franchise.models import Alert
from franchise.services import reconciliation
from tests.fixtures.auth import login
from tests.franchise.factories_pay_v3 import reconcile_a_day

pytestmark = pytest.mark.usefixtures("pay_v3")


def _owner_alerts(app) -> list[Alert]:
    with app.app_context():
        rows = db.session.scalars(select(Alert).where(Alert.code == "owner_reconciliation"))
        return list(rows)


def test_owner_is_alerted_of_their_own_difference_once_per_day(app, client, org, as_hq):
    day, _tids = reconcile_a_day(app, client, org, as_hq)  # one amount difference in A
    rows = _owner_alerts(app)
    assert [(a.franchisee_id, a.params["date"], a.params["count"]) for a in rows] == [
        (org.fa, day.isoformat(), 1)
    ]
    assert rows[0].params["kinds"] == "amount" and rows[0].count == 1
    with app.app_context():
        reconciliation.reconcile(day)  # the same cause again: the same row, counted
    again = _owner_alerts(app)
    assert len(again) == 1 and again[0].count == 2

    login(client, "owner-a")
    page = client.get("/admin/alerts").get_data(as_text=True)
    assert day.isoformat() in page and "对账单与微信支付账单有 1 处差异" in page
    assert f"/admin/money/reconciliation?franchisee_id={org.fa}&amp;date={day}" in page
    login(client, "owner-b")
    assert day.isoformat() not in client.get("/admin/alerts").get_data(as_text=True)
    login(client, "hq")
    assert f"reconciliation?franchisee_id={org.fa}" in client.get("/admin/alerts").get_data(
        as_text=True
    )


def test_a_day_without_differences_alerts_no_owner(app, client, org, as_hq):
    with app.app_context():
        from app.clock import shanghai_day

        reconciliation.reconcile(shanghai_day())  # no trade: nothing billed, nothing booked
    assert _owner_alerts(app) == []
