"""Browser (issue 19): HQ's metal price board (entry, today's table, the chart) with the
mini-program price following; a guide taking a piece in for service with a photo on a
375 px phone; the customer's registered pieces on the guide's customer page."""

from __future__ import annotations

import pytest

from app.extensions import db
from franchise.models import Order, Product, ProductPricing, ServiceTicket
from franchise.services.pricing import unit_price
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import assert_no_sideways_scroll, browser_login, screenshot
from tests.fixtures.media import tiny_png
from tests.franchise.factories_commerce import make_paid
from tests.franchise.factories_jewellery import by_weight, enter_price, register_piece

pytestmark = pytest.mark.browser


def test_price_board_entry_moves_the_bracelet_price(app, shop, live_server, browser_page):
    with app.app_context():
        db.session.add(
            ProductPricing(
                product_id=shop.pearl,
                pricing="by_weight",
                metal="gold",
                weight_mg=15_000,
                labour_fen_per_gram=12_00,
                labour_fen_per_piece=0,
            )
        )
        db.session.commit()
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/metal-prices")
    assert "未录入" in page.locator("#today-prices").inner_text()
    page.select_option("#metal", "gold")
    page.fill("#sell_yuan", "612.50")
    page.fill("#buyback_yuan", "570")
    page.fill("#note", "早盘")
    page.click("form.form-card button[type=submit]")
    page.wait_for_url("**/admin/metal-prices")
    today = page.locator("#today-prices").inner_text()
    assert "612.50" in today and "570.00" in today
    assert page.locator("#price-chart svg .chart-point").count() >= 1
    assert "早盘" in page.locator("#price-history").inner_text()
    screenshot(page, "jewellery_price_board")
    with app.app_context():
        assert db.session.get(Product, shop.pearl).price_fen == unit_price(15_000, 612_50, 12_00, 0)


def test_ticket_intake_with_a_photo_on_a_phone(app, shop, live_server, phone_page, tmp_path):
    photo = tmp_path / "ring.png"
    photo.write_bytes(tiny_png())
    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(live_server + "/m/service-tickets")
    page.click("#new-ticket")
    page.wait_for_url("**/m/service-tickets/new")
    assert_no_sideways_scroll(page)
    page.click("#intake-submit")  # nothing chosen: refused, the form says why
    assert page.locator('[data-error-for="customer_id"]').is_visible()
    page.select_option("#customer_id", str(shop.ca))
    page.select_option("#kind", "resizing")
    page.fill("#item_description", "足金戒指 12号改14号")
    page.fill("#condition_notes", "戒圈轻微变形，无缺损")
    page.set_input_files("#photos", str(photo))
    screenshot(page, "jewellery_ticket_intake_phone")
    page.click("#intake-submit")
    page.wait_for_url("**/m/service-tickets/*")
    assert_no_sideways_scroll(page)
    assert page.locator(".photos img").count() == 1
    assert page.locator("#ticket").get_attribute("data-status") == "received"
    page.fill("#quote_yuan", "80")
    page.click('button[data-to="quoted"]')
    page.wait_for_url("**/m/service-tickets/*")
    assert page.locator("#ticket").get_attribute("data-status") == "quoted"
    screenshot(page, "jewellery_ticket_phone")
    with app.app_context():
        ticket = db.session.query(ServiceTicket).one()
        assert (ticket.kind, ticket.quote_fen, len(ticket.photos)) == ("resizing", 80_00, 1)


def test_the_customers_pieces_on_the_guides_phone(
    app, org, shop, client, as_hq, as_ca, live_server, phone_page
):
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    by_weight(
        client, as_hq, shop.ring, weight_mg=2_350, labour_g=0, labour_piece=0, tracks_pieces=True
    )
    register_piece(
        client, as_hq, shop.ring, org.sa, serial="SY-2026-000123", certificate_no="NGTC-88231"
    )
    body = {"items": [{"product_id": shop.ring, "quantity": 1}]}
    order = client.post("/api/v1/mp/orders", json=body, headers=as_ca).get_json()
    with app.app_context():
        make_paid(db.session.get(Order, order["id"]))
    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(live_server + f"/m/customers/{shop.ca}")
    pieces = page.locator("#customer-pieces")
    assert pieces.count() == 1
    text = pieces.inner_text()
    assert "SY-2026-000123" in text and "NGTC-88231" in text and "3.100 g" in text
    assert_no_sideways_scroll(page)
    screenshot(page, "jewellery_customer_pieces_phone")
