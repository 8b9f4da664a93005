"""Browser: HQ builds a journey in the editor (a negative wait is named beside its
field, then saved with two steps), finds it in the list, opens its report; the guide
sees the journey's send on the tasks page at 375 px."""

from __future__ import annotations

import pytest

from app.extensions import db
from community.services import journey_sends, journey_triggers
from tests.community.factories_delivery import gen_post
from tests.community.factories_journeys import paid_contact
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_hq_builds_a_journey_and_the_guide_sees_its_send(
    app, org, sandbox, live_server, browser_page
):
    with app.app_context():
        gen_post(title="感谢首购")
        gen_post(title="七天保养提醒")
        paid_contact(org, sandbox, org.ga, nickname="周女士")
        db.session.commit()
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/journeys/new")
    page.fill("#name", "首购关怀")
    page.select_option("#trigger", "first_purchase")
    page.fill('input[name="step_wait_1"]', "-1")
    page.select_option('select[name="step_post_1"]', label="感谢首购")
    page.fill('input[name="step_wait_2"]', "7")
    page.select_option('select[name="step_post_2"]', label="七天保养提醒")
    page.click("#save-journey")
    assert page.locator('[data-error-for="step_wait_1"]').is_visible()
    page.fill('input[name="step_wait_1"]', "0")
    page.click("#save-journey")
    page.wait_for_url("**/admin/journeys/*")
    assert page.locator('input[name="step_wait_2"]').input_value() == "7"
    screenshot(page, "community_journey_editor")
    page.goto(live_server + "/admin/journeys")
    page.get_by_role("link", name="首购关怀").click()
    page.wait_for_url("**/report")
    with app.app_context():
        journey_triggers.run()
        journey_sends.dispatch()
        from app import outbox

        outbox.drain()
    page.reload()
    assert page.locator('[data-figure="enrolled"]').inner_text() == "1"
    assert page.locator('[data-figure="sent"]').inner_text() == "1"
    page.set_viewport_size({"width": 375, "height": 800})
    page.context.clear_cookies()
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(live_server + "/m/tasks")
    card = page.locator('[data-journey-send][data-status="pending"]')
    assert card.count() == 1 and "周女士" in card.inner_text()
    assert page.locator('[data-journey-send][data-status="waiting"]').count() == 1  # day 7
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "community_journey_guide_tasks")
