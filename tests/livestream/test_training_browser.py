"""Browser (375 px phone): a guide works through the checklist with one wrong answer,
sees it done, and the page never scrolls sideways."""

from __future__ import annotations

import pytest

from livestream.services import training as service
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.livestream.scenarios import make_campaign

pytestmark = pytest.mark.browser


def _no_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375


def test_guide_completes_the_checklist_on_a_phone(app, live_org, live_server, phone_page):
    with app.app_context():
        campaign = make_campaign(live_org, coupon=True)
        cid = campaign.id
        items = [(i.id, i.kind, i.expected_answer) for i in service.items_of(cid)]
    page = phone_page
    browser_login(page, live_server, "guide-a1", PASSWORD, mobile=True)
    page.goto(live_server + "/m/live")
    card = page.locator(f'[data-campaign="{cid}"]')
    assert card.count() == 1 and _no_overflow(page)
    card.locator(f'a[href$="/m/live/{cid}/checklist"]').click()
    page.wait_for_url(f"**/m/live/{cid}/checklist")
    assert page.locator(".ck-item").count() == len(items) == 8
    assert page.locator("#ck-complete").is_hidden() and _no_overflow(page)
    wrong_tried = False
    for item_id, kind, expected in items:
        section = page.locator(f"#item-{item_id}")
        if kind == "question":
            if not wrong_tried:
                section.locator("input[name=answer]").fill("1")
                section.locator("button[type=submit]").click()
                page.wait_for_selector(f'#item-{item_id}[data-state="wrong"]')
                assert section.locator(".ck-msg").inner_text().strip()
                wrong_tried = True
            section.locator("input[name=answer]").fill(expected)
        box = section.locator("button[type=submit]").bounding_box()
        assert box["height"] >= 44  # a thumb-sized target
        section.locator("button[type=submit]").click()
        page.wait_for_selector(f'#item-{item_id}[data-state="done"]')
    page.wait_for_selector("#ck-complete:not([hidden])")
    assert page.locator("#ck-count").inner_text().strip() == "8 / 8"
    assert _no_overflow(page)
    screenshot(page, "live_checklist_375")
    page.reload()  # the server agrees
    assert page.locator('.ck-item[data-state="done"]').count() == 8
    assert page.locator("#ck-complete").is_visible()
    with app.app_context():
        progress = service.progress_for(cid, live_org.ga1, create=False)
        assert progress.completed_at is not None


def test_hq_training_board_chart_levels_and_csv(app, live_org, live_server, browser_page):
    with app.app_context():
        campaign = make_campaign(live_org)
        cid = campaign.id
        for item in service.items_of(cid):
            service.answer(cid, live_org.ga1, item.id, item.expected_answer)
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + f"/admin/live/campaigns/{cid}/training")
    heights = page.eval_on_selector_all(
        "rect.chart-bar", "els => els.map(e => parseFloat(e.getAttribute('height')))"
    )
    assert len(heights) == 3 and sum(1 for h in heights if h > 0) == 1  # A1 only
    assert page.locator("table.data tbody tr").count() == 3
    screenshot(page, "live_training_board")
    page.locator("#training-levels a").nth(-1).click()
    page.wait_for_url("**level=guide")
    assert page.locator("table.data tbody tr").count() == 6
    href = page.get_attribute("a[download]", "href")
    assert "format=csv" in href and "level=guide" in href
