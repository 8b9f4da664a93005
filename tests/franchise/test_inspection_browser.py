"""Browser (issue 19): the guide records an O2O inspection's defect on a 375 px phone:
a defect without a remedy is refused beside the remedy, then an exchange names the
replacement order on the result page; nothing scrolls sideways."""

from __future__ import annotations

import pytest

from app.extensions import db
from franchise.models import Order
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import assert_no_sideways_scroll, browser_login, screenshot

pytestmark = pytest.mark.browser


def test_the_guide_records_a_defect_exchanged_on_a_phone(
    app,
    inspected,  # noqa: F811
    live_server,
    phone_page,
):
    order, visit = inspected
    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(live_server + "/m/appointments")
    page.click(f'a[href="/m/appointments/{visit}/inspection"]')
    page.wait_for_url(f"**/m/appointments/{visit}/inspection")
    assert_no_sideways_scroll(page)
    page.fill("#note", "钻石有裂纹")
    page.click("#inspection-defect")  # no remedy chosen: refused beside the remedy
    assert page.locator('[data-error-for="remedy"]').is_visible()
    assert page.input_value("#note") == "钻石有裂纹"  # what was typed is kept
    page.check("input[name=remedy][value=exchange]")
    page.click("#inspection-defect")
    page.wait_for_url(f"**/m/appointments/{visit}/result")
    with app.app_context():
        replacement = db.session.scalars(
            db.select(Order).where(Order.replaces_order_id == order["id"])
        ).one()
    text = page.inner_text("body")
    assert replacement.order_no in text and "换货" in text and "钻石有裂纹" in text
    assert_no_sideways_scroll(page)
    screenshot(page, "inspection_defect_exchanged_phone")
