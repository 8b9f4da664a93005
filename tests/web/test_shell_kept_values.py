"""What the layouts keep per request or per app says what flask-babel and Flask say:
the locale code (``app.web.request_state.locale_code``) is ``str(get_locale())`` in each
language, inside ``force_locale`` and after it; flask-babel's request namespace
(``babel_namespace``, which holds the request's catalogue) is reached into in one module
only, and the app object is got one way (``app.context.app_now``); the Today page's and
the overview's heading (``app.web._today``) is babel's full date of the Shanghai day; a hook or view
passed through the app's ``ensure_sync`` comes back as from Flask's own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask, g, request
from flask_babel import force_locale, format_date, get_locale, get_translations, gettext

from app.web import _today, formatting
from app.web.request_state import babel_namespace, locale_code


@pytest.mark.parametrize("path", ["/m/", "/m/?lang=en"])
def test_the_locale_code_is_flask_babels(app, path):
    with app.test_request_context(path):
        assert locale_code() == str(get_locale())
        assert locale_code() == str(get_locale())  # kept: the same answer
        asked = "zh" if str(get_locale()) == "en" else "en"
        with force_locale(asked):
            assert locale_code() == asked == str(get_locale())
        assert locale_code() == str(get_locale())
    assert locale_code() == "zh"  # no app at all: the default language


@pytest.mark.parametrize("path", ["/m/", "/m/?lang=en"])
def test_the_babel_namespace_is_flask_babels_and_holds_the_catalogue(app, path):
    with app.test_request_context(path):
        assert babel_namespace() is None or babel_namespace() is g._flask_babel
        words = gettext("Photos")
        assert babel_namespace() is g._flask_babel  # made by flask-babel, found directly
        assert babel_namespace().babel_translations is get_translations()  # the one lookup
        assert words == ("Photos" if path.endswith("en") else "照片")
        with force_locale("en"):  # flask-babel resets it: the other language's catalogue
            assert gettext("Photos") == "Photos"
            assert babel_namespace() is g._flask_babel
    assert babel_namespace() is None  # no app context


def _modules_naming(text: str) -> list[str]:
    root = Path(__file__).resolve().parents[2]
    return [
        path.relative_to(root).as_posix()
        for package in ("app", "franchise", "community", "livestream")
        for path in sorted((root / package).rglob("*.py"))
        if text in path.read_text(encoding="utf-8")
    ]


def test_flask_babels_namespace_and_the_app_object_are_reached_one_way():
    assert _modules_naming("_flask_babel") == ["app/web/request_state.py"]
    assert _modules_naming("current_app._get_current_object") == ["app/context.py"]
    assert _modules_naming("def app_now") == ["app/context.py"]


@pytest.mark.parametrize("path", ["/m/", "/m/?lang=en"])
def test_the_day_heading_is_babels_full_date(app, path):
    with app.test_request_context(path):
        for _ in range(2):  # drawn, then kept
            day = formatting.to_local(datetime.now(UTC)).date()
            assert _today() == format_date(day, "full")
        with force_locale("en"):
            assert _today() == format_date(day, "full")


def test_ensure_sync_answers_as_flasks(app):
    def plain():
        return "plain"

    async def coroutine():
        return "coroutine"

    for _ in range(2):  # asked, then remembered
        assert app.ensure_sync(plain) is plain is Flask.ensure_sync(app, plain)
    try:
        expected: object = type(Flask.ensure_sync(app, coroutine))
    except RuntimeError as exc:  # Flask's async support needs asgiref
        expected = exc.args
    for _ in range(2):
        try:
            got: object = type(app.ensure_sync(coroutine))
        except RuntimeError as exc:
            got = exc.args
        assert got == expected


@pytest.mark.parametrize(
    ("role", "section", "paths"),
    [
        ("hq_admin", "admin", ["/admin/", "/admin/?lang=en", "/admin/no-such-page/42"]),
        ("guide", "mobile", ["/m/", "/m/?lang=en", "/m/no-such-page"]),
    ],
)
def test_the_shared_navigation_is_marked_as_each_page_would(app, monkeypatch, role, section, paths):
    """The marked navigation shared per endpoint is the one a page marks for itself, and
    a page whose endpoint is no entry marks by its path, for itself."""
    from app.auth.principal import Principal
    from app.web import shell

    monkeypatch.setattr(shell, "current_principal", lambda: Principal(role, 1))
    for path in paths * 2:  # made, then shared
        with app.test_request_context(path):
            app.preprocess_request()
            links = shell.nav_links(section)
            entries, endpoints = shell._resolved_links(section, role)
            fresh = [
                shell.NavLink(label, url, endpoint, icon_name, order)
                for _group, label, url, endpoint, icon_name, order in entries
            ]
            shell._mark_active(fresh)
            assert links == fresh
            shared = app.extensions.get("siyu_nav_links", {})
            key = (section, role, locale_code(), request.script_root, request.endpoint)
            if request.endpoint in endpoints:
                assert any(link.active for link in links)
                assert [link for _group, link in shared[key]] == links
            else:  # marked by its path, for itself
                assert key not in shared
