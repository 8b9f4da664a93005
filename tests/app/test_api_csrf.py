"""Issue 12 item 3: no CSRF through the API.

``/api/v1/*`` authenticates with bearer tokens: an admin's session cookie alone (what a
cross-origin form post carries) does not authorise a state-changing call. The same call
with the session's CSRF token in ``X-CSRFToken`` (what a page's JavaScript would send)
or with a bearer token is accepted; reads with the cookie still work.
"""

from __future__ import annotations

import pytest

from tests.fixtures.auth import api_token, bearer, csrf_token_from, gen_user, login

REGION = {"code": "EAST", "name": "华东", "cities": ["上海"]}


@pytest.fixture
def admin_client(client, ctx):
    gen_user("alice", "hq_admin")
    assert login(client, "alice").status_code == 302
    return client


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/api/v1/regions"),
        ("PUT", "/api/v1/campaigns/1/targets"),
        ("PATCH", "/api/v1/regions/1"),
        ("POST", "/api/v1/auth/logout"),
    ],
)
def test_cookie_alone_cannot_change_anything(admin_client, method, path):
    as_json = admin_client.open(path, method=method, json=REGION)
    as_form = admin_client.open(path, method=method, data=REGION)  # a cross-origin form
    assert as_json.status_code == 401 and as_form.status_code == 401
    bad_header = admin_client.open(
        path, method=method, json=REGION, headers={"X-CSRFToken": "forged"}
    )
    assert bad_header.status_code == 401
    assert admin_client.get("/admin/").status_code == 200  # still signed in


def test_cookie_with_csrf_header_is_accepted(admin_client):
    token = csrf_token_from(admin_client.get("/admin/accounts/new").get_data(as_text=True))
    response = admin_client.post("/api/v1/regions", json=REGION, headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_json()


def test_cookie_reads_and_bearer_writes_still_work(admin_client):
    assert admin_client.get("/api/v1/regions").status_code == 200
    token = api_token(admin_client, "alice")
    response = admin_client.post("/api/v1/regions", json=REGION, headers=bearer(token))
    assert response.status_code == 201


def test_api_logout_with_the_session_and_its_csrf_token_ends_the_session(admin_client):
    token = csrf_token_from(admin_client.get("/admin/accounts").get_data(as_text=True))
    response = admin_client.post("/api/v1/auth/logout", headers={"X-CSRFToken": token})
    assert response.status_code == 204
    assert admin_client.get("/admin/").status_code == 302
