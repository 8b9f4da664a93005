"""Credit disputes: filing, the window, HQ's ruling moving the credit and commission,
every step in the history, and tenancy."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from app.clock import utcnow
from app.extensions import db
from franchise.models import CommissionRate, CreditDispute, Guide, Order, OrderCredit
from tests.fixtures.auth import api_token, bearer, csrf_token_from, gen_user, login
from tests.franchise.factories import gen_guide
from tests.franchise.factories_credit import paid_order


def file(client, ids, headers, reason="顾客是我邀请到店的", line=None):
    body = {"order_line_id": line or ids.line, "reason": reason}
    return client.post(f"/api/v1/orders/{ids.order}/disputes", json=body, headers=headers)


def shares(client, ids, headers) -> dict:
    lines = client.get(f"/api/v1/orders/{ids.order}/credit", headers=headers).get_json()["lines"]
    return {row["guide_id"]: row["share_bps"] for row in lines}


def commission_total(client, guide_id, headers) -> int:
    return client.get(f"/api/v1/guides/{guide_id}/commission", headers=headers).get_json()[
        "total_fen"
    ]


def test_dispute_from_filing_to_ruling(app, client, org, as_hq):
    with app.app_context():
        db.session.add(CommissionRate(category="", rate_bps=1000))
        db.session.commit()
    ids = paid_order(app, client, org)
    owner_a = bearer(api_token(client, "owner-a"))
    assert shares(client, ids, as_hq) == {ids.ann: 9000, ids.carl: 1000}
    assert commission_total(client, ids.ann, as_hq) == 900
    res = file(client, ids, owner_a)
    assert res.status_code == 201, res.get_json()
    dispute = res.get_json()
    assert dispute["status"] == "open" and dispute["decide_by"] and dispute["id"]
    assert file(client, ids, owner_a).status_code == 409  # one open dispute per line
    url = f"/api/v1/disputes/{dispute['id']}"
    ruling = f"{url}/ruling"
    assert (
        client.post(
            ruling, json={"decision": "upheld", "ruling": "x" * 5}, headers=owner_a
        ).status_code
        == 403
    )
    missing = client.post(ruling, json={"decision": "upheld", "ruling": "证据充分"}, headers=as_hq)
    assert missing.status_code == 422 and "guide_id" in missing.get_json()["errors"]
    body = {"decision": "upheld", "ruling": "到店记录证明由 Carl 接待", "guide_id": ids.carl}
    res = client.post(ruling, json=body, headers=as_hq)
    assert res.status_code == 200
    ruled = res.get_json()
    assert ruled["status"] == "upheld" and ruled["awarded_guide_id"] == ids.carl
    assert [e["action"] for e in ruled["events"]] == ["filed", "upheld", "moved"]
    assert ruled["events"][2]["note"] == "Ann 90 %, Carl 10 % → Carl 100 %"
    assert shares(client, ids, as_hq) == {ids.carl: 10000}
    assert commission_total(client, ids.ann, as_hq) == 0  # 900 accrued, 900 moved out
    assert commission_total(client, ids.carl, as_hq) == 1000  # 100 - 100 + 1000
    assert client.post(ruling, json=body, headers=as_hq).status_code == 409
    again = file(client, ids, owner_a, reason="再次申诉")
    assert again.status_code == 422 and "order_line_id" in again.get_json()["errors"]
    assert client.get(url, headers=owner_a).get_json()["ruling"] == body["ruling"]


def test_rejected_ruling_keeps_the_credit(app, client, org, as_hq):
    ids = paid_order(app, client, org)
    dispute = file(client, ids, bearer(api_token(client, "guide-a"))).get_json()
    body = {"decision": "rejected", "ruling": "分享码证据成立"}
    res = client.post(f"/api/v1/disputes/{dispute['id']}/ruling", json=body, headers=as_hq)
    assert res.status_code == 200 and res.get_json()["status"] == "rejected"
    assert shares(client, ids, as_hq) == {ids.ann: 9000, ids.carl: 1000}


def test_dispute_window_and_bad_input(app, client, org, as_hq):
    ids = paid_order(app, client, org)
    owner_a = bearer(api_token(client, "owner-a"))
    assert file(client, ids, owner_a, reason="").status_code == 422
    assert file(client, ids, owner_a, line=2**31 - 1).status_code == 404
    assert file(client, ids, as_hq).status_code == 403  # HQ rules, it does not file
    with app.app_context():
        db.session.execute(update(OrderCredit).values(paid_at=utcnow() - timedelta(days=15)))
        db.session.commit()
    late = file(client, ids, owner_a)
    assert late.status_code == 422 and "order_line_id" in late.get_json()["errors"]


def test_dispute_tenancy(app, client, org, as_hq):
    ids = paid_order(app, client, org)
    with app.app_context():
        gen_user("guide-b", "guide", franchisee_id=org.fb, store_id=org.sb, guide_id=org.gb)
    owner_b = bearer(api_token(client, "owner-b"))
    assert file(client, ids, owner_b).status_code == 404
    assert file(client, ids, bearer(api_token(client, "guide-b"))).status_code == 404
    dispute = file(client, ids, bearer(api_token(client, "owner-a"))).get_json()
    assert client.get(f"/api/v1/disputes/{dispute['id']}", headers=owner_b).status_code == 404
    assert client.get("/api/v1/disputes", headers=owner_b).get_json()["total"] == 0
    assert client.get("/api/v1/disputes", headers=as_hq).get_json()["total"] == 1
    login(client, "owner-b")
    assert client.get(f"/admin/credit/disputes/{dispute['id']}").status_code == 404


def test_dispute_pages(app, client, org, as_hq):
    ids = paid_order(app, client, org)
    login(client, "owner-a")
    page = client.get(f"/admin/orders/{ids.order}").get_data(as_text=True)
    assert 'id="dispute-form"' in page
    res = client.post(
        f"/admin/credit/orders/{ids.order}/disputes",
        data={
            "order_line_id": str(ids.line),
            "reason": "顾客由我店接待",
            "csrf_token": csrf_token_from(page),
        },
    )
    assert res.status_code == 303
    login(client, "hq")
    queue = client.get("/admin/credit/disputes?status=open").get_data(as_text=True)
    assert "顾客由我店接待" not in queue and "Alpha Jewels" in queue
    csv = client.get("/admin/credit/disputes?format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    with app.app_context():
        dispute_id = db.session.scalar(select(CreditDispute.id))
    detail = client.get(f"/admin/credit/disputes/{dispute_id}").get_data(as_text=True)
    assert 'id="ruling-form"' in detail and "顾客由我店接待" in detail
    token = csrf_token_from(detail)
    res = client.post(
        f"/admin/credit/disputes/{dispute_id}/ruling",
        data={
            "decision": "upheld",
            "guide_id": str(ids.carl),
            "ruling": "接待记录为准",
            "csrf_token": token,
        },
    )
    assert res.status_code == 303
    assert shares(client, ids, as_hq) == {ids.carl: 10000}


def test_a_guide_of_the_store_looks_an_order_up_and_disputes_it(app, client, org):
    ids = paid_order(app, client, org)
    with app.app_context():
        dana = gen_guide(db.session.get(Guide, org.ga).store, name="Dana", wecom_userid="dana")
        dana_id = dana.id
        gen_user("dana", "guide", franchisee_id=org.fa, store_id=org.sa, guide_id=dana_id)
        gen_user("guide-b", "guide", franchisee_id=org.fb, store_id=org.sb, guide_id=org.gb)
        order_no = db.session.get(Order, ids.order).order_no
    login(client, "dana", path="/m/login")
    page = client.get(f"/m/credit?order_no={order_no}").get_data(as_text=True)
    assert 'id="looked-up"' in page and "Ann" in page and "Carl" in page
    res = client.post(
        "/m/credit/disputes",
        data={
            "order_id": str(ids.order),
            "order_line_id": str(ids.line),
            "reason": "顾客是我在店里接待的",
            "csrf_token": csrf_token_from(page),
        },
    )
    assert res.status_code == 303
    with app.app_context():
        dispute = db.session.scalars(select(CreditDispute)).one()
        assert dispute.filed_guide_id == dana_id and dispute.status == "open"
    login(client, "guide-b", path="/m/login")
    other = client.get(f"/m/credit?order_no={order_no}").get_data(as_text=True)
    assert 'id="looked-up"' not in other and "订单不存在" in other


def test_dashboard_counts_open_and_overdue_disputes(app, client, org):
    ids = paid_order(app, client, org)
    file(client, ids, bearer(api_token(client, "owner-a")))
    with app.app_context():
        db.session.execute(update(CreditDispute).values(decide_by=utcnow() - timedelta(hours=1)))
        db.session.commit()
    login(client, "hq")
    home = client.get("/admin/").get_data(as_text=True)
    late = re.search(r'overdue=true"><span class="stat-value">(\d+)</span>', home)
    assert late and late.group(1) == "1"
    queue = client.get("/admin/credit/disputes?overdue=true").get_data(as_text=True)
    assert "Alpha Jewels" in queue
    login(client, "owner-b")
    panel = client.get("/admin/").get_data(as_text=True)
    assert re.search(r'overdue=true"><span class="stat-value">0</span>', panel)
