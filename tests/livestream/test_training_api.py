"""Training API: completion rows (scoped), the checklist (expected answers for HQ only),
a guide answering their own checklist; other stores' guides get 404; strict bodies."""

from __future__ import annotations

from livestream.models import TrainingProgress
from livestream.services import training as service
from tests.fixtures.auth import api_token, bearer
from tests.livestream.scenarios import training_campaign

BASE = "/api/v1/campaigns/{}"


def test_checklist_shows_expected_answers_to_hq_only(
    app, client, live_org, hq_headers, owner_a_headers, guide_a1_headers
):
    cid, items = training_campaign(app, live_org)
    hq = client.get(BASE.format(cid) + "/checklist", headers=hq_headers).get_json()
    assert [i["expected_answer"] for i in hq["items"]][5:] == ["1599.20", "4704", "10240"]
    assert hq["progress"] is None
    for headers in (owner_a_headers, guide_a1_headers):
        body = client.get(BASE.format(cid) + "/checklist", headers=headers).get_json()
        assert len(body["items"]) == 8
        assert all("expected_answer" not in i for i in body["items"])
    guide = client.get(BASE.format(cid) + "/checklist", headers=guide_a1_headers).get_json()
    assert guide["items"][0]["done"] is False and guide["progress"] is None


def test_guide_answers_wrong_then_right_and_completes(app, client, live_org, guide_a1_headers):
    cid, items = training_campaign(app, live_org)
    url = BASE.format(cid) + "/checklist/{}/answer"
    q_id = items[5][0]
    resp = client.post(url.format(q_id), json={"answer": "99"}, headers=guide_a1_headers)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["correct"] is False and body["done"] == 0 and body["total"] == 8
    assert body["guide_id"] == live_org.ga1
    assert body["answers"][0]["answer"] == "99"
    body = client.post(
        url.format(q_id), json={"answer": "1599.2"}, headers=guide_a1_headers
    ).get_json()
    assert body["correct"] is True and body["done"] == 1
    for item_id, kind, expected in items:
        payload = {"answer": expected} if kind == "question" else {}
        resp = client.post(url.format(item_id), json=payload, headers=guide_a1_headers)
        assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["done"] == 8 and body["completed_at"] is not None and body["is_late"] is False
    mine = client.get(BASE.format(cid) + "/checklist", headers=guide_a1_headers).get_json()
    assert all(i["done"] for i in mine["items"]) and mine["progress"]["done"] == 8


def test_answer_bodies_are_strict(app, client, live_org, guide_a1_headers, hq_headers):
    cid, items = training_campaign(app, live_org)
    url = BASE.format(cid) + f"/checklist/{items[5][0]}/answer"
    for payload in ({"answer": 1599}, {"answer": "x" * 129}, {"answer": "1", "extra": 1}):
        resp = client.post(url, json=payload, headers=guide_a1_headers)
        assert resp.status_code == 422, payload
        assert set(resp.get_json()) >= {"code", "message", "errors"}
    resp = client.post(url, json={"answer": "  "}, headers=guide_a1_headers)
    assert resp.status_code == 422 and "answer" in resp.get_json()["errors"]
    assert client.post(url, json={"answer": "1"}, headers=hq_headers).status_code == 403
    assert client.post(url, json={"answer": "1"}).status_code == 401
    big = BASE.format(cid) + "/checklist/99999999999/answer"
    assert client.post(big, json={}, headers=guide_a1_headers).status_code == 404


def test_guide_of_a_non_participating_store_gets_404(app, client, live_org, guide_a1_headers):
    cid, items = training_campaign(app, live_org)  # A1, A2, B1 take part; C1 does not
    c1 = bearer(api_token(client, "guide-c1"))
    assert client.get(BASE.format(cid) + "/checklist", headers=c1).status_code == 404
    url = BASE.format(cid) + f"/checklist/{items[0][0]}/answer"
    assert client.post(url, json={}, headers=c1).status_code == 404
    # an item of another campaign through this one is 404 too
    other_cid, other_items = training_campaign(app, live_org)
    url = BASE.format(cid) + f"/checklist/{other_items[0][0]}/answer"
    assert client.post(url, json={}, headers=guide_a1_headers).status_code == 404
    with app.app_context():
        assert TrainingProgress.query.filter_by(guide_id=live_org.gc1).count() == 0


def test_completion_rows_are_scoped(app, client, live_org, hq_headers, owner_a_headers):
    cid, items = training_campaign(app, live_org)
    with app.app_context():
        for item_id, _kind, expected in items:
            service.answer(cid, live_org.ga1, item_id, expected)
    url = BASE.format(cid) + "/training?level={}"
    hq = client.get(url.format("store"), headers=hq_headers).get_json()
    assert {r["id"] for r in hq["items"]} == {live_org.a1, live_org.a2, live_org.b1}
    assert hq["due_on"] and hq["level"] == "store"
    owner = client.get(url.format("store"), headers=owner_a_headers).get_json()
    assert {r["id"] for r in owner["items"]} == {live_org.a1, live_org.a2}
    guides = client.get(url.format("guide"), headers=owner_a_headers).get_json()["items"]
    assert {r["store_id"] for r in guides} == {live_org.a1, live_org.a2}
    assert [r["trained"] for r in guides if r["id"] == live_org.ga1] == [1]
    region = client.get(url.format("region"), headers=owner_a_headers).get_json()["items"]
    assert [(r["guides"], r["trained"]) for r in region] == [(4, 1)]
    assert client.get(url.format("planet"), headers=hq_headers).status_code == 422
    guide = bearer(api_token(client, "guide-a1"))
    assert client.get(url.format("store"), headers=guide).status_code == 403
    owner_c = bearer(api_token(client, "owner-c"))  # C does not take part
    assert client.get(url.format("store"), headers=owner_c).status_code == 404
    assert client.get(BASE.format(2**40) + "/training", headers=hq_headers).status_code == 404
