"""Browser: HQ walks the 4-step wizard, creates a store-mode campaign and lands on the
detail page with its timeline board."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import shanghai_day
from app.extensions import db
from livestream.models import Campaign
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_wizard_walkthrough(app, live_org, live_server, browser_page):
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(f"{live_server}/admin/live/campaigns/new")
    step = lambda n: page.locator(f'.wiz-step[data-step="{n}"]')  # noqa: E731
    assert step(1).is_visible() and step(2).is_hidden()
    # 1 basics
    page.fill("#name", "周末门店店播")
    page.check('input[name="mode"][value="store"]')
    live_day = shanghai_day() + timedelta(days=30)
    page.fill("#live_date", live_day.isoformat())
    page.fill("#live_time", "20:00")
    page.click("#wiz-next")
    # 2 participants: a region (3 open stores) plus one store elsewhere
    assert step(2).is_visible() and step(1).is_hidden()
    page.check(f'input[name="region_ids"][value="{live_org.east}"]')
    page.check(f'input[name="store_ids"][value="{live_org.c1}"]')
    assert page.text_content("#store-count") == "4"
    page.click("#wiz-next")
    # 3 line-up: one row is there, add a second and remove it again, fill the first
    assert step(3).is_visible()
    page.click("#add-row")
    assert page.locator("[data-row]").count() == 2
    page.locator("[data-row]").nth(1).locator("[data-remove-row]").click()
    row = page.locator("[data-row]").first
    row.locator('select[name="lineup_product_id"]').select_option(str(live_org.products[1]))
    row.locator('input[name="lineup_live_price"]').fill("4888.00")
    row.locator('input[name="lineup_stock_cap"]').fill("30")
    screenshot(page, "live_wizard_lineup")
    page.click("#wiz-next")
    # 4 summary with the timeline preview
    assert step(4).is_visible()
    preview = page.locator("#timeline-preview tbody tr")
    assert preview.count() == 6
    screenshot(page, "live_wizard_summary")
    live_row = page.locator('#timeline-preview tr[data-kind="live"] td').nth(1)
    assert live_row.text_content() == live_day.isoformat()
    page.click("#save-campaign")
    page.wait_for_url("**/admin/live/campaigns/*")
    assert page.locator("#board").is_visible()
    assert page.locator("#board tbody tr").count() == 6
    assert page.locator("#sessions tbody tr:not(.session-edit)").count() == 4
    assert page.locator("#sessions tr.session-edit form").count() == 4  # HQ may re-time them
    screenshot(page, "live_wizard")
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        assert campaign.mode == "store" and len(campaign.stores) == 4
        assert campaign.lineup[0].live_price_fen == 4888_00


def test_wizard_error_returns_to_its_step(app, live_org, live_server, browser_page):
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(f"{live_server}/admin/live/campaigns/new")
    page.fill("#name", "价格过高")
    page.fill("#live_date", (shanghai_day() + timedelta(days=30)).isoformat())
    page.click("#wiz-next")
    page.check(f'input[name="region_ids"][value="{live_org.north}"]')
    page.click("#wiz-next")
    row = page.locator("[data-row]").first
    row.locator('select[name="lineup_product_id"]').select_option(str(live_org.products[0]))
    row.locator('input[name="lineup_live_price"]').fill("99999")
    page.click("#wiz-next")  # the step checks the price as you go: it stays on step 3
    assert page.locator("[data-row] [data-client-error]").is_visible()
    assert page.locator('.wiz-step[data-step="3"]').is_visible()
    # the server refuses it too, and its answer opens the step it concerns
    page.eval_on_selector("#campaign-wizard", "form => form.submit()")
    page.wait_for_selector('[data-error-for="lineup.0.live_price_fen"]')
    assert page.locator('.wiz-step[data-step="3"]').is_visible()
    assert page.locator('.wiz-step[data-step="1"]').is_hidden()
