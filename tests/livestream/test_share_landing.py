"""The share landing inside WeChat opens the mini-program (a URL Link, made once per code
and cached), outside WeChat shows a QR code and makes a URL Scheme for the visitor who
taps "open WeChat"; the poster downloads as a PNG."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from app.extensions import db, get_redis
from app.wechat.sandbox import sandbox_state, wxacode
from app.wechat.sandbox.mp_links import resolve
from franchise.models import Product, ShareCode
from tests.fixtures.auth import login
from tests.livestream.factories import gen_campaign

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2f) NetType/WIFI"
)


def _share(app, client, live_org) -> tuple[int, str]:
    with app.app_context():
        products = [db.session.get(Product, pid) for pid in live_org.products]
        cid = gen_campaign("hq", live_org.stores, products, name="周年庆直播").id
    login(client, "guide-a1", path="/m/login")
    assert client.get(f"/m/live/{cid}/share").status_code == 200
    with app.app_context():
        code = db.session.scalars(select(ShareCode).where(ShareCode.campaign_id == cid)).one()
        return cid, code.code


def test_inside_wechat_the_landing_opens_the_mini_program(app, client, live_org):
    cid, code = _share(app, client, live_org)
    sandbox_state(app).reset()
    visitor = app.test_client()
    page = visitor.get(f"/m/live/{cid}/join/{code}", headers={"User-Agent": WECHAT_UA})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="open-mini-program"' in html
    assert 'id="join-qr"' not in html
    link = html.split('id="open-mini-program" href="', 1)[1].split('"', 1)[0]
    with app.app_context():
        target = resolve(link)
        assert target["path"] == "pages/live/index"
        assert target["query"] == f"campaign={cid}&code={code}"
        made = len(sandbox_state(app).data["mp_links"])
    again = visitor.get(f"/m/live/{cid}/join/{code}", headers={"User-Agent": WECHAT_UA})
    assert link in again.get_data(as_text=True)
    with app.app_context():
        assert len(sandbox_state(app).data["mp_links"]) == made  # cached, not made again


def test_without_a_url_link_the_landing_shows_the_mini_program_code(app, client, live_org):
    cid, code = _share(app, client, live_org)
    with app.app_context():
        sandbox_state(app).reset()
        sandbox_state(app).add_fault("wxa/generate_urllink", {"errcode": 85079, "count": 3})
        get_redis().flushdb()
    visitor = app.test_client()
    html = visitor.get(f"/m/live/{cid}/join/{code}", headers={"User-Agent": WECHAT_UA})
    html_text = html.get_data(as_text=True)
    assert 'id="join-wxacode"' in html_text and 'id="open-mini-program"' not in html_text
    image = visitor.get(f"/m/live/{cid}/join/{code}/wxacode.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    picture = Image.open(io.BytesIO(image.data))
    assert picture.format == "PNG" and 280 <= picture.width <= 1280
    with app.app_context():
        # the scene is the share code, the page the live page; made once, then cached
        assert wxacode.made("pages/live/index", code) == 1
    assert visitor.get(f"/m/live/{cid}/join/nope/wxacode.png").status_code == 404


def test_the_emulator_applies_the_mini_program_code_rules(app):
    from app.wechat import mp_links
    from app.wechat.errors import WeChatAPIError

    def refused(**kwargs) -> int:
        args = {"page": "pages/live/index", "scene": "ABC", **kwargs}
        try:
            mp_links.wxacode(**args)
        except WeChatAPIError as exc:
            return int(exc.errcode or 0)
        return 0

    with app.test_request_context():
        sandbox_state(app).reset()
        assert refused() == 0
        assert refused(scene="x" * 33) == 40169  # more than 32 visible characters
        assert refused(scene="") == 40169
        assert refused(scene="a%20b") == 40129  # % is not allowed
        assert refused(page="pages/live/index?x=1") == 41030  # parameters go in scene
        wxacode.withdraw("pages/live/index")
        assert refused() == 41030  # not a page of the released mini-program


def test_when_wechat_refuses_the_page_still_shows_the_path(app, client, live_org):
    cid, code = _share(app, client, live_org)
    with app.app_context():
        sandbox_state(app).reset()
        sandbox_state(app).add_fault("wxa/generate_urllink", {"errcode": 85079})
        sandbox_state(app).add_fault("wxa/getwxacodeunlimit", {"errcode": 45009})
        get_redis().flushdb()
    html = (
        app.test_client()
        .get(f"/m/live/{cid}/join/{code}", headers={"User-Agent": WECHAT_UA})
        .get_data(as_text=True)
    )
    assert 'id="join-path"' in html and "pages/live/index" in html


def test_outside_wechat_a_qr_and_a_scheme_per_visitor(app, client, live_org):
    cid, code = _share(app, client, live_org)
    visitor = app.test_client()
    html = visitor.get(f"/m/live/{cid}/join/{code}").get_data(as_text=True)
    assert 'id="join-qr"' in html and "<svg" in html and 'id="open-wechat"' in html
    first = visitor.get(f"/m/live/{cid}/join/{code}/open")
    second = visitor.get(f"/m/live/{cid}/join/{code}/open")
    assert first.status_code == 302 and first.headers["Location"].startswith("weixin://dl/")
    assert first.headers["Location"] != second.headers["Location"]  # one per visit
    assert visitor.get(f"/m/live/{cid}/join/nope/open").status_code == 404


def test_the_poster_is_a_png(app, client, live_org):
    cid, code = _share(app, client, live_org)
    res = client.get(f"/m/live/{cid}/poster.png?download=1")
    assert res.status_code == 200 and res.mimetype == "image/png"
    assert (
        "attachment" in res.headers["Content-Disposition"]
        and ".png" in res.headers["Content-Disposition"]
    )
    image = Image.open(io.BytesIO(res.get_data()))
    assert image.format == "PNG" and image.width == 750 and image.height > 700
    page = client.get(f"/m/live/{cid}/share").get_data(as_text=True)
    assert "poster.png" in page and "poster.svg" not in page
