"""The error envelope on every API failure, and start-up refusing missing production settings."""

from __future__ import annotations

import contextlib
import re

import pytest

from app.config import ConfigError, load_config


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {"code": "not_found", "message": "未找到。", "errors": {}}
    english = client.get("/api/v1/nothing-here?lang=en").get_json()
    assert english == {"code": "not_found", "message": "Not found.", "errors": {}}


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
    monkeypatch.setenv("SIYU_WECHAT_MODE", "sandbox")
    monkeypatch.setenv("SIYU_ALLOW_SANDBOX", "1")
    monkeypatch.setenv("SIYU_SANDBOX_URL", "http://127.0.0.1:5100")
    monkeypatch.setenv("SIYU_PAY_NOTIFY_URL", "http://127.0.0.1:5000/api/v1/pay/notify")
    config = load_config()
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert config["WECHAT_MODE"] == "sandbox" and config["SANDBOX_MOUNT"] is False


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


def test_a_path_id_beyond_the_integer_key_range_is_404_on_every_route(app, client):
    """``<int:…>`` is bounded to PostgreSQL's INTEGER: a larger id is no row (404 before
    any view), not a database error, and the OpenAPI document gives the bound."""
    from werkzeug.exceptions import MethodNotAllowed, NotFound

    urls = app.url_map.bind("localhost")
    rules = [r for r in app.url_map.iter_rules() if "<int:" in r.rule]
    assert len(rules) > 50

    def path_with(rule, value: int) -> str:
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", str(value))
        # an ``any(a, b)`` segment takes its first word
        return re.sub(r"<any\(([^,)]+)[^>]*>", lambda m: m.group(1).strip(), path)

    for rule in rules:
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        assert urls.match(path_with(rule, 2**31 - 1), method)[0] == rule.endpoint
        # no int rule takes it (a string rule of the same shape may: 405 then)
        with contextlib.suppress(NotFound, MethodNotAllowed):
            assert urls.match(path_with(rule, 2**31), method)[0] != rule.endpoint
        if rule.rule.startswith("/api/") and method == "GET":
            res = client.get(path_with(rule, 2**31))
            assert res.status_code == 404 and res.get_json()["code"] == "not_found", rule
    spec = client.get("/api/v1/openapi.json").get_json()
    params = [
        p
        for item in spec["paths"].values()
        for p in item.get("parameters", [])
        + [q for op in item.values() if isinstance(op, dict) for q in op.get("parameters", [])]
        if p.get("in") == "path" and p["schema"].get("type") == "integer"
    ]
    bounds = {p["schema"].get("maximum") for p in params}
    assert len(params) > 20
    assert bounds == {2**31 - 1}


def test_a_value_the_database_refuses_is_400_not_503(app, client):
    """A value validation let through and the database refused (DataError) is the
    client's: 400 with the envelope, and the session is usable afterwards."""
    from sqlalchemy.exc import DataError

    refused = DataError("SELECT 1", {}, Exception("integer out of range"))
    with app.test_request_context("/api/v1/campaigns/1"):
        res = app.make_response(app.handle_user_exception(refused))
    assert res.status_code == 400
    assert res.get_json()["code"] == "value_out_of_range"
    assert client.get("/healthz").status_code == 200


def test_stock_http_errors_answer_in_our_words(client):
    """werkzeug's long English descriptions never reach a client: a 401 without a token
    answers the envelope's own message, in Chinese unless English is asked for."""
    res = client.post("/api/v1/mp/orders", json={"items": []})
    assert res.status_code == 401 and res.get_json()["message"] == "请先登录。"
    res = client.post("/api/v1/mp/orders?lang=en", json={"items": []})
    assert res.get_json()["message"] == "Authentication is required."
