"""Production environments for the configuration and health tests (issue 12).

``live_env`` is a complete live deployment's environment; ``staging_env`` is
``scripts/prod-local``'s (the emulator as its own process, ``SIYU_ALLOW_SANDBOX=1``).
``build_from_env`` (tests/fixtures/production.py) builds the whole app from the environment
on the test database/Redis.
"""

from __future__ import annotations

import os

import pytest

from tests.fixtures.production import LIVE_KEYS, NOTIFY_URL


@pytest.fixture
def live_env(monkeypatch, tmp_path, database_url):
    """A complete live production environment (no other ``SIYU_*`` setting leaks in)."""
    for name in list(os.environ):
        if name.startswith("SIYU_") and not name.startswith("SIYU_TEST_"):
            monkeypatch.delenv(name)
    cert, key = tmp_path / "apiclient_cert.pem", tmp_path / "apiclient_key.pem"
    cert.write_text("cert")
    key.write_text("key")
    v3_key, wechat_public = tmp_path / "apiclient_v3_key.pem", tmp_path / "pub_key.pem"
    v3_key.write_text("key")
    wechat_public.write_text("public key")
    env = {
        "SIYU_ENV": "production",
        "SIYU_DATABASE_URL": database_url,
        "SIYU_REDIS_URL": "redis://127.0.0.1:6379/0",
        "SIYU_SECRET_KEY": "production-secret",
        "SIYU_WECHAT_MODE": "live",
        "SIYU_PAY_NOTIFY_URL": NOTIFY_URL,
        "SIYU_PAY_CERT_PATH": str(cert),
        "SIYU_PAY_CERT_KEY_PATH": str(key),
        "SIYU_PAY_V3_PRIVATE_KEY_PATH": str(v3_key),
        "SIYU_PAY_V3_PUBLIC_KEY_PATH": str(wechat_public),
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
