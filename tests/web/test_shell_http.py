"""The admin and mobile layouts over HTTP: roles, navigation, language switch, errors."""

from __future__ import annotations

import re

from app.extensions import add_nav, registry
from tests.fixtures.auth import csrf_token_from, gen_user, login


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_signed_out_admin_goes_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]
    response = client.get("/m/")
    assert "/m/login" in response.headers["Location"]


def test_hq_sees_the_admin_layout_with_nav(ctx, client):
    from tests.franchise.factories import gen_guide, gen_store

    gen_guide(gen_store())  # gives the dashboard's organisation panel a chart to draw
    gen_user("hq-one", "hq_admin", display_name="王总")
    assert login(client, "hq-one").status_code == 302
    html = _html(client.get("/admin/"))
    assert '<html lang="zh-CN">' in html
    assert 'class="sidebar"' in html
    assert re.search(r'<a href="/admin/" class="active"', html)
    assert "概览" in html and "王总" in html and "总部管理员" in html
    assert 'action="/logout"' in html and 'name="csrf_token"' in html
    assert "/lang/en" in html
    assert "<svg" in html and "chart-bar" in html
    assert "组织架构" in html  # the organisation panel with real counts


def test_nav_is_filtered_by_role(app, ctx, client):
    add_nav(app, "admin", "Test group", "HQ only page", "web.admin_home", ("hq_admin",), order=999)
    try:
        gen_user("owner", "franchise_owner", franchisee_id=1)
        login(client, "owner")
        response = client.get("/admin/")
        assert response.status_code == 200
        html = _html(response)
        assert "加盟商" in html  # role name in the top bar
        assert "HQ only page" not in html
    finally:
        registry(app).nav.pop()


def test_guide_gets_403_on_admin_and_sees_mobile_home(ctx, client):
    gen_user("guide-one", "guide", display_name="李晓")
    response = login(client, "guide-one", path="/m/login")
    assert response.headers["Location"].endswith("/m/")
    assert client.get("/admin/").status_code == 403
    html = _html(client.get("/m/"))
    assert 'name="viewport"' in html
    assert 'class="m-tabs"' in html and "今日" in html and "李晓" in html
    assert 'name="mobile" value="1"' in html


def test_hq_cannot_open_mobile(ctx, client):
    gen_user("hq-two", "hq_operator")
    login(client, "hq-two")
    assert client.get("/m/").status_code == 403


def test_language_switch_to_english_and_back(app, client):
    # no ``ctx`` here: an app context held across requests shares ``g`` (and its cached
    # CSRF token) between them, which breaks the token after login rotates the session
    with app.app_context():
        gen_user("hq-lang", "hq_admin")
    login(client, "hq-lang")
    page = client.get("/admin/")
    token = csrf_token_from(_html(page))
    response = client.post("/lang/en?next=/admin/", data={"csrf_token": token})
    assert response.status_code == 302
    html = _html(client.get("/admin/"))
    assert '<html lang="en">' in html
    assert "Overview" in html and "HQ admin" in html and "Log out" in html
    assert "概览" not in html
    client.post("/lang/zh?next=/admin/", data={"csrf_token": token})
    assert "概览" in _html(client.get("/admin/"))


def test_language_switch_needs_csrf(ctx, client):
    assert client.post("/lang/en").status_code == 400


def test_login_pages_are_real_pages(client):
    for path in ("/admin/login", "/m/login"):
        html = _html(client.get(path))
        assert "用户名" in html and "密码" in html and 'name="csrf_token"' in html
        assert "/assets/base.css" in html
    assert client.get("/assets/base.css").status_code == 200


def test_wrong_password_flashes_in_chinese(ctx, client):
    gen_user("hq-bad", "hq_admin")
    response = login(client, "hq-bad", password="nope-nope")
    assert response.status_code == 401
    assert "用户名或密码错误" in _html(response)


def test_error_page_is_translated(client):
    response = client.get("/admin/no-such-page")
    assert response.status_code == 404
    html = _html(response)
    assert "页面不存在" in html and "未找到" in html


PAGE = """{% extends "admin/base.html" %}
{% block title %}Stores{% endblock %}
{% block page_title %}门店列表{% endblock %}
{% block actions %}<a class="btn btn-primary" href="/new">New</a>{% endblock %}
{% block content %}<p id="body">hello</p>{% endblock %}
{% block scripts %}<script src="/assets/x.js"></script>{% endblock %}"""


def test_domain_page_blocks_fill_the_layout(app):
    from flask import render_template_string

    with app.test_request_context("/admin/stores"):
        html = render_template_string(PAGE)
    assert "<title>Stores · 私域运营后台</title>" in html
    assert "<h1>门店列表</h1>" in html
    assert '<div class="page-actions"><a class="btn btn-primary" href="/new">' in html
    assert '<p id="body">hello</p>' in html and '/assets/x.js"></script>' in html


def test_kept_account_bar_is_each_viewers_own(app):
    """The account bar is drawn once per role, name, language and page and kept
    (``app.web.shell.account_markup``): two accounts of one role on the same page each
    see their own name and their own session's CSRF token, which their forms accept."""
    with app.app_context():
        gen_user("hq-bar-one", "hq_admin", display_name="甲经理")
        gen_user("hq-bar-two", "hq_admin", display_name="乙经理")
        gen_user("guide-bar", "guide", display_name="丙导购")
    first, second, guide = app.test_client(), app.test_client(), app.test_client()
    login(first, "hq-bar-one")
    login(second, "hq-bar-two")
    login(guide, "guide-bar", path="/m/login")
    pages = [_html(first.get("/admin/")), _html(second.get("/admin/"))]
    assert "甲经理" in pages[0] and "乙经理" not in pages[0]
    assert "乙经理" in pages[1] and "甲经理" not in pages[1]
    tokens = [set(re.findall(r'name="csrf_token" value="([^"]+)"', page)) for page in pages]
    assert len(tokens[0]) == len(tokens[1]) == 1 and tokens[0] != tokens[1]
    assert "siyu-csrf-slot" not in pages[0] + pages[1]
    mobile = _html(guide.get("/m/"))
    assert "丙导购" in mobile and 'class="m-menu"' in mobile and 'name="mobile" value="1"' in mobile
    for client, page in ((second, pages[1]), (guide, mobile)):
        response = client.post("/lang/en?next=/admin/", data={"csrf_token": csrf_token_from(page)})
        assert response.status_code == 302
    assert '<html lang="en">' in _html(second.get("/admin/"))
    assert '<html lang="zh-CN">' in _html(first.get("/admin/"))  # the other viewer's stays


def test_layout_flashes_and_head_links_are_globals(app):
    """The layouts call ``flashes()`` and ``head_links()`` as globals (no macro import a
    render): nothing when nothing was flashed, the messages when something was."""
    from flask import flash, render_template_string

    with app.test_request_context("/admin/"):
        assert render_template_string("{{ flashes() }}") == ""
    with app.test_request_context("/admin/"):
        flash("Ring R-17 kept.", "success")
        html = render_template_string("{{ flashes() }}{{ head_links('admin.css') }}")
    assert 'class="flash flash-success"' in html and "Ring R-17 kept." in html
    assert html.count('rel="stylesheet"') == 2 and "admin.css" in html
