"""Properties of journeys: enrolment happens exactly once per (journey, customer,
occurrence) whatever sequence of nightly runs and payment hooks happens, and the sends a
customer is counted for never exceed the receiving-limit policy (month / week / day) nor
Siyu's daily cap in any period, each send ending queued, waiting inside its window, or
missed / skipped with a reason."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from app.extensions import db
from community.models.journeys import (
    COUNTED,
    S_MISSED,
    S_QUEUED,
    S_SKIPPED,
    S_WAITING,
    Journey,
    JourneyEnrolment,
    JourneySend,
)
from community.services import journey_sends, journey_triggers, receiving_limit
from community.services.planner_core import period_limit, period_of
from franchise.models import Customer, Order
from tests.community.factories_groups import gen_paid_order
from tests.community.factories_journeys import gen_journey, make_contact
from tests.fixtures.randomness import db_examples
from tests.franchise.factories_commerce import gen_customer

BASE = date(2026, 3, 2)  # a Monday
EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just("night"), st.integers(0, 9)),
        st.tuples(st.just("pay"), st.integers(0, 9), st.integers(0, 3)),
    ),
    min_size=1,
    max_size=12,
)


def _world(app, org) -> tuple[int, list[int]]:
    with app.app_context():
        journey = db.session.scalars(select(Journey)).first()
        if journey is None:
            journey = gen_journey(waits=(0, 2))
            for _ in range(4):
                gen_customer(org.fa, org.sa, org.ga)
        ids = list(db.session.scalars(select(Customer.id).order_by(Customer.id)))
        return journey.id, ids


@pytest.mark.slow
@db_examples(25)
@given(paid=st.lists(st.integers(0, 6), min_size=4, max_size=4), events=EVENTS)
def test_enrolment_happens_exactly_once(app, org, paid, events):
    journey_id, customers = _world(app, org)
    with app.app_context():
        db.session.execute(delete(JourneySend))
        db.session.execute(delete(JourneyEnrolment))
        db.session.execute(delete(Order))
        for customer_id, offset in zip(customers, paid, strict=True):
            order = gen_paid_order(db.session.get(Customer, customer_id))
            order.paid_at = _noon(BASE + timedelta(days=offset))
        db.session.commit()
        expected = set()
        for event in events:
            if event[0] == "night":
                day, only = BASE + timedelta(days=event[1]), set(customers)
                journey_triggers.run(day)
            else:
                day, only = BASE + timedelta(days=event[1]), {customers[event[2]]}
                journey_triggers.run(day, customer_ids=only, triggers=("first_purchase",))
            for customer_id, offset in zip(customers, paid, strict=True):
                first = BASE + timedelta(days=offset)
                if customer_id in only and first <= day <= first + timedelta(days=3):
                    expected.add(customer_id)
        rows = db.session.execute(
            select(JourneyEnrolment.customer_id, func.count()).group_by(
                JourneyEnrolment.customer_id
            )
        ).all()
        assert {c: n for c, n in rows} == dict.fromkeys(expected, 1)  # noqa: C416
        sends = db.session.scalar(select(func.count(JourneySend.id)))
        assert sends == 2 * len(expected)  # every enrolment owes each step once


def _noon(day: date):
    from datetime import UTC, datetime

    return datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)  # 12:00 Shanghai


SENDS = st.lists(st.tuples(st.integers(0, 20), st.integers(0, 5)), min_size=1, max_size=25)


@pytest.mark.slow
@db_examples(25)
@given(sends=SENDS, policy=st.sampled_from(("month", "week", "day")), cap=st.integers(1, 3))
def test_a_customer_never_gets_more_than_the_policy_allows(app, org, sends, policy, cap):
    with app.app_context():
        db.session.execute(delete(JourneySend))
        db.session.execute(delete(JourneyEnrolment))
        db.session.commit()
        journey = db.session.scalars(select(Journey)).first() or gen_journey(waits=(0,))
        customer = db.session.scalars(select(Customer).where(Customer.nickname == "配额")).first()
        if customer is None:
            customer = gen_customer(org.fa, org.sa, org.ga, nickname="配额")
            make_contact(customer)
        receiving_limit._put(receiving_limit.POLICY_KEY, policy)
        receiving_limit._put(receiving_limit.CAP_KEY, cap)
        step = journey.steps[0]
        for n, (due, window) in enumerate(sends):
            enrolment = JourneyEnrolment(journey_id=journey.id, customer_id=customer.id,
                                         occurrence=f"p{n}", started_on=BASE)  # fmt: skip
            db.session.add(enrolment)
            db.session.flush()
            first = BASE + timedelta(days=due)
            db.session.add(JourneySend(enrolment_id=enrolment.id, journey_id=journey.id,
                                       step_id=step.id, customer_id=customer.id, due_on=first,
                                       deadline=first + timedelta(days=window)))  # fmt: skip
        db.session.commit()
        last = BASE + timedelta(days=30)
        day = BASE
        while day <= last:
            journey_sends.dispatch(day)
            day += timedelta(days=1)
        rows = db.session.scalars(select(JourneySend)).all()
        days = [r.sent_on for r in rows if r.status in COUNTED]
        for sent in days:
            assert sent is not None
            first, end = period_of(policy, sent)
            assert sum(1 for d in days if d is not None and first <= d <= end) <= period_limit(
                policy, sent
            )
            assert days.count(sent) <= cap
        for r in rows:
            assert r.status in (S_QUEUED, S_MISSED, S_SKIPPED, S_WAITING)
            if r.status == S_QUEUED:
                assert r.due_on <= r.sent_on <= r.deadline
            if r.status == S_MISSED:
                assert r.reason in ("receiving_limit", "window_passed")
            if r.status == S_WAITING:
                assert r.deadline > last
