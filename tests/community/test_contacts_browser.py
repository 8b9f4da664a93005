"""Browser: the guide's "my code" page on a 375 px phone — the 联系我 code drawn as a PNG
that can be saved, and only the guide's own WeCom contacts, newest first."""

from __future__ import annotations

import pytest

from tests.community.factories_contacts import add_contact, guide_code
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_guide_code_page_on_a_phone(app, org, live_server, phone_page):
    client = app.test_client()
    add_contact(client, guide_code(client, org.ga)["config_id"], "林女士")
    add_contact(client, guide_code(client, org.ga)["config_id"], "陈先生")
    add_contact(client, guide_code(client, org.ga2)["config_id"], "艾米的客户")
    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(live_server + "/m/contacts")
    image = page.locator("#code-png")
    assert image.is_visible()
    size = page.evaluate(
        "(() => { const i = document.getElementById('code-png');"
        " return [i.complete, i.naturalWidth, i.getBoundingClientRect().right]; })()"
    )
    assert size[0] and size[1] > 100 and size[2] <= 375  # a real PNG, inside the screen
    download = page.locator("#code-download")
    assert download.get_attribute("download") == "my-wecom-code.png"
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename == "my-wecom-code.png"
    rows = page.locator("#contact-list li")
    assert rows.count() == 2 and "艾米的客户" not in page.content()
    assert "陈先生" in rows.first.inner_text()  # newest first
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page scrolls sideways ({width}px)"
    screenshot(page, "community_guide_code_phone")
