"""Browser, as a store guide tries it on a 375 px phone (issue 19's "Done when"): the
customer's cleaning visit recorded from /m/appointments opens its service ticket; old
gold taken in on /m/trade-ins is valued at the day's buy-back price and credited against
the customer's unpaid order, whose payable falls by exactly that value."""

from __future__ import annotations

import pytest

from app.extensions import db
from franchise.models import Order, ServiceTicket
from franchise.services.trade_in import value_fen
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import assert_no_sideways_scroll, browser_login, screenshot
from tests.franchise.factories_jewellery import enter_price, maintenance_visit

pytestmark = pytest.mark.browser


def test_a_cleaning_visit_recorded_on_the_phone_opens_its_ticket(
    app, org, shop, live_server, phone_page
):
    visit_id = maintenance_visit(app, org, shop, note="手镯清洗")
    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(live_server + "/m/appointments")
    item = page.locator("li", has_text="手镯清洗")
    item.locator("select[name=service_kind]").select_option("cleaning")
    assert_no_sideways_scroll(page)
    screenshot(page, "store_desk_appointments")
    item.locator("button[value=attended]").click()
    page.wait_for_url("**/m/service-tickets/*")
    assert page.locator("#ticket").get_attribute("data-status") == "received"
    assert_no_sideways_scroll(page)
    with app.app_context():
        ticket = db.session.query(ServiceTicket).one()
        assert (ticket.kind, ticket.customer_id, ticket.appointment_id) == (
            "cleaning",
            shop.ca,
            visit_id,
        )


def test_old_gold_taken_in_on_the_phone_lowers_the_new_purchase(
    app, client, shop, as_hq, as_ca, live_server, phone_page
):
    enter_price(client, as_hq, "gold", 620_00, 560_00)
    body = {"items": [{"product_id": shop.pearl, "quantity": 20}]}
    order = client.post("/api/v1/mp/orders", json=body, headers=as_ca).get_json()
    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(live_server + "/m/trade-ins")
    page.fill("#customer", f"M{shop.ca:09d}")
    page.select_option("#metal", "gold")
    page.fill("#weight_g", "10.52")
    page.fill("#purity_permille", "999")
    page.fill("#description", "旧足金项链")
    assert_no_sideways_scroll(page)
    page.click("#trade-in-form button[type=submit]")
    page.wait_for_url("**/m/trade-ins/*")
    value = value_fen(10_520, 999, 560_00)
    assert f"{value / 100:,.2f}" in page.locator("#trade-in-value").inner_text()
    page.select_option("#order_id", str(order["id"]))
    page.click("#credit-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#trade-in").get_attribute("data-status") == "credited"
    assert_no_sideways_scroll(page)
    screenshot(page, "store_desk_trade_in")
    with app.app_context():
        assert db.session.get(Order, order["id"]).payable_fen == 6000_00 - value
