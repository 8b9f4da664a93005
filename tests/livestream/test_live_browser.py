"""Browser: the live dashboard refreshes its figures from the API without a reload; the
guide's share page and poster fit a phone."""

from __future__ import annotations

import pytest

from app.extensions import db
from franchise.models import Product, Store
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.livestream.factories import gen_campaign, gen_live_customer, gen_paid_order

pytestmark = pytest.mark.browser


@pytest.fixture
def fast_refresh(app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_DASHBOARD_REFRESH_SECONDS", 1)


def test_dashboard_updates_in_place(app, live_org, live_server, browser_page, fast_refresh):
    with app.app_context():
        products = [db.session.get(Product, pid) for pid in live_org.products]
        cid = gen_campaign("hq", live_org.stores, products, status="live", live_in_days=0).id
        customer = gen_live_customer(db.session.get(Store, live_org.a1), guide_id=live_org.ga1)
        customer_id = customer.id
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + f"/admin/live/campaigns/{cid}/live")
    gmv = page.locator('.live-headline [data-figure="gmv_fen"]')
    assert gmv.inner_text() == "¥0.00"
    first_stamp = page.get_attribute("#live-updated", "datetime")
    with app.app_context():
        from franchise.models import Customer

        gen_paid_order(db.session.get(Customer, customer_id), 1234_50, days_ago=0, campaign_id=cid)
    from playwright.sync_api import expect

    # A locator wait, not wait_for_function: the page's CSP (script-src 'self') forbids eval.
    expect(gmv).to_have_text("¥1,234.50", timeout=10_000)
    assert page.get_attribute("#live-updated", "datetime") != first_stamp
    assert page.locator("#live-orders tbody tr").count() == 1
    assert "SH-A1-1" in page.locator("#live-orders tbody").inner_text()
    assert page.locator("#live-error").is_hidden()
    screenshot(page, "live_dashboard")


def test_share_page_fits_a_phone(app, live_org, live_server, phone_page):
    with app.app_context():
        cid = gen_campaign("store", [live_org.a1], status="scheduled", name="秋季新品店播").id
    page = phone_page
    browser_login(page, live_server, "guide-a1", PASSWORD, mobile=True)
    page.goto(live_server + f"/m/live/{cid}/share")
    assert page.locator("#share-qr svg").bounding_box()["width"] >= 150
    from playwright.sync_api import expect

    poster = page.locator("#share-poster")  # property waits: the CSP forbids eval
    expect(poster).to_have_js_property("complete", True)
    expect(poster).not_to_have_js_property("naturalWidth", 0)
    page.click("button[data-copy=share-url]")
    assert page.locator("#share-copied").inner_text() != ""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "live_share_phone")
