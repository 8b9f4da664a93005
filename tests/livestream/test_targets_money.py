"""Campaign money past 2**31 fen (¥21,474,836.47): a region's GMV target of ¥100 million,
its actuals from orders past that bound, and a reward rule of ¥50 million are accepted,
stored (BIGINT) and cascaded; the bound is the business one, ¥100 billion."""

from __future__ import annotations

from app.extensions import db
from franchise.models import Product, Store
from livestream.services.targets import MAX_GMV_FEN
from tests.livestream.factories import (
    campaign_body,
    gen_campaign,
    gen_live_customer,
    gen_paid_order,
    post_campaign,
)

HUNDRED_MILLION_YUAN = 100_000_000_00


def test_a_hundred_million_yuan_target_and_actuals_past_two_to_the_31(
    client, app, live_org, hq_headers
):
    with app.app_context():
        campaign = gen_campaign("store", live_org.stores)
        a1 = db.session.get(Store, live_org.a1)
        gen_paid_order(gen_live_customer(a1, live_org.ga1), 3_000_000_000, campaign_id=campaign.id)
        cid = campaign.id
    regions = [{"region_id": live_org.east, "gmv_fen": HUNDRED_MILLION_YUAN}]
    res = client.put(
        f"/api/v1/campaigns/{cid}/targets", json={"regions": regions}, headers=hq_headers
    )
    assert res.status_code == 200, res.json
    east = next(r for r in res.json["items"] if r["ref_id"] == live_org.east)
    assert east["target"]["gmv_fen"] == HUNDRED_MILLION_YUAN
    assert east["actual"]["gmv_fen"] == 3_000_000_000
    assert east["pct"]["gmv_fen"] == 30.0
    res = client.get(f"/api/v1/campaigns/{cid}/targets?level=store", headers=hq_headers)
    east_stores = [r for r in res.json["items"] if r["ref_id"] != live_org.c1]
    assert sum(r["target"]["gmv_fen"] for r in east_stores) == HUNDRED_MILLION_YUAN
    too_much = [{"region_id": live_org.east, "gmv_fen": MAX_GMV_FEN + 1}]
    res = client.put(
        f"/api/v1/campaigns/{cid}/targets", json={"regions": too_much}, headers=hq_headers
    )
    assert res.status_code == 422 and res.json["code"] == "validation_error"


def test_a_reward_of_fifty_million_yuan(client, app, live_org, hq_headers):
    with app.app_context():
        cid = gen_campaign("store", live_org.stores).id
    body = {"kind": "reward", "level": "region", "metric": "gmv_fen", "amount_fen": 5_000_000_000}
    res = client.post(f"/api/v1/campaigns/{cid}/rules", json=body, headers=hq_headers)
    assert res.status_code == 201, res.json
    assert res.json["amount_fen"] == 5_000_000_000
    res = client.get(f"/api/v1/campaigns/{cid}/rules", headers=hq_headers)
    assert [r["amount_fen"] for r in res.json["items"]] == [5_000_000_000]


def test_a_live_price_past_two_to_the_31_fen(client, app, live_org, hq_headers):
    """A ¥50 million jewel sold live at ¥30 million: the live price is bounded by the list
    price (and the catalogue's ¥100 million), not by 2**31 − 1 fen."""
    with app.app_context():
        db.session.get(Product, live_org.products[0]).price_fen = 5_000_000_000
        db.session.commit()
    line = {"product_id": live_org.products[0], "live_price_fen": 3_000_000_000}
    resp = post_campaign(client, hq_headers, campaign_body(live_org, lineup=[line]))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["lineup"][0]["live_price_fen"] == 3_000_000_000
    line["live_price_fen"] = 5_000_000_001  # above the list price
    resp = post_campaign(client, hq_headers, campaign_body(live_org, lineup=[line]))
    assert resp.status_code == 422 and "lineup.0.live_price_fen" in resp.get_json()["errors"]
