"""Hypothesis: for any orders — by a customer the post reached or not, through the sending
guide's code, another guide's or none, booked in the send's franchise or another, paid
from two days before the send to two weeks after — a send's outcome is exactly the orders
its rule admits (customer reached, the sender's code, same franchise, paid from the send to
the end of the N-th day), and a larger N never counts fewer."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete

from app.clock import SHANGHAI, shanghai_day
from app.extensions import db
from community.services.post_outcome import Touch, attribute
from franchise.models import Guide, Order
from tests.community.factories_reports import gen_order
from tests.fixtures.randomness import db_examples
from tests.franchise.factories_commerce import gen_customer, gen_share_code

ORDERS = st.lists(
    st.tuples(
        st.booleans(),  # by the customer the post reached
        st.sampled_from(("sender", "other", None)),  # the share code it was placed with
        st.booleans(),  # booked in the send's franchise
        st.integers(-48, 14 * 24),  # hours after the send
    ),
    max_size=8,
)


@pytest.fixture
def world(ctx, org):
    """The sender's and another guide's codes, a customer the post reached and one not."""
    ann, bob = db.session.get(Guide, org.ga), db.session.get(Guide, org.gb)
    codes = {"sender": gen_share_code(ann).code, "other": gen_share_code(bob).code, None: None}
    return codes, gen_customer(org.fa, org.sa, org.ga), gen_customer(org.fa, org.sa, org.ga)


@db_examples(40)
@given(orders=ORDERS, days=st.integers(1, 10))
def test_a_sends_outcome_is_exactly_what_its_rule_admits(world, org, orders, days):
    db.session.execute(delete(Order))
    db.session.commit()
    codes, reached, stranger = world
    day = shanghai_day()
    since = datetime.combine(day, time(10), tzinfo=SHANGHAI)
    expected = set()
    for is_reached, code, same_franchise, hours in orders:
        paid_at = since + timedelta(hours=hours)
        order = gen_order(reached if is_reached else stranger, codes[code], paid_at, 100,
                          franchisee_id=org.fa if same_franchise else org.fb)  # fmt: skip
        if (is_reached and code == "sender" and same_franchise and hours >= 0
                and shanghai_day(paid_at) <= day + timedelta(days=days)):  # fmt: skip
            expected.add(order.id)
    touch = Touch(("t",), day, since, org.ga, org.fa, frozenset({reached.id}))

    got = set(attribute([touch], days)[("t",)].orders)
    wider = set(attribute([touch], days + 1)[("t",)].orders)

    assert got == expected
    assert got <= wider
