"""Browser: the targets editor expands a franchisee's stores, saves a region's GMV in yuan
and a store's weight, and shows the owner their units without inputs."""

from __future__ import annotations

import pytest

from app.extensions import db
from livestream.models import CampaignTarget
from livestream.services import targets as service
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.livestream.factories import gen_campaign

pytestmark = pytest.mark.browser


def test_editor_expands_and_saves(app, live_org, live_server, browser_page):
    with app.app_context():
        campaign = gen_campaign("store", live_org.stores, name="双十二直播")
        service.set_region_targets(campaign.id, {live_org.east: {"gmv_fen": 1000_00}})
        service.save_rule(
            campaign.id, {"kind": "reward", "metric": "gmv_fen", "amount_fen": 200_00}
        )
        cid = campaign.id
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(f"{live_server}/admin/live/campaigns/{cid}/targets")
    store_row = page.locator(f'tr[data-unit="store-{live_org.a1}"]')
    assert store_row.is_hidden()
    page.click(f'button[data-toggle="f{live_org.fa}"]')
    assert store_row.is_visible()
    page.fill(f'input[name="r{live_org.east}_gmv_fen"]', "3000.00")
    page.click("button[form=regions-form]")
    page.wait_for_url(f"**/campaigns/{cid}/targets")
    page.click(f'button[data-toggle="f{live_org.fa}"]')
    with app.app_context():
        a1 = db.session.query(CampaignTarget).filter_by(level="store", ref_id=live_org.a1).one()
        a1_id = a1.id
    page.fill(f'input[name="w{a1_id}"]', "80")
    page.locator(f"#w-form-{a1_id} button[type=submit]").click()
    page.wait_for_url(f"**/campaigns/{cid}/targets#f{live_org.fa}")
    assert store_row.is_visible()  # the edited store's franchisee is open again
    page.fill(f'input[name="w{a1_id}"]', "abc")
    page.locator(f"#w-form-{a1_id} button[type=submit]").click()
    # the answer is a new page: wait for it rather than look at the one being left
    page.locator(f'[data-error-for="w{a1_id}"]').wait_for(state="visible")
    screenshot(page, "livestream_targets_editor")
    with app.app_context():
        region = (
            db.session.query(CampaignTarget).filter_by(level="region", ref_id=live_org.east).one()
        )
        a1 = db.session.get(CampaignTarget, a1_id)
        assert region.gmv_fen == 3000_00 and a1.weight_bps == 8000 and a1.weight_manual

    browser_login(page, live_server, "owner-a", PASSWORD)
    page.goto(f"{live_server}/admin/live/campaigns/{cid}/targets")
    assert page.locator("input[name$=_gmv_fen]").count() == 0
    page.click(f'button[data-toggle="f{live_org.fa}"]')
    assert page.locator(f'tr[data-unit="store-{live_org.a2}"]').is_visible()
    screenshot(page, "livestream_targets_owner")
