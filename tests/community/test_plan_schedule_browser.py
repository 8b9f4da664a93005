"""Browser, as a new operator tries it (issue 16's "Done when"): HQ creates a push plan
for the seeding groups of 华东 in the plan editor and, within the re-plan's seconds, sees
its coverage on the plan and its sends on the schedule — other regions' and other
stages' groups untouched."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import outbox
from app.extensions import db
from community.models import PushPlan, SlotAllocation
from franchise.models import Guide
from tests.community.factories_delivery import gen_post, gen_wgroup
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_a_plan_for_the_seeding_groups_of_east_shows_on_the_schedule(
    app, org, live_server, browser_page
):
    with app.app_context():
        ann, bob = db.session.get(Guide, org.ga), db.session.get(Guide, org.gb)
        east = gen_wgroup(ann, name="上海种子群", stage="seeding")
        gen_wgroup(ann, name="上海标杆群", stage="benchmark")
        gen_wgroup(bob, name="北京种子群", stage="seeding")
        gen_post(title="金饰保养小知识")
        east_id = east.id
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/plans/new")
    page.fill("#name", "华东种子群周推")
    page.select_option("#post_id", label="金饰保养小知识")
    page.check("input[name=stages][value=seeding]")
    page.select_option("select[name=region_ids]", label="华东")
    for day in range(7):
        page.check(f'input[name=weekdays][value="{day}"]')
    app.config["COMMUNITY_REPLAN_ON_CHANGE"] = True
    try:
        page.click("#save-plan")
        page.wait_for_url("**/admin/plans/*")
    finally:
        app.config["COMMUNITY_REPLAN_ON_CHANGE"] = False
    with app.app_context():  # the dispatcher's turn, a few seconds after the save
        message = db.session.scalars(
            select(outbox.OutboxMessage).where(outbox.OutboxMessage.kind == "community.replan")
        ).one()
        message.available_at = message.created_at
        db.session.commit()
        outbox.drain()
        plan = db.session.scalars(select(PushPlan)).one()
        placed = db.session.scalars(
            select(SlotAllocation.group_id).where(SlotAllocation.plan_id == plan.id)
        ).all()
    assert set(placed) == {east_id}
    page.reload()
    page.wait_for_load_state()
    screenshot(page, "community_plan_east_seeding")
    page.goto(f"{live_server}/admin/schedule?plan_id={plan.id}")
    row = page.locator("tr", has_text="上海种子群")
    assert row.locator("text=华东种子群周推").count() >= 7  # every day of the fortnight's week
    for other in ("上海标杆群", "北京种子群"):
        assert page.locator("tr", has_text=other).locator("text=华东种子群周推").count() == 0
    screenshot(page, "community_schedule_east_seeding")
