"""The mini-program login's exchange (``sns/jscode2session``) over one connection pool
per process.

WeChat documents the call as ``GET https://api.weixin.qq.com/sns/jscode2session`` with
``appid``, ``secret``, ``js_code`` and ``grant_type=authorization_code``: no access
token, a JSON answer with ``openid``, ``session_key`` (and ``unionid``) or an
``errcode``. It is the one WeChat call on the login's path, so it skips the wechatpy
client and ``requests`` (a prepared request, cookie jar, hooks and adapter per call,
about a fifth of a login's CPU) for a ``urllib3`` pool, which is thread-safe: the
process's threads share its kept-alive connections. The answer means what wechatpy made
of it: an HTTP error status or an unreachable host is ``WeChatUnavailable``, an
``errcode`` is the error ``app.wechat.errors.errcode_error`` names, anything else is the
caller's to check.

There is one path: WeChat, the emulator run as its own process (``SANDBOX_URL``) and
the emulator mounted in this app (tests, ``scripts/run``) are all called by the same
``Exchange``, which builds the same GET and reads the answer the same way. Only the pool
differs: for the mounted emulator it is an ``InProcessPool``
(``app.wechat.clients``), which hands the encoded request to the app's WSGI callable
instead of a connection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import requests
import urllib3
from flask import Flask
from wechatpy.client.api import WeChatWxa

from app.kept import kept
from app.wechat.clients import IN_PROCESS_HOST, InProcessPool, sandbox_base
from app.wechat.errors import WeChatUnavailable, errcode_error

API = "sns/jscode2session"
EXTENSION = "siyu_code2session"  # app.extensions key: (settings, the process's Exchange)
POOL_SIZE = 16  # kept connections per host (gunicorn's threads share them)


@dataclass(frozen=True)
class Exchange:
    """The configured exchange: where it goes, as which app, through which pool."""

    url: str
    appid: str
    secret: str
    pool: urllib3.PoolManager
    timeout: urllib3.Timeout

    def __call__(self, code: str) -> dict | None:
        """WeChat's answer to ``code`` as a dict (None when it was not JSON); raises
        ``WeChatUnavailable`` or the ``errcode``'s error."""
        fields = {
            "appid": self.appid,
            "secret": self.secret,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        try:
            response = self.pool.request(
                "GET",
                self.url,
                fields=fields,
                timeout=self.timeout,
                retries=urllib3.Retry(0, read=False),  # what requests' adapter allows
                redirect=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise WeChatUnavailable(f"{API}: {exc.__class__.__name__}", api=API) from exc
        if response.status >= 400:
            raise WeChatUnavailable(f"{API}: HTTP {response.status}", api=API)
        try:
            result = json.loads(response.data.decode("utf-8", "ignore"), strict=False)
        except ValueError:
            return None
        if not isinstance(result, dict):
            return None
        errcode = int(result.get("errcode") or 0)
        if errcode:
            raise errcode_error(API, errcode, str(result.get("errmsg", errcode)))
        return result


def _pool(url: str) -> urllib3.PoolManager:
    """A pool for ``url`` that honours the proxy and CA-bundle environment the way
    ``requests`` reads it (``app.wechat.clients._pin_environment``), read once."""
    settings = requests.Session().merge_environment_settings(url, {}, None, None, None)
    verify = settings["verify"]
    options: dict = {
        "num_pools": 2,
        "maxsize": POOL_SIZE,
        "block": False,
        "cert_reqs": "CERT_REQUIRED" if verify else "CERT_NONE",
        "ca_certs": verify if isinstance(verify, str) else requests.certs.where(),
    }
    proxy = requests.utils.select_proxy(url, settings["proxies"])
    return urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)


def pool_for(app: Flask) -> Exchange:
    """The process's exchange for the app's configuration (kept per app, built again when
    the appid, secret, address or timeout change)."""
    cfg = app.config
    key = (cfg["MP_APPID"], cfg["MP_SECRET"], sandbox_base(app), cfg["WECHAT_HTTP_TIMEOUT"])
    return kept(app, EXTENSION, key, lambda: _exchange(app, *key))


def _exchange(app: Flask, appid: str, secret: str, base: str | None, seconds: float) -> Exchange:
    """An exchange as ``appid`` to WeChat or the emulator at ``base``: its own pool, or
    the app's WSGI callable when the emulator is mounted in it."""
    url = (base + "api/" if base else WeChatWxa.API_BASE_URL) + API
    pool = InProcessPool(app) if base == IN_PROCESS_HOST + "/_sandbox/" else _pool(url)
    timeout = urllib3.Timeout(connect=seconds, read=seconds)
    return Exchange(url, appid, secret, pool, timeout)
