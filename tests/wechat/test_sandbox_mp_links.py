"""URL Link and URL Scheme through our wrappers against the sandbox, with WeChat's rules:
the path carries no query (40165), the query's characters and length (40212), links
expire within 30 days (85401), and what a link opens."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.wechat import mp_links
from app.wechat.errors import WeChatAPIError
from app.wechat.sandbox.mp_links import QUERY_RE, resolve


def test_url_link_and_scheme_open_the_page(sandbox):
    link = mp_links.url_link("pages/live/index?campaign=3&code=abc")
    assert link.startswith("https://wxaurl.cn/")
    target = resolve(link)
    assert (target["path"], target["query"]) == ("pages/live/index", "campaign=3&code=abc")
    assert target["expires_at"] - sandbox.now() == pytest.approx(30 * 86400, abs=5)
    scheme = mp_links.url_scheme("pages/live/index?campaign=3&code=abc", days=7)
    assert scheme.startswith("weixin://dl/business/?t=")
    assert resolve(scheme)["kind"] == "scheme"


def _raw(api: str, body: dict) -> dict:
    return mp_links.call(api, body)


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"path": "pages/a?x=1", "expire_type": 1, "expire_interval": 1}, 40165),
        ({"path": "pages/a", "query": "a=<b>", "expire_type": 1, "expire_interval": 1}, 40212),
        ({"path": "pages/a", "query": "x" * 1025, "expire_type": 1, "expire_interval": 1}, 40212),
        ({"path": "pages/a", "expire_type": 1, "expire_interval": 31}, 85401),
        ({"path": "pages/a", "expire_type": 1, "expire_interval": 0}, 85401),
        ({"path": "pages/a", "expire_type": 0}, 85401),
    ],
)
def test_url_link_rules(sandbox, body, errcode):
    with pytest.raises(WeChatAPIError) as info:
        _raw("wxa/generate_urllink", body)
    assert info.value.errcode == errcode


def test_expire_time_within_thirty_days(sandbox):
    now = int(sandbox.now())
    ok = {"path": "pages/a", "expire_type": 0, "expire_time": now + 29 * 86400}
    assert _raw("wxa/generate_urllink", ok)["url_link"]
    for at in (now + 30, now + 31 * 86400):
        with pytest.raises(WeChatAPIError) as info:
            _raw(
                "wxa/generatescheme",
                {"jump_wxa": {"path": "pages/a"}, "expire_type": 0, "expire_time": at},
            )
        assert info.value.errcode == 85401


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_a_query_is_refused_exactly_when_it_breaks_the_character_rule(app, query):
    from app.wechat.sandbox import sandbox_state

    with app.app_context():
        sandbox_state(app).reset()
        body = {"path": "pages/a", "query": query, "expire_type": 1, "expire_interval": 1}
        try:
            _raw("wxa/generate_urllink", body)
            accepted = True
        except WeChatAPIError as exc:
            assert exc.errcode == 40212
            accepted = False
    assert accepted == bool(QUERY_RE.fullmatch(query))
