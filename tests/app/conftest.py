"""Production environments for the configuration and health tests (issue 12).

``live_env`` is a complete live deployment's environment; ``staging_env`` is
``scripts/prod-local``'s (the emulator as its own process, ``SIYU_ALLOW_SANDBOX=1``).
``build_from_env`` builds the whole app from the environment on the test database/Redis.
"""

from __future__ import annotations

import base64
import gc
import os

import pytest

from wsgi import build_app

NOTIFY_URL = "https://siyu.example.com/api/v1/pay/notify"
LIVE_KEYS = {
    "SIYU_WECOM_CORP_ID": "wwbrandcorp000001",
    "SIYU_WECOM_SECRET": "brand-wecom-secret",
    "SIYU_WECOM_TOKEN": "BrandCallbackToken",
    "SIYU_WECOM_AES_KEY": base64.b64encode(b"brand-aes-key-of-thirty-two-byte").decode()[:43],
    "SIYU_MP_APPID": "wxbrandminiprog01",
    "SIYU_MP_SECRET": "brand-miniprogram-secret",
    "SIYU_PAY_APPID": "wxbrandservice001",
    "SIYU_PAY_MCH_ID": "1612345678",
    "SIYU_PAY_KEY": "BrandPayKey000000000000000000001",
}


@pytest.fixture
def live_env(monkeypatch, tmp_path, database_url):
    """A complete live production environment (no other ``SIYU_*`` setting leaks in)."""
    for name in list(os.environ):
        if name.startswith("SIYU_") and not name.startswith("SIYU_TEST_"):
            monkeypatch.delenv(name)
    cert, key = tmp_path / "apiclient_cert.pem", tmp_path / "apiclient_key.pem"
    cert.write_text("cert")
    key.write_text("key")
    env = {
        "SIYU_ENV": "production",
        "SIYU_DATABASE_URL": database_url,
        "SIYU_REDIS_URL": "redis://127.0.0.1:6379/0",
        "SIYU_SECRET_KEY": "production-secret",
        "SIYU_WECHAT_MODE": "live",
        "SIYU_PAY_NOTIFY_URL": NOTIFY_URL,
        "SIYU_PAY_CERT_PATH": str(cert),
        "SIYU_PAY_CERT_KEY_PATH": str(key),
        **LIVE_KEYS,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def staging_env(live_env, monkeypatch):
    """``scripts/prod-local``'s environment: the emulator as its own process, allowed."""
    for var in LIVE_KEYS:
        monkeypatch.delenv(var)
    monkeypatch.setenv("SIYU_WECHAT_MODE", "sandbox")
    monkeypatch.setenv("SIYU_ALLOW_SANDBOX", "1")
    monkeypatch.setenv("SIYU_SANDBOX_URL", "http://127.0.0.1:5100")
    monkeypatch.setenv("SIYU_PAY_NOTIFY_URL", "http://127.0.0.1:5000/api/v1/pay/notify")


def build_from_env(**overrides):
    """The whole app from the environment, on the test database and Redis."""
    app = build_app(
        {
            "TESTING": True,
            "REDIS_URL": os.environ.get("SIYU_TEST_REDIS_URL") or None,
            "SANDBOX_STATE_FILE": "",
            **overrides,
        }
    )
    gc.unfreeze()  # build_app freezes the heap in production
    return app
