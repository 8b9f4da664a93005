"""Client factories: WeCom, mini-program and WeChat Pay clients built from config.

Tokens are cached in Redis (``RedisStorage`` prefix ``siyu:wechat``) and refreshed under
a Redis lock, so several processes do not all fetch at once: a process that waited for
the lock reuses the token another one just fetched. A token refused with 40001 / 40014 /
42001 is refreshed once and the call retried (wechatpy ``auto_retry``, bounded to one
retry here).

In sandbox mode (``WECHAT_MODE == "sandbox"``) every client points at the sandbox:
``SANDBOX_URL`` when set (a separate sandbox process, real HTTP), otherwise the sandbox
mounted in this app, reached in-process through ``wsgiadapter.WSGIAdapter`` mounted on the
client's ``requests.Session`` for ``http://sandbox.siyu.local/`` (no network).
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

import requests
import urllib3
from flask import Flask
from wechatpy import WeChatClient as MiniProgramBaseClient
from wechatpy.enterprise import WeChatClient as WeComBaseClient
from wechatpy.pay import WeChatPay
from wechatpy.session.redisstorage import RedisStorage
from werkzeug.test import Client
from wsgiadapter import WSGIAdapter

from app.context import app_now
from app.extensions import get_redis

log = logging.getLogger("siyu.wechat")

IN_PROCESS_HOST = "http://sandbox.siyu.local"
TOKEN_LOCK_SECONDS = 15


def _app(app: Flask | None) -> Flask:
    return app or app_now()


def sandbox_base(app: Flask | None = None) -> str | None:
    """The sandbox root URL ending in ``/_sandbox/``, or None when WeChat is live."""
    cfg = _app(app).config
    if cfg.get("WECHAT_MODE") != "sandbox":
        return None
    url = (cfg.get("SANDBOX_URL") or "").rstrip("/")
    if not url:
        return IN_PROCESS_HOST + "/_sandbox/"
    return url + "/" if url.endswith("/_sandbox") else url + "/_sandbox/"


def mounted_sandbox(app: Flask) -> Flask:
    """``app``, whose mounted sandbox answers the in-process host; refused when no sandbox
    is mounted in it."""
    if "siyu_sandbox" not in app.extensions:
        raise RuntimeError(
            "WECHAT_MODE is 'sandbox' but no sandbox is mounted: set SIYU_SANDBOX_MOUNT=1 "
            "or SIYU_SANDBOX_URL to a running 'flask sandbox run'"
        )
    return app


def wire_in_process(http: requests.Session, app: Flask) -> None:
    """Route the in-process sandbox host to this app's WSGI callable (no network)."""
    if sandbox_base(app) == IN_PROCESS_HOST + "/_sandbox/":
        http.mount(IN_PROCESS_HOST + "/", WSGIAdapter(_StrContentLength(mounted_sandbox(app))))


class InProcessPool(urllib3.PoolManager):
    """A ``urllib3`` pool whose requests this app's WSGI callable answers (the mounted
    sandbox, no network): ``request`` encodes the URL as any pool does, ``urlopen`` hands
    it to the app instead of a connection and gives back its answer as an
    ``HTTPResponse`` (status, headers, body). What ``wire_in_process`` is to a
    ``requests`` session. Timeouts and retries do not apply in process."""

    def __init__(self, app: Flask) -> None:
        super().__init__(num_pools=1)
        self.app = mounted_sandbox(app)

    def urlopen(  # type: ignore[override]  # the pool's keywords are accepted, not used
        self, method: str, url: str, redirect: bool = True, **kw: Any
    ) -> urllib3.HTTPResponse:
        answer = Client(self.app).open(
            url, method=method, headers=dict(kw.get("headers") or {}), follow_redirects=False
        )
        headers = urllib3.HTTPHeaderDict()
        for name, value in answer.headers.items():
            headers.add(name, value)
        return urllib3.HTTPResponse(
            body=answer.get_data(),
            headers=headers,
            status=answer.status_code,
            preload_content=True,
            request_method=method,
            request_url=url,
        )


