"""Targets and rules API: round trip, strict input, HQ-only writes, owner scope."""

from __future__ import annotations

from app.extensions import db
from franchise.models import Store
from tests.livestream.factories import gen_campaign, gen_live_customer, gen_paid_order


def _campaign(app, live_org, **kw):
    with app.app_context():
        campaign = gen_campaign("store", live_org.stores, **kw)
        a1 = db.session.get(Store, live_org.a1)
        gen_paid_order(gen_live_customer(a1, live_org.ga1), 200_00, campaign_id=campaign.id)
        return campaign.id


def _put(client, cid, headers, regions):
    return client.put(
        f"/api/v1/campaigns/{cid}/targets", json={"regions": regions}, headers=headers
    )


def test_round_trip(client, app, live_org, hq_headers):
    cid = _campaign(app, live_org)
    res = _put(
        client,
        cid,
        hq_headers,
        [
            {"region_id": live_org.east, "gmv_fen": 1000_00, "new_customers": 30},
            {"region_id": live_org.north, "gmv_fen": 500_00},
        ],
    )
    assert res.status_code == 200, res.json
    regions = {r["ref_id"]: r for r in res.json["items"]}
    assert regions[live_org.east]["target"]["gmv_fen"] == 1000_00
    assert regions[live_org.east]["actual"]["gmv_fen"] == 200_00
    assert regions[live_org.east]["pct"]["gmv_fen"] == 20.0
    res = client.get(f"/api/v1/campaigns/{cid}/targets?level=store", headers=hq_headers)
    stores = {r["ref_id"]: r for r in res.json["items"]}
    assert set(stores) == set(live_org.stores)
    assert sum(stores[s]["target"]["gmv_fen"] for s in (live_org.a1, live_org.a2, live_org.b1)) == (
        1000_00
    )
    assert stores[live_org.c1]["target"]["gmv_fen"] == 500_00
    assert stores[live_org.c1]["weight_bps"] == 10000

    res = client.get(f"/api/v1/campaigns/{cid}/targets?level=franchisee", headers=hq_headers)
    fb = next(r for r in res.json["items"] if r["ref_id"] == live_org.fb)
    res = client.patch(
        f"/api/v1/campaigns/{cid}/targets/{fb['id']}", json={"weight_bps": 2500}, headers=hq_headers
    )
    assert res.status_code == 200, res.json
    got = {r["ref_id"]: r for r in res.json["items"]}
    assert got[live_org.fb]["weight_manual"] is True
    assert got[live_org.fb]["target"]["gmv_fen"] == 250_00
    assert got[live_org.fa]["target"]["gmv_fen"] == 750_00

    res = client.patch(
        f"/api/v1/campaigns/{cid}/targets/{fb['id']}", json={"gmv_fen": 100_00}, headers=hq_headers
    )
    got = {r["ref_id"]: r for r in res.json["items"]}
    assert got[live_org.fa]["target"]["gmv_fen"] == 900_00
    res = client.patch(
        f"/api/v1/campaigns/{cid}/targets/{fb['id']}", json={"gmv_fen": 2000_00}, headers=hq_headers
    )
    assert res.status_code == 422 and "gmv_fen" in res.json["errors"]
    res = client.post(f"/api/v1/campaigns/{cid}/targets/reset", headers=hq_headers)
    assert res.status_code == 200
    assert all(not r["weight_manual"] for r in res.json["items"])


def test_bad_input_is_422(client, app, live_org, hq_headers):
    cid = _campaign(app, live_org)
    for body in (
        [{"region_id": live_org.east, "gmv_fen": "100"}],
        [{"region_id": live_org.east, "gmv_fen": -1}],
        [{"region_id": live_org.east, "gmv_fen": 10**13 + 1}],  # above ¥100 billion
        [{"region_id": live_org.east, "gmv_fen": 2**63}],
        [{"region_id": live_org.east, "bogus": 1}],
        [{"region_id": live_org.east}, {"region_id": live_org.east}],
        [],
    ):
        res = _put(client, cid, hq_headers, body)
        assert res.status_code == 422, body
        assert res.json["code"] == "validation_error"
    with app.app_context():
        other = gen_campaign("store", [live_org.a1]).id
    res = _put(client, other, hq_headers, [{"region_id": live_org.north, "gmv_fen": 1}])
    assert res.status_code == 422 and "regions" in res.json["errors"]
    res = client.get(f"/api/v1/campaigns/{cid}/targets?level=guide", headers=hq_headers)
    assert res.status_code == 422
    res = client.patch(f"/api/v1/campaigns/{cid}/targets/1", json={}, headers=hq_headers)
    assert res.status_code == 422
    res = client.patch(
        f"/api/v1/campaigns/{cid}/targets/1",
        json={"weight_bps": 1, "gmv_fen": 1},
        headers=hq_headers,
    )
    assert res.status_code == 422
    res = client.patch(
        f"/api/v1/campaigns/{cid}/targets/999999", json={"weight_bps": 1}, headers=hq_headers
    )
    assert res.status_code == 404
    assert (
        client.get("/api/v1/campaigns/99999999999/targets", headers=hq_headers).status_code == 404
    )


