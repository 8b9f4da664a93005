"""The kept account bar (``app.web.shell.account_markup``) is keyed by the viewer, the
language and the mount point, not the page: every page and query string a viewer opens
shares one kept bar (query strings no longer churn the store), and its language forms
still come back to this exact page, query string included (``next`` exactly as
``url_for`` writes it, which the login pages' own language switch still calls)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from flask import request, url_for
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from tests.fixtures.auth import login
from tests.fixtures.randomness import db_examples
from tests.franchise.factories import build_org

FORM_ACTIONS = re.compile(r'<form method="post" action="([^"]*/lang/[^"]*)"')


@pytest.fixture
def guide(app):
    with app.app_context():
        build_org()
    client = app.test_client()
    login(client, "guide-a", path="/m/login")
    return client


def _expected_actions(app, url: str) -> list[str]:
    """The language forms' actions a fresh draw of ``url`` writes (``url_for``, escaped)."""
    with app.test_request_context(url):
        here = request.full_path.rstrip("?")
        return [
            str(escape(url_for("auth.set_language", code=code, next=here)))
            for code in app.config["LANGUAGES"]
        ]


@db_examples(30)
@given(value=st.text(max_size=12), page=st.integers(min_value=1, max_value=10**6))
def test_one_kept_bar_for_every_query_and_next_is_this_page(app, guide, value, page):
    app.extensions.pop("siyu_account_markup", None)  # the app outlives a test
    for url in (f"/m/?{urlencode({'q': value, 'page': page})}", f"/m/tasks?p={page}'&x", "/m/"):
        html = guide.get(url).get_data(as_text=True)
        assert FORM_ACTIONS.findall(html) == _expected_actions(app, url), url
        assert "siyu-next-slot" not in html and "siyu-csrf-slot" not in html
    # one viewer, one language, one mount point: one bar, however many pages and queries
    assert len(app.extensions["siyu_account_markup"]) == 1


def test_the_bar_of_another_viewer_or_language_is_its_own(app, guide):
    app.extensions.pop("siyu_account_markup", None)
    guide.get("/m/?a=1")
    guide.post(
        "/lang/en?next=/m/",
        data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', _page(guide))[1]},
    )
    html = guide.get("/m/?a=2").get_data(as_text=True)
    assert FORM_ACTIONS.findall(html) == _expected_actions(app, "/m/?a=2")
    assert '<html lang="en">' in html
    assert len(app.extensions["siyu_account_markup"]) == 2  # zh and en


def _page(client) -> str:
    return client.get("/m/").get_data(as_text=True)
