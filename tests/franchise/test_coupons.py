"""Coupons: templates and budgets, issuing (budget never exceeded, also concurrently on
PostgreSQL), new-customer coupon once, in-store redemption with attribution, pages."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import utcnow
from app.errors import DomainError
from app.extensions import db
from franchise.models import Coupon, CouponBudget, Customer
from franchise.services import coupon_templates
from franchise.services import coupons as coupon_service
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login
from tests.franchise.factories_commerce import build_shop, gen_coupon, gen_customer, gen_template


def test_template_api_with_budgets(client, org, as_hq, as_owner_a):
    body = {
        "name": "新客券",
        "kind": "new_customer",
        "amount_off_fen": 5000,
        "threshold_fen": 50000,
        "valid_days": 30,
        "budgets": [{"region_id": org.east, "budget_count": 2}],
    }
    response = client.post("/api/v1/coupon-templates", json=body, headers=as_hq)
    assert response.status_code == 201, response.get_json()
    template = response.get_json()
    assert template["budgets"] == [{"region_id": org.east, "budget_count": 2, "issued_count": 0}]
    assert client.post("/api/v1/coupon-templates", json=body, headers=as_owner_a).status_code == 403
    for bad in (
        {**body, "amount_off_fen": 0},
        {**body, "threshold_fen": -1},
        {**body, "amount_off_fen": "50"},
        {**body, "valid_days": None, "valid_until": None},
        {**body, "budgets": [{"region_id": org.east, "budget_count": 1}] * 2},
        {**body, "issued_count": 5},
    ):
        assert client.post("/api/v1/coupon-templates", json=bad, headers=as_hq).status_code == 422
    patch = client.patch(
        f"/api/v1/coupon-templates/{template['id']}",
        json={
            "budgets": [
                {"region_id": org.east, "budget_count": 3},
                {"region_id": org.north, "budget_count": 1},
            ]
        },
        headers=as_hq,
    )
    assert patch.status_code == 200 and len(patch.get_json()["budgets"]) == 2


def test_budget_cannot_be_exceeded(app, org, shop):
    with app.app_context():
        template = gen_template({org.east: 2})
        extra = [gen_customer(org.fa).id for _ in range(2)]
        coupon_service.issue_coupon(template.id, shop.ca)
        coupon_service.issue_coupon(template.id, extra[0])
        with pytest.raises(DomainError) as exc:
            coupon_service.issue_coupon(template.id, extra[1])
        assert exc.value.status == 409 and exc.value.code == "budget_exhausted"
        with pytest.raises(DomainError):  # no budget at all in B's region
            coupon_service.issue_coupon(template.id, shop.cb)
        budget = db.session.scalars(select(CouponBudget)).one()
        assert (budget.issued_count, budget.budget_count) == (2, 2)
        assert db.session.query(Coupon).count() == 2
        # a budget cannot drop below what was issued
        with pytest.raises(DomainError):
            coupon_templates.update_template(
                template, {"budgets": [{"region_id": org.east, "budget_count": 1}]}
            )


def test_bulk_issue_stops_at_budget(app, org, as_hq, client):
    with app.app_context():
        for _ in range(5):
            gen_customer(org.fa)
        gen_customer(org.fb)
        template_id = gen_template({org.east: 3}).id
    response = client.post(
        f"/api/v1/coupon-templates/{template_id}/bulk-issue",
        json={"franchisee_id": org.fa, "limit": 10},
        headers=as_hq,
    )
    assert response.get_json() == {"issued": 3, "skipped": 2, "exhausted": True}
    with app.app_context():
        assert {c.franchisee_id for c in db.session.scalars(select(Coupon))} == {org.fa}


def test_concurrent_issue_respects_budget(app, org):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL for real concurrency")
        template_id = gen_template({org.east: 5}).id
        customers = [gen_customer(org.fa).id for _ in range(20)]
    barrier = threading.Barrier(len(customers))
    outcomes = []

    def issue(customer_id):
        with app.app_context():
            barrier.wait()
            try:
                coupon_service.issue_coupon(template_id, customer_id)
                outcomes.append("ok")
            except DomainError as exc:
                outcomes.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(c,)) for c in customers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("ok") == 5 and outcomes.count("budget_exhausted") == 15
    with app.app_context():
        assert db.session.query(Coupon).count() == 5
        assert db.session.scalars(select(CouponBudget.issued_count)).one() == 5


def test_new_customer_coupon_once(app, org, shop):
    with app.app_context():
        assert coupon_service.issue_new_customer_coupon(shop.ca) is None  # no template yet
        gen_template({org.east: 10}, kind="new_customer", amount_off_fen=50_00)
        first = coupon_service.issue_new_customer_coupon(shop.ca)
        assert first is not None and len(first.code) == 12 and first.expires_at > utcnow()
        assert coupon_service.issue_new_customer_coupon(shop.ca) is None
        assert coupon_service.issue_new_customer_coupon(shop.cb) is None  # no budget in NORTH
        assert db.session.query(Coupon).count() == 1


def _redeem(client, headers, code):
    return client.post("/api/v1/coupons/redeem", json={"code": code}, headers=headers)


def test_in_store_redemption_attribution_and_refusals(client, app, org, shop):
    with app.app_context():
        template = gen_template({org.east: 10, org.north: 10})
        ca2_coupon = coupon_service.issue_coupon(template.id, shop.ca2).code
        b_coupon = coupon_service.issue_coupon(template.id, shop.cb).code
        expired = gen_coupon(
            template, db.session.get(Customer, shop.ca), expires_at=utcnow() - timedelta(hours=1)
        ).code
    guide = bearer(api_token(client, "guide-a"))
    # a customer of the franchise who is not the guide's own: still redeemable in store
    response = _redeem(client, guide, ca2_coupon.lower())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["state"] == "redeemed" and body["redeemed_channel"] == "store"
    assert (
        body["redeemed_guide_id"],
        body["redeemed_store_id"],
        body["redeemed_franchisee_id"],
    ) == (
        org.ga,
        org.sa,
        org.fa,
    )
    again = _redeem(client, guide, ca2_coupon)
    assert again.status_code == 409 and again.get_json()["code"] == "coupon_redeemed"
    assert again.get_json()["message"] == "该优惠券已核销。"  # Chinese by default
    late = _redeem(client, guide, expired)
    assert late.status_code == 409 and late.get_json()["code"] == "coupon_expired"
    assert _redeem(client, guide, b_coupon).status_code == 404  # franchise B's customer
    assert _redeem(client, guide, "ZZZZZZZZZZZZ").status_code == 404
    assert _redeem(client, bearer(api_token(client, "hq")), b_coupon).status_code == 403
    owner_b = _redeem(client, bearer(api_token(client, "owner-b")), b_coupon)
    assert owner_b.status_code == 200
    assert owner_b.get_json()["redeemed_store_id"] == org.sb
    assert owner_b.get_json()["redeemed_guide_id"] is None


def test_staff_coupon_listing_scoped(client, app, org, shop, as_owner_a, as_hq):
    with app.app_context():
        template = gen_template({org.east: 10, org.north: 10})
        coupon_service.issue_coupon(template.id, shop.ca)
        coupon_service.issue_coupon(template.id, shop.cb)
    assert client.get("/api/v1/coupons", headers=as_hq).get_json()["total"] == 2
    mine = client.get("/api/v1/coupons", headers=as_owner_a).get_json()
    assert [c["franchisee_id"] for c in mine["items"]] == [org.fa]


def test_admin_coupon_pages(client, app, org, shop):
    with app.app_context():
        template = gen_template({org.east: 10, org.north: 10}, name="双十一券")
        coupon_service.issue_coupon(template.id, shop.ca)
        coupon_service.issue_coupon(template.id, shop.cb)
        template_id = template.id
    login(client, "hq")
    html = client.get("/admin/coupons").get_data(as_text=True)
    assert "双十一券" in html and "<svg" in html and "chart-bar" in html
    csv = client.get(f"/admin/coupons/issued?format=csv&franchisee_id={org.fb}").get_data(
        as_text=True
    )
    assert csv.count("\n") == 2 and "小北" in csv
    page = client.get("/admin/coupons/templates/new").get_data(as_text=True)
    token = csrf_token_from(page)
    response = client.post(
        "/admin/coupons/templates/new",
        data={
            "csrf_token": token,
            "name": "周年庆券",
            "kind": "campaign",
            "amount_off_yuan": "88.50",
            "threshold_yuan": "888",
            "valid_days": "15",
            f"budget_{org.east}": "100",
            f"budget_{org.north}": "",
            "is_active": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        from franchise.models import CouponTemplate

        created = db.session.scalars(
            select(CouponTemplate).where(CouponTemplate.name == "周年庆券")
        ).one()
        assert (created.amount_off_fen, created.threshold_fen) == (8850, 88800)
        assert [(b.region_id, b.budget_count) for b in created.budgets] == [(org.east, 100)]
    edit = client.get(f"/admin/coupons/templates/{template_id}/edit")
    assert edit.status_code == 200
    login(client, "owner-a")
    html = client.get("/admin/coupons/issued").get_data(as_text=True)
    assert "小美" in html and "小北" not in html
    assert client.get("/admin/coupons/templates/new").status_code == 403


def test_guide_redeem_page_and_results(client, app, org, shop):
    with app.app_context():
        template = gen_template({org.east: 10}, amount_off_fen=66_00)
        code = coupon_service.issue_coupon(template.id, shop.ca2).code
    login(client, "guide-a", path="/m/login")
    page = client.get(f"/m/coupons/redeem?code={code.lower()}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "¥66.00" in html and "小丽" in html
    response = client.post(
        "/m/coupons/redeem", data={"code": code, "csrf_token": csrf_token_from(html)}
    )
    assert response.status_code == 303
    with app.app_context():
        coupon = db.session.scalars(select(Coupon).where(Coupon.code == code)).one()
        assert coupon.status == "redeemed" and coupon.redeemed_guide_id == org.ga
    again = client.get(f"/m/coupons/redeem?code={code}")
    assert again.status_code == 409 and "confirm-redeem" not in again.get_data(as_text=True)
    assert client.get("/m/coupons/redeem?code=NOPE").status_code == 404
    results = client.get("/m/results").get_data(as_text=True)
    assert 'data-figure="coupons">1<' in results


def test_results_count_today(client, app, org, shop):
    from franchise.models import AssignmentHistory
    from franchise.services import orders as order_service
    from tests.franchise.factories_commerce import make_paid

    with app.app_context():
        order = order_service.create_order(shop.ca, [{"product_id": shop.pearl, "quantity": 2}])
        make_paid(order)
        order_service.create_order(
            shop.ca2, [{"product_id": shop.pearl, "quantity": 1}]
        )  # not mine
        db.session.add(
            AssignmentHistory(
                customer_id=shop.ca, to_franchisee_id=org.fa, to_guide_id=org.ga, rule="share_code"
            )
        )
        db.session.commit()
    login(client, "guide-a", path="/m/login")
    html = client.get("/m/results").get_data(as_text=True)
    assert 'data-figure="orders">1<' in html
    assert 'data-figure="gmv">¥600.00<' in html
    assert 'data-figure="customers">1<' in html


@pytest.mark.browser
def test_browser_guide_redeems_on_a_phone(app, live_server, phone_page, org):
    from tests.fixtures.auth import PASSWORD
    from tests.fixtures.browser import browser_login, screenshot

    with app.app_context():
        shop = build_shop(org)
        template = gen_template({org.east: 10}, amount_off_fen=100_00, name="到店礼券")
        code = coupon_service.issue_coupon(template.id, shop.ca).code
    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(live_server + "/m/coupons/redeem")
    page.fill("#code", code.lower())
    page.click("#lookup button[type=submit]")
    page.wait_for_selector(".coupon-card")
    assert "小美" in page.inner_text(".coupon-customer")
    screenshot(page, "guide_coupon_redeem_confirm")
    box = page.locator("#confirm-redeem").bounding_box()
    assert box["height"] >= 48 and box["width"] >= 300  # a big touch target at 375 px
    page.click("#confirm-redeem")
    page.wait_for_selector(".redeem-done")
    screenshot(page, "guide_coupon_redeem")
    with app.app_context():
        coupon = db.session.scalars(select(Coupon).where(Coupon.code == code)).one()
        assert coupon.status == "redeemed" and coupon.redeemed_channel == "store"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
