"""Review API: shape, figures, owner scoping, roles and bad input."""

from __future__ import annotations

from tests.fixtures.auth import api_token, bearer

URL = "/api/v1/campaigns/{}/review"


def test_hq_gets_totals_rows_leaderboards_and_outcomes(app, client, live_org, reviewed, hq_headers):
    resp = client.get(URL.format(reviewed.campaign_id), headers=hq_headers)
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) >= {"totals", "rows", "leaderboards", "outcomes", "outcome_totals"}
    assert body["level"] == "region" and body["campaign_id"] == reviewed.campaign_id
    assert body["totals"]["actual"]["gmv_fen"] == 9400_00
    assert {r["ref_id"]: r["actual"]["gmv_fen"] for r in body["rows"]} == {
        live_org.east: 7000_00,
        live_org.north: 2400_00,
    }
    assert set(body["leaderboards"]) == {
        "stores_by_gmv",
        "guides_by_gmv",
        "guides_by_orders",
        "stores_by_conversion",
        "furthest_behind",
    }
    outcome = body["outcomes"][0]
    assert set(outcome) >= {
        "rule_id",
        "kind",
        "level",
        "ref_id",
        "name",
        "metric",
        "target",
        "actual",
        "achievement_pct",
        "applies",
        "amount_fen",
        "note",
    }
    assert body["outcome_totals"]["reward_fen"] == 1000_00
    guides = client.get(URL.format(reviewed.campaign_id) + "?level=guide", headers=hq_headers)
    rows = {r["ref_id"]: r for r in guides.get_json()["rows"]}
    assert rows[live_org.gb1]["actual"]["gmv_fen"] == 2000_00
    assert rows[live_org.gb1]["store_name"] == "杭州B1店"


def test_owner_sees_only_their_franchise(app, client, live_org, reviewed, owner_a_headers):
    resp = client.get(URL.format(reviewed.campaign_id), headers=owner_a_headers)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["level"] == "franchisee"
    assert [r["ref_id"] for r in body["rows"]] == [live_org.fa]
    assert body["totals"]["actual"]["gmv_fen"] == 5000_00
    stores = client.get(URL.format(reviewed.campaign_id) + "?level=store", headers=owner_a_headers)
    body = stores.get_json()
    assert {r["ref_id"] for r in body["rows"]} == {live_org.a1, live_org.a2}
    assert {o["ref_id"] for o in body["outcomes"] if o["level"] == "store"} == {
        live_org.a1,
        live_org.a2,
    }
    names = {e["name"] for board in body["leaderboards"].values() for e in board}
    assert "北京C1店" not in names and "BJ-C1-1" not in names
    region = client.get(URL.format(reviewed.campaign_id) + "?level=region", headers=owner_a_headers)
    assert region.status_code == 403


def test_owner_of_a_franchise_not_taking_part_gets_404(app, client, live_org):
    from livestream.models import Campaign
    from tests.livestream.factories import gen_campaign

    with app.app_context():
        campaign: Campaign = gen_campaign("hq", [live_org.a1], status="ended")
        campaign_id = campaign.id
    headers = bearer(api_token(client, "owner-c"))
    assert client.get(URL.format(campaign_id), headers=headers).status_code == 404


def test_roles_and_bad_input(app, client, live_org, reviewed, hq_headers, guide_a1_headers):
    assert client.get(URL.format(reviewed.campaign_id)).status_code == 401
    assert client.get(URL.format(reviewed.campaign_id), headers=guide_a1_headers).status_code == 403
    bad = client.get(URL.format(reviewed.campaign_id) + "?level=planet", headers=hq_headers)
    assert bad.status_code == 422
    assert set(bad.get_json()) >= {"code", "message", "errors"}
    assert client.get(URL.format(999999), headers=hq_headers).status_code == 404
    assert client.get(URL.format(2**40), headers=hq_headers).status_code == 404
