"""Alerts worth reading: one per cause with a count, codes shown translated with links,
filters, acknowledgements per audience (HQ, franchise owner), tenancy, the overview."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import xmltodict
from sqlalchemy import select

from app.extensions import db
from franchise.models import Alert, Order
from franchise.services import alerts
from tests.fixtures.auth import csrf_token_from, login
from tests.fixtures.database import row_count_in
from tests.franchise.factories_payments import (
    new_customer_order,
    notify_xml,
    pay,
)

T0 = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


@pytest.fixture
def mismatched(app, client, org):
    """An order of 100.00 of franchise A with an out_trade_no, and a notify paying 0.01."""
    ids = new_customer_order(app, org.fa, 10000)
    out_trade_no = pay(client, *ids, app)["out_trade_no"]
    fields = {
        "sub_mch_id": "1900000201",
        "out_trade_no": out_trade_no,
        "total_fee": 1,
        "transaction_id": "4200000000202611260000000077",
    }
    return ids[0], out_trade_no, notify_xml(app, fields)


def test_fifteen_resends_over_a_day_are_one_alert_with_count(app, client, mismatched, monkeypatch):
    order_id, out_trade_no, body = mismatched
    moments = [T0 + timedelta(minutes=15 * 2**n) for n in range(15)]  # WeChat's back-off, ~24 h
    for moment in moments:
        monkeypatch.setattr(alerts, "utcnow", lambda moment=moment: moment)
        res = client.post("/api/v1/pay/notify", data=body, content_type="application/xml")
        assert xmltodict.parse(res.data)["xml"]["return_code"] == "FAIL"
    assert row_count_in(app, Alert) == 1
    with app.app_context():
        alert = db.session.scalars(select(Alert)).one()
        assert (alert.code, alert.cause_key, alert.count) == (
            "pay_amount_mismatch",
            out_trade_no,
            15,
        )
        assert alert.first_seen_at == moments[0] and alert.last_seen_at == moments[-1]
        assert alert.level == "critical" and alert.franchisee_id is not None
        assert alert.params["order_id"] == order_id and alert.params["total_fee"] == 1
        assert db.session.get(Order, order_id).status == "created"


def test_sentence_translated_in_both_languages_with_link(app, client, org, mismatched):
    order_id, out_trade_no, body = mismatched
    client.post("/api/v1/pay/notify", data=body, content_type="application/xml")
    login(client, "hq")
    zh = client.get("/admin/alerts").get_data(as_text=True)
    assert f"订单 {out_trade_no} 的支付金额 ¥0.01 与应付金额 ¥100.00 不符，未入账。" in zh
    assert f'href="/admin/orders/{order_id}"' in zh and "支付金额不符" in zh and "严重" in zh
    en = client.get("/admin/alerts?lang=en").get_data(as_text=True)
    sentence = f"The paid amount ¥0.01 of {out_trade_no} is not the order&#39;s ¥100.00;"
    assert sentence + " nothing was posted." in en
    assert "Paid amount differs" in en and "Critical" in en and "Not acknowledged" in en


def _seed(org) -> dict:
    """Alerts of every shape: A's critical and warning, B's warning, one of no franchise."""
    return {
        "a_crit": alerts.record(
            "notify_failed", data={"out_trade_no": "A1", "order_id": 1}, franchisee_id=org.fa
        ),
        "a_warn": alerts.record(
            "refund_failed",
            data={"refund_id": 7, "out_refund_no": "R7", "errcode": "NOTENOUGH"},
            franchisee_id=org.fa,
        ),
        "b_warn": alerts.record(
            "pay_after_close",
            data={"order_id": 2, "order_no": "B2", "status": "closed"},
            franchisee_id=org.fb,
        ),
        "none": alerts.record(
            "reconciliation", data={"run_id": 3, "date": "2026-11-25", "count": 2}
        ),
    }


def _text_of(page: str) -> str:
    """The page without its attribute values (tokens, URLs): what a reader sees."""
    return re.sub(r'="[^"]*"', '=""', page)


def _ids_on(page: str, ids: dict) -> set[str]:
    return {name for name, alert_id in ids.items() if f"/admin/alerts/{alert_id}/ack" in page}


def test_list_filters_by_level_type_franchisee_and_exports(app, client, org):
    with app.app_context():
        ids = _seed(org)
    login(client, "hq")

    def shown(query: str) -> set[str]:
        res = client.get("/admin/alerts" + query)
        assert res.status_code == 200
        return _ids_on(res.get_data(as_text=True), ids)

    assert shown("") == set(ids)
    assert shown("?level=critical") == {"a_crit", "none"}
    assert shown("?level=warning") == {"a_warn", "b_warn"}
    assert shown("?code=refund_failed") == {"a_warn"}
    assert shown(f"?franchisee_id={org.fb}") == {"b_warn"}
    assert shown(f"?franchisee_id={org.fa}&level=warning") == {"a_warn"}
    assert shown("?level=bogus&franchisee_id=abc&open=maybe&page=x") == set(ids)  # ignored
    csv = client.get(f"/admin/alerts?format=csv&franchisee_id={org.fa}").get_data(as_text=True)
    assert "微信支付拒绝了退款 R7（NOTENOUGH）。" in csv and "订单 A1 的支付结果未能入账" in csv
    assert "B2" not in csv
    page = client.get("/admin/alerts").get_data(as_text=True)
    assert 'href="/admin/reconciliation?run=3"' in page  # a run links to its differences


def test_owner_ack_does_not_clear_hq_and_recurrence_reopens(app, client, org):
    with app.app_context():
        alert_id = alerts.record(
            "notify_failed", data={"out_trade_no": "OTN1", "order_id": 1}, franchisee_id=org.fa
        )
    owner = app.test_client()
    login(owner, "owner-a")
    token = csrf_token_from(owner.get("/admin/alerts").get_data(as_text=True))
    ack = owner.post(f"/admin/alerts/{alert_id}/ack", data={"csrf_token": token})
    assert ack.status_code == 303
    assert (
        owner.post(f"/admin/alerts/{alert_id}/ack", data={"csrf_token": token}).status_code == 303
    )
    assert f"/admin/alerts/{alert_id}/ack" not in owner.get("/admin/alerts?open=1").get_data(
        as_text=True
    )
    login(client, "hq")
    hq_open = client.get("/admin/alerts?open=1").get_data(as_text=True)
    assert f"/admin/alerts/{alert_id}/ack" in hq_open  # the owner's acknowledgement is theirs
    with app.app_context():
        row = db.session.get(Alert, alert_id)
        assert row.owner_acknowledged_at is not None and row.hq_acknowledged_at is None
    token = csrf_token_from(hq_open)
    assert (
        client.post(f"/admin/alerts/{alert_id}/ack", data={"csrf_token": token}).status_code == 303
    )
    assert f"/admin/alerts/{alert_id}/ack" not in client.get("/admin/alerts?open=1").get_data(
        as_text=True
    )
    with app.app_context():  # it happens again: open for both, counted, last seen now
        before = db.session.get(Alert, alert_id).last_seen_at
        assert alerts.record("notify_failed", data={"out_trade_no": "OTN1"}) == alert_id
        row = db.session.get(Alert, alert_id)
        assert row.count == 2 and row.last_seen_at >= before
        assert row.hq_acknowledged_at is None and row.owner_acknowledged_at is None
        assert row.franchisee_id == org.fa  # a later occurrence without it keeps the franchise
    assert f"/admin/alerts/{alert_id}/ack" in client.get("/admin/alerts?open=1").get_data(
        as_text=True
    )
    assert f"/admin/alerts/{alert_id}/ack" in owner.get("/admin/alerts?open=1").get_data(
        as_text=True
    )


def test_owner_of_b_never_sees_nor_acknowledges_a(app, client, org):
    with app.app_context():
        ids = _seed(org)
    login(client, "owner-b")
    page = client.get("/admin/alerts").get_data(as_text=True)
    assert _ids_on(page, ids) == {"b_warn"}
    shown = _text_of(page)  # the random CSRF token may hold "A1" or "R7" by chance
    assert "A1" not in shown and "R7" not in shown
    other = client.get(f"/admin/alerts?franchisee_id={org.fa}").get_data(as_text=True)
    assert _ids_on(other, ids) == set()  # a filter narrows the scope, never widens it
    csv = client.get("/admin/alerts?format=csv").get_data(as_text=True)
    assert "A1" not in csv and "R7" not in csv and "2026-11-25" not in csv
    token = csrf_token_from(page)
    for name in ("a_crit", "a_warn", "none"):
        res = client.post(f"/admin/alerts/{ids[name]}/ack", data={"csrf_token": token})
        assert res.status_code == 404
    with app.app_context():
        assert db.session.get(Alert, ids["a_crit"]).owner_acknowledged_at is None


def test_overviews_show_open_alerts_by_level_linking_to_the_list(app, client, org):
    with app.app_context():
        _seed(org)
    login(client, "hq")
    home = client.get("/admin/").get_data(as_text=True)
    assert "未处理告警" in home
    crit = 'data-count="2">\n      <a href="/admin/alerts?level=critical&amp;open=1">'
    warn = 'data-count="2">\n      <a href="/admin/alerts?level=warning&amp;open=1">'
    assert crit in home and warn in home
    owner = app.test_client()
    login(owner, "owner-a")
    home = owner.get("/admin/").get_data(as_text=True)
    assert crit.replace('"2"', '"1"') in home and warn.replace('"2"', '"1"') in home


def test_concurrent_occurrences_make_one_row(app, org):
    """Eight workers recording the same cause at once: one row, counted eight times."""
    results: list = []
    barrier = threading.Barrier(8)

    def worker():
        with app.app_context():
            barrier.wait(10)
            results.append(alerts.record("notify_failed", data={"out_trade_no": "RACE"}))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    with app.app_context():
        rows = db.session.scalars(select(Alert)).all()
        assert len(rows) == 1 and rows[0].count == len([r for r in results if r])
        assert results.count(rows[0].id) == 8
