"""Browser: a franchise owner opens "My reconciliation", sees the day's difference first
with WeChat's figures beside the ledger's, filters to the differences, and exports the
CSV whose SHA-256 the page shows."""

from __future__ import annotations

import hashlib

import pytest

from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.franchise.factories_pay_v3 import reconcile_a_day

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("pay_v3")]


def test_owner_reads_and_exports_the_reconciliation(
    app, client, org, as_hq, live_server, browser_page
):
    day, tids = reconcile_a_day(app, client, org, as_hq)
    page = browser_page
    browser_login(page, live_server, "owner-a", PASSWORD)
    page.goto(f"{live_server}/admin/money/reconciliation?date={day.isoformat()}")
    assert "对账" in page.title()
    rows = page.locator("#reconciliation tbody tr")
    assert rows.count() == 4  # three payments and a refund
    first = rows.first.inner_text()
    assert tids[2] in first and "金额不一致" in first and "¥7.77" in first and "¥7.78" in first
    assert page.locator("#difference-count").inner_text() == "1"
    assert "已结算" in page.locator("#reconciliation").inner_text()
    page.select_option("#filter-status", "amount")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**status=amount*")
    assert page.locator("#reconciliation tbody tr").count() == 1
    digest = page.locator("#statement-hash").inner_text().strip()
    screenshot(page, "admin_owner_reconciliation")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1440, f"page scrolls sideways ({width}px)"
    with page.expect_download() as info:
        page.click("#export-csv")
    with open(info.value.path(), "rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == digest
    assert data.decode().count(tids[0]) == 2  # its payment and its refund
