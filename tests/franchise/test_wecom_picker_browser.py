"""Browser: the guide form's WeCom member picker at desktop and 375 px. HQ reads WeCom's
member list with "sync now", finds a colleague by name or department in the search box
and saves; the userid never shows, members linked to another guide are not offered."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from franchise.models import Guide
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.franchise.factories import WECOM_CORP as CORP

pytestmark = pytest.mark.browser


def _visible(page) -> list[str]:
    return page.eval_on_selector_all(
        "#wecom_userid option",
        "os => os.filter(o => o.value && !o.hidden).map(o => o.textContent.trim())",
    )


def _no_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@pytest.fixture
def corp(client):
    """The emulator's corp, seeded without 通讯录变更 callbacks: Siyu has not read it."""
    seeded = client.post("/_sandbox/control/directory", json={**CORP, "callbacks": False})
    assert seeded.status_code == 200


def test_picker_finds_a_member_by_name_and_saves_the_guide(
    app, org, corp, live_server, browser_page
):
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/org/guides/new")
    assert "韩雪" not in " ".join(_visible(page))  # WeCom's list not read yet
    page.click("form.wecom-sync button[type=submit]")
    page.wait_for_url("**/admin/org/guides/new")
    offered = _visible(page)
    assert "韩雪 · 上海A店·柜台" in offered and "冯晓 · 北京B店" in offered
    assert not any(o.startswith(("Ann", "Bob")) for o in offered)  # linked to guides
    page.fill("#wecom_userid-search", "北京")  # by department
    assert _visible(page) == ["冯晓 · 北京B店"]
    page.fill("#wecom_userid-search", "韩")
    assert _visible(page) == ["韩雪 · 上海A店·柜台"]
    assert page.input_value("#wecom_userid") == "han_xue"  # the only match is chosen
    page.select_option("#store_id", str(org.sa))
    page.fill("#name", "韩雪")
    assert "han_xue" not in page.inner_text("body")
    _no_overflow(page)
    screenshot(page, "franchise_guide_wecom_picker_desktop")
    page.click("form.form-card:not(.wecom-sync) button[type=submit]")
    page.wait_for_url("**/admin/org/guides/*")
    assert "韩雪 · 上海A店·柜台" in page.inner_text("body")
    with app.app_context():
        guide = db.session.scalars(select(Guide).where(Guide.name == "韩雪")).one()
        assert guide.wecom_userid == "han_xue" and guide.store_id == org.sa


def test_picker_on_a_phone_changes_a_guides_member(app, org, corp, live_server, phone_page):
    from franchise.services.wecom_members import sync_directory

    with app.app_context():
        sync_directory()
    page = phone_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(f"{live_server}/admin/org/guides/{org.ga}/edit")
    assert page.input_value("#wecom_userid") == "ann"  # the guide's own member stays offered
    assert "Bob · 北京B店" not in _visible(page)
    page.fill("#wecom_userid-search", "冯")
    assert _visible(page) == ["冯晓 · 北京B店"]
    assert page.input_value("#wecom_userid") == "feng_xiao"
    _no_overflow(page)
    screenshot(page, "franchise_guide_wecom_picker_375")
    page.click("form.form-card:not(.wecom-sync) button[type=submit]")
    page.wait_for_url(f"**/admin/org/guides/{org.ga}")
    assert "冯晓 · 北京B店" in page.inner_text("body")
    _no_overflow(page)
    with app.app_context():
        assert db.session.get(Guide, org.ga).wecom_userid == "feng_xiao"
    page.goto(f"{live_server}/admin/org/wecom-members?linked=no")
    body = page.inner_text("body")
    assert "韩雪" in body and "上海A店·柜台" in body and "冯晓" not in body  # now Ann's member
    assert "已激活" in body and "未激活" in body  # the status in words
    _no_overflow(page)
    screenshot(page, "franchise_wecom_members_375")
