"""Property: after any sequence of logins (random places, share codes), store closings
and guide departures, every customer has exactly one active franchisee, an open store
or none, an active guide or none, and a history chain that ends at the current owner."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from franchise import services
from franchise.models import AssignmentHistory, Customer, Franchisee, Guide, Store
from franchise.services.customer_login import sign_in
from franchise.services.customers import guide_share_code, store_share_code
from tests.fixtures.database import clean_tables
from tests.fixtures.randomness import db_examples
from tests.franchise.factories import gen_franchisee, gen_guide, gen_region, gen_store

PLACES = [None, (31.23, 121.47), (31.30, 121.50), (30.26, 120.16), (39.91, 116.41), (35.0, 110.0)]
CITIES = [None, "上海", "杭州", "北京", "拉萨"]

login_op = st.tuples(
    st.just("login"),
    st.integers(0, 7),
    st.sampled_from(PLACES),
    st.sampled_from(CITIES),
    st.one_of(st.none(), st.integers(0, 5)),
)
ops = st.lists(
    st.one_of(
        login_op,
        login_op,
        st.tuples(st.just("close"), st.integers(0, 4)),
        st.tuples(st.just("leave"), st.integers(0, 4)),
    ),
    min_size=1,
    max_size=25,
)


def _world():
    east = gen_region(cities=("上海", "杭州"))
    north = gen_region(cities=("北京",))
    fa, fb, fc = gen_franchisee(east), gen_franchisee(east), gen_franchisee(north)
    east.default_franchisee_id = fa.id
    db.session.commit()
    stores = [
        gen_store(fa, latitude=31.23, longitude=121.47, customer_capacity=10),
        gen_store(fa, latitude=30.26, longitude=120.16, customer_capacity=5),
        gen_store(fb, latitude=31.30, longitude=121.50, customer_capacity=20),
        gen_store(fc, latitude=39.91, longitude=116.41, customer_capacity=8),
        gen_store(fc, latitude=39.95, longitude=116.45),
    ]
    guides = [gen_guide(stores[i]) for i in (0, 0, 2, 3, 3)]
    codes = [guide_share_code(g).code for g in guides] + [store_share_code(stores[1]).code]
    return stores, guides, codes


def _check_invariants():
    for c in db.session.scalars(select(Customer)):
        franchisee = db.session.get(Franchisee, c.franchisee_id)
        assert franchisee is not None and franchisee.status == "active"
        if c.store_id is not None:
            store = db.session.get(Store, c.store_id)
            assert store.is_open and store.franchisee_id == c.franchisee_id
        if c.guide_id is not None:
            guide = db.session.get(Guide, c.guide_id)
            assert guide.status == "active" and guide.store_id == c.store_id
        rows = db.session.scalars(
            select(AssignmentHistory)
            .where(AssignmentHistory.customer_id == c.id)
            .order_by(AssignmentHistory.id)
        ).all()
        assert rows and rows[0].from_franchisee_id is None
        for before, after in zip(rows, rows[1:], strict=False):
            assert (after.from_franchisee_id, after.from_store_id, after.from_guide_id) == (
                before.to_franchisee_id,
                before.to_store_id,
                before.to_guide_id,
            )
            assert (before.to_franchisee_id, before.to_store_id, before.to_guide_id) != (
                after.to_franchisee_id,
                after.to_store_id,
                after.to_guide_id,
            )
        assert (rows[-1].to_franchisee_id, rows[-1].to_store_id, rows[-1].to_guide_id) == (
            c.franchisee_id,
            c.store_id,
            c.guide_id,
        )


@pytest.mark.slow
@db_examples(40)
@given(sequence=ops)
def test_every_customer_always_has_one_active_owner_and_full_history(app, sequence):
    with app.app_context():
        try:
            stores, guides, codes = _world()
            for op in sequence:
                if op[0] == "login":
                    _, who, place, city, code = op
                    lat, lng = place if place else (None, None)
                    share = codes[code] if code is not None else None
                    sign_in({"openid": f"prop-{who}"}, share, lat, lng, city)
                elif op[0] == "close":
                    store = db.session.get(Store, stores[op[1]].id)
                    if store.is_open:
                        services.close_store(store)
                else:
                    guide = db.session.get(Guide, guides[op[1]].id)
                    if guide.status == "active":
                        services.guide_leaves(guide)
                db.session.expire_all()
                _check_invariants()
        finally:
            db.session.remove()
            clean_tables(app)
