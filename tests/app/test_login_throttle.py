"""Issue 12 item 4: login throttling a store can live with.

Only failures count; they are limited per (account, address) with a lock that grows, and
per address at a much higher threshold. The client address comes from X-Forwarded-For
only through ProxyFix with ``SIYU_TRUSTED_PROXIES``. Both the login pages and the API
token login go through it, and the answer says when to try again.
"""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.fixtures.auth import PASSWORD, csrf_token_from, gen_user
from wsgi import build_app

A = {"REMOTE_ADDR": "203.0.113.7"}
B = {"REMOTE_ADDR": "198.51.100.9"}


def _token(client, username, password=PASSWORD, env=A, **kw):
    return client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base=env,
        **kw,
    )


def _page_login(client, username, password=PASSWORD, env=A, path="/admin/login"):
    page = client.get(path, environ_base=env).get_data(as_text=True)
    data = {"username": username, "password": password, "csrf_token": csrf_token_from(page)}
    return client.post(path, data=data, environ_base=env)


def test_wrong_passwords_from_one_address_do_not_lock_out_another(client, ctx):
    gen_user("admin", "hq_admin")
    codes = [_token(client, "admin", "wrong", env=A).status_code for _ in range(20)]
    assert codes[0] == 401 and codes[-1] == 429
    assert _token(client, "admin", env=A).status_code == 429  # locked from A, even if right
    assert _token(client, "admin", env=B).status_code == 200
    assert _page_login(client, "admin", env=B).status_code == 302


def test_thirty_guides_from_one_address_all_get_in(client, ctx):
    for i in range(30):
        gen_user(f"guide{i:02d}", "guide")
    for i in range(15):
        assert _token(client, f"guide{i:02d}").status_code == 200
    for i in range(15, 30):
        response = _page_login(client, f"guide{i:02d}", path="/m/login")
        assert response.status_code == 302, i
        assert client.get("/m/", environ_base=A).status_code == 200


def test_successes_never_count(client, ctx):
    gen_user("alice", "hq_admin")
    for _ in range(25):
        assert _token(client, "alice").status_code == 200
    codes = [_token(client, "alice", "wrong").status_code for _ in range(5)]
    assert codes == [401] * 5


def test_a_success_clears_the_failures_of_its_pair(client, ctx):
    gen_user("alice", "hq_admin")
    for _ in range(4):
        assert _token(client, "alice", "wrong").status_code == 401
    assert _token(client, "alice").status_code == 200
    assert [_token(client, "alice", "wrong").status_code for _ in range(4)] == [401] * 4


def test_the_lock_grows_and_says_when_to_try_again(app, client, ctx):
    from app.auth.ratelimit import _pair
    from app.extensions import get_redis

    gen_user("alice", "hq_admin")
    for _ in range(5):
        _token(client, "alice", "wrong")
    first = _token(client, "alice", "wrong")
    assert first.status_code == 429
    assert int(first.headers["Retry-After"]) == app.config["LOGIN_LOCK_SECONDS"]
    assert "1 分钟" in first.get_json()["message"]
    english = _token(client, "alice", "wrong", query_string={"lang": "en"})
    assert "1 minute" in english.get_json()["message"]
    get_redis(app).delete(_pair("alice", A["REMOTE_ADDR"]) + ":lock")  # the lock ran out
    assert _token(client, "alice", "wrong").status_code == 401  # one more failure ...
    again = _token(client, "alice", "wrong")  # ... locks twice as long
    assert int(again.headers["Retry-After"]) == 2 * app.config["LOGIN_LOCK_SECONDS"]
    assert "2 分钟" in again.get_json()["message"]
    page = _page_login(client, "alice", env=A)
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert "2 分钟" in page.get_data(as_text=True)


def test_an_address_spraying_many_accounts_is_stopped(app, client, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", 12)
    gen_user("alice", "hq_admin")
    codes = [_token(client, f"nobody{i}", "wrong").status_code for i in range(12)]
    assert codes == [401] * 12  # no single pair reached its lock
    assert _token(client, "alice").status_code == 429  # the address is
    assert _token(client, "alice", env=B).status_code == 200


def test_forwarded_for_is_ignored_without_trusted_proxies(client, ctx):
    gen_user("admin", "hq_admin")
    for i in range(6):
        headers = {"X-Forwarded-For": f"10.9.0.{i}"}
        _token(client, "admin", "wrong", headers=headers)
    spoofed = _token(client, "admin", headers={"X-Forwarded-For": "10.9.0.99"})
    assert spoofed.status_code == 429  # still the socket's address, still locked


def test_forwarded_for_is_believed_through_trusted_proxies(app):
    proxied = build_app(
        {
            "TESTING": True,
            "SECRET_KEY": "proxy-test",
            "SIYU_ENV": "embedded",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"],
            "TRUSTED_PROXIES": 1,
        }
    )
    with proxied.app_context():
        gen_user("admin", "hq_admin")
    client = proxied.test_client()
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    first = {"X-Forwarded-For": "203.0.113.50"}
    for _ in range(6):
        _token(client, "admin", "wrong", env=proxy, headers=first)
    assert _token(client, "admin", env=proxy, headers=first).status_code == 429
    second = {"X-Forwarded-For": "203.0.113.51"}
    assert _token(client, "admin", env=proxy, headers=second).status_code == 200
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("name", ["SIYU_TRUSTED_PROXIES", "SIYU_LOGIN_FREE_FAILURES"])
def test_throttle_settings_are_read(monkeypatch, name):
    from app.config import load_config

    monkeypatch.setenv(name, "3")
    key = name.removeprefix("SIYU_")
    assert load_config({"SECRET_KEY": "x"})[key] == 3
