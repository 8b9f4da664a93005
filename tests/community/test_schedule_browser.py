"""Browser: the planning calendar (policy switch shows what is missed and why), the plan
editor's reach preview with groups found by name and the confirmation before a plan that
would miss is saved, and the guide's coming days on a 375 px phone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.clock import shanghai_day
from app.extensions import db
from community.models import PushPlan
from community.services import planner, receiving_limit
from franchise.models import Guide
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import assert_no_sideways_scroll, browser_login, screenshot

pytestmark = pytest.mark.browser


def _setup(app, org):
    with app.app_context():
        ann, bob = db.session.get(Guide, org.ga), db.session.get(Guide, org.gb)
        for i in range(3):
            gen_wgroup(ann, name=f"上海金饰群 {i}")
        gen_wgroup(bob, name="北京珍珠群")
        gen_plan(gen_post(title="新品上市"), name="每日新品", priority=90)
        gen_plan(gen_post(title="珍珠保养"), name="珍珠保养", weekdays=[0, 2, 4], priority=20)
        receiving_limit.update("month", 2)
        planner.replan(shanghai_day())


def test_calendar_switches_policy_and_shows_the_missed(app, org, live_server, browser_page):
    _setup(app, org)
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/schedule")
    assert page.locator("#receiving-limit").get_attribute("data-policy") == "month"
    assert page.locator('[data-status="missed"]').count() == 0
    assert page.locator("#schedule-calendar tbody tr").count() == 4
    page.select_option("#policy", "day")
    page.click("#save-limit")
    page.wait_for_url("**/admin/schedule")
    assert page.locator("#receiving-limit").get_attribute("data-policy") == "day"
    missed = page.locator('[data-status="missed"]')
    assert missed.count() > 0
    assert "每日新品" in (missed.first.get_attribute("title") or "")  # why: who took the day
    screenshot(page, "community_schedule_calendar")
    page.fill("#filter-q", "北京")
    page.get_by_role("button", name="筛选").click()
    assert page.locator("#schedule-calendar tbody tr").count() == 1


def test_reach_preview_then_confirm(app, org, live_server, browser_page):
    _setup(app, org)
    with app.app_context():
        receiving_limit.update("day")
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/plans/new")
    page.fill("#name", "知识·周二")
    page.select_option("#post_id", label="珍珠保养")
    page.check('input[name=weekdays][value="1"]')
    page.fill("#priority", "10")
    page.fill("#group_q", "上海")
    page.click("#find-groups")
    page.locator("#group-choices input").first.check()
    page.click("#preview-plan")
    reach = page.locator("#plan-reach")
    assert reach.get_attribute("data-preview") == "1"
    assert int(reach.locator('[data-reach="missed"]').inner_text()) > 0
    assert page.locator("#reach-missed tbody tr").count() > 0
    screenshot(page, "community_plan_reach_preview")
    page.click("#save-plan")  # not confirmed: refused with the reason
    assert page.locator('[data-error-for="confirm_missed"]').is_visible()
    page.check("#confirm_missed")
    page.click("#save-plan")
    page.wait_for_url("**/admin/plans/*")
    assert page.locator("#plan-reach").get_attribute("data-preview") == "0"
    with app.app_context():
        plan = db.session.scalars(select(PushPlan).where(PushPlan.name == "知识·周二")).one()
        assert len(plan.group_ids) == 1


def test_guide_sees_the_coming_days_on_a_phone(app, org, live_server, phone_page):
    _setup(app, org)
    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(live_server + "/m/tasks")
    days = page.locator("[data-upcoming-day]")
    assert days.count() == 7
    assert page.locator('[data-upcoming-plan="每日新品"]').count() == 7
    assert "北京珍珠群" not in page.content()
    assert_no_sideways_scroll(page)
    screenshot(page, "community_guide_coming_days_phone")
