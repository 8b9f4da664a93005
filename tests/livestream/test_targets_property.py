"""Property: after random region targets, manual weights and unit edits, every parent's
children sum exactly to it for each metric, and no figure is negative."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete

from app.errors import DomainError
from app.extensions import db
from livestream.models import CampaignTarget
from livestream.services import targets as service
from tests.fixtures.randomness import db_examples
from tests.livestream.factories import gen_campaign
from tests.livestream.scenarios import assert_consistent, rows

figure = st.integers(0, 2**31 - 1)
small = st.integers(0, 1000)
region_values = st.fixed_dictionaries(
    {"new_customers": small, "group_joins": small, "appointments": small, "gmv_fen": figure}
)
unit = st.integers(0, 5)  # index into the franchisee / store rows
ops = st.lists(
    st.one_of(
        st.tuples(st.just("weight"), unit, st.integers(0, 10000)),
        st.tuples(
            st.just("edit"),
            unit,
            st.sampled_from(("new_customers", "group_joins", "appointments", "gmv_fen")),
            st.floats(0, 1.2),
        ),
        st.tuples(st.just("region"), st.booleans(), region_values),
        st.tuples(st.just("reset")),
    ),
    max_size=8,
)


@pytest.mark.slow
@db_examples(40)
@given(east=region_values, north=region_values, steps=ops)
def test_sums_hold_after_any_operations(app, live_org, east, north, steps):
    with app.app_context():
        campaign = gen_campaign("store", live_org.stores)
        try:
            service.set_region_targets(campaign.id, {live_org.east: east, live_org.north: north})
            assert_consistent(campaign.id)
            for step in steps:
                units = sorted(
                    (r for r in rows(campaign.id).values() if r.level != "region"),
                    key=lambda r: (r.level, r.ref_id),
                )
                try:
                    if step[0] == "weight":
                        service.set_weight(units[step[1]].id, step[2])
                    elif step[0] == "edit":
                        row = units[step[1]]
                        parent = rows(campaign.id)[
                            ("region", row.region_id)
                            if row.level == "franchisee"
                            else ("franchisee", row.franchisee_id)
                        ]
                        value = int(getattr(parent, step[2]) * step[3])
                        service.set_unit_targets(row.id, {step[2]: value})
                    elif step[0] == "region":
                        region = live_org.east if step[1] else live_org.north
                        service.set_region_targets(campaign.id, {region: step[2]})
                    else:
                        service.reset_weights(campaign.id)
                except DomainError as exc:
                    assert exc.status == 422
                assert_consistent(campaign.id)
        finally:
            db.session.rollback()
            db.session.execute(delete(CampaignTarget))
            db.session.commit()
