"""The account pages (sign in, change my password, HQ's account forms) load what is
posted through ``app.auth.schemas``: each bad box gets its message under it in the
viewer's language, several at once, and nothing is saved."""

from __future__ import annotations

from app.auth.models import User
from app.extensions import db
from tests.fixtures.auth import PASSWORD, gen_user, login, post_form

STRONG = "plum-blossom-river-42"
ZH = {"Accept-Language": "zh"}


def _post(client, path: str, data: dict):
    return post_form(client, path, data, headers=ZH)


def _errors(response) -> str:
    html = response.get_data(as_text=True)
    return " ".join(part.split("</ul>")[0] for part in html.split('class="field-errors"')[1:])


def test_change_password_names_every_bad_box_at_once(client, ctx):
    gen_user("ann", "hq_operator")
    login(client, "ann")
    res = _post(
        client,
        "/account/password",
        {"current_password": "", "new_password": "short", "confirm": "other"},
    )
    errors = _errors(res)
    assert res.status_code == 422
    assert "两次输入的密码不一致。" in errors and "10" in errors and "1 " in errors
    db.session.expire_all()
    assert db.session.query(User).filter_by(username="ann").one().check_password(PASSWORD)


def test_new_account_boxes_are_checked_by_the_schema(client, ctx):
    gen_user("boss", "hq_admin")
    login(client, "boss")
    base = {"username": "owen", "display_name": "Owen", "password": STRONG}
    res = _post(client, "/admin/accounts/new", {**base, "role": "franchise_owner"})
    assert res.status_code == 422 and "加盟商账号需要填写所属加盟商。" in _errors(res)
    res = _post(client, "/admin/accounts/new", {**base, "role": "king", "franchisee_id": "abc"})
    errors = _errors(res)
    assert res.status_code == 422 and "不是有效的整数。" in errors and "必须是以下之一" in errors
    assert 'value="Owen"' in res.get_data(as_text=True)  # what was typed stays
    assert db.session.query(User).filter_by(username="owen").first() is None


def test_edit_account_keeps_a_blank_password_and_refuses_a_common_one(client, ctx):
    gen_user("boss", "hq_admin")
    carol = gen_user("carol", "hq_operator")
    login(client, "boss")
    edit = f"/admin/accounts/{carol.id}/edit"
    res = _post(client, edit, {"display_name": "Carol", "password": "1234567890", "active": "y"})
    assert res.status_code == 422 and "常见" in _errors(res)
    res = _post(client, edit, {"display_name": "Carol", "password": "", "active": "y"})
    assert res.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, carol.id)
    assert user.display_name == "Carol" and user.check_password(PASSWORD)
    assert user.is_active_account


def test_the_login_pages_read_the_token_apis_schema(client, ctx):
    gen_user("ann", "guide")
    for page in ("/admin/login", "/m/login"):
        res = _post(client, page, {"username": "", "password": "x" * 129})
        errors = _errors(res)
        assert res.status_code == 400 and "长度必须在 1 到 64 之间。" in errors
        assert "长度必须在 1 到 128 之间。" in errors
