"""Accounts: hashed passwords, session login with CSRF, bearer tokens, the login rate limit."""

from __future__ import annotations

from app.auth.models import User
from app.extensions import db
from tests.fixtures.auth import PASSWORD, api_token, bearer, csrf_token_from, gen_user, login


def test_password_is_hashed(ctx):
    user = gen_user("alice", "hq_admin")
    stored = db.session.get(User, user.id).password_hash
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_token_for_good_password(client, ctx):
    gen_user("alice", "hq_operator")
    response = client.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["access_token"]


def test_token_refused_for_bad_password(client, ctx):
    gen_user("alice", "hq_operator")
    response = client.post("/api/v1/auth/token", json={"username": "alice", "password": "nope"})
    assert response.status_code == 401
    assert response.get_json()["code"] == "invalid_credentials"


def test_token_request_validation(client):
    response = client.post("/api/v1/auth/token", json={"username": "a", "extra": 1})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "validation_error"
    assert "password" in body["errors"] and "extra" in body["errors"]


def test_forged_or_revoked_token_is_unauthorised(client, ctx):
    user = gen_user("alice", "hq_admin")
    token = api_token(client, "alice")
    assert client.get("/api/v1/franchisees", headers=bearer(token + "x")).status_code == 401
    user.token_version += 1
    db.session.commit()
    assert client.get("/api/v1/franchisees", headers=bearer(token)).status_code == 401


def test_login_rate_limited(client, ctx):
    gen_user("alice", "hq_admin")
    codes = [
        client.post("/api/v1/auth/token", json={"username": "alice", "password": "bad"}).status_code
        for _ in range(12)
    ]
    assert codes[:5] == [401] * 5  # LOGIN_FREE_FAILURES, then (account, address) locked
    assert codes[5:] == [429] * 7
    # even the right password is refused while throttled
    ok = client.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORD})
    assert ok.status_code == 429


def test_admin_login_with_csrf(client, ctx):
    gen_user("alice", "hq_admin")
    response = login(client, "alice")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_admin_login_without_csrf_is_refused(client, ctx):
    gen_user("alice", "hq_admin")
    response = client.post("/admin/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302  # still signed out


def test_wrong_password_shows_message(client, ctx):
    gen_user("alice", "hq_admin")
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post(
        "/admin/login",
        data={"username": "alice", "password": "bad", "csrf_token": csrf_token_from(page)},
    )
    assert response.status_code == 401
    assert client.get("/admin/").status_code == 302


def test_guide_cannot_reach_admin(client, ctx):
    gen_user("g1", "guide", store_id=1, franchisee_id=1, guide_id=1)
    # a guide signs in on the mobile UI ...
    assert login(client, "g1", path="/m/login").status_code == 302
    assert client.get("/m/").status_code == 200
    # ... and is refused by every admin page
    assert client.get("/admin/").status_code == 403


def test_guide_cannot_sign_in_to_admin(client, ctx):
    gen_user("g1", "guide", store_id=1, franchisee_id=1, guide_id=1)
    assert login(client, "g1").status_code == 403


def test_signed_out_admin_redirects_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


def test_open_redirect_refused(client, ctx):
    gen_user("alice", "hq_admin")
    page = client.get("/admin/login?next=https://evil.example/").get_data(as_text=True)
    response = client.post(
        "/admin/login?next=https://evil.example/",
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_token_from(page)},
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_logout_needs_csrf(client, ctx):
    gen_user("alice", "hq_admin")
    login(client, "alice")
    assert client.post("/logout").status_code == 400
    assert client.get("/admin/").status_code == 200
