"""Browser: the plan editor (desktop), the allocation calendar with its drill-down, the
content form's live limit message, and the guide's confirm list on a 375 px phone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import outbox
from app.clock import shanghai_day
from app.extensions import db
from community.models import PushPlan, SendBatch
from community.services import allocation, delivery
from franchise.models import Guide
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import assert_no_sideways_scroll, browser_login, screenshot

pytestmark = pytest.mark.browser


def test_plan_editor_saves_a_plan_with_quiet_hours(app, org, live_server, browser_page):
    with app.app_context():
        gen_post(title="金饰保养小知识")
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/plans/new")
    page.fill("#name", "每周保养知识")
    page.select_option("#post_id", label="金饰保养小知识")
    page.check("input[name=stages][value=seeding]")
    page.check("input[name=schedule_kind][value=dates]")
    assert page.locator('.sched[data-kind="weekly"]').is_hidden()
    page.fill("#dates", "2026-12-24 2026-12-25")
    page.check("input[name=schedule_kind][value=weekly]")
    assert page.locator('.sched[data-kind="dates"]').is_hidden()
    page.click("#save-plan")  # no weekday picked: refused with the message
    assert page.locator('[data-error-for="weekdays"]').is_visible()
    page.check('input[name=weekdays][value="0"]')
    page.check('input[name=weekdays][value="3"]')
    page.fill("#send_time", "21:30")
    page.fill("input[name=quiet_start]", "21:00")
    page.fill("input[name=quiet_end]", "22:00")
    page.fill("#priority", "80")
    page.click("#save-plan")
    page.wait_for_url("**/admin/plans/*")
    screenshot(page, "community_plan_editor")
    with app.app_context():
        plan = db.session.scalars(select(PushPlan)).one()
        assert plan.weekdays == [0, 3] and plan.stages == ["seeding"] and plan.priority == 80
        assert (plan.quiet_start, plan.quiet_end, plan.send_time) == ("21:00", "22:00", "21:30")


def test_allocation_calendar_and_drill_down(app, org, live_server, browser_page):
    with app.app_context():
        ann = db.session.get(Guide, org.ga)
        for _ in range(4):
            gen_wgroup(ann, name="上海金饰群")
        gen_plan(gen_post(title="新品上市"), name="新品推送", priority=80)
        gen_plan(gen_post(title="品牌故事"), name="品牌故事", priority=40)
        from datetime import timedelta

        tomorrow = shanghai_day() + timedelta(days=1)
        allocation.allocate(tomorrow)
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/allocation")
    day = page.locator(f'[data-day="{tomorrow.isoformat()}"]')
    assert day.locator("[data-allocated]").get_attribute("data-allocated") == "4"
    assert day.locator("[data-waiting]").get_attribute("data-waiting") == "4"
    screenshot(page, "community_allocation_calendar")
    day.get_by_role("link", name="品牌故事").click()
    page.wait_for_url("**detail=1**")
    rows = page.locator("#allocation-groups tbody tr")
    assert rows.count() == 4
    assert "新品推送 占用（优先级 80）" in rows.first.inner_text()  # translated reason


def test_content_form_live_limit_message(app, org, live_server, browser_page):
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/content/new")
    page.fill("#title", "长文")
    page.fill("#text", "金" * 1400)
    from playwright.sync_api import expect

    # A locator wait, not wait_for_function: the page's CSP (script-src 'self') forbids eval.
    expect(page.locator("#text-bytes")).to_contain_text("4200 / 4000 字节")
    assert "4000" in page.locator("#live-errors").inner_text()
    assert page.locator("#wc-preview .wc-bubble").count() == 1
    page.select_option('select[name="att-0-type"]', "link")
    row = page.locator('.att-row[data-row="0"]')
    assert row.locator('label.att-field[data-field="url"]').inner_text().startswith("链接")
    assert row.locator('label.att-field[data-field="appid"]').is_hidden()  # a link has no AppID
    page.fill('input[name="att-0-title"]', "新品上市")
    assert "新品上市" in page.locator("#wc-preview .wc-link").inner_text()
    screenshot(page, "community_content_form")


def test_guide_confirm_list_on_a_phone(app, org, live_server, phone_page):
    from app.wechat.sandbox import sandbox_state

    sandbox = sandbox_state(app)
    with app.app_context():
        ann, bob = db.session.get(Guide, org.ga), db.session.get(Guide, org.gb)
        for _ in range(3):
            gen_wgroup(ann, sandbox=sandbox, name="Ann 客户群")
        gen_wgroup(bob, sandbox=sandbox, name="Bob 客户群")
        gen_plan(
            gen_post(
                title="会员专享券",
                text="满 3000 减 200",
                attachments=[
                    {"msgtype": "link", "link": {"title": "领券", "url": "https://e.com"}}
                ],
            )
        )
        day = shanghai_day()
        allocation.allocate(day)
        delivery.create_batches(day)
        outbox.drain()
        msgid = db.session.scalar(select(SendBatch.msgid).where(SendBatch.sender_userid == "ann"))
    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(live_server + "/m/tasks")
    cards = page.locator("[data-batch]")
    assert cards.count() == 1 and "Bob 客户群" not in page.content()
    assert cards.first.get_attribute("data-status") == "created"
    assert_no_sideways_scroll(page)
    screenshot(page, "community_guide_tasks_phone")
    sandbox.confirm_task(msgid)
    cards.first.locator("button[type=submit]").click()
    page.wait_for_url("**/m/tasks")
    assert page.locator("[data-batch]").first.get_attribute("data-status") == "sent"
    screenshot(page, "community_guide_tasks_sent_phone")
