"""T+0 settlement: balance and statements API, tenancy, closed days, the Money pages."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import shanghai_day
from app.extensions import db
from franchise.models import Alert, SettlementStatement
from franchise.services import alerts, settlement
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login
from tests.franchise.factories_payments import (
    new_customer_order,
    pay_and_succeed,
)


@pytest.fixture
def paid_a(app, client, org):
    """Franchise A with one order of 100.00 paid through the sandbox."""
    ids = new_customer_order(app, org.fa, 10000)
    pay_and_succeed(client, *ids, app)
    return ids[0]


def test_paid_order_is_available_within_a_second(app, client, org, as_hq):
    ids = new_customer_order(app, org.fa, 25000)
    from tests.franchise.factories_payments import pay

    answer = pay(client, *ids, app)
    started = time.perf_counter()
    client.post(f"/_sandbox/pay/{answer['out_trade_no']}/succeed")
    balance = client.get(f"/api/v1/franchisees/{org.fa}/balance", headers=as_hq).get_json()
    elapsed = time.perf_counter() - started
    assert balance["available_fen"] == 25000 - 150 - 2500
    assert elapsed < 1.0


def test_tenancy_of_balance_and_statements(app, client, org, paid_a):
    owner_a = bearer(api_token(client, "owner-a"))
    owner_b = bearer(api_token(client, "owner-b"))
    guide = bearer(api_token(client, "guide-a"))
    for path in ("balance", "statements", "statements?date=2026-01-01"):
        assert (
            client.get(f"/api/v1/franchisees/{org.fa}/{path}", headers=owner_a).status_code == 200
        )
        assert (
            client.get(f"/api/v1/franchisees/{org.fa}/{path}", headers=owner_b).status_code == 404
        )
        assert client.get(f"/api/v1/franchisees/{org.fa}/{path}", headers=guide).status_code == 403
        assert client.get(f"/api/v1/franchisees/{org.fa}/{path}").status_code == 401
    assert (
        client.get(f"/api/v1/franchisees/{org.fb}/balance", headers=owner_b).get_json()[
            "available_fen"
        ]
        == 0
    )
    bad = client.get(f"/api/v1/franchisees/{org.fa}/statements?date=2026-13-01", headers=owner_a)
    assert bad.status_code == 422
    assert client.get("/api/v1/franchisees/99999999999/balance", headers=owner_a).status_code == 404


def test_close_day_snapshots_and_is_idempotent(app, client, org, paid_a, as_hq):
    today = shanghai_day()
    with app.app_context():
        assert settlement.close_day(today) == 1
        assert settlement.close_day(today) == 1
        rows = db.session.scalars(select(SettlementStatement)).all()
        assert len(rows) == 1 and rows[0].gross_fen == 10000 and rows[0].net_fen == 8940
        # a closed past day reads from its snapshot
        rows[0].business_date = today - timedelta(days=1)
        rows[0].net_fen = 1234
        db.session.commit()
        closed = settlement.statement(org.fa, today - timedelta(days=1), with_lines=False)
        assert closed["status"] == "closed" and closed["net_fen"] == 1234
    day = (today - timedelta(days=1)).isoformat()
    res = client.get(f"/api/v1/franchisees/{org.fa}/statements?date={day}", headers=as_hq)
    assert res.get_json()["status"] == "closed"


def test_settlement_pages_and_csv(app, client, org, paid_a):
    login(client, "owner-a")
    page = client.get("/admin/settlement")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "¥89.40" in html and "Beta Jewels" not in html and "<svg" in html
    day = shanghai_day().isoformat()
    detail = client.get(f"/admin/settlement/{org.fa}/{day}")
    assert detail.status_code == 200 and "¥100.00" in detail.get_data(as_text=True)
    csv = client.get(f"/admin/settlement/{org.fa}/{day}?format=csv")
    assert csv.status_code == 200 and "100.00" in csv.get_data(as_text=True)
    assert client.get(f"/admin/settlement/{org.fb}/{day}").status_code == 404
    assert client.get("/admin/ledger").status_code == 403
    assert client.get("/admin/reconciliation").status_code == 403


def test_ledger_page_and_alerts_acknowledge(app, client, org, paid_a):
    with app.app_context():
        ids = {
            "Something for B": alerts.record("test_alert", "Something for B", franchisee_id=org.fb),
            "Something for A": alerts.record("test_alert", "Something for A", franchisee_id=org.fa),
        }
    login(client, "owner-a")
    listing = client.get("/admin/alerts").get_data(as_text=True)
    assert "Something for A" in listing and "Something for B" not in listing
    token = csrf_token_from(listing)
    url = f"/admin/alerts/{ids['Something for B']}/ack"
    assert client.post(url, data={"csrf_token": token}).status_code == 404
    url = f"/admin/alerts/{ids['Something for A']}/ack"
    assert client.post(url, data={}).status_code == 400  # no CSRF token
    assert client.post(url, data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.get(Alert, ids["Something for A"]).owner_acknowledged_at is not None
    client.post("/admin/logout", data={"csrf_token": token})
    hq = app.test_client()
    login(hq, "hq")
    page = hq.get("/admin/ledger").get_data(as_text=True)
    assert 'data-balanced="yes"' in page and "¥100.00" in page
    assert hq.get("/admin/reconciliation").status_code == 200


def test_refund_form_on_the_order_page(app, client, org, paid_a):
    hq = app.test_client()
    login(hq, "hq")
    page = hq.get(f"/admin/orders/{paid_a}").get_data(as_text=True)
    assert 'id="refund-form"' in page
    token = csrf_token_from(page)
    res = hq.post(f"/admin/orders/{paid_a}/refund", data={"amount": "abc", "csrf_token": token})
    assert res.status_code == 303
    res = hq.post(
        f"/admin/orders/{paid_a}/refund",
        data={"amount": "12.50", "reason": "划痕", "csrf_token": token},
    )
    assert res.status_code == 303
    with app.app_context():
        from app.outbox import drain
        from franchise.models import Order

        drain()
        assert db.session.get(Order, paid_a).refunded_fen == 1250


@pytest.mark.browser
def test_settlement_page_in_the_browser(app, live_server, browser_page, org, paid_a):
    from tests.fixtures.browser import browser_login, screenshot

    browser_login(browser_page, live_server, "hq", "correct-horse-battery")
    browser_page.goto(live_server + f"/admin/settlement?franchisee_id={org.fa}")
    assert browser_page.locator("#balances").is_visible()
    cell = browser_page.locator(
        f"#balances tr[data-franchisee='{org.fa}'] [data-field=available_fen]"
    )
    assert "89.40" in cell.inner_text()
    assert browser_page.locator("svg").count() >= 1
    screenshot(browser_page, "settlement")
