"""Browser: the guide's "my code" page on a 375 px phone — the 联系我 code drawn as a PNG
that can be saved, and only the guide's own WeCom contacts, newest first."""

from __future__ import annotations

import pytest

from tests.community.factories_contacts import add_contact, guide_code
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import assert_no_sideways_scroll, browser_login, screenshot

pytestmark = pytest.mark.browser


def _customers_add(app, *pairs) -> None:
    """Each ``(guide_id, name)``: a customer scans that guide's code in the sandbox."""
    client = app.test_client()
    for guide_id, name in pairs:
        add_contact(client, guide_code(client, guide_id)["config_id"], name)


def test_guide_code_page_on_a_phone(app, org, live_server, phone_page):
    _customers_add(app, (org.ga, "林女士"), (org.ga, "陈先生"), (org.ga2, "艾米的客户"))
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
    assert_no_sideways_scroll(page)
    screenshot(page, "community_guide_code_phone")


def test_admin_contact_list_filters_and_exports(app, org, live_server, browser_page):
    _customers_add(app, (org.ga, "林女士"), (org.ga2, "艾米的客户"), (org.gb, "鲍勃的客户"))
    page = browser_page
    browser_login(page, live_server, "owner-a", PASSWORD)
    page.goto(live_server + "/admin/contacts")
    table = page.locator("table.data tbody")
    assert table.locator("tr").count() == 2 and "鲍勃的客户" not in page.content()
    page.select_option("#filter-guide_id", label="Amy")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**guide_id=**")
    assert table.locator("tr").count() == 1 and "艾米的客户" in table.inner_text()
    export = page.get_by_role("link", name="导出 CSV")
    assert "format=csv" in export.get_attribute("href") and "guide_id=" in export.get_attribute(
        "href"
    )
    screenshot(page, "community_admin_contacts")
    page.goto(live_server + "/admin/contacts/guides")
    assert "Ann" in page.content() and "Bob" not in page.content()
    screenshot(page, "community_admin_contacts_per_guide")
