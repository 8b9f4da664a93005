"""Browser: HQ opens the review page; the charts draw bars and points, the CSV link works."""

from __future__ import annotations

import pytest

from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot

pytestmark = pytest.mark.browser


def _bar_heights(page, selector: str) -> list[float]:
    return page.eval_on_selector_all(
        selector + " rect.chart-bar", "els => els.map(e => parseFloat(e.getAttribute('height')))"
    )


def test_review_page_charts_and_csv(app, live_org, reviewed, live_server, browser_page):
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + f"/admin/live/campaigns/{reviewed.campaign_id}/review?level=store")
    assert page.locator('[data-figure="gmv"]').first.inner_text().startswith("¥9,400")
    gmv_bars = _bar_heights(page, "#chart-gmv")
    assert len(gmv_bars) == 8 and sum(1 for h in gmv_bars if h > 0) == 8  # target + actual
    conversion = _bar_heights(page, "#chart-conversion")
    assert len(conversion) == 4 and sum(1 for h in conversion if h > 0) == 2  # a1 and c1
    points = page.eval_on_selector_all(
        "#chart-hours circle.chart-point", "els => els.map(e => parseFloat(e.dataset.value))"
    )
    assert len(points) == 24 and sum(points) == 9400_00
    assert page.locator("#chart-gmv svg").bounding_box()["width"] > 200
    assert page.locator("#unit-table tbody tr").count() == 4
    assert page.locator("#outcomes tbody tr.applies").count() == 3
    screenshot(page, "live_review")
    href = page.get_attribute("#review-csv", "href")
    assert href.endswith("level=store")
    resp = page.request.get(live_server + href)
    assert resp.status == 200 and resp.headers["content-type"].startswith("text/csv")
    text = resp.text()
    assert "上海A1店" in text and "4500.00" in text and "北京C1店" in text
    page.click("nav.review-levels a[href$='level=guide']")
    page.wait_for_url("**level=guide")
    assert page.locator("#unit-table tbody tr").count() == 5


def test_guide_results_fit_a_phone(app, live_org, reviewed, live_server, phone_page):
    page = phone_page
    browser_login(page, live_server, "guide-a1", PASSWORD, mobile=True)
    page.goto(live_server + "/m/live/results")
    card = page.locator(f'[data-campaign="{reviewed.campaign_id}"]')
    assert card.locator('[data-figure="gmv"]').inner_text() == "¥4,000.00"
    assert card.locator('[data-figure="rank-store"]').inner_text() == "1 / 2"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "live_guide_results")
