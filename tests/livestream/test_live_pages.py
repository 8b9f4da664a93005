"""Pages of the live area: the guide's share page and poster, the public landing, the
live dashboard (HQ and owner) and HQ's "read viewers now" button."""

from __future__ import annotations

import re

from sqlalchemy import select

from app import outbox
from app.extensions import db
from franchise.models import ShareCode
from livestream.models import LiveSession
from livestream.services import living
from tests.fixtures.auth import csrf_token_from, login
from tests.livestream.scenarios import gen_campaign_id


def test_guide_share_page_and_poster(app, client, live_org):
    cid = gen_campaign_id(app, live_org, name="金秋直播节")
    login(client, "guide-a1", path="/m/login")
    res = client.get(f"/m/live/{cid}/share")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    with app.app_context():
        code = db.session.scalars(select(ShareCode).where(ShareCode.campaign_id == cid)).one()
    assert code.code in html and f"pages/live/index?campaign={cid}&amp;code={code.code}" in html
    assert f"/m/live/{cid}/join/{code.code}" in html
    assert 'id="share-qr"' in html and "<svg" in html and "data-copy" in html

    poster = client.get(f"/m/live/{cid}/poster.svg")
    assert poster.status_code == 200 and poster.mimetype == "image/svg+xml"
    svg = poster.get_data(as_text=True)
    assert svg.startswith("<?xml") and "金秋直播节" in svg
    assert "SH-A1-1" in svg and "上海A1店" in svg and 'id="poster-qr"' in svg
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", svg)
    download = client.get(f"/m/live/{cid}/poster.svg?download=1")
    assert "attachment" in download.headers["Content-Disposition"]


def test_poster_escapes_the_name(app, client, live_org):
    cid = gen_campaign_id(app, live_org, name='<b>&"直播"</b>')
    login(client, "guide-a1", path="/m/login")
    svg = client.get(f"/m/live/{cid}/poster.svg").get_data(as_text=True)
    assert "<b>" not in svg and "&lt;b&gt;" in svg


def test_another_stores_guide_gets_404(app, client, live_org):
    cid = gen_campaign_id(app, live_org, stores=[live_org.a1])
    draft = gen_campaign_id(app, live_org, status="draft")
    login(client, "guide-c1", path="/m/login")
    for url in (f"/m/live/{cid}/share", f"/m/live/{cid}/poster.svg", f"/m/live/{draft}/share"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/m/live/{2**40}/share").status_code == 404


def test_share_pages_need_a_guide(app, client, live_org):
    cid = gen_campaign_id(app, live_org)
    res = client.get(f"/m/live/{cid}/share")
    assert res.status_code == 302 and "/m/login" in res.headers["Location"]
    login(client, "hq")
    assert client.get(f"/m/live/{cid}/poster.svg").status_code == 403


def test_public_landing(app, client, live_org):
    cid = gen_campaign_id(app, live_org, name="店庆直播")
    login(client, "guide-a1", path="/m/login")
    client.get(f"/m/live/{cid}/share")
    with app.app_context():
        code = db.session.scalars(select(ShareCode).where(ShareCode.campaign_id == cid)).one().code
    anonymous = app.test_client()
    res = anonymous.get(f"/m/live/{cid}/join/{code}")
    assert res.status_code == 200 and "店庆直播" in res.get_data(as_text=True)
    other = gen_campaign_id(app, live_org)
    assert anonymous.get(f"/m/live/{other}/join/{code}").status_code == 404
    assert anonymous.get(f"/m/live/{cid}/join/NOPE").status_code == 404


def test_dashboard_for_hq_with_read_viewers(app, client, live_org):
    cid = gen_campaign_id(app, live_org, mode="store", stores=[live_org.a1], status="live")
    with app.app_context():
        session = db.session.scalars(
            select(LiveSession).where(LiveSession.campaign_id == cid)
        ).one()
        session.anchor_userid = "anchor-a1"
        db.session.commit()
        living.enqueue_livings()
        outbox.drain()
        living_id = db.session.get(LiveSession, session.id).living_id
    client.post(f"/_sandbox/control/livings/{living_id}/viewers", json={"users": [{"userid": "a"}]})
    login(client, "hq")
    res = client.get(f"/admin/live/campaigns/{cid}/live")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert 'aria-current="page"' in html and f"/api/v1/campaigns/{cid}/live" in html
    assert 'id="read-viewers"' in html and 'data-figure="gmv_fen"' in html
    assert 'id="live-lineup"' in html and 'id="live-orders"' in html
    res = client.post(
        f"/admin/live/campaigns/{cid}/live/viewers", data={"csrf_token": csrf_token_from(html)}
    )
    assert res.status_code == 303
    with app.app_context():
        assert db.session.get(LiveSession, session.id).viewer_count == 1
    # the dashboard's script reads the API with the session cookie
    assert client.get(f"/api/v1/campaigns/{cid}/live").status_code == 200


def test_dashboard_for_owner(app, client, live_org):
    cid = gen_campaign_id(app, live_org, mode="store", status="live")
    other = gen_campaign_id(app, live_org, stores=[live_org.c1])
    login(client, "owner-a")
    res = client.get(f"/admin/live/campaigns/{cid}/live")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert "上海A1店" in html and "北京C1店" not in html and 'id="read-viewers"' not in html
    assert client.get(f"/admin/live/campaigns/{other}/live").status_code == 404
    page = client.get(f"/admin/live/campaigns/{cid}/live").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"csrf_token": token.group(1)} if token else {}
    assert client.post(f"/admin/live/campaigns/{cid}/live/viewers", data=data).status_code in (
        400,
        403,
    )
