"""How the public share landing opens the mini-program.

Inside WeChat (``MicroMessenger`` in the user agent) the page offers the campaign's URL
Link (``wxa/generate_urllink``): one link per share code, valid 30 days, kept in Redis for
29 so a landing view rarely calls WeChat. Outside WeChat the page shows a QR code of
itself to scan with WeChat and, on a phone, an "open WeChat" button that makes a URL
Scheme for that visitor only when tapped (a scheme opens for the first user who opens
it). When WeChat will not make a URL Link the page shows the mini-program code instead
(``wxa/getwxacodeunlimit``: page ``pages/live/index``, the share code as its ``scene``),
a long-press opens it; the code never expires, so it is kept in Redis per share code for
30 days. When WeChat refuses both the page still works: it shows the mini-program path.
These calls are made inside a GET with no transaction open (a documented fast path:
nothing is written, so nothing waits for a commit).
"""

from __future__ import annotations

import logging

from app.extensions import get_redis
from app.wechat import mp_links
from app.wechat.errors import WeChatError

log = logging.getLogger("siyu.livestream.landing")

LINK_TTL = 29 * 86400  # a URL Link lives 30 days; keep it one day less
KEY = "siyu:mp_urllink:{path}"
WXACODE_KEY = "siyu:mp_wxacode:{code}"
WXACODE_TTL = 30 * 86400


def in_wechat(user_agent: str | None) -> bool:
    """Whether the page is opened in WeChat's in-app browser."""
    return "micromessenger" in (user_agent or "").lower()


def cached_url_link(mp_path: str) -> str | None:
    """The URL Link of ``mp_path`` (cached), or None when WeChat would not make one."""
    redis = get_redis()
    key = KEY.format(path=mp_path)
    cached = redis.get(key)
    if cached:
        return cached.decode() if isinstance(cached, bytes) else str(cached)
    try:
        link = mp_links.url_link(mp_path)
    except WeChatError as exc:
        log.warning("url link for %s: %s", mp_path, exc)
        return None
    redis.set(key, link, ex=LINK_TTL)
    return link


def scheme_for_visitor(mp_path: str) -> str | None:
    """A fresh URL Scheme for one visitor, or None when WeChat would not make one."""
    try:
        return mp_links.url_scheme(mp_path)
    except WeChatError as exc:
        log.warning("url scheme for %s: %s", mp_path, exc)
        return None


def cached_wxacode(mp_path: str, code: str) -> bytes | None:
    """The mini-program code image opening ``mp_path``'s page with ``code`` as its scene
    (cached per share code), or None when WeChat would not make one."""
    redis = get_redis()
    key = WXACODE_KEY.format(code=code)
    cached = redis.get(key)
    if cached:
        return bytes(cached) if not isinstance(cached, str) else cached.encode("latin-1")
    page, _ = mp_links.split_path(mp_path)
    try:
        image = mp_links.wxacode(page, code)
    except WeChatError as exc:
        log.warning("mini-program code for %s: %s", code, exc)
        return None
    redis.set(key, image, ex=WXACODE_TTL)
    return image
