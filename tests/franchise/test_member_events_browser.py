"""Browser: HQ creates a member event on its page (the levels with the invitation benefit
ticked by default), opens its invitations, filters by answer, marks an accepted member
as come, and the list, its figures and the CSV link follow."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from franchise.models import EventInvitation, MemberEvent
from franchise.services import members
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import browser_login, screenshot
from tests.franchise.factories_payments import customer_headers, gen_customer

pytestmark = pytest.mark.browser


def test_hq_creates_an_event_and_marks_attendance(app, org, live_server, browser_page):
    with app.app_context():
        names = ("金卡小王", "铂金小李", "普卡小张")
        for name, level in zip(names, ("gold", "platinum", "regular"), strict=True):
            customer = gen_customer(org.fa, store_id=org.sa, guide_id=org.ga, nickname=name)
            members.ensure(customer.id).level = level
        db.session.commit()
    page = browser_page
    browser_login(page, live_server, "hq", PASSWORD)
    page.goto(live_server + "/admin/members/events")
    assert page.locator('input[name="levels"][value="gold"]').is_checked()  # the benefit
    assert not page.locator('input[name="levels"][value="regular"]').is_checked()
    page.fill("#name", "秋季珠宝品鉴会")
    page.fill("#starts_at", "2030-10-01T19:00")
    page.select_option("#store_id", str(org.sa))
    page.fill("#capacity", "1")
    page.click("#create-event")
    page.wait_for_url("**/admin/members/events")
    assert "2" in page.locator(".flash, .alert, [role=status]").first.inner_text()
    with app.app_context():
        event = db.session.scalars(select(MemberEvent)).one()
        assert event.invited == 2 and event.store_id == org.sa
        invited = db.session.scalars(
            select(EventInvitation).where(EventInvitation.event_id == event.id)
        ).all()
        first = next(i for i in invited if i.level == "gold")
        headers = customer_headers(first.customer_id)
    # the member accepts in the mini-program
    accepted = app.test_client().post(f"/api/v1/mp/invitations/{first.id}/accept", headers=headers)
    assert accepted.status_code == 200
    page.click("text=秋季珠宝品鉴会")
    page.wait_for_url("**/admin/members/invitations?event_id=*")
    assert page.locator("table tbody tr").count() == 2
    assert "1" in page.locator("#event-figures").inner_text()
    page.select_option("#filter-status", "accepted")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**status=accepted**")
    assert page.locator("table tbody tr").count() == 1
    assert "金卡小王" in page.locator("table tbody").inner_text()
    page.click(f'[data-attend="{first.id}"]')
    page.wait_for_url("**/admin/members/invitations?event_id=*")
    screenshot(page, "member-event-invitations")
    assert "到场 1 人" in page.locator("#event-figures").inner_text()
    csv_link = page.locator("a[href*='format=csv']").first.get_attribute("href")
    assert csv_link and "event_id=" in csv_link
    with app.app_context():
        assert db.session.get(EventInvitation, first.id).attended is True
