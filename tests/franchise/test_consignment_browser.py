"""Browser (issue 19): a franchise owner takes a luxury piece in on consignment on the
intake page (the consignor found by phone, a photo, the appraisal, the agreed price and
the commission), lands on its detail page with the step line and the photo with who took
it and when under it, and lists it from there."""

from __future__ import annotations

import pytest

from app.auth.models import User
from app.extensions import db
from app.web.formatting import shanghai
from franchise.models import Consignment, Customer
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.fixtures.media import tiny_png

pytestmark = pytest.mark.browser


def test_consignment_intake_and_detail(app, shop, live_server, browser_page, tmp_path):
    with app.app_context():
        db.session.get(Customer, shop.ca).phone = "13900002222"
        db.session.scalars(
            db.select(User).filter_by(username="owner-a")
        ).one().display_name = "张店长"
        db.session.commit()
    photo = tmp_path / "bangle.png"
    photo.write_bytes(tiny_png())
    page = browser_page
    browser_login(page, live_server, "owner-a", PASSWORD)
    page.goto(live_server + "/admin/consignments")
    page.click("a.btn-primary")  # 新建
    page.fill("#q", "2222")
    page.click("#consignor-search button[type=submit]")
    page.select_option("#customer_id", str(shop.ca))
    page.fill("#description", "卡地亚 LOVE 手镯 18K 玫瑰金")
    page.set_input_files("#photos", str(photo))
    page.fill("#appraised_yuan", "38,000")
    page.fill("#appraisal_notes", "九成新，附原盒")
    page.fill("#agreed_price_yuan", "35000")
    page.fill("#commission_pct", "15")
    page.click("#intake-submit")
    page.wait_for_url("**/admin/consignments/*")
    steps = page.locator("#steps")
    assert steps.locator("li[data-mark=current]").inner_text().strip() == "已议定价格"
    assert steps.locator("li[data-mark=done]").count() == 2
    assert "¥35,000.00" in page.locator("#agreed").inner_text()
    assert "15%" in page.locator("#commission").inner_text()
    assert page.locator("#photos img").count() == 1
    credit = page.locator("#photos figcaption")  # who took it and when, under the photo
    assert credit.is_visible()
    taken = credit.inner_text().strip()
    assert taken.startswith("张店长 拍摄于 ")
    photo_box, credit_box = page.locator("#photos img").bounding_box(), credit.bounding_box()
    assert photo_box and credit_box and credit_box["y"] >= photo_box["y"] + photo_box["height"]
    screenshot(page, "consignment_detail_agreed")
    page.click("[data-step-form=listed] button")
    page.wait_for_url("**/admin/consignments/*")
    assert steps.locator("li[data-mark=current]").inner_text().strip() == "已上架"
    assert page.locator("#history li").count() == 4
    with app.app_context():
        row = db.session.query(Consignment).one()
        assert (row.status, row.agreed_price_fen, row.commission_bps) == ("listed", 35_000_00, 1500)
        assert len(row.photos) == 1 and row.product_id is not None
        assert taken == f"张店长 拍摄于 {shanghai(row.photos[0].created_at)}"
