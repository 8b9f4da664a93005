"""Targets: default weights from 90-day GMV, exact cascades, manual weights, unit edits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db
from franchise.models import Store
from livestream.models import CampaignStore
from livestream.services import targets as service
from livestream.services.targets import apportion
from tests.livestream.factories import gen_campaign, gen_live_customer, gen_paid_order
from tests.livestream.scenarios import assert_consistent, rows


def sell(store_id, fen, days_ago):
    store = db.session.get(Store, store_id)
    gen_paid_order(gen_live_customer(store), fen, days_ago=days_ago)


def test_apportion_is_exact_and_fair():
    assert apportion(10, {1: 1, 2: 1, 3: 1}) == {1: 4, 2: 3, 3: 3}
    assert apportion(7, {1: 0, 2: 0}) == {1: 4, 2: 3}
    assert apportion(0, {1: 5, 2: 5}) == {1: 0, 2: 0}
    assert apportion(100, {1: 3333, 2: 3333, 3: 3334}) == {1: 33, 2: 33, 3: 34}
    assert apportion(5, {}) == {}
    parts = apportion(999_999_999, {1: 1, 2: 7, 3: 13, 4: 0})
    assert sum(parts.values()) == 999_999_999 and parts[4] == 0


def test_default_weights_follow_90_day_gmv(app, live_org):
    with app.app_context():
        campaign = gen_campaign("store", live_org.stores)
        sell(live_org.a1, 300_00, days_ago=10)
        sell(live_org.a2, 100_00, days_ago=10)
        sell(live_org.a2, 10_000_00, days_ago=120)  # too old: must not count
        sell(live_org.b1, 100_00, days_ago=30)
        by_store = service.default_weights(campaign.id, "franchisee", live_org.fa)
        assert by_store == {live_org.a1: 7500, live_org.a2: 2500}
        by_franchisee = service.default_weights(campaign.id, "region", live_org.east)
        assert by_franchisee == {live_org.fa: 8000, live_org.fb: 2000}
        # nobody sold in the north: an equal split of one child
        assert service.default_weights(campaign.id, "region", live_org.north) == {
            live_org.fc: 10000
        }


def test_default_weights_equal_split_when_nothing_sold(app, live_org):
    with app.app_context():
        campaign = gen_campaign("hq", live_org.stores)
        sell(live_org.a1, 500_00, days_ago=200)
        weights = service.default_weights(campaign.id, "region", live_org.east)
        assert weights == {live_org.fa: 5000, live_org.fb: 5000}


@pytest.mark.parametrize(
    "store_keys",
    [("a1", "a2", "b1", "c1"), ("a1",), ("a1", "a2"), ("a2", "b1"), ("c1", "b1", "a1")],
)
def test_cascade_sums_exactly(app, live_org, store_keys):
    with app.app_context():
        stores = [getattr(live_org, k) for k in store_keys]
        campaign = gen_campaign("store", stores)
        sell(live_org.a1, 123_45, days_ago=5)
        sell(live_org.a2, 67_89, days_ago=50)
        regions = {db.session.get(Store, s).region_id for s in stores}
        values = {"new_customers": 101, "group_joins": 7, "appointments": 1, "gmv_fen": 1_000_001}
        service.set_region_targets(campaign.id, dict.fromkeys(regions, values))
        assert_consistent(campaign.id)
        levels = sorted({lv for lv, _ in rows(campaign.id)})
        assert levels == ["franchisee", "region", "store"]
        assert {k[1] for k in rows(campaign.id) if k[0] == "store"} == set(stores)


def test_region_not_taking_part_is_refused(app, live_org):
    with app.app_context():
        campaign = gen_campaign("store", [live_org.a1])
        with pytest.raises(DomainError) as err:
            service.set_region_targets(campaign.id, {live_org.north: {"gmv_fen": 100}})
        assert err.value.status == 422
        with pytest.raises(DomainError):
            service.set_region_targets(campaign.id, {live_org.east: {"gmv_fen": -1}})
        assert rows(campaign.id) == {}


def test_manual_weight_kept_on_recascade(app, live_org):
    with app.app_context():
        campaign = gen_campaign("store", live_org.stores)
        service.set_region_targets(campaign.id, {live_org.east: {"gmv_fen": 10_000_00}})
        fb = rows(campaign.id)[("franchisee", live_org.fb)]
        service.set_weight(fb.id, 3000)
        r = rows(campaign.id)
        assert r[("franchisee", live_org.fb)].gmv_fen == 3_000_00
        assert r[("franchisee", live_org.fa)].gmv_fen == 7_000_00
        assert r[("franchisee", live_org.fa)].weight_bps == 7000
        assert r[("store", live_org.b1)].gmv_fen == 3_000_00
        service.set_region_targets(campaign.id, {live_org.east: {"gmv_fen": 20_000_00}})
        r = rows(campaign.id)
        assert r[("franchisee", live_org.fb)].weight_manual is True
        assert r[("franchisee", live_org.fb)].gmv_fen == 6_000_00
        assert_consistent(campaign.id)
        service.reset_weights(campaign.id)
        r = rows(campaign.id)
        assert r[("franchisee", live_org.fb)].weight_manual is False
        assert r[("franchisee", live_org.fb)].gmv_fen == 10_000_00
        assert_consistent(campaign.id)


def test_manual_weights_over_100_percent_refused(app, live_org):
    with app.app_context():
        campaign = gen_campaign("store", live_org.stores)
        service.cascade(campaign.id)
        r = rows(campaign.id)
        service.set_weight(r[("store", live_org.a1)].id, 6000)
        with pytest.raises(DomainError) as err:
            service.set_weight(r[("store", live_org.a2)].id, 5000)
        assert err.value.status == 422 and "weight_bps" in err.value.errors
        with pytest.raises(DomainError):  # every store fixed but not adding to 100 %
            service.set_weight(r[("store", live_org.a2)].id, 3000)
        service.set_weight(r[("store", live_org.a2)].id, 4000)
        with pytest.raises(DomainError):  # the only store of C must carry 100 %
            service.set_weight(r[("store", live_org.c1)].id, 5000)
        with pytest.raises(DomainError):  # regions have no weight
            service.set_weight(r[("region", live_org.east)].id, 5000)
        assert_consistent(campaign.id)


def test_unit_edit_rebalances_siblings(app, live_org):
    with app.app_context():
        campaign = gen_campaign("store", live_org.stores)
        service.set_region_targets(
            campaign.id, {live_org.east: {"gmv_fen": 1000, "new_customers": 10}}
        )
        fa = rows(campaign.id)[("franchisee", live_org.fa)]
        service.set_unit_targets(fa.id, {"gmv_fen": 900})
        r = rows(campaign.id)
        assert r[("franchisee", live_org.fa)].gmv_fen == 900
        assert r[("franchisee", live_org.fb)].gmv_fen == 100
        assert r[("franchisee", live_org.fa)].new_customers == 5  # untouched metric
        assert r[("store", live_org.a1)].gmv_fen + r[("store", live_org.a2)].gmv_fen == 900
        assert_consistent(campaign.id)
        service.set_unit_targets(r[("store", live_org.a1)].id, {"gmv_fen": 0})
        assert rows(campaign.id)[("store", live_org.a2)].gmv_fen == 900
        assert_consistent(campaign.id)


def test_unit_edit_over_parent_refused(app, live_org):
    with app.app_context():
        campaign = gen_campaign("store", live_org.stores)
        service.set_region_targets(campaign.id, {live_org.east: {"gmv_fen": 1000}})
        r = rows(campaign.id)
        with pytest.raises(DomainError) as err:
            service.set_unit_targets(r[("store", live_org.a1)].id, {"gmv_fen": 501})
        assert err.value.status == 422 and "gmv_fen" in err.value.errors
        with pytest.raises(DomainError):  # the only store of B
            service.set_unit_targets(r[("store", live_org.b1)].id, {"gmv_fen": 100})
        assert rows(campaign.id)[("store", live_org.a1)].gmv_fen == 250
        assert_consistent(campaign.id)


def test_participants_changing_keeps_sums(app, live_org):
    with app.app_context():
        campaign = gen_campaign("store", [live_org.a1, live_org.b1])
        service.set_region_targets(campaign.id, {live_org.east: {"gmv_fen": 1001}})
        a2 = db.session.get(Store, live_org.a2)
        db.session.add(
            CampaignStore(
                campaign_id=campaign.id,
                store_id=a2.id,
                franchisee_id=a2.franchisee_id,
                region_id=a2.region_id,
            )
        )
        gone = db.session.scalars(
            select(CampaignStore).where(
                CampaignStore.campaign_id == campaign.id, CampaignStore.store_id == live_org.b1
            )
        ).one()
        db.session.delete(gone)
        db.session.commit()
        service.cascade(campaign.id)
        r = rows(campaign.id)
        assert ("store", live_org.b1) not in r and ("franchisee", live_org.fb) not in r
        assert r[("franchisee", live_org.fa)].gmv_fen == 1001
        assert_consistent(campaign.id)


def test_rules_saved_and_validated(app, live_org):
    with app.app_context():
        campaign = gen_campaign("hq", live_org.stores)
        rule = service.save_rule(
            campaign.id,
            {"kind": "reward", "level": "store", "metric": "gmv_fen", "threshold_pct": 120,
             "amount_fen": 500_00, "note": " bonus "},
        )  # fmt: skip
        assert rule.id and rule.note == "bonus"
        with pytest.raises(DomainError) as err:
            service.save_rule(campaign.id, {"kind": "gift", "metric": "x", "threshold_pct": 1001})
        assert set(err.value.errors) == {"kind", "metric", "threshold_pct"}
        service.delete_rule(rule.id)
        assert service.rules(campaign.id) == []
        with pytest.raises(DomainError):
            service.delete_rule(rule.id)
