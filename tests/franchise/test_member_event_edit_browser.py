"""Browser: HQ opens an event from the events list, is refused fewer places than the
members who accepted (the error under the places), adds a level and saves (its members
invited), then cancels the event: the page and the list say 已取消 and the form is gone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.clock import utcnow
from app.extensions import db
from franchise.models import EventInvitation, MemberEvent
from franchise.services import member_events, members
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.franchise.factories_payments import gen_customer

pytestmark = pytest.mark.browser


def test_hq_edits_then_cancels_an_event(app, org, live_server, browser_page):
    with app.app_context():
        for name, level in (("金卡小王", "gold"), ("金卡小赵", "gold"), ("银卡小陈", "silver")):
            customer = gen_customer(org.fa, store_id=org.sa, guide_id=org.ga, nickname=name)
            members.ensure(customer.id).level = level
        db.session.commit()
        event = member_events.create_event(
            {
                "name": "冬季品鉴会",
                "starts_at": utcnow() + timedelta(days=20),
                "levels": ["gold"],
                "capacity": 5,
            }  # fmt: skip
        )
        event_id = event.id
        db.session.execute(  # both gold members accepted
            update(EventInvitation)
            .where(EventInvitation.event_id == event_id)
            .values(status="accepted")
        )
        db.session.execute(update(MemberEvent).values(accepted=2))
        db.session.commit()
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/members/events")
    page.click(f'a[href$="/admin/members/events/{event_id}"]')
    assert page.locator("#event-status").inner_text() == "未开始"
    assert page.locator('input[name="levels"][value="gold"]').is_checked()
    page.fill("#capacity", "1")
    page.click("#save-event")
    error = page.locator('[data-error-for="capacity"]')
    assert error.is_visible() and "2" in error.inner_text()
    page.fill("#capacity", "3")
    page.fill("#name", "冬季品鉴会（加场）")
    page.check('input[name="levels"][value="silver"]')
    page.click("#save-event")
    page.wait_for_url(f"**/admin/members/events/{event_id}")
    assert "1" in page.locator(".flash, .alert, [role=status]").first.inner_text()
    assert "3" in page.locator("#event-figures").inner_text()
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "member-event-edit")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#cancel-event")
    page.wait_for_url(f"**/admin/members/events/{event_id}")
    assert page.locator("#event-status").inner_text() == "已取消"
    assert page.locator("#event-edit-form").count() == 0
    page.goto(live_server + "/admin/members/events")
    row = page.locator("tr", has_text="冬季品鉴会（加场）")
    assert "已取消" in row.inner_text()
    with app.app_context():
        statuses = set(
            db.session.scalars(
                db.select(EventInvitation.status).where(EventInvitation.event_id == event_id)
            )
        )
        assert statuses == {"cancelled"}