def test_owner_reads_own_units_only_and_cannot_write(
    client, app, live_org, hq_headers, owner_a_headers, guide_a1_headers
):
    cid = _campaign(app, live_org)
    _put(client, cid, hq_headers, [{"region_id": live_org.east, "gmv_fen": 1000_00}])
    res = _put(client, cid, owner_a_headers, [{"region_id": live_org.east, "gmv_fen": 1}])
    assert res.status_code == 403
    res = client.get(f"/api/v1/campaigns/{cid}/targets?level=store", headers=owner_a_headers)
    assert res.status_code == 200
    assert {r["ref_id"] for r in res.json["items"]} == {live_org.a1, live_org.a2}
    res = client.get(f"/api/v1/campaigns/{cid}/targets?level=franchisee", headers=owner_a_headers)
    assert {r["ref_id"] for r in res.json["items"]} == {live_org.fa}
    res = client.get(f"/api/v1/campaigns/{cid}/targets", headers=owner_a_headers)
    assert res.status_code == 403  # region rows are HQ-only
    fa_id = client.get(
        f"/api/v1/campaigns/{cid}/targets?level=franchisee", headers=owner_a_headers
    ).json["items"][0]["id"]
    res = client.patch(
        f"/api/v1/campaigns/{cid}/targets/{fa_id}", json={"weight_bps": 1}, headers=owner_a_headers
    )
    assert res.status_code == 403
    assert client.get(f"/api/v1/campaigns/{cid}/targets", headers=guide_a1_headers).status_code == (
        403
    )
    res = client.post(
        f"/api/v1/campaigns/{cid}/rules", json={"kind": "reward"}, headers=owner_a_headers
    )
    assert res.status_code == 403


def test_owner_cannot_see_a_campaign_without_their_franchise(
    client, app, live_org, owner_a_headers
):
    with app.app_context():
        cid = gen_campaign("store", [live_org.c1]).id
    res = client.get(f"/api/v1/campaigns/{cid}/targets?level=store", headers=owner_a_headers)
    assert res.status_code == 404


def test_rules_api(client, app, live_org, hq_headers, owner_a_headers):
    cid = _campaign(app, live_org)
    body = {"kind": "penalty", "level": "guide", "metric": "new_customers", "threshold_pct": 60,
            "amount_fen": 100_00, "note": "少于60%扣罚"}  # fmt: skip
    res = client.post(f"/api/v1/campaigns/{cid}/rules", json=body, headers=hq_headers)
    assert res.status_code == 201, res.json
    rule_id = res.json["id"]
    assert res.json["note"] == "少于60%扣罚"
    for bad in (
        {"kind": "gift"},
        {"kind": "reward", "threshold_pct": 1001},
        {"kind": "reward", "amount_fen": -1},
        {"kind": "reward", "amount_fen": "5"},
        {"kind": "reward", "note": "x" * 129},
        {"kind": "reward", "metric": "orders"},
    ):
        res = client.post(f"/api/v1/campaigns/{cid}/rules", json=bad, headers=hq_headers)
        assert res.status_code == 422, bad
    res = client.get(f"/api/v1/campaigns/{cid}/rules", headers=owner_a_headers)
    assert [r["id"] for r in res.json["items"]] == [rule_id]
    with app.app_context():
        other = gen_campaign("store", [live_org.a1]).id
    res = client.delete(f"/api/v1/campaigns/{other}/rules/{rule_id}", headers=hq_headers)
    assert res.status_code == 404
    res = client.delete(f"/api/v1/campaigns/{cid}/rules/{rule_id}", headers=hq_headers)
    assert res.status_code == 204
    assert client.get(f"/api/v1/campaigns/{cid}/rules", headers=hq_headers).json["items"] == []