class _StrContentLength:
    """WSGI middleware: wsgiadapter 0.4.1 puts an int in ``CONTENT_LENGTH``; PEP 3333 (and
    Werkzeug 3) want a string."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        environ["CONTENT_LENGTH"] = str(environ.get("CONTENT_LENGTH") or "")
        return self.app(environ, start_response)


def token_storage(app: Flask | None = None) -> RedisStorage:
    return RedisStorage(get_redis(_app(app)), prefix="siyu:wechat")


class _SiyuClientMixin:
    """Locked token refresh and a bounded (one) token retry for wechatpy clients."""

    TOKEN_PATH = ""
    _siyu_app: Flask | None = None
    _depth = 0
    if TYPE_CHECKING:  # from the wechatpy client this is mixed into (wechatpy has no types)
        API_BASE_URL: str
        access_token_key: str
        auto_retry: bool
        session: Any

        def _fetch_access_token(self, url: str, params: dict) -> dict: ...

    def token_params(self) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def fetch_access_token(self):
        """Fetch a token at ``API_BASE_URL + TOKEN_PATH`` (the sandbox's when pointed there),
        unless another process refreshed the cached one while we waited for the lock."""
        key = self.access_token_key
        seen = self.session.get(key)
        lock = get_redis(self._siyu_app).lock(
            f"siyu:wechat:lock:{key}",
            timeout=TOKEN_LOCK_SECONDS,
            blocking_timeout=TOKEN_LOCK_SECONDS,
        )
        acquired = lock.acquire()
        try:
            current = self.session.get(key)
            if current and current != seen:
                return {"access_token": current}
            return self._fetch_access_token(
                url=self.API_BASE_URL + self.TOKEN_PATH, params=self.token_params()
            )
        finally:
            if acquired:
                with contextlib.suppress(Exception):  # an expired lock is harmless here
                    lock.release()

    def _handle_result(self, res, method=None, url=None, result_processor=None, **kwargs):
        """wechatpy retries on a bad token recursively; allow that only once per call."""
        saved = self.auto_retry
        self._depth += 1
        if self._depth > 1:
            self.auto_retry = False
        try:
            return super()._handle_result(  # type: ignore[misc]  # wechatpy's, next in the MRO
                res, method, url, result_processor, **kwargs
            )
        finally:
            self._depth -= 1
            self.auto_retry = saved


class WeComClient(_SiyuClientMixin, WeComBaseClient):
    """WeCom (企业微信) client; ``API_BASE_URL`` is set per instance in sandbox mode."""

    TOKEN_PATH = "gettoken"

    def token_params(self) -> dict:
        return {"corpid": self.corp_id, "corpsecret": self.secret}


class MiniProgramClient(_SiyuClientMixin, MiniProgramBaseClient):
    """Mini-program client (``wxa`` API carries its own base URL)."""

    TOKEN_PATH = "token"

    def token_params(self) -> dict:
        return {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}


def _token_client(cls, id_key: str, secret_key: str, app: Flask | None):
    """A ``cls`` client for the configured id and secret with the shared token storage;
    with the emulator's base URL (``None`` outside the sandbox), its HTTP session already
    routed there, for the caller to point the client's URLs at."""
    app = _app(app)
    cfg = app.config
    client = cls(
        cfg[id_key],
        cfg[secret_key],
        session=token_storage(app),
        timeout=cfg["WECHAT_HTTP_TIMEOUT"],
    )
    client._siyu_app = app
    base = sandbox_base(app)
    if base:
        wire_in_process(client._http, app)
    _pin_environment(client._http, base or client.API_BASE_URL)
    return client, base


def _pin_environment(http: requests.Session, url: str) -> None:
    """Read the proxy and CA-bundle environment once, for the one host the client calls.

    With ``trust_env`` on, ``requests`` walks the process environment for proxies and bundles on
    every call (about a tenth of a returning customer's login); the values are taken here
    instead, so a deployment behind ``HTTPS_PROXY`` still goes through it."""
    settings = http.merge_environment_settings(url, {}, None, None, None)  # requests' own rule
    http.proxies.update(settings["proxies"])
    if isinstance(settings["verify"], str):
        http.verify = settings["verify"]
    http.trust_env = False


def wecom_client(app: Flask | None = None) -> WeComClient:
    """A WeCom client for ``WECOM_CORP_ID`` / ``WECOM_SECRET`` (sandbox-aware)."""
    client, base = _token_client(WeComClient, "WECOM_CORP_ID", "WECOM_SECRET", app)
    if base:
        client.API_BASE_URL = base + "qyapi/cgi-bin/"
    return client


def miniprogram_client(app: Flask | None = None) -> MiniProgramClient:
    """A mini-program client for ``MP_APPID`` / ``MP_SECRET`` (sandbox-aware)."""
    client, base = _token_client(MiniProgramClient, "MP_APPID", "MP_SECRET", app)
    if base:
        client.API_BASE_URL = base + "api/cgi-bin/"
        client.wxa.API_BASE_URL = base + "api/"
    return client


def pay_client(sub_mch_id: str | None, app: Flask | None = None) -> WeChatPay:
    """A WeChat Pay (APIv2, service-provider mode) client for one sub-merchant.

    ``appid`` is the provider's ``PAY_APPID``, ``sub_appid`` the mini-program; the
    merchant certificate (``PAY_CERT_PATH`` / ``PAY_CERT_KEY_PATH``) is used for
    ``secapi`` calls against the real WeChat only.
    """
    app = _app(app)
    cfg = app.config
    pay = WeChatPay(
        appid=cfg["PAY_APPID"],
        api_key=cfg["PAY_KEY"],
        mch_id=cfg["PAY_MCH_ID"],
        sub_mch_id=sub_mch_id or None,
        sub_appid=cfg["MP_APPID"],
        mch_cert=cfg.get("PAY_CERT_PATH"),
        mch_key=cfg.get("PAY_CERT_KEY_PATH"),
        timeout=cfg["WECHAT_HTTP_TIMEOUT"],
    )
    base = sandbox_base(app)
    if base:
        pay.API_BASE_URL = base + "mch/"
        pay.mch_cert = pay.mch_key = None
        wire_in_process(pay._http, app)
    return pay
