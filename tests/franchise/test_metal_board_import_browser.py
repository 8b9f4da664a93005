"""Browser (issue 19): HQ uploads the day's board as CSV on the price board page, reads
the preview (old → new, the change, the SKUs that move), confirms, and the board and
the by-weight bracelet's price follow."""

from __future__ import annotations

import pytest

from app.clock import shanghai_day, utcnow
from app.extensions import db
from franchise.models import Product
from franchise.services.pricing import unit_price
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.franchise.factories_jewellery import by_weight, enter_price

pytestmark = pytest.mark.browser


def test_import_preview_then_confirm(app, shop, client, as_hq, live_server, browser_page, tmp_path):
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    by_weight(client, as_hq, shop.pearl, weight_mg=15_000, labour_g=12_00, labour_piece=0)
    day = shanghai_day(utcnow()).isoformat()
    board = tmp_path / "board.csv"
    board.write_text(
        "date,metal,purity,buy_price,buyback_price\n"
        f"{day},gold,足金999,630.00,580.00\n"
        f"{day},silver,S925,7.85,6.50\n",
        encoding="utf-8",
    )
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/metal-prices")
    page.set_input_files("#board", str(board))
    page.click("#board-import-button")
    page.wait_for_url("**/admin/metal-prices/import")
    gold = page.locator('#import-preview tr[data-metal="gold"]').inner_text()
    assert "600.00" in gold and "630.00" in gold and "+5.00%" in gold
    assert gold.strip().endswith("1")  # the bracelet's price moves
    assert "7.85" in page.locator('#import-preview tr[data-metal="silver"]').inner_text()
    screenshot(page, "jewellery_board_import_preview")
    with app.app_context():
        assert db.session.get(Product, shop.pearl).price_fen == unit_price(15_000, 600_00, 12_00, 0)
    page.click("#import-confirm-button")
    page.wait_for_url("**/admin/metal-prices")
    today = page.locator("#today-prices").inner_text()
    assert "630.00" in today and "7.85" in today
    assert "导入" in page.locator("#price-history").inner_text()
    with app.app_context():
        assert db.session.get(Product, shop.pearl).price_fen == unit_price(15_000, 630_00, 12_00, 0)
