"""The guide's one customer page: figures that agree, call, and the WeCom actions (chat,
tags, note, coupon, visit) on the same page; acting goes back to it."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from community.models.wecom_customers import CustomerNote
from franchise.models import Guide
from tests.fixtures.auth import gen_user, login
from tests.franchise.factories import build_org
from tests.franchise.factories_payments import gen_customer


def _customer(app, **kw) -> int:
    with app.app_context():
        org = build_org()
        guide = db.session.get(Guide, org.ga)
        customer = gen_customer(
            guide.franchisee_id, guide_id=guide.id, store_id=guide.store_id, **kw
        )
        return customer.id


def test_the_customer_page_has_every_action(app, client):
    customer_id = _customer(app, nickname="许女士", phone="13800138000")
    login(client, "guide-a", path="/m/login")
    html = client.get(f"/m/customers/{customer_id}").get_data(as_text=True)
    assert 'id="call-customer" href="tel:13800138000"' in html
    assert 'href="#who"' in html and 'href="#coupon"' in html  # the actions lead to their forms
    for section in ('id="who"', 'id="tags"', 'id="note"', 'id="coupon"', 'id="visit"'):
        assert section in html, section
    assert f'action="/m/wecom/customers/{customer_id}"' in html
    assert '<dd id="order-count">0</dd>' in html


def test_a_note_goes_back_to_the_customer_page(app, client):
    customer_id = _customer(app, nickname="许女士")
    login(client, "guide-a", path="/m/login")
    page = client.get(f"/m/customers/{customer_id}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post(
        f"/m/wecom/customers/{customer_id}",
        data={"csrf_token": token, "action": "note", "text": "偏好古法金"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/m/customers/{customer_id}#note")
    assert "偏好古法金" in client.get(f"/m/customers/{customer_id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(CustomerNote.text)).all() == ["偏好古法金"]
    # the old address of the WeCom page leads to the one page
    old = client.get(f"/m/wecom/customers/{customer_id}")
    assert old.status_code == 303
    assert old.headers["Location"].endswith(f"/m/customers/{customer_id}")


def test_another_guides_customer_is_not_found(app, client):
    customer_id = _customer(app)
    with app.app_context():
        bob = db.session.scalars(select(Guide).where(Guide.name == "Bob")).one()
        gen_user(
            "guide-b",
            "guide",
            franchisee_id=bob.franchisee_id,
            store_id=bob.store_id,
            guide_id=bob.id,
        )
        db.session.commit()
    login(client, "guide-b", path="/m/login")
    assert client.get(f"/m/customers/{customer_id}").status_code == 404
    assert client.get(f"/m/wecom/customers/{customer_id}").status_code == 404
