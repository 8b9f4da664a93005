"""Review service: figures equal the orders placed at every level, leaderboards, rule
outcomes (reward at/above, penalty below, skip without a target), CSV rows, hourly GMV.

The scenario (``build_review_scenario``) is the ``reviewed`` fixture of the review test files.
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale

from app.extensions import db
from franchise.models import Store
from livestream.models import Campaign
from livestream.services import review
from tests.livestream.factories import gen_campaign, gen_live_customer, gen_paid_order
from tests.livestream.scenarios import (
    live_yesterday_at,
)

EXPECTED = {
    "store": {"a1": (4500_00, 3), "a2": (500_00, 1), "b1": (2000_00, 1), "c1": (2400_00, 1)},
    "franchisee": {"fa": (5000_00, 4), "fb": (2000_00, 1), "fc": (2400_00, 1)},
    "region": {"east": (7000_00, 5), "north": (2400_00, 1)},
    "guide": {
        "ga1": (4000_00, 2),
        "ga1b": (500_00, 1),
        "ga2": (500_00, 1),
        "gb1": (2000_00, 1),
        "gc1": (2400_00, 1),
    },
}


def test_review_figures_equal_the_orders_at_every_level(app, live_org, reviewed):
    with app.app_context():
        for level, expected in EXPECTED.items():
            data = review.review(reviewed.campaign_id, level)
            got = {
                r["ref_id"]: (r["actual"]["gmv_fen"], r["actual"]["orders"]) for r in data["rows"]
            }
            want = {getattr(live_org, key): value for key, value in expected.items()}
            assert {k: got[k] for k in want} == want, level
            assert sum(g for g, _ in got.values()) == 9400_00, level
        totals = review.review(reviewed.campaign_id, "store")["totals"]
        assert totals["actual"]["gmv_fen"] == 9400_00 and totals["actual"]["orders"] == 6
        assert totals["target"]["gmv_fen"] == 12000_00
        assert totals["actual"]["aov_fen"] == 9400_00 // 6
        guide_rows = review.review(reviewed.campaign_id, "guide")["rows"]
        ga1 = next(r for r in guide_rows if r["ref_id"] == live_org.ga1)
        assert ga1["store_name"] == "上海A1店" and ga1["target"]["gmv_fen"] == 0


def test_leaderboards(app, live_org, reviewed):
    with app.app_context():
        boards = review.review(reviewed.campaign_id, "store")["leaderboards"]
        assert [e["ref_id"] for e in boards["stores_by_gmv"]] == [
            live_org.a1,
            live_org.c1,
            live_org.b1,
            live_org.a2,
        ]
        assert boards["stores_by_gmv"][0]["value"] == 4500_00
        assert boards["guides_by_gmv"][0]["ref_id"] == live_org.ga1
        assert boards["guides_by_gmv"][0]["store_name"] == "上海A1店"
        assert boards["guides_by_orders"][0] == {
            "rank": 1,
            "ref_id": live_org.ga1,
            "name": "SH-A1-1",
            "value": 2,
            "store_name": "上海A1店",
        }
        # only stores with visitors: a1 2 buyers / 2 visitors, c1 1 / 4
        assert [(e["ref_id"], e["value"]) for e in boards["stores_by_conversion"]] == [
            (live_org.a1, 100.0),
            (live_org.c1, 25.0),
        ]
        behind = boards["furthest_behind"]
        assert [(e["ref_id"], e["value"]) for e in behind][:2] == [
            (live_org.a2, 25.0),
            (live_org.b1, 50.0),
        ]
        region_behind = review.review(reviewed.campaign_id, "region")["leaderboards"][
            "furthest_behind"
        ]
        assert [e["ref_id"] for e in region_behind] == [live_org.east, live_org.north]


def test_rule_outcomes_reward_penalty_and_skip(app, live_org, reviewed):
    with app.app_context():
        outcomes = review.rule_outcomes(reviewed.campaign_id)
        reward_id, penalty_id, guide_rule, joins_rule = reviewed.rule_ids
        by = {(o["rule_id"], o["ref_id"]): o for o in outcomes}
        a1 = by[(reward_id, live_org.a1)]
        assert a1["applies"] and a1["achievement_pct"] == 112.5 and a1["amount_fen"] == 500_00
        assert a1["target"] == 4000_00 and a1["actual"] == 4500_00 and a1["note"] == "bonus"
        assert by[(reward_id, live_org.c1)]["applies"]  # 120 %
        assert not by[(reward_id, live_org.b1)]["applies"]  # 50 %
        assert by[(penalty_id, live_org.a2)]["applies"]  # 25 % < 50 %
        edge = by[(penalty_id, live_org.b1)]
        assert edge["achievement_pct"] == 50.0 and not edge["applies"]  # at the threshold
        assert not by[(penalty_id, live_org.a1)]["applies"]
        guides = [o for o in outcomes if o["rule_id"] == guide_rule]
        assert guides and all(o["skipped"] == "no target" and not o["applies"] for o in guides)
        joins = [o for o in outcomes if o["rule_id"] == joins_rule]
        assert len(joins) == 3 and all(o["skipped"] == "no target" for o in joins)
        assert review.outcome_totals(outcomes) == {
            "rewards": 2,
            "reward_fen": 1000_00,
            "penalties": 1,
            "penalty_fen": 100_00,
        }


def test_owner_limit_keeps_to_their_franchise(app, live_org, reviewed):
    with app.app_context():
        data = review.review(reviewed.campaign_id, "store", franchisee_id=live_org.fa)
        assert {r["ref_id"] for r in data["rows"]} == {live_org.a1, live_org.a2}
        assert data["totals"]["actual"]["gmv_fen"] == 5000_00
        assert data["totals"]["target"]["gmv_fen"] == 6000_00
        guides = {e["ref_id"] for e in data["leaderboards"]["guides_by_gmv"]}
        assert guides == {live_org.ga1, live_org.ga1b, live_org.ga2}
        assert (
            review.review(reviewed.campaign_id, "region", franchisee_id=live_org.fa)["rows"] == []
        )
        outcomes = review.rule_outcomes(reviewed.campaign_id, franchisee_id=live_org.fa)
        refs = {(o["level"], o["ref_id"]) for o in outcomes}
        assert ("store", live_org.c1) not in refs and ("store", live_org.a1) in refs
        assert ("franchisee", live_org.fc) not in refs


def test_csv_rows_and_hourly_gmv(app, live_org, reviewed):
    with app.app_context():
        rows = {r["ref_id"]: r for r in review.csv_rows(reviewed.campaign_id, "store")}
        a1 = rows[live_org.a1]
        assert list(a1) == list(review.CSV_KEYS)
        assert (a1["unit"], a1["target_gmv"], a1["gmv"], a1["gmv_pct"]) == (
            "上海A1店",
            "4000.00",
            "4500.00",
            "112.5",
        )
        assert a1["orders"] == 3 and a1["conversion_pct"] == "100.0" and a1["aov"] == "1500.00"
        assert a1["new_customers"] == 1 and a1["new_customers_pct"] == "50.0"
        assert rows[live_org.b1]["gmv"] == "2000.00"
        campaign = db.session.get(Campaign, reviewed.campaign_id)
        labels, values = review.gmv_by_hour(campaign)
        assert labels[0] == "00" and labels[-1] == "23" and len(values) == 24
        assert sum(values) == 9400_00  # every campaign order of the live day, net of refunds
        # 19:30 a1 3000 + 500, a2 500, b1 2500 - 500 (the wholly refunded one adds 0)
        assert values[19:22] == [6000_00, 1000_00, 2400_00]
        _, owner_values = review.gmv_by_hour(campaign, franchisee_id=live_org.fc)
        assert sum(owner_values) == 2400_00


def test_hourly_gmv_of_a_live_that_runs_past_midnight(app, live_org):
    """A live from 22:30 for two hours ends at 00:30: the chart runs to 01:00 of the next
    day, so its orders after midnight count; orders outside the window do not."""
    with app.app_context():
        campaign = gen_campaign("store", live_org.stores[:1], live_in_days=-1, status="ended")
        live_yesterday_at(campaign, 22, 30)
        store = db.session.get(Store, live_org.a1)
        for minutes, fen in ((10, 100_00), (100, 200_00), (270, 400_00), (-1440, 800_00)):
            made = gen_paid_order(
                gen_live_customer(store, live_org.ga1), fen, days_ago=1, campaign_id=campaign.id
            )
            made.paid_at = campaign.live_at + timedelta(minutes=minutes)
        db.session.commit()
        with force_locale("en"):
            labels, values = review.gmv_by_hour(campaign)
        assert len(labels) == 25 and labels[23] == "23" and labels[24] == "+1d 00"
        assert values[22] == 100_00 and values[24] == 200_00 and sum(values) == 300_00
        with force_locale("zh"):
            assert review.gmv_by_hour(campaign)[0][24] == "次日00"
