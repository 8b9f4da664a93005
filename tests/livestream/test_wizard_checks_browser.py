"""Browser: the campaign wizard checks each step as you go (a name, a live date in the
future, at least one store) and questions a live price under HQ's floor: a warning on the
row and a confirmation box that must be ticked before the campaign saves."""

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


def test_steps_are_checked_and_low_prices_confirmed(app, live_org, live_server, browser_page):
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(f"{live_server}/admin/live/campaigns/new")
    step = lambda n: page.locator(f'.wiz-step[data-step="{n}"]')  # noqa: E731
    errors = lambda n: step(n).locator("[data-client-error]")  # noqa: E731
    page.click("#wiz-next")  # nothing filled in: stays, says what is missing
    assert step(1).is_visible() and errors(1).count() >= 2
    page.fill("#name", "清仓直播")
    page.fill("#live_date", (shanghai_day() - timedelta(days=1)).isoformat())
    page.click("#wiz-next")
    assert step(1).is_visible() and "未来" in errors(1).first.inner_text()
    page.fill("#live_date", (shanghai_day() + timedelta(days=20)).isoformat())
    page.click("#wiz-next")
    assert step(2).is_visible()
    page.click("#wiz-next")  # no store yet
    assert step(2).is_visible() and errors(2).count() == 1
    page.check(f'input[name="region_ids"][value="{live_org.east}"]')
    page.click("#wiz-next")
    assert step(3).is_visible()
    assert page.locator("#low-price-confirm").is_hidden()
    row = page.locator("[data-row]").first
    row.locator('select[name="lineup_product_id"]').select_option(str(live_org.products[0]))
    row.locator('input[name="lineup_live_price"]').fill("199")  # ¥199 of ¥1,999
    assert row.locator(".price-warning").is_visible()
    assert page.locator("#low-price-confirm").is_visible()
    page.click("#wiz-next")
    assert step(3).is_visible() and errors(3).count() == 1
    screenshot(page, "livestream_wizard_low_price")
    page.check('input[name="confirm_low_prices"]')
    page.click("#wiz-next")
    assert step(4).is_visible()
    page.click("#save-campaign")
    page.wait_for_url("**/admin/live/campaigns/*")
    with app.app_context():
        campaign = db.session.scalars(select(Campaign).where(Campaign.name == "清仓直播")).one()
        assert campaign.lineup[0].live_price_fen == 199_00
