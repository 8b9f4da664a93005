"""Issue 12 item 5: staff passwords of at least 10 characters, not the username, not common.

One rule (``app.auth.passwords``) for ``flask siyu create-user``, HQ's account forms and
the page where users change their own password; the embedded demo seeder alone keeps
``siyu-demo``, production seeding refuses it.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.auth.models import User
from app.auth.passwords import check_password_policy, common_passwords, policy_errors
from app.errors import DomainError
from app.extensions import db
from tests.fixtures.auth import PASSWORD, gen_user, login
from tests.fixtures.auth import post_form as _form

STRONG = "plum-blossom-river-42"


@given(st.text(max_size=9))
def test_short_passwords_are_refused(password):
    assert policy_errors(password, "someone")


@given(st.sampled_from(sorted(common_passwords())), st.sampled_from([str.lower, str.upper]))
def test_common_passwords_are_refused_in_any_case(password, case):
    assert policy_errors(case(password), "someone")


@given(st.text(min_size=10, max_size=64).filter(lambda s: s.strip()))
@settings(suppress_health_check=[HealthCheck.filter_too_much])
def test_the_username_is_refused_as_its_password(username):
    assert policy_errors(username, username)
    assert policy_errors(username.upper(), username.lower())


def test_the_list_is_shipped_and_has_the_obvious_ones():
    listed = common_passwords()
    assert len(listed) >= 300
    for weak in ("123456789", "password123", "qwertyuiop", "siyu123456", "admin12345"):
        assert weak in listed
    assert policy_errors("siyu-demo") and not policy_errors(STRONG, "alice")


def test_create_user_command_enforces_the_policy(app, ctx):
    runner = app.test_cli_runner()
    args = ["siyu", "create-user", "bob", "--role", "hq_admin", "--password"]
    for weak in ("short", "password123", "QwertyUiop"):
        result = runner.invoke(args=[*args, weak])
        assert result.exit_code != 0, result.output
    same = runner.invoke(
        args=["siyu", "create-user", "bob-admin-1", "--role", "guide", "--password", "BOB-ADMIN-1"]
    )
    assert same.exit_code != 0 and "username" in same.output
    ok = runner.invoke(args=[*args, STRONG])
    assert ok.exit_code == 0, ok.output
    db.session.expire_all()
    assert db.session.query(User).filter_by(username="bob").one().check_password(STRONG)


def test_hq_account_forms_enforce_the_policy(client, ctx):
    gen_user("boss", "hq_admin")
    login(client, "boss")
    new = {"username": "carol", "role": "hq_operator", "display_name": "Carol"}
    for weak in ("short", "qwertyuiop", "CAROL"):
        response = _form(client, "/admin/accounts/new", {**new, "password": weak})
        assert response.status_code == 422, weak
    assert db.session.query(User).filter_by(username="carol").first() is None
    assert _form(client, "/admin/accounts/new", {**new, "password": STRONG}).status_code == 302
    carol = db.session.query(User).filter_by(username="carol").one()
    edit = f"/admin/accounts/{carol.id}/edit"
    weak = _form(client, edit, {"password": "1234567890", "active": "y"})
    assert weak.status_code == 422 and "常见" in weak.get_data(as_text=True)
    assert _form(client, edit, {"password": STRONG + "!", "active": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, carol.id).check_password(STRONG + "!")


def test_change_own_password_page(client, ctx):
    gen_user("g1", "guide")
    login(client, "g1", path="/m/login")
    page = client.get("/account/password")
    assert page.status_code == 200 and "修改密码" in page.get_data(as_text=True)
    wrong = {"current_password": "not-it-at-all", "new_password": STRONG, "confirm": STRONG}
    assert _form(client, "/account/password", wrong).status_code == 422
    weak = {"current_password": PASSWORD, "new_password": "g1g1g1", "confirm": "g1g1g1"}
    assert _form(client, "/account/password", weak).status_code == 422
    differ = {"current_password": PASSWORD, "new_password": STRONG, "confirm": STRONG + "x"}
    assert _form(client, "/account/password", differ).status_code == 422
    good = {"current_password": PASSWORD, "new_password": STRONG, "confirm": STRONG}
    response = _form(client, "/account/password", good)
    assert response.status_code == 302 and response.headers["Location"].endswith("/m/")
    db.session.expire_all()
    assert db.session.query(User).filter_by(username="g1").one().check_password(STRONG)


def test_signed_out_change_password_goes_to_login(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_demo_password_only_in_embedded_mode(app, ctx, monkeypatch):
    from franchise.demo.organisation import _ensure_user

    assert app.config["SIYU_ENV"] == "embedded"
    assert _ensure_user("demo-embedded", "siyu-demo", "guide")
    db.session.rollback()
    monkeypatch.setitem(app.config, "SIYU_ENV", "production")
    with pytest.raises(DomainError) as refused:
        _ensure_user("demo-production", "siyu-demo", "guide")
    assert refused.value.code == "weak_password"
    db.session.rollback()
    with pytest.raises(DomainError):
        check_password_policy("siyu-demo", "admin")
