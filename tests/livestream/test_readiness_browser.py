"""In Chromium: the link check page polls until the runs are done and reloads itself with
the report; the gate page shows the verdict and opens after an override."""

from __future__ import annotations

import pytest

from app import outbox
from app.extensions import db
from franchise.models import Product
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.livestream.factories import gen_campaign

pytestmark = pytest.mark.browser


def test_link_check_page_polls_then_shows_the_report(app, live_org, live_server, browser_page):
    with app.app_context():
        product = db.session.get(Product, live_org.products[2])
        product.is_active = False
        bad_name = product.name
        db.session.commit()
        products = [db.session.get(Product, pid) for pid in live_org.products]
        cid = gen_campaign("store", [live_org.a1, live_org.b1], products).id
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(f"{live_server}/admin/live/campaigns/{cid}/link-check")
    page.click("#run-form button[type=submit]")
    page.wait_for_selector("#lc-progress")
    assert page.locator("#lc-done").inner_text() == "0"
    with app.app_context():
        assert outbox.drain() == 2
    page.wait_for_selector("#lc-progress", state="detached", timeout=15000)
    failing = page.locator(f'tr.lc-fail[data-product="{live_org.products[2]}"]')
    assert failing.count() == 2 and bad_name in failing.first.inner_text()
    assert page.locator('[data-problem="inactive"]').count() == 2
    screenshot(page, "livestream-link-check")

    page.goto(f"{live_server}/admin/live/campaigns/{cid}/readiness")
    assert page.locator(".gate-verdict").get_attribute("data-ready") == "false"
    assert page.locator("#go-live").is_disabled()
    assert page.locator('.gate-blockers li[data-code="link_check_failed"]').count() == 2
    page.fill("#reason", "商品下架已知，总部确认开播")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#override-form button[type=submit]")
    page.wait_for_selector('.gate-verdict[data-ready="true"]')
    assert page.locator("#go-live").is_enabled()
    assert "商品下架已知" in page.locator("#history").inner_text()
    screenshot(page, "livestream-readiness-gate")
