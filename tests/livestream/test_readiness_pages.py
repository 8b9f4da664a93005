"""The gate and link check pages: verdict, blockers, override form, go-live, the report."""

from __future__ import annotations

from sqlalchemy import select

from app import outbox
from app.extensions import db
from franchise.models import Product
from livestream.models import Campaign, GateDecision
from livestream.services import linkcheck
from tests.fixtures.auth import csrf_token_from, login
from tests.livestream.scenarios import gen_campaign_id


def test_gate_page_shows_blocked_and_override_flow(app, client, live_org):
    cid = gen_campaign_id(app, live_org, "store", [live_org.a1, live_org.c1])
    login(client, "hq")
    page = client.get(f"/admin/live/campaigns/{cid}/readiness")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-ready="false"' in html and "上海A1店" in html and "北京C1店" in html
    assert 'data-code="training_below_threshold"' in html
    assert 'data-code="link_check_missing"' in html
    assert 'id="go-live"' in html and "disabled" in html.split('id="go-live"')[1][:200]
    token = csrf_token_from(html)
    url = f"/admin/live/campaigns/{cid}/readiness/override"
    bad = client.post(url, data={"csrf_token": token, "reason": " "})
    assert bad.status_code == 422 and 'data-error-for="reason"' in bad.get_data(as_text=True)
    nul = client.post(url, data={"csrf_token": token, "reason": "bad\x00reason"})
    assert nul.status_code == 422
    ok = client.post(url, data={"csrf_token": token, "reason": "店长已确认上架"})
    assert ok.status_code == 302
    html = client.get(f"/admin/live/campaigns/{cid}/readiness").get_data(as_text=True)
    assert 'data-ready="true"' in html and "店长已确认上架" in html
    go = client.post(f"/admin/live/campaigns/{cid}/go-live", data={"csrf_token": token})
    assert go.status_code == 302
    with app.app_context():
        assert db.session.get(Campaign, cid).status == "live"
        assert len(db.session.scalars(select(GateDecision)).all()) == 2


def test_go_live_page_refused_when_blocked(app, client, live_org):
    cid = gen_campaign_id(app, live_org, "store", [live_org.a1])
    login(client, "hq")
    token = csrf_token_from(client.get(f"/admin/live/campaigns/{cid}/readiness").get_data(True))
    go = client.post(f"/admin/live/campaigns/{cid}/go-live", data={"csrf_token": token})
    assert go.status_code == 409
    with app.app_context():
        assert db.session.get(Campaign, cid).status == "scheduled"


def test_link_check_page_runs_polls_and_reports(app, client, live_org):
    p_bad = live_org.products[1]
    with app.app_context():
        db.session.get(Product, p_bad).stock = 0
        bad_name = db.session.get(Product, p_bad).name
        db.session.commit()
    cid = gen_campaign_id(app, live_org, "store", [live_org.a1, live_org.b1])
    login(client, "hq")
    url = f"/admin/live/campaigns/{cid}/link-check"
    html = client.get(url).get_data(as_text=True)
    token = csrf_token_from(html)
    assert client.post(url, data={"csrf_token": token, "store_id": ""}).status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert 'id="lc-progress"' in html and 'data-pending="2"' in html
    status = client.get(url + "/status").get_json()
    assert status == {**status, "done": 0, "total": 2, "pending": 2}
    with app.app_context():
        outbox.drain()
    assert client.get(url + "/status").get_json()["pending"] == 0
    html = client.get(url).get_data(as_text=True)
    assert 'id="lc-progress"' not in html
    assert bad_name in html and 'data-problem="out_of_stock"' in html
    # the failing product comes first in each store's table
    table = html.split(f'data-store="{live_org.a1}"')[1]
    assert table.index(f'data-product="{p_bad}"') < table.index(
        f'data-product="{live_org.products[0]}"'
    )


def test_owner_reads_own_stores_only_and_guides_are_refused(app, client, live_org):
    cid = gen_campaign_id(app, live_org, "store", [live_org.a1, live_org.c1])
    with app.app_context():
        linkcheck.request_link_check(cid)
        outbox.drain()
    login(client, "owner-a")
    for path in ("readiness", "link-check"):
        page = client.get(f"/admin/live/campaigns/{cid}/{path}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "上海A1店" in html and "北京C1店" not in html
    assert 'id="override-form"' not in client.get(
        f"/admin/live/campaigns/{cid}/readiness"
    ).get_data(as_text=True)
    token = csrf_token_from(client.get(f"/admin/live/campaigns/{cid}/readiness").get_data(True))
    assert (
        client.post(
            f"/admin/live/campaigns/{cid}/readiness/override",
            data={"csrf_token": token, "reason": "owner tries"},
        ).status_code
        == 403
    )
    client.post("/admin/logout", data={"csrf_token": token})
    guide = app.test_client()
    login(guide, "guide-a1", path="/m/login")
    assert guide.get(f"/admin/live/campaigns/{cid}/readiness").status_code == 403
    assert guide.get(f"/admin/live/campaigns/{cid}/link-check").status_code == 403
