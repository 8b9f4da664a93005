"""Guides' commission: rates (0–100 %), accrual on paid lines, reversal on refunds,
the monthly statement API and payroll CSV, tenancy."""

from __future__ import annotations

from sqlalchemy import select

from app.clock import shanghai_day
from app.extensions import db
from app.outbox import drain
from franchise.models import CommissionEntry, CommissionRate
from franchise.services import commission
from tests.fixtures.auth import api_token, bearer, gen_user, login
from tests.franchise.factories_credit import paid_order

RATES = "/api/v1/commission/rates"


def month() -> str:
    return shanghai_day().strftime("%Y-%m")


def statement(client, guide_id, headers, when=None):
    return client.get(
        f"/api/v1/guides/{guide_id}/commission?month={when or month()}", headers=headers
    )


def test_rates_are_percent_from_0_to_100(client, org, as_hq):
    for bad in (101, -1, "12.345", "abc", 100.001):
        res = client.post(RATES, json={"rate_percent": bad}, headers=as_hq)
        assert res.status_code == 422 and "rate_percent" in res.get_json()["errors"], bad
    res = client.post(RATES, json={"category": "黄金", "rate_percent": 12.5}, headers=as_hq)
    assert res.status_code == 201 and res.get_json()["rate_bps"] == 1250
    again = client.post(RATES, json={"category": "黄金", "rate_percent": "3"}, headers=as_hq)
    assert again.get_json()["id"] == res.get_json()["id"] and again.get_json()["rate_bps"] == 300
    unknown = client.post(RATES, json={"campaign_id": 999, "rate_percent": 5}, headers=as_hq)
    assert unknown.status_code == 422 and "campaign_id" in unknown.get_json()["errors"]
    owner = bearer(api_token(client, "owner-a"))
    assert client.post(RATES, json={"rate_percent": 5}, headers=owner).status_code == 403
    assert [r["rate_bps"] for r in client.get(RATES, headers=owner).get_json()] == [300]
    rate_id = res.get_json()["id"]
    assert client.delete(f"{RATES}/{rate_id}", headers=as_hq).status_code == 204
    assert client.delete(f"{RATES}/{rate_id}", headers=as_hq).status_code == 404


def test_rate_precedence_campaign_then_category_then_default(app, org):
    with app.app_context():
        db.session.add_all(
            [
                CommissionRate(category="", rate_bps=100),
                CommissionRate(category="黄金", rate_bps=200),
                CommissionRate(category="", campaign_id=7, rate_bps=300),
            ]
        )
        db.session.commit()
        assert commission.rate_for("钻石", None) == 100
        assert commission.rate_for("黄金", None) == 200
        assert commission.rate_for("黄金", 7) == 300
        assert commission.rate_for("黄金", 8) == 200


def test_accrued_on_payment_and_reversed_by_refunds(app, client, org, as_hq):
    client.post(RATES, json={"rate_percent": "10"}, headers=as_hq)
    ids = paid_order(app, client, org, amount=10001)
    ann = statement(client, ids.ann, as_hq).get_json()
    # Ann's share: 9000 bps of 10001 fen = 9001 fen (largest remainder); 10 % rounded half up
    assert ann["accrued_fen"] == 900 and ann["total_fen"] == 900
    assert ann["entries"][0]["basis_fen"] == 9001 and ann["entries"][0]["rate_bps"] == 1000
    assert statement(client, ids.carl, as_hq).get_json()["accrued_fen"] == 100
    url = f"/api/v1/orders/{ids.order}/refunds"
    assert client.post(url, json={"amount_fen": 3000}, headers=as_hq).status_code == 202
    with app.app_context():
        drain()
    ann = statement(client, ids.ann, as_hq).get_json()
    assert ann["reversed_fen"] == -270 and ann["total_fen"] == 630  # 900 × 3000 / 10001
    assert client.post(url, json={"amount_fen": 7001}, headers=as_hq).status_code == 202
    with app.app_context():
        drain()
        book = db.session.scalars(select(CommissionEntry)).all()
        assert sum(e.amount_fen for e in book) == 0  # a full refund reverses every fen
        assert sum(e.amount_fen for e in book if e.kind == "accrual") == 1000
    assert statement(client, ids.ann, as_hq).get_json()["total_fen"] == 0


def test_statement_month_and_tenancy(app, client, org, as_hq):
    ids = paid_order(app, client, org)
    with app.app_context():
        gen_user("carl", "guide", franchisee_id=org.fa, store_id=org.sa, guide_id=ids.carl)
    assert statement(client, ids.ann, as_hq, "2999-01").status_code == 422
    bad = statement(client, ids.ann, as_hq, "2026-13")
    assert bad.status_code == 422 and "month" in bad.get_json()["errors"]
    assert statement(client, ids.ann, bearer(api_token(client, "owner-a"))).status_code == 200
    assert statement(client, ids.ann, bearer(api_token(client, "owner-b"))).status_code == 404
    assert statement(client, ids.ann, bearer(api_token(client, "guide-a"))).status_code == 200
    assert statement(client, ids.ann, bearer(api_token(client, "carl"))).status_code == 404
    assert statement(client, org.gb, bearer(api_token(client, "owner-a"))).status_code == 404
    assert statement(client, 2**31 - 1, as_hq).status_code == 404


def test_payroll_page_and_csv(app, client, org, as_hq):
    client.post(RATES, json={"rate_percent": "10"}, headers=as_hq)
    ids = paid_order(app, client, org)
    login(client, "owner-a")
    page = client.get(f"/admin/credit/commission?month={month()}").get_data(as_text=True)
    assert "Ann" in page and "Carl" in page and "¥9.00" in page
    csv = client.get(f"/admin/credit/commission?month={month()}&format=csv")
    assert csv.mimetype == "text/csv" and "Ann" in csv.get_data(as_text=True)
    detail = client.get(f"/admin/credit/commission/{ids.ann}?month={month()}")
    assert detail.status_code == 200 and "¥9.00" in detail.get_data(as_text=True)
    rows = client.get(f"/admin/credit/commission/{ids.ann}?month={month()}&format=csv")
    text = rows.get_data(as_text=True)
    assert rows.mimetype == "text/csv" and "计提" in text and "9.00" in text and "10 %" in text
    login(client, "owner-b")
    page = client.get(f"/admin/credit/commission?month={month()}").get_data(as_text=True)
    assert "Ann" not in page
    assert client.get(f"/admin/credit/commission/{ids.ann}").status_code == 404
    login(client, "guide-a", path="/m/login")
    mine = client.get("/m/credit").get_data(as_text=True)
    assert "¥9.00" in mine and 'name="reason"' in mine
