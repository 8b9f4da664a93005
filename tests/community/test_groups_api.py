"""GET /api/v1/groups contract, filters, scoping (owner, guide), detail and benchmark."""

from __future__ import annotations

from app.extensions import db
from franchise.models import Guide
from tests.community.factories_groups import gen_group
from tests.fixtures.auth import api_token, bearer

CONTRACT = {"id", "chat_id", "stage", "segment", "member_count", "store_id"}


def _groups(app, org):
    with app.app_context():
        ann, amy, bob = (db.session.get(Guide, i) for i in (org.ga, org.ga2, org.gb))
        ids = {
            "a1": gen_group(ann, members=5, name="上海一群").id,
            "a2": gen_group(ann, members=40, stage="seeding", segment="purchased").id,
            "amy": gen_group(amy, members=8, name="Amy 群").id,
            "b1": gen_group(bob, members=12, stage="seeding", name="北京群").id,
        }
        gen_group(bob, status="dismissed")
        return ids


def _ids(response):
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


def test_list_contract_and_filters(app, org, client, as_hq):
    ids = _groups(app, org)
    response = client.get("/api/v1/groups", headers=as_hq)
    body = response.get_json()
    assert set(body) == {"items", "total", "page", "per_page"} and body["total"] == 4
    item = next(i for i in body["items"] if i["id"] == ids["a2"])
    assert set(item) >= CONTRACT
    assert (item["stage"], item["segment"], item["member_count"], item["store_id"]) == (
        "seeding",
        "purchased",
        40,
        org.sa,
    )
    assert item["chat_id"].startswith("wrTEST") and item["guide_id"] == org.ga
    assert item["franchisee_id"] == org.fa and item["is_benchmark"] is False
    get = lambda q: _ids(client.get(f"/api/v1/groups?{q}", headers=as_hq))  # noqa: E731
    assert get("stage=seeding") == {ids["a2"], ids["b1"]}
    assert get("segment=purchased") == {ids["a2"]}
    assert get(f"store_id={org.sb}") == {ids["b1"]}
    assert get(f"region_id={org.east}") == {ids["a1"], ids["a2"], ids["amy"]}
    assert get(f"franchisee_id={org.fb}&stage=seeding") == {ids["b1"]}
    assert get("q=北京") == {ids["b1"]}
    assert len(get("status=dismissed")) == 1
    page = client.get("/api/v1/groups?per_page=2&page=2", headers=as_hq).get_json()
    assert (page["page"], page["per_page"], len(page["items"]), page["total"]) == (2, 2, 2, 4)


def test_bad_filters_are_422(app, org, client, as_hq):
    for query in ("stage=hot", "segment=x", "store_id=0", "store_id=abc", "per_page=1000"):
        response = client.get(f"/api/v1/groups?{query}", headers=as_hq)
        assert response.status_code == 422, query
        assert response.get_json()["code"]
    assert client.get("/api/v1/groups").status_code == 401
    for group_id in (0, 2**31, 360269176482620571648):
        assert client.get(f"/api/v1/groups/{group_id}", headers=as_hq).status_code == 404


def test_owner_and_guide_see_only_their_groups(app, org, client, as_owner_a, as_guide_a):
    ids = _groups(app, org)
    assert _ids(client.get("/api/v1/groups", headers=as_owner_a)) == {
        ids["a1"],
        ids["a2"],
        ids["amy"],
    }
    assert _ids(client.get("/api/v1/groups", headers=as_guide_a)) == {ids["a1"], ids["a2"]}
    assert _ids(client.get(f"/api/v1/groups?store_id={org.sb}", headers=as_owner_a)) == set()
    assert client.get(f"/api/v1/groups/{ids['b1']}", headers=as_owner_a).status_code == 404
    assert client.get(f"/api/v1/groups/{ids['amy']}", headers=as_guide_a).status_code == 404
    detail = client.get(f"/api/v1/groups/{ids['a1']}", headers=as_guide_a)
    assert detail.status_code == 200 and detail.get_json()["stage_history"] == []
    owner_b = bearer(api_token(client, "owner-b"))
    assert client.get(f"/api/v1/groups/{ids['a1']}", headers=owner_b).status_code == 404


def test_benchmark_toggle_is_hq_only_and_strict(app, org, client, as_hq, as_owner_a):
    ids = _groups(app, org)
    url = f"/api/v1/groups/{ids['a2']}/benchmark"
    assert client.post(url, json={"is_benchmark": True}, headers=as_owner_a).status_code == 403
    assert client.post(url, json={"is_benchmark": "yes"}, headers=as_hq).status_code == 422
    assert client.post(url, json={"is_benchmark": True, "x": 1}, headers=as_hq).status_code == 422
    response = client.post(url, json={"is_benchmark": True}, headers=as_hq)
    assert response.status_code == 200 and response.get_json()["is_benchmark"] is True
    assert _ids(client.get("/api/v1/groups?is_benchmark=true", headers=as_hq)) == {ids["a2"]}
    assert (
        client.post(
            "/api/v1/groups/99999/benchmark", json={"is_benchmark": True}, headers=as_hq
        ).status_code
        == 404
    )
