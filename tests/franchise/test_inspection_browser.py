"""Browser (issue 19): the guide records an O2O inspection's defect on a 375 px phone:
a defect without a remedy is refused beside the remedy, then an exchange with a photo of
the defect names the replacement order on the result page and shows the photo; nothing
scrolls sideways."""

from __future__ import annotations

import struct
import zlib

import pytest

from app.extensions import db
from franchise.models import Order
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import assert_no_sideways_scroll, browser_login, screenshot

pytestmark = pytest.mark.browser


def _png(size: int = 2) -> bytes:
    """A real ``size`` × ``size`` red PNG, so the phone's browser draws it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


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
    photo = {"name": "crack.png", "mimeType": "image/png", "buffer": _png()}
    page.set_input_files("#photos", photo)
    page.click("#inspection-defect")
    page.wait_for_url(f"**/m/appointments/{visit}/result")
    with app.app_context():
        replacement = db.session.scalars(
            db.select(Order).where(Order.replaces_order_id == order["id"])
        ).one()
    text = page.inner_text("body")
    assert replacement.order_no in text and "换货" in text and "钻石有裂纹" in text
    drawn = page.locator("[data-inspection-photos] img").evaluate_all(
        "imgs => imgs.map(i => i.complete && i.naturalWidth)"
    )
    assert drawn == [2]  # the photo is served and drawn
    credit = page.locator("[data-inspection-photos] figcaption").inner_text()
    assert credit.startswith("guide-a 拍摄于")  # who took it (a name) and when, under it
    assert_no_sideways_scroll(page)
    screenshot(page, "inspection_defect_exchanged_phone")
