"""``GET /api/v1/groups`` answers in one statement with ``GroupSchema`` compiled: the JSON
is identical to the marshmallow dump of the ORM page it replaced, for every role, filter
and page, and a change to a group shows on the next request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given

from app.clock import utcnow
from app.extensions import db
from app.schemas import page_of
from community.api.groups import group_stmt
from community.schemas import GroupPageSchema, GroupQuerySchema, GroupSchema
from franchise.models import Guide
from tests.community.factories_groups import gen_group
from tests.fixtures import list_json
from tests.fixtures.auth import signed_in
from tests.fixtures.list_json import list_examples, list_queries, roles, same_json

LIST = "/api/v1/groups"
as_owner_b = signed_in("owner-b", "org")
as_guide_a2 = signed_in("guide-a2", "org")


@pytest.fixture
def groups(app, org):
    with app.app_context():
        ann, amy, bob = (db.session.get(Guide, i) for i in (org.ga, org.ga2, org.gb))
        for n in range(4):
            gen_group(ann, members=n, name=f"上海{n}群", stage="seeding" if n % 2 else "cold_start")
        gen_group(amy, members=3, name="Amy 群", segment="purchased", is_benchmark=True)
        gen_group(bob, members=12, name="北京群", synced_at=utcnow() - timedelta(hours=2))
        gen_group(bob, status="dismissed", wecom_created_at=None)
        gen_group(None, name="无主群")


@pytest.fixture
def staff(as_hq, as_owner_a, as_guide_a, as_owner_b, as_guide_a2) -> dict:
    return {
        "hq": as_hq,
        "owner": as_owner_a,
        "guide": as_guide_a,
        "owner_b": as_owner_b,
        "guide_a2": as_guide_a2,
    }


def _by_marshmallow(app, headers: dict, query: dict) -> dict:
    """The page as the route built it before: ORM objects, two statements, the schema."""
    with app.test_request_context(LIST, headers=headers, query_string=query):
        args = GroupQuerySchema().load(query)
        return GroupPageSchema().dump(page_of(group_stmt(args), args))


queries = list_queries(
    4,
    5,
    stage=["cold_start", "seeding"],
    segment=["prospect", "purchased"],
    status=["active", "dismissed"],
    is_benchmark=["true", "false"],
    q=["上海", "群", "wrtest", "none"],
)


@list_examples
@given(query=queries, role=roles)
def test_the_json_is_the_schemas_dump(app, client, groups, staff, query, role):
    reference = lambda: _by_marshmallow(app, staff[role], query)  # noqa: E731
    same_json(client, LIST, staff[role], query, reference)


@list_examples
@given(query=queries, readers=list_json.in_turn("hq", "owner", "guide", "owner_b", "guide_a2"))
def test_the_bytes_and_headers_are_pinned(app, client, groups, staff, query, readers):
    """The body byte for byte and the headers, for callers of one kind after another."""
    reference_of = lambda headers: _by_marshmallow(app, headers, query)  # noqa: E731
    list_json.pinned_in_turn(client, LIST, staff, readers, query, reference_of, GroupSchema)


def test_a_change_shows_on_the_next_request(app, client, org, groups, as_hq):
    first = client.get(LIST, headers=as_hq).get_json()["items"][0]
    body = {"stage": "benchmark", "reason": "标杆"}
    answer = client.post(f"/api/v1/groups/{first['id']}/stage", json=body, headers=as_hq)
    assert answer.status_code == 200, answer.get_json()
    again = client.get(LIST, headers=as_hq).get_json()["items"][0]
    assert (again["id"], again["stage"], again["stage_overridden"]) == (
        first["id"],
        "benchmark",
        True,
    )


def test_a_page_past_the_end_still_counts(client, groups, as_hq):
    body = client.get(LIST, headers=as_hq, query_string={"page": 50}).get_json()
    assert (body["items"], body["total"], body["page"]) == ([], 7, 50)
