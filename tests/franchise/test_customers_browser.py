"""Browser: a guide opens "my customers" on a 375 px phone, searches and opens a customer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.clock import shanghai_day
from app.extensions import db
from franchise.models import Store
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import assert_no_sideways_scroll, browser_login, screenshot
from tests.franchise.factories_customers import gen_customer

pytestmark = pytest.mark.browser


def test_guide_customer_list_on_a_phone(app, org, live_server, phone_page):
    with app.app_context():
        store = db.session.get(Store, org.sa)
        soon = (shanghai_day() + timedelta(days=2)).replace(year=1992)
        gen_customer(
            store, guide_id=org.ga, nickname="王晓梅", birthday=soon, tier_label="高价值·忠诚"
        )
        for n in range(6):
            gen_customer(store, guide_id=org.ga, nickname=f"客户{n}", tier_label="新客")
        gen_customer(db.session.get(Store, org.sb), guide_id=org.gb, nickname="别家客户")
    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(live_server + "/m/customers")
    items = page.locator("#customer-list li")
    assert items.count() == 7
    assert "别家客户" not in page.content()
    assert page.locator(".c-row.soon").count() == 1
    assert_no_sideways_scroll(page)
    screenshot(page, "guide_customers_phone")
    page.fill("input[name=q]", "王晓梅")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/m/customers?q=*")
    assert page.locator("#customer-list li").count() == 1
    page.click("#customer-list a")
    page.wait_for_url("**/m/customers/*")
    assert "高价值·忠诚" in page.content()
