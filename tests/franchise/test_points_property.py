"""Property: after any sequence of earning, spending at checkout, cancelling, refunds,
moves between franchisees, changes of who carries the cost, and expiry, the points
book balances, no member's balance is negative, every balance is its account's, what
a member holds is Σ lots − consumed, and the franchisees' points lines sum to zero
with HQ's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.clock import shanghai_day
from app.errors import DomainError
from app.extensions import db
from franchise.models import CREATED, Customer, Member, Order, PointLot
from franchise.services import member_settings, orders, points_book, points_expiry
from tests.fixtures.database import clean_tables
from tests.fixtures.randomness import db_examples
from tests.franchise.factories import build_org
from tests.franchise.factories_members import gen_product, paid_order, refund
from tests.franchise.factories_payments import gen_customer

ops = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(0, 2), st.integers(1, 500_000)),
        st.tuples(st.just("spend"), st.integers(0, 2), st.integers(0, 3_000)),
        st.tuples(st.just("refund"), st.integers(0, 9), st.integers(1, 100)),
        st.tuples(st.just("cancel"), st.integers(0, 9)),
        st.tuples(st.just("move"), st.integers(0, 2), st.integers(0, 1)),
        st.tuples(st.just("carrier"), st.sampled_from(member_settings.CARRIERS)),
        st.tuples(st.just("expire"), st.sampled_from((0, 400, 800))),
    ),
    min_size=1,
    max_size=20,
)


def _check():
    assert points_book.unbalanced_transactions() == []
    assert points_book.orphan_entries() == []
    assert points_book.balances_disagree() == []
    assert (db.session.scalar(select(func.min(Member.points))) or 0) >= 0
    lines = points_book.settlement_lines()
    assert sum(line["fen"] for line in lines.values()) == 0
    for member in db.session.scalars(select(Member)):
        lots = db.session.scalar(
            select(func.coalesce(func.sum(PointLot.points), 0)).where(
                PointLot.member_id == member.id
            )
        )
        assert member.points >= 0 and member.points_consumed >= 0
        assert member.points == lots - member.points_consumed, member.customer_id


@pytest.mark.slow
@db_examples(30)
@given(sequence=ops)
def test_points_book_always_balances(app, sequence):
    with app.app_context():
        try:
            org = build_org()
            fids = [org.fa, org.fb]
            customers = [gen_customer(org.fa).id for _ in range(3)]
            product = gen_product(200_000)
            placed: list[int] = []
            for op in sequence:
                kind = op[0]
                if kind == "pay":
                    cid = customers[op[1]]
                    fid = db.session.get(Customer, cid).franchisee_id
                    placed.append(paid_order(cid, fid, op[2]).id)
                elif kind == "spend":
                    try:
                        order = orders.create_order(
                            customers[op[1]],
                            [{"product_id": product.id, "quantity": 1}],
                            points=op[2],
                        )
                        placed.append(order.id)
                    except DomainError:
                        pass  # too many points, above the cap: refused, nothing changed
                elif kind in ("refund", "cancel") and placed:
                    order = db.session.get(Order, placed[op[1] % len(placed)])
                    if kind == "cancel" and order.status == CREATED:
                        orders.system_transition(order.id, "closed", "property")
                    elif kind == "refund" and order.paid_fen > order.refunded_fen:
                        left = order.paid_fen - order.refunded_fen
                        refund(order, max(1, left * op[2] // 100))
                elif kind == "move":
                    db.session.get(Customer, customers[op[1]]).franchisee_id = fids[op[2]]
                    db.session.commit()
                elif kind == "carrier":
                    member_settings.save({"carrier": op[1]})
                elif kind == "expire":
                    points_expiry.expire(shanghai_day() + timedelta(days=op[1]))
                db.session.expire_all()
                _check()
        finally:
            db.session.remove()
            clean_tables(app)
