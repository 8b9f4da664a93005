"""Issue 12 item 6 (login part): ``?next=`` on the login pages never answers 500 and never
leaves the site: control characters, absolute, other-host and ``//`` targets go to the
default page; a path on this site is kept."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.auth.views import safe_next
from tests.fixtures.auth import PASSWORD, csrf_token_from, gen_user

BAD_NEXT = [
    "%0d%0aLocation:x",
    "/admin/%0d%0aSet-Cookie:%20a=b",
    "/admin%00",
    "%00",
    "/\t/evil.example",
    "/%09/evil.example",
    "//evil.example/",
    "/\\evil.example",
    "%2f%2fevil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "http:/evil.example",
    "/admin/%7f",
]


@pytest.mark.parametrize("path, home", [("/admin/login", "/admin/"), ("/m/login", "/m/")])
@pytest.mark.parametrize("raw", BAD_NEXT)
def test_bad_next_goes_home_without_a_500(client, ctx, path, home, raw):
    gen_user("alice", "hq_admin")
    gen_user("g1", "guide")
    username = "alice" if path == "/admin/login" else "g1"
    url = f"{path}?next={raw}"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url,
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == home


def test_a_path_on_this_site_is_kept(client, ctx):
    gen_user("alice", "hq_admin")
    url = "/admin/login?next=" + quote("/admin/org/stores?page=2")
    page = client.get(url)
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(
        url, data={"username": "alice", "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/admin/org/stores?page=2"


@given(st.text(max_size=40))
def test_safe_next_only_ever_answers_a_local_path(target):
    result = safe_next(target, "/home")
    assert result == "/home" or (
        result == target
        and result.startswith("/")
        and not result.startswith(("//", "/\\"))
        and all(0x20 < ord(ch) != 0x7F and ch != "\\" for ch in result)
    )
