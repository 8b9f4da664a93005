"""The WeChat Pay APIv3 client (``wechatpayv3``, partner mode) built from config.

One ``wechatpayv3.WeChatPay`` per app in service-provider mode (``partner_mode``):
``PAY_APPID`` / ``PAY_MCH_ID`` are ``sp_appid`` / ``sp_mchid``, each call names the
franchisee's ``sub_mchid``. It signs with the merchant's API private key and serial and
verifies WeChat Pay's answers with WeChat Pay's public key (``public_key`` mode) or the
platform certificates (``certificate`` mode, downloaded into ``PAY_V3_PLATFORM_CERT_DIR``).

In sandbox mode the gateway is the emulator (``/_sandbox/mch``) and, unless set, the keys
are the sandbox's (``app.wechat.pay_v3_keys``). ``wechatpayv3`` calls the module-level
``requests.get/post/...``; ``_Transport`` stands in for that module so a call made inside
``transport(app)`` goes through a ``requests.Session`` with the in-process sandbox
mounted (no network), and any other call through ``requests`` itself.
"""

from __future__ import annotations

import contextlib
import contextvars
from pathlib import Path
from typing import Any

import requests
import wechatpayv3.core
from flask import Flask
from wechatpayv3 import WeChatPay, WeChatPayType

from app.config import PAY_V3_SETTINGS
from app.context import app_now
from app.kept import kept
from app.wechat.clients import sandbox_base, wire_in_process
from app.wechat.pay_v3_keys import SANDBOX_APIV3_KEY, sandbox_identity

EXTENSION_KEY = "siyu_pay_v3"
_SESSION: contextvars.ContextVar[tuple[requests.Session, str] | None] = contextvars.ContextVar(
    "siyu_pay_v3_session", default=None
)


GATEWAY = "https://api.mch.weixin.qq.com"


class _Transport:
    """What ``wechatpayv3.core`` sees as ``requests``: ``get``/``post``/... of the session
    set by ``transport()`` (with WeChat Pay's gateway rewritten to the sandbox's), else
    of ``requests`` itself."""

    def __getattr__(self, method: str):
        current = _SESSION.get()
        if current is None:
            return getattr(requests, method)
        session, base = current
        call = getattr(session, method)

        def rewritten(url: str, **kwargs: Any):
            if base and url.startswith(GATEWAY):
                url = base + url[len(GATEWAY) :]
            return call(url, **kwargs)

        return rewritten


wechatpayv3.core.requests = _Transport()


def _app(app: Flask | None) -> Flask:
    return app or app_now()


def v3_settings(app: Flask | None = None) -> dict:
    """The APIv3 settings in use: config, or the sandbox identity where config is empty."""
    cfg = _app(app).config
    values = {key: cfg.get(key) for key in cfg if key.startswith("PAY_V3_")}
    if cfg.get("WECHAT_MODE") == "sandbox" and not values.get("PAY_V3_PRIVATE_KEY_PATH"):
        ident = sandbox_identity()
        values.update(
            PAY_V3_PRIVATE_KEY=ident.merchant_key_pem,
            PAY_V3_CERT_SERIAL=ident.merchant_serial,
            PAY_V3_KEY=values.get("PAY_V3_KEY") or SANDBOX_APIV3_KEY,
            PAY_V3_PUBLIC_KEY=ident.platform_public_pem,
            PAY_V3_PUBLIC_KEY_ID=ident.public_key_id,
        )
    else:
        values["PAY_V3_PRIVATE_KEY"] = Path(str(values["PAY_V3_PRIVATE_KEY_PATH"])).read_text()
        if values.get("PAY_V3_VERIFY") == "public_key":
            values["PAY_V3_PUBLIC_KEY"] = Path(str(values["PAY_V3_PUBLIC_KEY_PATH"])).read_text()
    if values.get("PAY_V3_VERIFY") == "certificate":
        values["PAY_V3_PUBLIC_KEY"] = values["PAY_V3_PUBLIC_KEY_ID"] = None
        if not values.get("PAY_V3_PLATFORM_CERT_DIR"):
            from app.config import INSTANCE_DIR

            values["PAY_V3_PLATFORM_CERT_DIR"] = str(INSTANCE_DIR / "sandbox_pay_v3" / "certs")
    return values


@contextlib.contextmanager
def transport(app: Flask | None = None):
    """Route ``wechatpayv3``'s HTTP calls made inside the block to the sandbox when the
    sandbox is in this process (a session with the WSGI adapter mounted)."""
    app = _app(app)
    session = requests.Session()
    base = sandbox_base(app)
    if base:
        wire_in_process(session, app)
    token = _SESSION.set((session, base + "mch" if base else ""))
    try:
        yield
    finally:
        _SESSION.reset(token)
        session.close()


# The settings the client is built from, as configured (paths, not file contents): the
# declared ``PAY_V3_*`` keys and the client's identity; a change to any rebuilds it.
V3_KEYS = tuple(sorted({"PAY_V3_VERIFY", *(name for name, _env in PAY_V3_SETTINGS)}))


def v3_client(app: Flask | None = None) -> WeChatPay:
    """The app's APIv3 partner-mode client (kept per app; rebuilt when a setting in its
    key changes: ``V3_KEYS``, the appid, the merchant, the mode and the sandbox's base)."""
    app = _app(app)
    cfg = app.config
    key = (
        *(cfg.get(name) for name in V3_KEYS),
        cfg["PAY_APPID"],
        cfg["PAY_MCH_ID"],
        cfg.get("WECHAT_MODE"),
        sandbox_base(app),
    )
    return kept(app, EXTENSION_KEY, key, lambda: _build_client(app))


def _build_client(app: Flask) -> WeChatPay:
    """A ``WeChatPay`` from the app's settings (``v3_settings``: key files read here)."""
    cfg = app.config
    s = v3_settings(app)
    with transport(app):
        return WeChatPay(
            wechatpay_type=WeChatPayType.MINIPROG,
            mchid=cfg["PAY_MCH_ID"],
            private_key=s["PAY_V3_PRIVATE_KEY"],
            cert_serial_no=s["PAY_V3_CERT_SERIAL"],
            appid=cfg["PAY_APPID"],
            apiv3_key=s["PAY_V3_KEY"],
            notify_url=cfg["PAY_NOTIFY_URL"],
            cert_dir=s["PAY_V3_PLATFORM_CERT_DIR"] if s["PAY_V3_VERIFY"] == "certificate" else None,
            partner_mode=True,
            timeout=cfg["WECHAT_HTTP_TIMEOUT"],
            public_key=s["PAY_V3_PUBLIC_KEY"],
            public_key_id=s["PAY_V3_PUBLIC_KEY_ID"],
        )
