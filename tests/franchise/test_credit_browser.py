"""Browser: the order's credit with its evidence, the owner's dispute, HQ's ruling
moving the credit (desktop), and the guide's credit page on a 375 px phone."""

from __future__ import annotations

import pytest

from app.extensions import db
from franchise.models import CommissionRate
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.franchise.factories_credit import paid_order

pytestmark = pytest.mark.browser


def test_order_evidence_and_the_dispute_flow(app, client, org, live_server, browser_page):
    ids = paid_order(app, client, org)
    page = browser_page
    browser_login(page, live_server, "owner-a", PASSWORD)
    page.goto(f"{live_server}/admin/orders/{ids.order}")
    section = page.locator("#credit")
    rows = section.locator("tr.credit-row")
    assert rows.count() == 2
    ann = rows.filter(has_text="Ann")
    assert "90 %" in ann.inner_text() and f"分享码 {ids.code}" in ann.inner_text()
    assert "绑定导购" in rows.filter(has_text="Carl").inner_text()
    screenshot(page, "credit_order_evidence")
    form = page.locator("#dispute-form")
    form.locator("input[name=reason]").fill("顾客是 Carl 接待的老客户")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/admin/credit/disputes/*")
    assert page.locator(".badge[data-status=open]").inner_text() == "待裁决"
    assert page.locator(".decide-by").inner_text().strip()
    assert page.locator("#ruling-form").count() == 0  # the owner files, HQ rules
    dispute_url = page.url

    page.context.clear_cookies()
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(f"{live_server}/admin/credit/disputes?status=open")
    page.locator("table.data tbody tr").first.get_by_role("link").first.click()
    page.wait_for_url(dispute_url)
    page.check("input[name=decision][value=upheld]")
    page.select_option("select[name=guide_id]", label="Carl")
    page.fill("textarea[name=ruling]", "到店记录显示由 Carl 接待")
    page.click("#ruling-form button[type=submit]")
    page.wait_for_url(dispute_url)
    assert page.locator(".badge[data-status=upheld]").inner_text() == "申诉成立"
    assert page.locator(".history li").count() == 3  # filed, upheld, credit moved
    assert "业绩已转移" in page.locator(".history").inner_text()
    assert "到店记录显示由 Carl 接待" in page.locator(".ruling").inner_text()
    screenshot(page, "credit_dispute_ruled")
    page.goto(f"{live_server}/admin/orders/{ids.order}")
    moved = page.locator("#credit tr.credit-row")
    assert moved.count() == 1 and "Carl" in moved.inner_text() and "总部裁决" in moved.inner_text()


def test_guide_credit_page_on_a_phone(app, client, org, live_server, phone_page):
    with app.app_context():
        db.session.add(CommissionRate(category="", rate_bps=1000))
        db.session.commit()
    paid_order(app, client, org)
    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(f"{live_server}/m/credit")
    assert "¥9.00" in page.locator("#commission").inner_text()
    line = page.locator(".credit-line").first
    line.locator("input[name=reason]").fill("我邀请的顾客")
    line.locator("button[type=submit]").click()
    page.wait_for_url("**/m/credit")
    assert page.locator(".dispute[data-status=open]").count() == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    screenshot(page, "credit_guide_phone")
