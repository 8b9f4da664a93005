"""Members and points end to end through the API: a paid order earns points that show
in ``/mp/me``; the next order spends some (the rest paid at the sandbox); bad points
are 422 naming ``points`` and change nothing; a refund takes the points back; points
earned at one franchisee and spent at another land on both statements with opposite
signs; the points book balances."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.outbox import drain
from franchise.models import Customer, Member, Order
from franchise.services import member_settings, points_book
from tests.fixtures.auth import login
from tests.franchise.factories_payments import (
    customer_headers,
    gen_customer,
    gen_product,
    pay_and_succeed,
)


def _order(client, headers, product_id: int, **extra):
    body = {"items": [{"product_id": product_id, "quantity": 1}], **extra}
    return client.post("/api/v1/mp/orders", json=body, headers=headers)


def _me(client, headers) -> dict:
    res = client.get("/api/v1/mp/me", headers=headers)
    assert res.status_code == 200, res.get_data(as_text=True)
    return res.get_json()["member"]


def _setup(app, org, price=30000):
    with app.app_context():
        customer = gen_customer(org.fa)
        product = gen_product(price)
        return customer.id, product.id, customer_headers(customer.id)


def test_earn_then_spend_then_refund(app, client, org, as_hq):
    cid, pid, headers = _setup(app, org)
    first = _order(client, headers, pid).get_json()
    pay_and_succeed(client, first["id"], cid, app)
    member = _me(client, headers)
    assert member["number"] == f"M{cid:09d}" and member["level"] == "regular"
    assert member["points"] == 300  # ¥300 paid × 1 point a yuan
    assert member["points_expiring"][0]["points"] == 300

    # bad points: each a 422 naming the field, nothing changed
    for bad in (301, -1, 1.5, "10", 15001):
        res = _order(client, headers, pid, points=bad)
        assert res.status_code == 422, (bad, res.get_json())
        assert "points" in str(res.get_json()["errors"]), res.get_json()
    with app.app_context():
        with_points = select(Order).where(Order.customer_id == cid, Order.points_used > 0)
        assert db.session.scalars(with_points).first() is None

    second = _order(client, headers, pid, points=200)
    assert second.status_code == 201, second.get_json()
    answer = second.get_json()
    assert answer["points_used"] == 200 and answer["points_fen"] == 200
    assert answer["payable_fen"] == 30000 - 200
    assert _me(client, headers)["points"] == 100
    pay_and_succeed(client, answer["id"], cid, app)
    assert _me(client, headers)["points"] == 100 + 298  # earned on the cash paid

    history = client.get("/api/v1/mp/points/history", headers=headers).get_json()
    kinds = [(i["kind"], i["points"]) for i in history["items"]]
    assert kinds == [("earn", 298), ("burn", -200), ("earn", 300)]
    assert history["total"] == 3 and history["items"][1]["order_id"] == answer["id"]

    # a full refund of the first order takes its 300 points back
    res = client.post(
        f"/api/v1/orders/{first['id']}/refunds", json={"amount_fen": 30000}, headers=as_hq
    )
    assert res.status_code == 202
    with app.app_context():
        drain()
    assert _me(client, headers)["points"] == 98
    # a refund of the second gives the 200 burned back and takes the 298 earned
    res = client.post(
        f"/api/v1/orders/{answer['id']}/refunds", json={"amount_fen": 29800}, headers=as_hq
    )
    with app.app_context():
        drain()
    assert _me(client, headers)["points"] == 0
    with app.app_context():
        assert points_book.unbalanced_transactions() == []
        assert points_book.balances_disagree() == []


def test_refund_after_the_points_were_spent_records_a_debt(app, client, org, as_hq):
    cid, pid, headers = _setup(app, org)
    first = _order(client, headers, pid).get_json()
    pay_and_succeed(client, first["id"], cid, app)
    assert _me(client, headers)["points"] == 300
    with app.app_context():  # spent elsewhere: an item exchange takes 250
        from franchise.models import PointItem

        db.session.add(PointItem(name="银质书签", points=250, stock=3))
        db.session.commit()
        item_id = db.session.scalar(select(PointItem.id))
    res = client.post("/api/v1/mp/points/redeem", json={"item_id": item_id}, headers=headers)
    assert res.status_code == 201, res.get_json()
    again = client.post("/api/v1/mp/points/redeem", json={"item_id": item_id}, headers=headers)
    assert again.status_code == 422 and "points" in again.get_json()["errors"]
    client.post(f"/api/v1/orders/{first['id']}/refunds", json={"amount_fen": 30000}, headers=as_hq)
    with app.app_context():
        drain()
    member = _me(client, headers)
    assert member["points"] == 0 and member["debt_points"] == 250  # never negative
    # the next order's points repay the debt first
    nxt = _order(client, headers, pid).get_json()
    pay_and_succeed(client, nxt["id"], cid, app)
    member = _me(client, headers)
    assert member["debt_points"] == 0 and member["points"] == 50


def test_points_earned_at_a_and_spent_at_b_settle_with_opposite_signs(app, client, org, as_hq):
    cid, pid, headers = _setup(app, org, price=100000)
    first = _order(client, headers, pid).get_json()
    pay_and_succeed(client, first["id"], cid, app)
    assert _me(client, headers)["points"] == 1000
    with app.app_context():  # the customer moves to franchisee B
        customer = db.session.get(Customer, cid)
        customer.franchisee_id = org.fb
        db.session.commit()
    second = _order(client, headers, pid, points=1000)
    assert second.status_code == 201, second.get_json()
    st_a = client.get(f"/api/v1/franchisees/{org.fa}/statements", headers=as_hq).get_json()
    st_b = client.get(f"/api/v1/franchisees/{org.fb}/statements", headers=as_hq).get_json()
    assert st_a["points"]["fen"] == -1000 and st_a["points"]["earned"] == -1000
    assert st_b["points"]["fen"] == 1000 and st_b["points"]["redeemed"] == 1000
    login(client, "owner-b")  # the statement page shows B's points line
    page = client.get(f"/admin/settlement/{org.fb}/{st_b['date']}").get_data(as_text=True)
    assert 'id="statement-points"' in page and "¥10.00" in page
    book = client.get("/api/v1/members/trial-balance", headers=as_hq).get_json()
    assert book["unbalanced"] == []
    assert sum(line["fen"] for line in book["lines"]) == 0
    assert sum(k["debit"] - k["credit"] for k in book["kinds"]) == 0


def test_another_customers_order_and_cap(app, client, org):
    cid, pid, headers = _setup(app, org)
    with app.app_context():
        member_settings.save({"burn_cap_pct": 10})
    first = _order(client, headers, pid).get_json()
    pay_and_succeed(client, first["id"], cid, app)
    res = _order(client, headers, pid, points=300)  # ¥3 on ¥300 is within 10 %
    assert res.status_code == 201, res.get_json()
    with app.app_context():
        member_settings.save({"burn_cap_pct": 0})
    res = _order(client, headers, pid, points=1)
    assert res.status_code == 422 and "points" in str(res.get_json()["errors"])
    other = _setup(app, org)[2]
    assert client.get(f"/api/v1/mp/orders/{first['id']}", headers=other).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Member.points).where(Member.customer_id == cid)) == 0


def test_the_minute_job_earns_recent_paid_orders_once(app, org):
    from datetime import timedelta

    from app.clock import utcnow
    from franchise.models import PointTransaction
    from franchise.services import points
    from tests.franchise.factories_members import paid_order

    with app.app_context():
        cid = gen_customer(org.fa).id
        recent = paid_order(cid, org.fa, 12_000, earn=False)
        old = paid_order(cid, org.fa, 8_000, earn=False)
        old.created_at = utcnow() - timedelta(days=40)
        db.session.commit()
        assert points.earn_paid() == 1 and points.earn_paid() == 0
        earned = select(PointTransaction.order_id).where(PointTransaction.kind == "earn")
        assert list(db.session.scalars(earned)) == [recent.id]
        assert points.catch_up(cid) == 1  # the member looks: the old one too
        assert db.session.scalar(select(Member.points).where(Member.customer_id == cid)) == 200
