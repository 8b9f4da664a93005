"""Browser: HQ changes the member settings (an out-of-range value is refused before
it is sent, the server's own 422 is in test_members_admin; then a saved one sticks), HQ
opens a member's page with the points history, and a guide records an in-store sale on
a 375 px phone (no sideways scrolling) and sees the points on the member card."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from franchise.models import Member
from franchise.services import member_settings
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.franchise.factories_commerce import build_shop
from tests.franchise.factories_members import paid_order

pytestmark = pytest.mark.browser


def test_hq_member_settings(app, org, live_server, browser_page):
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/members/settings")
    page.fill("#burn_cap_pct", "100")
    page.click("#save-member-settings")  # the browser refuses it before sending
    assert page.locator("#burn_cap_pct").evaluate("e => e.validity.valid") is False
    with app.app_context():
        assert member_settings.config()["burn_cap_pct"] == 50
    page.fill("#burn_cap_pct", "20")
    page.select_option("#carrier", "split")
    page.fill('input[name="levels.1.threshold_fen"]', "300000")
    page.check('input[name="levels.2.priority_slots"]')
    page.click("#save-member-settings")
    page.wait_for_url("**/admin/members/settings")
    screenshot(page, "members-hq-settings")
    with app.app_context():
        cfg = member_settings.config()
        assert cfg["burn_cap_pct"] == 20 and cfg["carrier"] == "split"
        assert cfg["levels"][1]["threshold_fen"] == 300000
        assert cfg["levels"][2]["priority_slots"] is True


def test_hq_member_page(app, org, live_server, browser_page):
    with app.app_context():
        shop = build_shop(org)
        paid_order(shop.ca, org.fa, 45_600)
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/members?q=小美")
    page.click(f"text=M{shop.ca:09d}")
    page.wait_for_url(f"**/admin/members/{shop.ca}")
    assert page.locator("[data-points]").inner_text().strip() == "456"
    assert page.locator("table tbody tr").count() == 1
    screenshot(page, "members-hq-member")


def test_guide_records_a_sale_on_a_phone(app, org, live_server, phone_page):
    with app.app_context():
        shop = build_shop(org)
    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(live_server + f"/m/customers/{shop.ca}")
    page.click("#record-sale-link")
    page.wait_for_url("**/m/sales/new**")
    page.select_option("#product_id_0", str(shop.pearl))
    page.fill("#quantity_0", "2")
    page.fill("#amount", "560")
    page.select_option("#paid_by", "wechat")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    screenshot(page, "members-guide-sale-375")
    page.click("#record-sale")
    page.wait_for_url(f"**/m/customers/{shop.ca}")
    assert page.locator("#member-card [data-points]").inner_text().startswith("560")
    with app.app_context():
        member = db.session.scalars(select(Member).where(Member.customer_id == shop.ca)).one()
        assert member.points == 560
