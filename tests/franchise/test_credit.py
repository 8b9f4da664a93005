"""Per-line credit: HQ's rules, the evidence kept at payment, the contract, tenancy."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.clock import utcnow
from app.extensions import db, get_redis
from franchise.jobs.paid_followups import MARK_KEY, run_paid_followups
from franchise.models import CommissionRate, CreditLine, Customer, Guide, Order, OrderCredit
from franchise.services import credit
from tests.fixtures.auth import api_token, bearer, csrf_token_from, gen_user, login
from tests.franchise.factories import gen_guide
from tests.franchise.factories_commerce import gen_coupon, gen_template
from tests.franchise.factories_credit import paid_order, placed_order
from tests.franchise.factories_payments import gen_customer, gen_order, pay_and_succeed

RULES = "/api/v1/credit/rules"


def credit_of(client, order_id, headers):
    return client.get(f"/api/v1/orders/{order_id}/credit", headers=headers)


def test_share_code_and_assigned_guides_split_by_default_rules(app, client, org, as_hq):
    ids = paid_order(app, client, org)
    res = credit_of(client, ids.order, as_hq)
    assert res.status_code == 200
    lines = res.get_json()["lines"]
    by_guide = {row["guide_id"]: row for row in lines}
    # live campaign (2000) and in store (2000) are absent: their shares go to the share code
    assert by_guide[ids.ann]["share_bps"] == 9000
    assert by_guide[ids.carl]["share_bps"] == 1000
    assert sum(row["share_bps"] for row in lines) == 10000
    assert {row["order_line_id"] for row in lines} == {ids.line}
    assert sum(row["basis_fen"] for row in lines) == 10000
    ann_kinds = [e["kind"] for e in by_guide[ids.ann]["evidence"]]
    assert ann_kinds == ["share_code"] and by_guide[ids.ann]["evidence"][0]["code"] == ids.code
    carl_evidence = by_guide[ids.carl]["evidence"][0]
    assert carl_evidence["kind"] == "assignment" and carl_evidence["at"]
    assert all(row["store_id"] == org.sa and row["franchisee_id"] == org.fa for row in lines)


def test_credit_is_computed_once_off_the_notify_path(app, client, org, as_hq):
    ids = paid_order(app, client, org, sweep=False)
    with app.app_context():  # the notify posted the payment only
        assert db.session.scalar(select(func.count()).select_from(OrderCredit)) == 0
    assert len(credit_of(client, ids.order, as_hq).get_json()["lines"]) == 2  # first read
    with app.app_context():
        assert credit.compute_credit(ids.order) is False
        assert credit.credit_missing() == 0
        assert db.session.scalar(select(func.count()).select_from(OrderCredit)) == 1
        assert db.session.scalar(select(func.count()).select_from(CreditLine)) == 2


def test_the_order_paid_run_credits_each_payment_once(app, client, org):
    ids = paid_order(app, client, org, sweep=False)
    counts = (select(func.count()).select_from(OrderCredit), select(func.count(CreditLine.id)))
    with app.app_context():
        get_redis().delete(MARK_KEY)
        later = utcnow() + timedelta(minutes=2)
        assert run_paid_followups(now=later) == {"orders": 1, "failed_listeners": 0}
        assert [db.session.scalar(c) for c in counts] == [1, 2]
        get_redis().delete(MARK_KEY)  # a lost mark: the payment is heard again
        assert run_paid_followups(now=later)["orders"] == 1
        assert [db.session.scalar(c) for c in counts] == [1, 2]
        assert credit.credit_missing() == 0  # nothing left for the nightly catch-up
        assert db.session.scalars(select(OrderCredit.order_id)).all() == [ids.order]


def test_sweep_credits_a_payment_posted_by_orderquery(app, client, org):
    with app.app_context():
        ids = placed_order(org, with_code=False)
        order = db.session.get(Order, ids.order)
        order.transaction_id, order.paid_at, order.paid_fen, order.status = (
            "4200000000000000001",
            utcnow(),
            10000,
            "paid",
        )
        db.session.commit()
        assert credit.credit_missing() == 1
        rows = credit.current_lines(ids.order)
        assert [(r.guide_id, r.share_bps) for r in rows] == [(ids.carl, 10000)]


def test_guide_who_served_in_store_takes_the_in_store_share(app, client, org, as_hq):
    with app.app_context():
        ids = placed_order(org)
        dana = gen_guide(db.session.get(Guide, org.ga).store, name="Dana", wecom_userid="dana")
        customer = db.session.get(Customer, ids.customer)
        coupon = gen_coupon(gen_template({org.east: 5}), customer)
        coupon.status, coupon.redeemed_channel = "redeemed", "store"
        coupon.redeemed_at = utcnow() - timedelta(days=2)
        coupon.redeemed_guide_id, coupon.redeemed_store_id = dana.id, org.sa
        coupon.redeemed_franchisee_id = org.fa
        db.session.commit()
        dana_id = dana.id
    pay_and_succeed(client, ids.order, ids.customer, app)
    lines = {r["guide_id"]: r for r in credit_of(client, ids.order, as_hq).get_json()["lines"]}
    assert lines[dana_id]["share_bps"] == 2000
    assert lines[dana_id]["evidence"][0]["kind"] == "redemption"
    assert lines[ids.ann]["share_bps"] == 7000 and lines[ids.carl]["share_bps"] == 1000


def test_no_guide_at_all_credits_the_store(app, client, org, as_hq):
    with app.app_context():
        customer = gen_customer(org.fa)
        order = gen_order(customer, 5000, store_id=org.sa)
        order_id, customer_id = order.id, customer.id
    pay_and_succeed(client, order_id, customer_id, app)
    (row,) = credit_of(client, order_id, as_hq).get_json()["lines"]
    assert row["guide_id"] is None and row["store_id"] == org.sa and row["share_bps"] == 10000


def test_hq_rules_change_the_split_and_bad_rules_are_refused(app, client, org, as_hq):
    rules = client.get(RULES, headers=as_hq).get_json()["rules"]
    assert sum(r["share_bps"] for r in rules if r["is_active"]) == 10000
    bad = [dict(r, share_bps=r["share_bps"] + 1) if r["source"] == "assigned" else r for r in rules]
    res = client.put(RULES, json={"rules": bad}, headers=as_hq)
    assert res.status_code == 422 and "rules" in res.get_json()["errors"]
    shares = {"live_campaign": 0, "share_code": 4000, "in_store": 1000, "assigned": 5000}
    new = [dict(r, share_bps=shares[r["source"]]) for r in rules]
    assert client.put(RULES, json={"rules": new}, headers=as_hq).status_code == 200
    owner = bearer(api_token(client, "owner-a"))
    assert client.put(RULES, json={"rules": new}, headers=owner).status_code == 403
    ids = paid_order(app, client, org)
    lines = {
        r["guide_id"]: r["share_bps"]
        for r in credit_of(client, ids.order, as_hq).get_json()["lines"]
    }
    assert lines == {ids.ann: 5000, ids.carl: 5000}


def test_credit_tenancy(app, client, org, as_hq):
    ids = paid_order(app, client, org)
    owner_a = bearer(api_token(client, "owner-a"))
    owner_b = bearer(api_token(client, "owner-b"))
    guide_a = bearer(api_token(client, "guide-a"))  # Ann: the order's guide
    with app.app_context():
        gen_user("guide-b", "guide", franchisee_id=org.fb, store_id=org.sb, guide_id=org.gb)
        gen_user("carl", "guide", franchisee_id=org.fa, store_id=org.sa, guide_id=ids.carl)
    assert credit_of(client, ids.order, owner_a).status_code == 200
    assert credit_of(client, ids.order, guide_a).status_code == 200
    carl = bearer(api_token(client, "carl"))  # holds a share, not the order's guide
    assert credit_of(client, ids.order, carl).status_code == 200
    assert credit_of(client, ids.order, owner_b).status_code == 404
    assert credit_of(client, ids.order, bearer(api_token(client, "guide-b"))).status_code == 404
    assert credit_of(client, 2**31, as_hq).status_code == 404
    assert credit_of(client, 999999, as_hq).status_code == 404


def test_order_page_shows_the_evidence_with_names_and_times(app, client, org):
    ids = paid_order(app, client, org)
    login(client, "owner-a")
    page = client.get(f"/admin/orders/{ids.order}").get_data(as_text=True)
    assert 'id="credit"' in page and "Carl" in page and "Ann" in page
    assert ids.code in page and "90 %" in page and "10 %" in page
    login(client, "owner-b")
    assert client.get(f"/admin/orders/{ids.order}").status_code == 404


def _rules_form(token: str, shares: dict) -> dict:
    form = {"csrf_token": token}
    for precedence, (source, bps) in enumerate(shares.items(), start=1):
        form |= {f"{source}.precedence": str(precedence), f"{source}.share_bps": str(bps)}
        form[f"{source}.is_active"] = "on"
    return form


def test_rules_and_rates_pages(app, client, org, as_hq):
    login(client, "owner-a")
    assert client.get("/admin/credit/rules").status_code == 403
    login(client, "hq")
    page = client.get("/admin/credit/rules").get_data(as_text=True)
    assert 'id="rules-form"' in page and "分享码导购" in page
    token = csrf_token_from(page)
    bad = {"live_campaign": 2000, "share_code": 5000, "in_store": 2000, "assigned": 999}
    res = client.post("/admin/credit/rules", data=_rules_form(token, bad), follow_redirects=True)
    assert "10,000" in res.get_data(as_text=True)
    good = {"live_campaign": 1000, "share_code": 6000, "in_store": 2000, "assigned": 1000}
    client.post("/admin/credit/rules", data=_rules_form(token, good))
    rules = client.get(RULES, headers=as_hq).get_json()["rules"]
    assert {r["source"]: r["share_bps"] for r in rules} == good
    res = client.post(
        "/admin/credit/rates",
        data={"rate_percent": "101", "csrf_token": token},
        follow_redirects=True,
    )
    assert "0 到 100%" in res.get_data(as_text=True)
    client.post(
        "/admin/credit/rates", data={"category": "黄金", "rate_percent": "2.5", "csrf_token": token}
    )
    page = client.get("/admin/credit/rules").get_data(as_text=True)
    assert "2.5 %" in page and "黄金" in page
    with app.app_context():
        rate_id = db.session.scalar(select(CommissionRate.id))
    client.post(f"/admin/credit/rates/{rate_id}/delete", data={"csrf_token": token})
    assert client.get("/api/v1/commission/rates", headers=as_hq).get_json() == []
