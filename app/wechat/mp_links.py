"""Links that open the mini-program from a web page: URL Link and URL Scheme.

``url_link(path, query)`` calls ``wxa/generate_urllink`` (an https link that opens the
mini-program inside WeChat and, through WeChat's own page, from other browsers);
``url_scheme(path, query)`` calls ``wxa/generatescheme`` (``weixin://dl/business/?t=…``,
for a phone browser outside WeChat). Both links expire after at most 30 days (WeChat's
rule since 2022-04-11; ``is_expire`` is always true), ``path`` may not carry the query,
and the query allows only digits, letters and ``!#$&'()*+,/:;=?@-._~%`` up to 1,024
characters. A scheme, once opened by one user, opens only for that user again, so a
scheme is made per visitor and never shared; a URL Link may be shared and cached.

``wxacode(page, scene)`` calls ``wxa/getwxacodeunlimit`` (wxacode.getUnlimited): the
mini-program code as a PNG, for a page inside WeChat where a URL Link could not be made.
``scene`` is at most 32 visible characters (``!#$&'()*+,/:;=?@-._~``, letters, digits;
40169 / 40129 otherwise), ``page`` a released page without its query (41030), ``width``
280–1280 px. The code never expires, so it may be cached for good.

Errors come back as ``WeChatAPIError`` (40165 bad path, 40212 bad query, 85401 bad
expiry, 40002 / 40013 no permission, 85079 not released) or ``WeChatRateLimited``.
"""

from __future__ import annotations

import requests

from app.wechat.clients import miniprogram_client
from app.wechat.errors import WeChatAPIError, translate_errors

MAX_DAYS = 30


def split_path(mp_path: str) -> tuple[str, str]:
    """``pages/live/index?campaign=1&code=x`` → (``pages/live/index``, ``campaign=1&code=x``)."""
    path, _, query = mp_path.partition("?")
    return path.lstrip("/"), query


def call(api: str, body: dict, client=None) -> dict:
    """POST ``body`` to the mini-program ``api``; errors as ``WeChatError``."""
    client = client or miniprogram_client()
    with translate_errors(api):
        result = client.post(api, data=body, api_base_url=client.wxa.API_BASE_URL)
    if not isinstance(result, dict):
        raise WeChatAPIError(f"{api}: unexpected answer", api=api)
    return result


def _expiring(mp_path: str, days: int) -> tuple[str, str, dict]:
    """``(path, query, expiry fields)`` of a link to ``mp_path`` valid ``days`` (1..30)."""
    path, query = split_path(mp_path)
    return path, query, {"expire_type": 1, "expire_interval": max(1, min(MAX_DAYS, days))}


def _answer(result: dict, key: str, api: str) -> str:
    if not result.get(key):
        raise WeChatAPIError(f"{api}: no {key}", api=api)
    return str(result[key])


def url_link(mp_path: str, days: int = MAX_DAYS, client=None) -> str:
    """A URL Link (``https://wxaurl.cn/…``) to ``mp_path`` valid for ``days`` (≤ 30)."""
    path, query, expiry = _expiring(mp_path, days)
    api = "wxa/generate_urllink"
    return _answer(call(api, {"path": path, "query": query, **expiry}, client), "url_link", api)


def url_scheme(mp_path: str, days: int = MAX_DAYS, client=None) -> str:
    """A URL Scheme (``weixin://dl/business/?t=…``) to ``mp_path`` for one visitor."""
    path, query, expiry = _expiring(mp_path, days)
    api = "wxa/generatescheme"
    body = {"jump_wxa": {"path": path, "query": query}, **expiry}
    return _answer(call(api, body, client), "openlink", api)


WXACODE_WIDTH = 430
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff")  # WeChat answers PNG or JPEG


def wxacode(page: str, scene: str, width: int = WXACODE_WIDTH, client=None) -> bytes:
    """The mini-program code (PNG or JPEG bytes) opening ``page`` with ``scene``."""
    client = client or miniprogram_client()
    api = "wxa/getwxacodeunlimit"
    body = {"scene": scene, "page": page.lstrip("/"), "width": max(280, min(1280, width))}
    with translate_errors(api):
        result = client.post(api, data=body, api_base_url=client.wxa.API_BASE_URL)
    content = result.content if isinstance(result, requests.Response) else b""
    if content.startswith(IMAGE_MAGIC):
        return content
    raise WeChatAPIError(f"{api}: the answer is not an image", api=api)
