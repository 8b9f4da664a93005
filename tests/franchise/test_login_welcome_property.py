"""Property: whatever welcome steps fail at the first logins, at the next logins and at
the retries, and however often a retry runs again, every customer is logged in, holds at
most one member, one sign-up posting and one new-customer coupon at every moment (the
region's budget counts exactly the coupons), the points book balances; right after any
login with nothing broken the customer holds their welcome, its retry is done and its
alert closed (the next login gives a waiting welcome, exactly once even beside the
outbox's retries); and once the retries succeed every customer holds exactly one
welcome, with no retry waiting and no alert open."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from app.clock import utcnow
from app.extensions import db
from app.outbox import DONE, OutboxMessage, drain
from franchise.models import Alert, Coupon, CouponBudget, Customer, Member, PointTransaction
from franchise.services import coupons, member_settings, points_book, welcome_retry
from tests.fixtures.database import clean_tables
from tests.fixtures.randomness import db_examples
from tests.franchise.factories import build_org
from tests.franchise.factories_commerce import gen_template

PEOPLE = 3
BREAKS = {"points": (member_settings, "carrier_split"), "coupon": (coupons, "coupon_values")}
fault = st.sampled_from([None, "points", "coupon"])
ops = st.lists(
    st.one_of(
        st.tuples(st.just("login"), st.integers(0, PEOPLE - 1), fault),
        st.tuples(st.just("retry"), fault),
        st.tuples(st.just("again"), st.integers(0, PEOPLE - 1)),
    ),
    min_size=1,
    max_size=10,
)


def _broken(*_args, **_kwargs):
    raise RuntimeError("injected")


def _broken_in(stack: ExitStack, monkeypatch, step: str | None) -> None:
    if step is not None:
        patch = stack.enter_context(monkeypatch.context())
        patch.setattr(*BREAKS[step], _broken)


def _per_customer(model, column) -> dict[int, int]:
    return dict(db.session.execute(select(column, func.count()).group_by(column)).all())


def _check(customers: set[int], welcomed: set[int]) -> None:
    """The welcome's invariants over ``customers``; each of ``welcomed`` holds it whole,
    with its retry done and its alert closed for HQ and the owner."""
    db.session.expire_all()
    assert points_book.unbalanced_transactions() == []
    assert points_book.balances_disagree() == []
    assert points_book.orphan_entries() == []
    held = [
        _per_customer(Member, Member.customer_id),
        _per_customer(PointTransaction, PointTransaction.customer_id),
        _per_customer(Coupon, Coupon.customer_id),
    ]
    for counts in held:
        assert set(counts) <= customers and max(counts.values(), default=0) <= 1, counts
        assert set(counts) >= welcomed, counts
    issued = db.session.scalar(select(func.sum(CouponBudget.issued_count))) or 0
    assert issued == len(held[2])
    retries = db.session.execute(select(OutboxMessage.payload, OutboxMessage.status)).all()
    assert {p["customer_id"] for p, status in retries if status != DONE}.isdisjoint(welcomed)
    alerts = db.session.execute(
        select(Alert.params, Alert.hq_acknowledged_at, Alert.owner_acknowledged_at)
    ).all()
    assert {p["customer_id"] for p, hq, owner in alerts if not (hq and owner)}.isdisjoint(welcomed)


@pytest.mark.slow
@db_examples(25)
@given(sequence=ops)
def test_every_customer_ends_with_exactly_one_welcome(app, client, monkeypatch, sequence):
    control = "/_sandbox/control/mp/login_code"
    try:
        with app.app_context():
            org = build_org()
            gen_template({org.east: 50, org.north: 50}, kind="new_customer", name="新客券")
        customers: dict[int, int] = {}
        welcomed: set[int] = set()  # customers with a login that had nothing broken
        for op in sequence:
            with ExitStack() as stack:
                if op[0] == "login":
                    _broken_in(stack, monkeypatch, op[2])
                    code = client.post(control, json={"user": f"prop-{op[1]}"}).get_json()["code"]
                    answer = client.post("/api/v1/mp/session", json={"code": code})
                    assert answer.status_code == 200, answer.get_json()
                    customers[op[1]] = answer.get_json()["customer"]["id"]
                    if op[2] is None:  # a first login's welcome, or the next one's
                        welcomed.add(customers[op[1]])
                elif op[0] == "retry":
                    _broken_in(stack, monkeypatch, op[1])
                    with app.app_context():
                        db.session.execute(update(OutboxMessage).values(available_at=utcnow()))
                        db.session.commit()
                        drain()
                elif op[1] in customers:  # a retry run once more (a dispatcher died)
                    with app.app_context():
                        welcome_retry.welcome_once(customers[op[1]])
                        db.session.commit()
            with app.app_context():
                assert db.session.scalar(select(func.count()).select_from(Customer)) == len(
                    customers
                )
                _check(set(customers.values()), welcomed)
        with app.app_context():  # the retries succeed at last
            db.session.execute(update(OutboxMessage).values(available_at=utcnow()))
            db.session.commit()
            drain()
            _check(set(customers.values()), set(customers.values()))
    finally:
        with app.app_context():
            db.session.remove()
        clean_tables(app)
