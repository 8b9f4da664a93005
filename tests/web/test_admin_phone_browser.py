"""Browser: an owner's admin on a 375 px phone — the top bar keeps the language switch
on one line, a wide table scrolls inside its card (never the page), selects and time
inputs carry the form style."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.franchise.factories import build_org
from tests.franchise.factories_commerce import gen_customer

pytestmark = pytest.mark.browser


def test_the_owners_admin_works_on_a_phone(app, live_server, phone_page):
    with app.app_context():
        org = build_org()
        for n in range(3):
            gen_customer(org.fa, org.sa, org.ga, nickname=f"很长很长的客户名字第{n}位顾客")
        db.session.commit()
    page = phone_page
    browser_login(page, live_server, "owner-a", PASSWORD)
    page.goto(f"{live_server}/admin/customers")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    switch = page.locator(".topbar .lang-switch").bounding_box()
    assert switch is not None and switch["height"] < 40  # one line, not word by word
    topbar = page.locator(".topbar").bounding_box()
    assert topbar is not None and topbar["height"] <= 64
    wrap = page.locator(".table-wrap").first
    widths = wrap.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[1] <= 375 and widths[0] > widths[1]  # the table scrolls in its card
    cell = page.locator("table.data tbody td").first.bounding_box()
    assert cell is not None and cell["height"] < 100  # a name wraps in lines, not letters
    select = page.locator(".filters select").first
    assert select.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
    screenshot(page, "admin_owner_phone_customers")
