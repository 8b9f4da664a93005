"""Browser: HQ reads the alerts page in Chinese, filters it by level, acknowledges one;
the overview's open-alert figure leads to the same filtered list."""

from __future__ import annotations

import pytest

from franchise.services import alerts
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_hq_filters_and_acknowledges_alerts(app, org, live_server, browser_page):
    with app.app_context():
        for _ in range(3):  # one cause, three re-sends
            alerts.record(
                "pay_amount_mismatch",
                data={
                    "out_trade_no": "SY0001",
                    "order_id": 1,
                    "total_fee": 1,
                    "payable_fen": 10000,
                },
                franchisee_id=org.fa,
            )
        alerts.record(
            "refund_failed",
            data={"refund_id": 7, "order_id": 1, "out_refund_no": "R7", "errcode": "NOTENOUGH"},
            franchisee_id=org.fb,
        )
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.click('#attention a[href*="level=critical"]')
    page.wait_for_url("**/admin/alerts?level=critical&open=1")
    rows = page.locator("#alerts tbody tr")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "订单 SY0001 的支付金额 ¥0.01 与应付金额 ¥100.00 不符" in text and "严重" in text
    assert "\t3\t" in text  # three occurrences, one row
    page.select_option("#filter-level", "warning")
    page.select_option("#filter-open", "")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/admin/alerts?level=warning*")
    assert page.locator("#alerts tbody tr").count() == 1
    assert "微信支付拒绝了退款 R7（NOTENOUGH）" in page.locator("#alerts").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "admin_alerts_filtered")
    assert width <= 1440, f"page scrolls sideways ({width}px)"
    page.click("#alerts tbody tr button[type=submit]")
    page.wait_for_url("**/admin/alerts?level=warning*")
    assert page.locator('#alerts tbody tr[data-open="no"]').count() == 1
    assert "告警已确认" in page.content()
