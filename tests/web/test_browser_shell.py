"""Browser checks of the web shell: real login forms, layouts at desktop and phone size.

Screenshots land in ``tests/artifacts/`` (git-ignored) for a human to look at.
"""

from __future__ import annotations

import pytest

from tests.fixtures.auth import PASSWORD, gen_user
from tests.fixtures.browser import assert_no_sideways_scroll, browser_login, screenshot

pytestmark = pytest.mark.browser


def test_hq_signs_in_and_sees_the_admin_home(ctx, live_server, browser_page):
    from tests.franchise.factories import gen_guide, gen_store

    gen_guide(gen_store())  # the organisation panel charts stores and guides per region
    gen_user("hq-browser", "hq_admin", display_name="王总")
    page = browser_page
    page.goto(live_server + "/admin/login")
    screenshot(page, "admin_login")
    browser_login(page, live_server, "hq-browser", PASSWORD)
    assert page.locator(".sidebar .nav a.active").count() == 1
    assert "概览" in page.locator("h1").inner_text()
    page.wait_for_selector("svg.chart-bar, svg.chart-hbar")
    screenshot(page, "admin_home")
    # switch to English through the real form and back
    page.click(".lang-switch button[lang=en]")
    page.wait_for_selector("h1:has-text('Overview')")
    screenshot(page, "admin_home_en")
    page.click(".lang-switch button[lang=zh]")
    page.wait_for_selector("h1:has-text('概览')")


def test_wrong_password_shows_the_error(ctx, live_server, browser_page):
    gen_user("hq-wrong", "hq_operator")
    page = browser_page
    page.goto(live_server + "/admin/login")
    page.fill("input[name=username]", "hq-wrong")
    page.fill("input[name=password]", "not-it")
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_selector(".flash-error")
    assert "用户名或密码错误" in page.locator(".flash-error").inner_text()


def test_guide_signs_in_on_a_phone(ctx, live_server, phone_page):
    gen_user("guide-browser", "guide", display_name="李晓")
    page = phone_page
    page.goto(live_server + "/m/login")
    screenshot(page, "mobile_login")
    browser_login(page, live_server, "guide-browser", PASSWORD, mobile=True)
    assert page.viewport_size["width"] == 375
    assert_no_sideways_scroll(page)
    tab = page.locator(".m-tabs a").first
    box = tab.bounding_box()
    assert box and box["height"] >= 44
    screenshot(page, "mobile_home")
    page.click(".m-menu summary")
    screenshot(page, "mobile_menu")
    page.click(".m-menu-panel button:has-text('退出登录')")
    page.wait_for_url("**/m/login")
