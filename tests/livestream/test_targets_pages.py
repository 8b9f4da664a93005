"""Targets editor page: HQ edits (GMV in yuan), bad input re-renders, owners read only."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from livestream.models import CampaignTarget, RewardRule
from livestream.services import targets as service
from tests.fixtures.auth import csrf_token_from, login
from tests.livestream.factories import gen_campaign


def _setup(app, live_org):
    with app.app_context():
        campaign = gen_campaign("store", live_org.stores)
        service.set_region_targets(
            campaign.id,
            {live_org.east: {"gmv_fen": 1000_00}, live_org.north: {"gmv_fen": 500_00}},
        )
        ids = {
            (t.level, t.ref_id): t.id
            for t in db.session.scalars(
                select(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id)
            )
        }
        return campaign.id, ids


def _target(app, target_id):
    with app.app_context():
        return db.session.get(CampaignTarget, target_id)


def test_hq_sees_and_edits_targets(client, app, live_org):
    cid, ids = _setup(app, live_org)
    login(client, "hq")
    res = client.get(f"/admin/live/campaigns/{cid}/targets")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert "华东" in html and "上海A1店" in html and "<svg" in html
    assert 'aria-current="page"' in html
    token = csrf_token_from(html)
    east = f"r{live_org.east}"
    res = client.post(
        f"/admin/live/campaigns/{cid}/targets/regions",
        data={
            "csrf_token": token,
            f"{east}_gmv_fen": "2,000.50",
            f"{east}_new_customers": "40",
            f"{east}_group_joins": "0",
            f"{east}_appointments": "3",
        },
    )
    assert res.status_code == 303
    assert _target(app, ids[("region", live_org.east)]).gmv_fen == 2000_50
    assert _target(app, ids[("region", live_org.north)]).gmv_fen == 500_00  # not sent

    fb = ids[("franchisee", live_org.fb)]
    res = client.post(
        f"/admin/live/campaigns/{cid}/targets/{fb}/weight",
        data={"csrf_token": token, f"w{fb}": "25"},
    )
    assert res.status_code == 303
    row = _target(app, fb)
    assert row.weight_bps == 2500 and row.weight_manual and row.gmv_fen == 500_12
    html = client.get(f"/admin/live/campaigns/{cid}/targets").get_data(as_text=True)
    assert "manual" in html or "手动" in html

    a1 = ids[("store", live_org.a1)]
    res = client.post(
        f"/admin/live/campaigns/{cid}/targets/{a1}/figures",
        data={"csrf_token": token, f"u{a1}_gmv_fen": "100.00"},
    )
    assert res.status_code == 303
    assert _target(app, a1).gmv_fen == 100_00
    assert _target(app, ids[("store", live_org.a2)]).gmv_fen == 1500_38 - 100_00

    res = client.post(f"/admin/live/campaigns/{cid}/targets/reset", data={"csrf_token": token})
    assert res.status_code == 303
    assert not _target(app, fb).weight_manual


def test_bad_input_re_renders_with_messages(client, app, live_org):
    cid, ids = _setup(app, live_org)
    login(client, "hq")
    token = csrf_token_from(client.get(f"/admin/live/campaigns/{cid}/targets").get_data(True))
    east = f"r{live_org.east}"
    res = client.post(
        f"/admin/live/campaigns/{cid}/targets/regions",
        data={"csrf_token": token, f"{east}_gmv_fen": "12.345", f"{east}_new_customers": "x"},
    )
    assert res.status_code == 422
    html = res.get_data(as_text=True)
    assert f'data-error-for="r{live_org.east}_gmv_fen"' in html
    assert 'value="12.345"' in html  # the posted value is kept
    a1 = ids[("store", live_org.a1)]
    res = client.post(
        f"/admin/live/campaigns/{cid}/targets/{a1}/figures",
        data={"csrf_token": token, f"u{a1}_gmv_fen": "5000"},
    )
    assert res.status_code == 422
    assert _target(app, a1).gmv_fen != 5000_00
    res = client.post(
        f"/admin/live/campaigns/{cid}/targets/{a1}/weight",
        data={"csrf_token": token, f"w{a1}": "150"},
    )
    assert res.status_code == 422
    res = client.post(
        f"/admin/live/campaigns/{cid}/rules",
        data={"csrf_token": token, "kind": "reward", "level": "store", "metric": "gmv_fen",
              "threshold_pct": "2000", "amount_yuan": "abc"},
    )  # fmt: skip
    assert res.status_code == 422
    assert 'data-error-for="threshold_pct"' in res.get_data(as_text=True)


def test_rules_add_and_delete(client, app, live_org):
    cid, _ids = _setup(app, live_org)
    login(client, "hq")
    token = csrf_token_from(client.get(f"/admin/live/campaigns/{cid}/targets").get_data(True))
    res = client.post(
        f"/admin/live/campaigns/{cid}/rules",
        data={"csrf_token": token, "kind": "penalty", "level": "guide", "metric": "new_customers",
              "threshold_pct": "60", "amount_yuan": "50.5", "note": "未达标"},
    )  # fmt: skip
    assert res.status_code == 303
    with app.app_context():
        rule = db.session.scalars(select(RewardRule)).one()
        assert (rule.kind, rule.amount_fen, rule.note) == ("penalty", 50_50, "未达标")
        rule_id = rule.id
    assert "未达标" in client.get(f"/admin/live/campaigns/{cid}/targets").get_data(True)
    res = client.post(
        f"/admin/live/campaigns/{cid}/rules/{rule_id}/delete", data={"csrf_token": token}
    )
    assert res.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(RewardRule)).first() is None


def test_owner_sees_own_units_read_only(client, app, live_org):
    cid, ids = _setup(app, live_org)
    login(client, "owner-a")
    res = client.get(f"/admin/live/campaigns/{cid}/targets")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert "上海A1店" in html and "上海A2店" in html
    assert "杭州B1店" not in html and "北京C1店" not in html and "华北" not in html
    assert (
        "/targets/regions" not in html
        and f"/targets/{ids[('franchisee', live_org.fa)]}" not in html
    )
    res = client.post(
        f"/admin/live/campaigns/{cid}/targets/reset", data={"csrf_token": csrf_token_from(html)}
    )
    assert res.status_code == 403


def test_unknown_campaign_is_404(client, app, live_org):
    login(client, "hq")
    assert client.get("/admin/live/campaigns/424242/targets").status_code == 404
    assert client.get("/admin/live/campaigns/99999999999/targets").status_code == 404


def test_fresh_campaign_shows_participants_and_first_save_creates_rows(client, app, live_org):
    with app.app_context():
        cid = gen_campaign("store", [live_org.a1, live_org.b1]).id
    login(client, "hq")
    html = client.get(f"/admin/live/campaigns/{cid}/targets").get_data(as_text=True)
    assert "华东" in html and "Alpha Jewels" in html and "上海A1店" in html
    assert "华北" not in html  # not taking part
    res = client.post(
        f"/admin/live/campaigns/{cid}/targets/regions",
        data={"csrf_token": csrf_token_from(html), f"r{live_org.east}_gmv_fen": "99.99"},
    )
    assert res.status_code == 303
    with app.app_context():
        stores = db.session.scalars(
            select(CampaignTarget).where(
                CampaignTarget.campaign_id == cid, CampaignTarget.level == "store"
            )
        ).all()
        assert sum(t.gmv_fen for t in stores) == 99_99 and len(stores) == 2
