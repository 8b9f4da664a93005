"""The error envelope on every API failure, and start-up refusing missing production settings."""

from __future__ import annotations

import pytest

from app.config import ConfigError, load_config


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {"code": "not_found", "message": "Not found.", "errors": {}}


def test_wrong_method_is_json_405(client):
    response = client.get("/api/v1/auth/token")
    assert response.status_code == 405
    assert response.get_json()["code"] == "method_not_allowed"


def test_malformed_json_is_4xx(client):
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "code" in response.get_json()


def test_oversized_body_is_413(client, app):
    body = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"


def test_production_refuses_missing_settings(monkeypatch):
    for var in ("SIYU_DATABASE_URL", "SIYU_REDIS_URL", "SIYU_SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SIYU_ENV", "production")
    with pytest.raises(ConfigError) as info:
        load_config()
    message = str(info.value)
    for var in ("SIYU_DATABASE_URL", "SIYU_REDIS_URL", "SIYU_SECRET_KEY"):
        assert var in message


def test_live_wechat_needs_credentials(monkeypatch):
    monkeypatch.setenv("SIYU_ENV", "production")
    monkeypatch.setenv("SIYU_DATABASE_URL", "postgresql://x/y")
    monkeypatch.setenv("SIYU_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("SIYU_SECRET_KEY", "k")
    monkeypatch.setenv("SIYU_WECHAT_MODE", "live")
    with pytest.raises(ConfigError) as info:
        load_config()
    assert "SIYU_PAY_KEY" in str(info.value) and "SIYU_WECOM_CORP_ID" in str(info.value)


def test_production_with_settings_starts(monkeypatch):
    monkeypatch.setenv("SIYU_ENV", "production")
    monkeypatch.setenv("SIYU_DATABASE_URL", "postgresql://u:p@127.0.0.1/siyu")
    monkeypatch.setenv("SIYU_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("SIYU_SECRET_KEY", "k")
    config = load_config()
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert config["WECHAT_MODE"] == "sandbox"


def test_bad_number_setting_is_named(monkeypatch):
    monkeypatch.setenv("SIYU_LOGIN_RATE_LIMIT", "ten")
    with pytest.raises(ConfigError, match="SIYU_LOGIN_RATE_LIMIT"):
        load_config()


def test_wechat_timeout_is_a_setting_every_client_uses(monkeypatch, app):
    from app.wechat.clients import miniprogram_client, pay_client, wecom_client

    monkeypatch.setenv("SIYU_WECHAT_HTTP_TIMEOUT", "2.5")
    assert load_config({})["WECHAT_HTTP_TIMEOUT"] == 2.5
    for bad in ("0", "-1", "301", "soon"):
        monkeypatch.setenv("SIYU_WECHAT_HTTP_TIMEOUT", bad)
        with pytest.raises(ConfigError, match="SIYU_WECHAT_HTTP_TIMEOUT"):
            load_config({})
    monkeypatch.setitem(app.config, "WECHAT_HTTP_TIMEOUT", 2.5)
    with app.app_context():
        clients = (wecom_client(), miniprogram_client(), pay_client("1900000109"))
    assert [c.timeout for c in clients] == [2.5, 2.5, 2.5]
