"""Browser: the guide's customer page on a 375 px phone — tag a customer (WeCom's
mark_tag follows), open the WeCom chat, add a note, issue a coupon, book a visit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import outbox
from app.extensions import db
from community.models.wecom_customers import CustomerNote, CustomerTagLink
from community.services import tags
from franchise.models import Appointment, Coupon, Customer
from tests.community.factories_contacts import add_contact, guide_code
from tests.fixtures.auth import PASSWORD
from tests.fixtures.browser import assert_no_sideways_scroll, browser_login, screenshot
from tests.franchise.factories_commerce import gen_customer, gen_template

pytestmark = pytest.mark.browser


def test_guide_tags_and_acts_on_a_customer_on_a_phone(app, org, live_server, phone_page):
    with app.app_context():
        customer_id = gen_customer(org.fa, org.sa, org.ga, unionid="uBR1", nickname="许女士").id
        tags.create_group("婚庆", ["备婚中", "已婚"])
        gen_template({org.east: 10}, name="到店礼券")
        outbox.drain()
    client = app.test_client()
    way = guide_code(client, org.ga)
    external = add_contact(client, way["config_id"], name="许女士", unionid="uBR1")[
        "external_userid"
    ]

    page = phone_page
    browser_login(page, live_server, "guide-a", PASSWORD, mobile=True)
    page.goto(f"{live_server}/m/customers/{customer_id}")  # the guide's one customer page
    page.get_by_label("备婚中").check()
    page.click("#save-tags")
    page.wait_for_load_state()
    assert page.locator("#who .badge", has_text="备婚中").count() == 1
    with app.app_context():
        assert outbox.drain() == 1  # mark_tag after the commit
        link = db.session.scalars(select(CustomerTagLink)).one()
        assert (link.external_userid, link.status) == (external, "synced")

    page.click("#open-chat")  # outside WeCom: says how to find the customer
    assert page.locator("#chat-note").inner_text().strip() != ""
    assert page.locator("#open-chat").get_attribute("data-external-userid") == external

    page.fill("#note textarea[name=text]", "偏好古法金手镯")
    page.click("#note button[type=submit]")
    page.wait_for_load_state()
    assert "偏好古法金手镯" in page.locator("#note").inner_text()
    page.click("#coupon button[type=submit]")
    page.wait_for_load_state()
    page.click("#visit button[type=submit]")
    page.wait_for_load_state()
    assert_no_sideways_scroll(page)
    screenshot(page, "community_wecom_customer_phone")
    with app.app_context():
        assert db.session.scalars(select(CustomerNote.text)).all() == ["偏好古法金手镯"]
        assert (
            len(db.session.scalars(select(Coupon).where(Coupon.customer_id == customer_id)).all())
            == 1
        )
        visit = db.session.scalars(select(Appointment)).one()
        assert visit.customer_id == customer_id and visit.kind == "try_on"
        assert db.session.get(Customer, customer_id).guide_id == org.ga
