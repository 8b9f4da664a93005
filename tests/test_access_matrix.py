"""Who may see what: every API operation and every page × every non-HQ role × objects of
another franchise. Each answers 401/403/404 (or a list without the other franchise's
rows), never the other franchise's data. New endpoints join the matrix automatically:
operations come from the OpenAPI document and pages from the URL map.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.auth.models import User
from app.auth.principal import issue_customer_token, issue_user_token
from app.extensions import db
from tests.fixtures.auth import PASSWORD, csrf_token_from, login

SECRET = "BETA-SECRET"
# What must never show up for franchise A's people: franchise B's names and marker.
B_MARKERS = (SECRET, "Beta Jewels", "北京B店", "BJ-B")


@pytest.fixture
def world(app):
    """Franchise A and B (from the franchise fixtures) plus B's customer, order and group."""
    from franchise.models import Guide
    from tests.community.factories_groups import gen_group
    from tests.franchise.factories import build_org
    from tests.franchise.factories_payments import gen_customer, gen_order
    from tests.livestream.factories import gen_campaign

    with app.app_context():
        org = build_org()
        customer_a = gen_customer(org.fa, nickname="Alpha customer", openid="oA-matrix")
        customer_b = gen_customer(org.fb, nickname=f"{SECRET} customer", openid="oB-matrix")
        order_b = gen_order(customer_b, order_no="BSECRET0000001")
        group_b = gen_group(db.session.get(Guide, org.gb), name=f"{SECRET} group")
        campaign_b = gen_campaign("store", [org.sb], name=f"{SECRET} live")
        db.session.commit()
        users = {u.username: u for u in db.session.query(User).all()}
        org.customer_a, org.customer_b = customer_a.id, customer_b.id
        org.order_b, org.group_b = order_b.id, group_b.id
        org.campaign_b = campaign_b.id
        org.tokens = {
            "franchise_owner": issue_user_token(users["owner-a"]),
            "guide": issue_user_token(users["guide-a"]),
            "customer": issue_customer_token(customer_a.id),
        }
    return org


def _b_id(param: str, org) -> int | None:
    """The id of franchise B's object for a path parameter, or None when it is global."""
    return {
        "franchisee_id": org.fb,
        "store_id": org.sb,
        "guide_id": org.gb,
        "region_id": org.north,
        "customer_id": org.customer_b,
        "order_id": org.order_b,
        "group_id": org.group_b,
        "campaign_id": org.campaign_b,
    }.get(param)


def _leaks(body: str) -> list[str]:
    return [marker for marker in B_MARKERS if marker in body]


def _operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method in item:
            if method in ("get", "post", "patch", "put", "delete"):
                yield method, path


@pytest.mark.parametrize("role", ["franchise_owner", "guide", "customer"])
def test_api_never_hands_out_another_franchise(client, world, role):
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    checked = 0
    for method, path in _operations(client):
        if path in ("/api/v1/auth/token", "/api/v1/mp/session"):
            continue
        params = re.findall(r"{(\w+)}", path)
        ids = {p: _b_id(p, world) for p in params}
        if any(value is None for value in ids.values()):
            continue  # a global object (product, template...): not another franchise's
        url = path.format(**ids)
        if method == "get":
            response = client.get(url, headers=headers)
        else:
            response = client.open(url, method=method.upper(), json={}, headers=headers)
        body = response.get_data(as_text=True)
        where = f"{role} {method.upper()} {url} -> {response.status_code}"
        assert response.status_code < 500, where
        if params:
            assert response.status_code in (401, 403, 404, 422), where
        elif response.status_code < 300:
            assert not _leaks(body), f"{where} shows {_leaks(body)}"
        checked += 1
    assert checked > 30


PAGE_OBJECTS = (  # endpoint words -> franchise B's object
    ("franchisee", "fb"),
    ("store", "sb"),
    ("guide_customers", "customer_b"),
    ("customer", "customer_b"),
    ("order", "order_b"),
    ("refund", "order_b"),
    ("group", "group_b"),
    ("guide", "gb"),
    ("region", "north"),
    ("campaign", "campaign_b"),
)


def _page_url(rule, org) -> str | None:
    values = {}
    for arg in rule.arguments:
        if arg == "day":
            values[arg] = date.today().isoformat()
            continue
        target = None
        if arg.endswith("_id") and arg != "object_id":
            target = _b_id(arg, org)
        else:
            for word, attr in PAGE_OBJECTS:
                if word in rule.endpoint:
                    target = getattr(org, attr)
                    break
        if target is None:
            return None
        values[arg] = target
    return _fill(rule, values)


def _fill(rule, values) -> str:
    url = rule.rule
    for arg, value in values.items():
        url = re.sub(rf"<(?:\w+:)?{arg}>", str(value), url)
    return url


@pytest.mark.parametrize(
    ("username", "login_path"), [("owner-a", "/admin/login"), ("guide-a", "/m/login")]
)
def test_pages_never_show_another_franchise(app, client, world, username, login_path):
    assert login(client, username, PASSWORD, path=login_path).status_code == 302
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/admin", "/m/")) or "GET" not in rule.methods:
            continue
        if rule.endpoint.endswith(("login", "static")):
            continue
        url = _page_url(rule, world)
        if url is None:
            continue
        response = client.get(url)
        where = f"{username} GET {url} -> {response.status_code}"
        assert response.status_code < 500, where
        if rule.arguments - {"day"}:
            assert response.status_code in (403, 404), where
        elif response.status_code == 200 and response.mimetype != "image/png":  # a QR code
            assert not _leaks(response.get_data(as_text=True)), where
        checked += 1
    assert checked > 10


def test_no_mass_assignment(client, world):
    """Owners cannot move their store to another franchise; customers cannot pick a payee
    or set amounts on an order."""
    owner = {"Authorization": f"Bearer {world.tokens['franchise_owner']}"}
    response = client.patch(
        f"/api/v1/stores/{world.sa}", json={"franchisee_id": world.fb}, headers=owner
    )
    assert response.status_code in (403, 422)
    customer = {"Authorization": f"Bearer {world.tokens['customer']}"}
    for extra in ({"franchisee_id": world.fb}, {"total_fen": 1}, {"payable_fen": 1}):
        response = client.post(
            "/api/v1/mp/orders",
            json={"items": [{"product_id": 1, "quantity": 1}], **extra},
            headers=customer,
        )
        assert response.status_code == 422, extra
        assert list(extra)[0] in response.get_json()["errors"]
    page = client.get("/admin/login").get_data(as_text=True)
    assert csrf_token_from(page)
