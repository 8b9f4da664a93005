"""The ``welcome_failed`` alert names its customer as they are now, not as they were
when it was raised: the alert list (page and CSV) reads the customer with the alerts, in
the same statement; a viewer who may no longer see the customer (an owner whose customer
moved to another franchise) reads the name the alert kept; a customer without a nickname
reads as the customer pages name them."""

from __future__ import annotations

from sqlalchemy import update

from app.extensions import db
from franchise.models import Customer, Store
from franchise.services.members import POINTS_STEP
from franchise.services.welcome_retry import Deferred, raise_alert
from tests.fixtures.auth import login
from tests.fixtures.statements import statements
from tests.franchise.factories_customers import gen_customer


def _alerted(app, org) -> int:
    """A customer of franchisee A called 旧名 with a ``welcome_failed`` alert kept so."""
    with app.app_context():
        customer = gen_customer(db.session.get(Store, org.sa), nickname="旧名")
        raise_alert(Deferred(customer.id, org.fa, POINTS_STEP, "RuntimeError: x"), "旧名")
        return customer.id


def _rename(app, cid: int, **values) -> None:
    with app.app_context():
        db.session.execute(update(Customer).where(Customer.id == cid).values(**values))
        db.session.commit()


def test_the_alert_list_shows_the_customer_s_name_now(app, client, org):
    cid = _alerted(app, org)
    _rename(app, cid, nickname="新名")
    login(client, "hq")
    with app.app_context(), statements() as seen:
        page = client.get("/admin/alerts").get_data(as_text=True)
    assert "新名 已首次登录" in page and "旧名" not in page
    assert f"/admin/customers/{cid}" in page
    assert sum("FROM alerts" in s for s in seen) == 2, seen  # the page and its count
    csv = client.get("/admin/alerts?format=csv").get_data(as_text=True)
    assert "新名" in csv and "旧名" not in csv
    _rename(app, cid, nickname="", phone="13800001234")  # as the customer pages name them
    assert "尾号 1234 的客户 已首次登录" in client.get("/admin/alerts").get_data(as_text=True)


def test_an_owner_who_may_no_longer_see_the_customer_reads_the_kept_name(app, client, org):
    cid = _alerted(app, org)
    login(client, "owner-a")
    assert "旧名 已首次登录" in client.get("/admin/alerts").get_data(as_text=True)
    _rename(app, cid, nickname="新名")
    assert "新名 已首次登录" in client.get("/admin/alerts").get_data(as_text=True)
    _rename(app, cid, franchisee_id=org.fb, store_id=org.sb, nickname="又一个名字")
    page = client.get("/admin/alerts").get_data(as_text=True)
    assert "旧名 已首次登录" in page and "又一个名字" not in page
