"""Bodies no route may choke on: every write route under /api/v1 answers 4xx, never 5xx.

A JSON body nested 1,000 deep made Python's parser raise ``RecursionError`` (500 on 40 of
41 write routes), and an integer of 5,000 digits a ``ValueError`` webargs does not catch
(500). ``app.request_body`` refuses both with 400 before any view runs. Each route is
called as a caller it accepts (HQ, or a customer under /api/v1/mp/), so the body reaches
the route's own parser when the guard is not there.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.request_body import MAX_JSON_DEPTH, json_number_too_long, json_too_deep
from tests.fixtures.auth import api_token, bearer
from tests.franchise.factories import build_org
from tests.franchise.factories_commerce import build_shop, customer_headers

WRITE = {"POST", "PUT", "PATCH", "DELETE"}
DEEP = {
    "arrays": "[" * 1000 + "]" * 1000,
    "objects": '{"a":' * 1000 + "1" + "}" * 1000,
    "mixed": '{"items":' + '[{"a":' * 500 + "1" + "}]" * 500 + "}",
    "unclosed": "[" * 1000,
}
ODD = [  # (body, content type): the route's parser answers, never a 500
    ("{not json", "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    ("", "application/json"),
    ("null", "application/json"),
    ("[]", "application/json"),
    ('"text"', "application/json"),
    ("NaN", "application/json"),
    ('{"id": 1e999, "name": -1e999}', "application/json"),
    ("1" * 5000, "application/json"),
    ('{"name": ' + "9" * 5000 + "}", "application/json"),
    ('{"name": "\\ud800"}', "application/json"),
    ('{"a": 1}', "text/plain"),
    ("<xml><a>1</a></xml>", "application/xml"),
    ("a=1&b=2", "application/x-www-form-urlencoded"),
    ('{"title": "x"}', "application/json; charset=utf-16"),
]


@pytest.fixture
def callers(app, client):
    with app.app_context():
        org = build_org()
        shop = build_shop(org)
        customer = customer_headers(shop.ca)
    return {"staff": bearer(api_token(client, "hq")), "customer": customer}


def write_routes(app):
    """``(method, path, caller)`` for every write route under /api/v1, ids filled in."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:int:)(\w+)>", "1", rule.rule)
        path = re.sub(r"<(?:\w+:)?(\w+)>", "x", path)
        caller = "customer" if path.startswith("/api/v1/mp/") else "staff"
        out.extend((method, path, caller) for method in sorted(rule.methods & WRITE))
    return out


def test_there_are_write_routes_to_try(app):
    assert len(write_routes(app)) >= 41


def test_a_body_nested_1000_deep_is_400_on_every_write_route(app, client, callers):
    answers = {}
    for method, path, caller in write_routes(app):
        for shape, body in DEEP.items():
            res = client.open(
                path,
                method=method,
                data=body,
                content_type="application/json",
                headers=callers[caller],
            )
            answers[(method, path, shape)] = (res.status_code, (res.get_json() or {}).get("code"))
    wrong = {k: v for k, v in answers.items() if v != (400, "json_too_deep")}
    assert not wrong, wrong


def test_the_400_is_translated_and_comes_before_authentication(client):
    zh = client.post(
        "/api/v1/content", data=DEEP["objects"], content_type="application/json"
    ).get_json()
    assert zh == {
        "code": "json_too_deep",
        "message": "JSON 请求体嵌套层级过深。",
        "errors": {"_schema": [f"最多允许嵌套 {MAX_JSON_DEPTH} 层。"]},
    }
    en = client.post(
        "/api/v1/content?lang=en", data=DEEP["objects"], content_type="application/json"
    ).get_json()
    assert en["message"] == "The JSON body is nested too deeply."


def test_odd_bodies_and_content_types_stay_4xx_on_every_write_route(app, client, callers):
    failures = []
    for method, path, caller in write_routes(app):
        for body, content_type in ODD:
            res = client.open(
                path, method=method, data=body, content_type=content_type, headers=callers[caller]
            )
            if res.status_code >= 500:
                failures.append((method, path, str(body)[:20], content_type, res.status_code))
    assert not failures, failures


def test_a_long_number_is_400_and_brackets_inside_strings_are_text(client, callers):
    res = client.post(
        "/api/v1/content?lang=en",
        data='{"title": ' + "1" * 5000 + "}",
        content_type="application/json",
        headers=callers["staff"],
    )
    assert res.status_code == 400 and res.get_json()["code"] == "json_number_too_long"
    assert not json_number_too_long(('{"title": "' + "9" * 5000 + '"}').encode())
    text = "[{" * 1000 + '\\"' + "]"
    body = {"title": "括号", "purpose": "knowledge", "text": text}
    res = client.post("/api/v1/content", json=body, headers=callers["staff"])
    assert res.status_code == 201, res.get_json()

    def with_depth(levels):
        deep = []
        for _ in range(levels - 5):  # body, attachments, the attachment, its link, []
            deep = [deep]
        link = {"title": "t", "url": "https://x.cn/", "x": deep}
        return {
            "title": "深",
            "purpose": "knowledge",
            "text": "x",
            "attachments": [{"msgtype": "link", "link": link}],
        }

    assert _depth(with_depth(MAX_JSON_DEPTH)) == MAX_JSON_DEPTH
    res = client.post("/api/v1/content", json=with_depth(MAX_JSON_DEPTH), headers=callers["staff"])
    assert res.status_code == 201, res.get_json()  # as deep as allowed: parsed
    res = client.post(
        "/api/v1/content", json=with_depth(MAX_JSON_DEPTH + 1), headers=callers["staff"]
    )
    assert res.status_code == 400, res.get_json()


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


TRICKY = st.text(alphabet='[]{}"\\ab,:', max_size=6)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY, inner, max_size=3),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(value=VALUES, limit=st.integers(0, 8), ascii_only=st.booleans())
def test_depth_is_counted_as_the_parser_sees_it(value, limit, ascii_only):
    """For every JSON document: refused exactly when it nests deeper than the limit,
    whatever brackets, quotes and backslashes its strings hold."""
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert json_too_deep(body, limit) == (_depth(value) > limit)
