"""Browser: HQ opens a plan from its editor's "Did it work" link: the totals in words
and yuan, the per-day charts, the table per group with its filter and CSV link."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.clock import utcnow
from tests.community.factories_reports import gen_order, sent_world
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def sent(ctx, org, sandbox, client):
    return sent_world(org, sandbox, client)


def test_hq_reads_a_plans_report(sent, live_server, browser_page):
    gen_order(sent["x"], sent["ann_code"], utcnow() + timedelta(minutes=5), 520_00)
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + f"/admin/plans/{sent['plan_a']}")
    page.click("#plan-report")
    page.wait_for_url("**/report")
    assert page.locator('[data-figure="orders"]').inner_text() == "1"
    assert page.locator('[data-figure="paid"]').inner_text() == "¥520.00"
    assert page.locator("#chart-orders svg").count() == 1
    rows = page.locator("#report-rows tbody tr")
    assert rows.count() == 1 and "Ann" in rows.first.inner_text()
    assert "效果" in page.title() or "效果" in page.locator("h1").inner_text()
    page.select_option("#filter-ordered", "no")
    page.get_by_role("button", name="筛选").click()
    assert "没有符合条件的发送" in page.locator("#report-rows td.table-empty").inner_text()
    assert page.locator("a", has_text="导出").count() >= 1
    screenshot(page, "community_plan_report")
