"""The franchisee's reconciliation (APIv3): each statement line beside WeChat's trade bill,
the fund-flow bill ("settled by WeChat", kept apart from the booked figure) and HQ's
profit-share receipt; every difference listed for the owner as for HQ; the CSV's SHA-256
is the same whoever exports it; tenancy (another franchise 404, a guide 403)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from app.clock import shanghai_day
from app.extensions import db
from franchise.models import BillLine
from franchise.services import reconciliation
from tests.fixtures.auth import api_token, bearer
from tests.franchise.factories_pay_v3 import reconcile_a_day
from tests.franchise.factories_payments import paid_orders

pytestmark = pytest.mark.usefixtures("pay_v3")


def _url(org, day) -> str:
    return f"/api/v1/franchisees/{org.fa}/reconciliation?date={day.isoformat()}"


@pytest.fixture
def reconciled_day(app, client, org, as_hq):
    """Three payments of franchise A, one partly refunded, one billed a fen more."""
    return reconcile_a_day(app, client, org, as_hq)


def test_owner_sees_each_line_with_bill_settlement_and_receipt(app, client, org, reconciled_day):
    day, tids = reconciled_day
    owner = bearer(api_token(client, "owner-a"))
    body = client.get(_url(org, day), headers=owner).get_json()
    assert body["bills_in"] and body["fund_bill_in"]
    items = {(i["transaction_id"], i["kind"]): i for i in body["items"]}
    first = items[(tids[0], "payment")]
    assert first["booked_fen"] == 10000 and first["billed_fen"] == 10000
    assert first["settled"] and first["settled_fen"] == 10000 and first["difference"] == 0
    assert first["status"] == "matched" and first["bill_line"]["line_no"] >= 1
    receipt = first["profit_share"]
    assert receipt["amount_fen"] == 1000 and receipt["status"] == "done"
    assert receipt["wechat_order_id"] and receipt["billed_fen"] == 1000
    refund = items[(tids[0], "refund")]
    assert refund["booked_fen"] == 3000 and refund["billed_fen"] == 3000 and refund["settled"]
    third = items[(tids[2], "payment")]
    assert third["booked_fen"] == 777 and third["billed_fen"] == 778
    assert third["difference"] == 1 and third["status"] == "amount"
    assert [(d["transaction_id"], d["status"]) for d in body["differences"]] == [
        (tids[2], "amount")
    ]


def test_hq_sees_the_same_and_the_export_hash_is_the_same(app, client, org, reconciled_day, as_hq):
    day, _ = reconciled_day
    owner = bearer(api_token(client, "owner-a"))
    as_owner = client.get(_url(org, day), headers=owner).get_json()
    as_head = client.get(_url(org, day), headers=as_hq).get_json()
    assert as_owner == as_head
    csv_url = _url(org, day).replace("reconciliation?", "reconciliation.csv?")
    res = client.get(csv_url, headers=owner)
    assert res.status_code == 200 and res.mimetype == "text/csv"
    digest = hashlib.sha256(res.data).hexdigest()
    assert res.headers["X-Statement-SHA256"] == digest == as_owner["statement_sha256"]
    assert client.get(csv_url, headers=as_hq).data == res.data
    lines = res.data.decode().split("\n")
    assert lines[0].startswith("transaction_id,kind,out_trade_no,booked_fen,billed_fen")
    assert res.data.endswith(b"\n") and b"\r" not in res.data


def test_bills_are_kept_once_however_often_the_day_is_reconciled(app, client, org, reconciled_day):
    day, _ = reconciled_day
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(BillLine))
        reconciliation.reconcile(day)
        assert db.session.scalar(select(func.count()).select_from(BillLine)) == before
        kinds = set(db.session.scalars(select(BillLine.kind)))
        assert kinds == {"trade", "fund"}


def test_a_day_without_bills_is_pending(app, client, org, as_hq):
    paid_orders(app, client, org, [5000])
    body = client.get(_url(org, shanghai_day()), headers=as_hq).get_json()
    assert not body["bills_in"] and body["differences"] == []
    assert [i["status"] for i in body["items"]] == ["pending"]
    assert body["items"][0]["booked_fen"] == 5000 and body["items"][0]["billed_fen"] is None


def test_tenancy_and_bad_input(app, client, org):
    day = shanghai_day()
    owner_b = bearer(api_token(client, "owner-b"))
    guide = bearer(api_token(client, "guide-a"))
    assert client.get(_url(org, day), headers=owner_b).status_code == 404
    assert client.get(_url(org, day), headers=guide).status_code == 403
    assert client.get(_url(org, day)).status_code == 401
    res = client.get(
        f"/api/v1/franchisees/{org.fa}/reconciliation?date=2026-13-40",
        headers=bearer(api_token(client, "owner-a")),
    )
    assert res.status_code == 422 and "date" in str(res.get_json())
    assert (
        client.get(
            "/api/v1/franchisees/999999/reconciliation",
            headers=bearer(api_token(client, "owner-a")),
        ).status_code
        == 404
    )
