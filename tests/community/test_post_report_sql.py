"""The plan report in SQL agrees with the one rule. Hypothesis: for any orders — by the
customer in Ann's group or the one in Bob's, through Ann's code, Bob's or none, in the
send's franchise or another, paid from two days before the send to two weeks after — the
plan report's totals and rows (grouped and paged by the database) are exactly what
``post_outcome.attribute`` admits for the same sends; and the admin page filters, pages
and streams its rows from the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, select

from app.clock import as_utc, utcnow
from app.extensions import db
from community.models import GroupDelivery, SendBatch, SlotAllocation
from community.services.post_outcome import Touch, attribute, members_on, present
from franchise.models import Order
from tests.community.factories_reports import gen_order, sent_world
from tests.fixtures.randomness import db_examples

ORDERS = st.lists(
    st.tuples(
        st.sampled_from(("x", "y")),  # the customer in Ann's group or in Bob's
        st.sampled_from(("ann_code", "bob_code", None)),
        st.booleans(),  # booked in the customer's franchise
        st.integers(-48, 14 * 24),  # hours after now (the sends were just made)
    ),
    max_size=8,
)


@pytest.fixture
def sent(ctx, org, sandbox, client):
    return sent_world(org, sandbox, client)


def _expected(plan_id: int, days: int) -> dict[int, dict[int, int]]:
    """Per group: the orders the Python rule admits for the plan's sends."""
    sends = db.session.execute(
        select(GroupDelivery.group_id, GroupDelivery.day, GroupDelivery.guide_id,
               GroupDelivery.franchisee_id, SendBatch.created_at)
        .join(SendBatch, SendBatch.id == GroupDelivery.batch_id)
        .join(SlotAllocation, (SlotAllocation.batch_id == GroupDelivery.batch_id)
              & (SlotAllocation.group_id == GroupDelivery.group_id))
        .where(SlotAllocation.plan_id == plan_id, GroupDelivery.status == "sent")
    ).all()  # fmt: skip
    members = members_on({s[0] for s in sends})
    touches = [Touch((g,), d, as_utc(since), guide, franchisee, present(members[g], d))
               for g, d, guide, franchisee, since in sends]  # fmt: skip
    return {key[0]: found.orders for key, found in attribute(touches, days).items()}


@db_examples(25)
@given(orders=ORDERS, days=st.integers(1, 10))
def test_the_sql_report_is_exactly_what_the_rule_admits(sent, org, client, as_hq, orders, days):
    db.session.execute(delete(Order))
    db.session.commit()
    now = utcnow()
    for who, code, same_franchise, hours in orders:
        customer = sent[who]
        other = org.fb if customer.franchisee_id == org.fa else org.fa
        paid_at = now + timedelta(hours=hours, seconds=1)
        gen_order(customer, code and sent[code], paid_at, 100 + hours,
                  franchisee_id=customer.franchisee_id if same_franchise else other)  # fmt: skip
    for plan in ("plan_a", "plan_b"):
        expected = _expected(sent[plan], days)
        url = f"/api/v1/plans/{sent[plan]}/report?days={days}"
        body = client.get(url, headers=as_hq).get_json()
        assert {r["group_id"]: (r["orders"], r["paid_fen"]) for r in body["rows"]} == {
            g: (len(o), sum(o.values())) for g, o in expected.items()
        }
        every = {k: v for o in expected.values() for k, v in o.items()}
        assert (body["totals"]["orders"], body["totals"]["paid_fen"]) == (
            len(every),
            sum(every.values()),
        )
        assert sum(s["orders"] for s in body["series"]) == len(every)  # one send day


def test_the_page_filters_pages_and_streams_in_the_database(sent, client):
    from tests.fixtures.auth import login

    gen_order(sent["x"], sent["ann_code"], utcnow() + timedelta(minutes=5), 520_00)
    gen_order(sent["y"], sent["bob_code"], utcnow() + timedelta(minutes=5), 310_00)
    login(client, "hq")
    base = f"/admin/plans/{sent['plan_b']}/report"  # plan B reached Bob's group only
    html = client.get(base).get_data(as_text=True).split('id="report-rows"')[1]
    assert "¥310.00" in html and "¥520.00" not in html
    one = client.get(f"/admin/plans/{sent['plan_a']}/report?per_page=1&page=1")
    rows = one.get_data(as_text=True).split('id="report-rows"')[1]
    assert rows.count("<tr") == 2  # the header and one row
    named = client.get(f"/admin/plans/{sent['plan_a']}/report?q=ann").get_data(as_text=True)
    assert "¥520.00" in named.split('id="report-rows"')[1]
    none = client.get(f"/admin/plans/{sent['plan_a']}/report?q=nobody").get_data(as_text=True)
    assert "¥520.00" not in none.split('id="report-rows"')[1]
    csv = client.get(f"/admin/plans/{sent['plan_a']}/report?format=csv&ordered=yes")
    lines = csv.get_data(as_text=True).strip().splitlines()
    assert len(lines) == 2 and "520.00" in lines[1]
