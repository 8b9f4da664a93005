"""Segments: purchased vs prospect from members' paid orders, the configurable threshold,
and the split suggestion for mixed groups."""

from __future__ import annotations

from app.clock import utcnow
from app.extensions import db
from community.services import segments
from franchise.models import Guide
from tests.community.factories_groups import add_member, gen_group, gen_paid_order
from tests.franchise.factories_commerce import gen_customer


def _group_with_buyers(org, buyers: int, prospects: int):
    guide = db.session.get(Guide, org.ga)
    group = gen_group(guide)
    for n in range(buyers + prospects):
        customer = gen_customer(org.fa, org.sa)
        add_member(group, customer)
        if n < buyers:
            gen_paid_order(customer, status="paid" if n % 2 else "completed")
        else:
            gen_paid_order(customer, status="created")  # unpaid does not count
    group.customer_count = buyers + prospects
    group.member_count = buyers + prospects
    db.session.commit()
    return group


def test_purchased_share_at_or_above_threshold_makes_a_purchased_group(app, org):
    with app.app_context():
        group = _group_with_buyers(org, 6, 4)
        segments.classify(group)
        assert group.purchased_count == 6 and group.segment == "purchased"
        other = _group_with_buyers(org, 4, 6)
        segments.classify(other)
        assert other.purchased_count == 4 and other.segment == "prospect"


def test_members_who_left_and_refunded_orders_do_not_count(app, org):
    with app.app_context():
        group = _group_with_buyers(org, 5, 5)
        gone = group.members.first()
        gone.left_at = utcnow()
        refunded = gen_customer(org.fa, org.sa)
        add_member(group, refunded)
        gen_paid_order(refunded, status="refunded")
        segments.classify(group)
        assert group.purchased_count == 4


def test_threshold_is_configurable(app, org, monkeypatch):
    monkeypatch.setitem(app.config, "COMMUNITY_SEGMENT_RULES", {"purchased_share": 0.3})
    with app.app_context():
        group = _group_with_buyers(org, 4, 6)
        segments.classify(group)
        assert group.segment == "purchased"


def test_split_is_suggested_for_mixed_groups_only(app, org):
    with app.test_request_context("/?lang=en"):
        mixed = _group_with_buyers(org, 5, 5)
        mostly_buyers = _group_with_buyers(org, 9, 1)
        tiny = _group_with_buyers(org, 2, 2)  # below split_min_customers
        for group in (mixed, mostly_buyers, tiny):
            segments.classify(group)
        assert (mixed.split_suggested, mostly_buyers.split_suggested) == (True, False)
        assert tiny.split_suggested is False
        explained = segments.explain(mixed)
        assert "5" in explained["text"] and "50%" in explained["text"]
        assert explained["split"] and "prospect" in explained["split"]
        assert segments.explain(mostly_buyers)["split"] is None
