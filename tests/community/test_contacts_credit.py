"""The 联系我 code as credit evidence: a customer who became Ann's WeCom contact through
her contact way (the follow's ``state``) gives Ann the share code's share of an order
placed without a code, with the way's state, WeCom's add_way and the add time as its
evidence; an add after the payment, one deleted before it, or another franchise's way
claims nothing (community answers franchise's ``CREDIT_CONTACT_CLAIM`` hook)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.clock import utcnow
from app.extensions import db
from community.models.contacts import ContactFollow, WecomContact
from franchise.models import Guide, Store
from franchise.services.credit import credit_missing
from tests.community.factories_contacts import add_contact, follow, guide_code
from tests.fixtures.auth import login
from tests.franchise.factories_credit import placed_order
from tests.franchise.factories_payments import pay_and_succeed


def _ann_contact(app, client, org, ids, guide_id=None, userid="ann"):
    """The customer adds the guide through the guide's way in the sandbox; the contact is
    linked to the order's customer (as the unionid login links it)."""
    way = guide_code(client, guide_id or org.ga)
    added = add_contact(client, way["config_id"], "王女士")
    with app.app_context():
        row = follow(added["external_userid"], userid)
        assert row is not None and row.state == way["state"]
        db.session.get(WecomContact, row.contact_id).customer_id = ids.customer
        db.session.commit()
        return row.id, way["state"]


def _pay_and_credit(app, client, ids, as_hq):
    pay_and_succeed(client, ids.order, ids.customer, app)
    with app.app_context():
        credit_missing()
    res = client.get(f"/api/v1/orders/{ids.order}/credit", headers=as_hq)
    assert res.status_code == 200, res.get_json()
    return {row["guide_id"]: row for row in res.get_json()["lines"]}


def test_contact_way_gives_the_guide_the_share_code_share(app, client, org, as_hq):
    with app.app_context():
        ids = placed_order(org, with_code=False)
    follow_id, state = _ann_contact(app, client, org, ids)
    by_guide = _pay_and_credit(app, client, ids, as_hq)
    assert by_guide[ids.ann]["share_bps"] == 9000 and by_guide[ids.carl]["share_bps"] == 1000
    evidence = by_guide[ids.ann]["evidence"]
    assert [e["kind"] for e in evidence] == ["contact_way"]
    assert evidence[0]["ref"] == follow_id and evidence[0]["state"] == state
    assert evidence[0]["way"] == "guide" and evidence[0]["at"] and "add_way" in evidence[0]
    login(client, "owner-a")
    page = client.get(f"/admin/orders/{ids.order}").get_data(as_text=True)
    assert state in page and "联系我" in page


def test_share_code_keeps_its_guide_and_shows_the_same_guides_add(app, client, org, as_hq):
    with app.app_context():
        ids = placed_order(org)
    _follow_id, state = _ann_contact(app, client, org, ids)
    by_guide = _pay_and_credit(app, client, ids, as_hq)
    kinds = [e["kind"] for e in by_guide[ids.ann]["evidence"]]
    assert kinds == ["share_code", "contact_way"]
    assert by_guide[ids.ann]["evidence"][1]["state"] == state


@pytest.mark.parametrize("case", ["after_payment", "deleted_before", "other_franchise"])
def test_adds_that_do_not_count(app, client, org, as_hq, case):
    with app.app_context():
        ids = placed_order(org, with_code=False)
        if case == "other_franchise":  # Bob's way (franchise B) on A's order
            bob = db.session.get(Guide, org.gb)
            assert db.session.get(Store, bob.store_id).franchisee_id == org.fb
    guide_id, userid = (org.gb, "bob") if case == "other_franchise" else (org.ga, "ann")
    follow_id, _state = _ann_contact(app, client, org, ids, guide_id, userid)
    with app.app_context():
        row = db.session.get(ContactFollow, follow_id)
        if case == "after_payment":
            row.add_time = utcnow() + timedelta(hours=1)
        elif case == "deleted_before":
            row.add_time = utcnow() - timedelta(hours=2)
            row.deleted_by_customer = True
            row.deleted_by_customer_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    by_guide = _pay_and_credit(app, client, ids, as_hq)
    assert set(by_guide) == {ids.carl} and by_guide[ids.carl]["share_bps"] == 10000
    assert all(e["kind"] != "contact_way" for e in by_guide[ids.carl]["evidence"])


def test_store_way_credits_the_guide_wecom_gave_the_contact_to(app, client, org, as_hq):
    with app.app_context():
        ids = placed_order(org, with_code=False)
    way = client.post(f"/api/v1/stores/{org.sa}/contact-way", headers=as_hq).get_json()
    added = add_contact(client, way["config_id"], "王女士")
    with app.app_context():
        row = follow(added["external_userid"], added["userid"])
        assert row is not None and row.guide_id is not None
        taker = row.guide_id
        db.session.get(WecomContact, row.contact_id).customer_id = ids.customer
        db.session.commit()
    by_guide = _pay_and_credit(app, client, ids, as_hq)
    evidence = by_guide[taker]["evidence"]
    assert evidence[0]["kind"] == "contact_way" and evidence[0]["way"] == "store"
    assert evidence[0]["state"] == f"siyu:s{org.sa}" and evidence[0]["store_id"] == org.sa
    login(client, "owner-a")
    page = client.get(f"/admin/orders/{ids.order}").get_data(as_text=True)
    assert "上海A店" in page and f"siyu:s{org.sa}" in page
