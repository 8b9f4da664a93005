"""Issue 12 item 2: sessions and tokens that end.

Logout ends the session on the server (a cookie saved before and replayed after gets the
login page); a password change or HQ disabling an account ends every session and token
of it; ``POST /api/v1/auth/logout`` revokes the staff or customer token in use; sessions
end after the role's idle timeout, HQ's shorter than guides'.
"""

from __future__ import annotations

import time

from app.auth.models import User
from app.auth.principal import issue_customer_token
from app.extensions import db, get_redis
from tests.fixtures.auth import (
    PASSWORD,
    api_token,
    bearer,
    gen_user,
    login,
    post_form,
)
from tests.franchise.factories import gen_franchisee
from tests.franchise.factories_payments import gen_customer

NEW_PASSWORD = "a-new-and-long-passphrase"


def _post_form(client, page: str, action: str, data: dict):
    return post_form(client, page, data, action=action)


def _session_keys(app) -> list[str]:
    return [k.decode() for k in get_redis(app).scan_iter("siyu:sess:*")]


def test_cookie_replayed_after_logout_gets_the_login_page(app, client, ctx):
    gen_user("alice", "hq_admin")
    assert login(client, "alice").status_code == 302
    saved = client.get_cookie("session").value
    assert client.get("/admin/").status_code == 200
    response = _post_form(client, "/admin/", "/logout", {})
    assert response.status_code == 302
    client.set_cookie("session", saved)  # the attacker's copy of the cookie
    replay = client.get("/admin/")
    assert replay.status_code == 302 and "/admin/login" in replay.headers["Location"]


def test_password_change_ends_other_sessions_and_tokens(app, ctx):
    gen_user("alice", "hq_admin")
    mine, other = app.test_client(), app.test_client()
    login(mine, "alice")
    login(other, "alice")
    token = api_token(mine, "alice")
    assert other.get("/admin/").status_code == 200
    assert mine.get("/api/v1/regions", headers=bearer(token)).status_code == 200
    response = _post_form(
        mine,
        "/account/password",
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert mine.get("/admin/").status_code == 200  # this session goes on
    assert other.get("/admin/").status_code == 302  # the others end
    assert mine.get("/api/v1/regions", headers=bearer(token)).status_code == 401
    assert api_token(mine, "alice", NEW_PASSWORD)


def test_api_logout_revokes_the_staff_token_in_use(client, ctx):
    gen_user("alice", "hq_operator")
    token, other = api_token(client, "alice"), None
    time.sleep(1.05)  # a token issued in another second is another token
    other = api_token(client, "alice")
    assert token != other
    assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/regions", headers=bearer(token)).status_code == 401
    assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/regions", headers=bearer(other)).status_code == 200


def test_api_logout_revokes_a_customer_token(client, ctx):
    customer = gen_customer(gen_franchisee().id)
    token = issue_customer_token(customer.id)
    assert client.get("/api/v1/mp/me", headers=bearer(token)).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/mp/me", headers=bearer(token)).status_code == 401


def _boss_and_signed_in_guide(app):
    """HQ's admin signed in on one client; guide g1 on a phone (page session and token)."""
    gen_user("boss", "hq_admin")
    guide = gen_user("g1", "guide")
    hq, phone = app.test_client(), app.test_client()
    login(hq, "boss")
    login(phone, "g1", path="/m/login")
    return guide, hq, phone, api_token(phone, "g1")


def test_hq_disabling_an_account_ends_its_sessions_and_tokens(app, ctx):
    guide, hq, phone, token = _boss_and_signed_in_guide(app)
    assert phone.get("/m/").status_code == 200
    page = f"/admin/accounts/{guide.id}/edit"
    response = _post_form(hq, page, page, {"display_name": "g1"})  # "Can sign in" unticked
    assert response.status_code == 302
    assert phone.get("/m/").status_code == 302
    assert phone.get("/api/v1/guides", headers=bearer(token)).status_code == 401
    db.session.expire_all()
    assert not db.session.get(User, guide.id).is_active_account


def test_hq_signs_an_account_out_everywhere(app, ctx):
    guide, hq, phone, token = _boss_and_signed_in_guide(app)
    action = f"/admin/accounts/{guide.id}/sign-out"
    assert _post_form(hq, "/admin/accounts", action, {}).status_code == 302
    assert phone.get("/m/").status_code == 302
    assert phone.get("/api/v1/guides", headers=bearer(token)).status_code == 401
    assert login(phone, "g1", path="/m/login").status_code == 302  # may sign in again


def test_idle_timeout_per_role_and_sliding(app, ctx):
    gen_user("alice", "hq_admin")
    gen_user("g1", "guide")
    desk, phone = app.test_client(), app.test_client()
    login(desk, "alice")
    (desk_key,) = _session_keys(app)
    login(phone, "g1", path="/m/login")
    (phone_key,) = set(_session_keys(app)) - {desk_key}
    redis = get_redis(app)
    admin_idle = app.config["ADMIN_IDLE_MINUTES"] * 60
    guide_idle = app.config["GUIDE_IDLE_MINUTES"] * 60
    assert admin_idle < guide_idle
    assert admin_idle - 5 <= redis.ttl(desk_key) <= admin_idle
    assert guide_idle - 5 <= redis.ttl(phone_key) <= guide_idle
    redis.expire(desk_key, 30)  # 30 s before the idle timeout ...
    assert desk.get("/admin/").status_code == 200  # ... a request slides it back
    assert redis.ttl(desk_key) > admin_idle - 5
    redis.delete(desk_key)  # the idle timeout passed
    gone = desk.get("/admin/")
    assert gone.status_code == 302 and "/admin/login" in gone.headers["Location"]
    assert phone.get("/m/").status_code == 200


def test_idle_minutes_are_settings(monkeypatch):
    from app.config import load_config

    monkeypatch.setenv("SIYU_ADMIN_IDLE_MINUTES", "15")
    monkeypatch.setenv("SIYU_GUIDE_IDLE_MINUTES", "720")
    config = load_config({"SECRET_KEY": "x"})
    assert config["ADMIN_IDLE_MINUTES"] == 15 and config["GUIDE_IDLE_MINUTES"] == 720
