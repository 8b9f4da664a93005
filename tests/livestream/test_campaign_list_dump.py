"""``GET /api/v1/campaigns`` answers in one statement (phase and store count in SQL) with
the item schema compiled: the JSON is identical to the marshmallow dump of the page the
route built from ``Campaign`` objects (``campaign_item``, ``timeline.phase``), for every
role, filter and page, and a change shows on the next request."""

from __future__ import annotations

import pytest
from hypothesis import given
from sqlalchemy import func, select

from app.extensions import db
from livestream.api.campaigns import (
    CampaignItemSchema,
    CampaignPageSchema,
    CampaignQuerySchema,
    campaign_item,
    filtered_campaigns,
    store_counts,
)
from tests.fixtures import list_json
from tests.fixtures.auth import signed_in
from tests.fixtures.list_json import list_examples, list_queries, roles, same_json
from tests.livestream.factories import campaign_body, gen_campaign, live_at, post_campaign

LIST = "/api/v1/campaigns"
owner_c_headers = signed_in("owner-c", "live_org")
guide_c1_headers = signed_in("guide-c1", "live_org")


@pytest.fixture
def campaigns(app, client, live_org, hq_headers):
    """Campaigns in every phase: through the API (default timeline steps, some starting
    today) at 3, 9, 20 and 70 days, and written directly in the other statuses."""
    for days in (3, 9, 20, 70):
        body = campaign_body(live_org, name=f"直播 {days} 天", live_at=live_at(days))
        assert post_campaign(client, hq_headers, body).status_code == 201
    with app.app_context():
        stores = live_org.stores
        for status, days in (("live", 0), ("ended", -2), ("reviewed", -9), ("cancelled", 5)):
            gen_campaign(store_ids=stores[:2], status=status, live_in_days=days)
        gen_campaign(mode="store", store_ids=[live_org.c1], status="draft")
        gen_campaign(store_ids=[live_org.a1, live_org.b1], name="店播 A1 B1")


@pytest.fixture
def staff(hq_headers, owner_a_headers, guide_a1_headers, owner_c_headers, guide_c1_headers):
    return {
        "hq": hq_headers,
        "owner": owner_a_headers,
        "guide": guide_a1_headers,
        "owner_c": owner_c_headers,
        "guide_c1": guide_c1_headers,
    }


def _by_objects(app, headers: dict, query: dict) -> dict:
    """The page as the route built it before: Campaign objects, three statements plus a
    step read per campaign, the schema's dump."""
    with app.test_request_context(LIST, headers=headers, query_string=query):
        args = CampaignQuerySchema().load(query)
        stmt = filtered_campaigns(args)
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        page, per_page = args["page"], args["per_page"]
        rows = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
        counts = store_counts([c.id for c in rows])
        items = [campaign_item(c, counts.get(c.id, 0)) for c in rows]
        return CampaignPageSchema().dump(
            {"items": items, "total": total, "page": page, "per_page": per_page}
        )


queries = list_queries(
    3,
    6,
    mode=["hq", "store"],
    status=["scheduled", "live", "draft", "cancelled"],
    q=["直播", "店播", "天", "100%"],
)


@list_examples
@given(query=queries, role=roles)
def test_the_json_is_the_schemas_dump(app, client, campaigns, staff, query, role):
    same_json(client, LIST, staff[role], query, lambda: _by_objects(app, staff[role], query))


@list_examples
@given(query=queries, readers=list_json.in_turn("hq", "owner", "guide", "owner_c", "guide_c1"))
def test_the_bytes_and_headers_are_pinned(app, client, campaigns, staff, query, readers):
    """The body byte for byte and the headers, for callers of one kind after another."""
    reference_of = lambda headers: _by_objects(app, headers, query)  # noqa: E731
    list_json.pinned_in_turn(client, LIST, staff, readers, query, reference_of, CampaignItemSchema)


def test_every_phase_is_listed_as_the_timeline_says(app, client, campaigns, hq_headers):
    body = client.get(LIST, headers=hq_headers, query_string={"per_page": 50}).get_json()
    assert body == _by_objects(app, hq_headers, {"per_page": 50})
    phases = {item["phase"] for item in body["items"]}
    assert {"live", "review", "cancelled", "targets"} <= phases and len(phases) >= 5


def test_a_change_shows_on_the_next_request(client, campaigns, hq_headers):
    first = client.get(LIST, headers=hq_headers).get_json()["items"][0]
    answer = client.patch(f"{LIST}/{first['id']}", json={"name": "改名直播"}, headers=hq_headers)
    assert answer.status_code == 200, answer.get_json()
    assert client.get(LIST, headers=hq_headers).get_json()["items"][0]["name"] == "改名直播"
