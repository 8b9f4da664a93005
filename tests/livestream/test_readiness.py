"""The readiness gate over HTTP: blockers, override with reason, go-live, owners' view."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.clock import utcnow
from app.extensions import db
from franchise.models import Guide
from livestream.models import (
    Campaign,
    GateDecision,
    LinkCheckRun,
    LiveSession,
    TrainingProgress,
)
from livestream.services import readiness
from tests.livestream.factories import gen_campaign
from tests.livestream.scenarios import gen_campaign_id


def train(app, campaign_id, *guide_ids):
    with app.app_context():
        for guide_id in guide_ids:
            guide = db.session.get(Guide, guide_id)
            db.session.add(
                TrainingProgress(
                    campaign_id=campaign_id,
                    guide_id=guide.id,
                    store_id=guide.store_id,
                    franchisee_id=guide.franchisee_id,
                    region_id=guide.store.region_id,
                    started_at=utcnow(),
                    completed_at=utcnow(),
                )
            )
        db.session.commit()


def link_run(app, campaign_id, store_id, passed=True, failing=()):
    with app.app_context():
        store_guide = db.session.scalars(select(Guide).where(Guide.store_id == store_id)).first()
        results = [
            {"product_id": pid, "sku": "S", "name": name, "ok": False, "problems": ["inactive"]}
            for pid, name in failing
        ]
        db.session.add(
            LinkCheckRun(
                campaign_id=campaign_id,
                store_id=store_id,
                franchisee_id=store_guide.franchisee_id,
                status="done",
                passed=passed,
                results=results,
            )
        )
        db.session.commit()


def all_guides(live_org, *stores):
    names = {
        live_org.a1: (live_org.ga1, live_org.ga1b),
        live_org.a2: (live_org.ga2,),
        live_org.c1: (live_org.gc1,),
    }
    return [g for s in stores for g in names[s]]


@pytest.fixture
def blocked(app, live_org):
    """A1 with one of two guides trained; A2 trained but its link check failed."""
    cid = gen_campaign_id(app, live_org, "store", [live_org.a1, live_org.a2])
    with app.app_context():
        second_a2 = db.session.scalars(
            select(Guide.id).where(Guide.store_id == live_org.a2).order_by(Guide.id.desc())
        ).first()
    train(app, cid, live_org.ga1, live_org.ga2, second_a2)
    link_run(app, cid, live_org.a1, passed=True)
    link_run(app, cid, live_org.a2, passed=False, failing=[(live_org.products[0], "古法金手镯")])
    return cid


def test_gate_blocks_and_lists_the_blockers(client, blocked, live_org, hq_headers):
    body = client.get(f"/api/v1/campaigns/{blocked}/readiness", headers=hq_headers).get_json()
    assert body["ready"] is False and body["overridden"] is False
    codes = {(b["code"], b["store_id"]) for b in body["blockers"]}
    assert codes == {
        ("training_below_threshold", live_org.a1),
        ("link_check_failed", live_org.a2),
    }
    training = next(b for b in body["blockers"] if b["code"] == "training_below_threshold")
    assert training["params"] == {"trained": 1, "total": 2, "pct": 50, "threshold": 90}
    assert "50" in training["text"] and "90" in training["text"]  # params filled in
    assert "%(" not in training["text"]
    failed = next(b for b in body["blockers"] if b["code"] == "link_check_failed")
    assert "古法金手镯" in failed["text"] and failed["params"]["products"] == "古法金手镯"
    stores = {s["store_id"]: s for s in body["stores"]}
    assert (
        stores[live_org.a1]["trained_pct"] == 50 and stores[live_org.a1]["link_check"] == "passed"
    )
    assert stores[live_org.a2]["link_check"] == "failed"
    assert stores[live_org.a2]["failing_products"] == ["古法金手镯"]


def test_ready_when_trained_and_checked(app, client, live_org, hq_headers):
    cid = gen_campaign_id(app, live_org, "store", [live_org.a1])
    url = f"/api/v1/campaigns/{cid}/readiness"
    body = client.get(url, headers=hq_headers).get_json()
    assert {b["code"] for b in body["blockers"]} == {
        "training_below_threshold",
        "link_check_missing",
    }
    train(app, cid, *all_guides(live_org, live_org.a1))
    link_run(app, cid, live_org.a1)
    body = client.get(url, headers=hq_headers).get_json()
    assert body == {**body, "ready": True, "blockers": []}


def test_campaign_level_blockers_and_link_check_optional(app, client, live_org, hq_headers):
    with app.app_context():
        cid = gen_campaign("hq", [], [], status="draft", gate_requires_link_check=False).id
    body = client.get(f"/api/v1/campaigns/{cid}/readiness", headers=hq_headers).get_json()
    assert {b["code"] for b in body["blockers"]} == {"not_scheduled", "empty_lineup", "no_stores"}
    cid2 = gen_campaign_id(app, live_org, "store", [live_org.a1], gate_requires_link_check=False)
    with app.app_context():
        for guide in db.session.scalars(select(Guide).where(Guide.store_id == live_org.a1)):
            guide.status = "left"
        db.session.commit()
    body = client.get(f"/api/v1/campaigns/{cid2}/readiness", headers=hq_headers).get_json()
    assert [b["code"] for b in body["blockers"]] == ["no_guides"]


def test_override_needs_a_reason_and_is_recorded(app, client, blocked, hq_headers):
    url = f"/api/v1/campaigns/{blocked}/readiness/override"
    assert client.post(url, json={}, headers=hq_headers).status_code == 422
    short = client.post(url, json={"reason": "  ok  "}, headers=hq_headers)
    assert short.status_code == 422 and "reason" in short.get_json()["errors"]
    assert client.post(url, json={"reason": 12345}, headers=hq_headers).status_code == 422
    with app.app_context():
        assert db.session.scalars(select(GateDecision)).all() == []
    done = client.post(url, json={"reason": "A2 will re-list the bangle"}, headers=hq_headers)
    assert done.status_code == 201, done.get_json()
    with app.app_context():
        decision = db.session.scalars(select(GateDecision)).one()
        hq = db.session.scalars(select(User).where(User.username == "hq")).one()
        assert decision.override is True and decision.ready is True
        assert decision.decided_by == hq.id and decision.reason == "A2 will re-list the bangle"
        assert {b["code"] for b in decision.blockers} == {
            "training_below_threshold",
            "link_check_failed",
        }
    body = client.get(f"/api/v1/campaigns/{blocked}/readiness", headers=hq_headers).get_json()
    assert body["ready"] is True and body["overridden"] is True
    assert body["override"]["reason"] == "A2 will re-list the bangle"
    assert len(body["blockers"]) == 2  # still shown
    revoked = client.delete(url, json={}, headers=hq_headers)
    assert revoked.status_code == 200 and revoked.get_json()["kind"] == "revoke"
    body = client.get(f"/api/v1/campaigns/{blocked}/readiness", headers=hq_headers).get_json()
    assert body["ready"] is False and body["overridden"] is False
    assert client.delete(url, json={}, headers=hq_headers).status_code == 409


def test_go_live_refused_when_blocked_then_allowed_after_override(app, client, blocked, hq_headers):
    go = f"/api/v1/campaigns/{blocked}/go-live"
    refused = client.post(go, headers=hq_headers)
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["code"] == "gate_blocked" and len(body["errors"]["blockers"]) == 2
    with app.app_context():
        assert db.session.get(Campaign, blocked).status == "scheduled"
    client.post(
        f"/api/v1/campaigns/{blocked}/readiness/override",
        json={"reason": "HQ accepts the risk"},
        headers=hq_headers,
    )
    allowed = client.post(go, headers=hq_headers)
    assert allowed.status_code == 200, allowed.get_json()
    assert allowed.get_json()["status"] == "live"
    with app.app_context():
        assert db.session.get(Campaign, blocked).status == "live"
        sessions = db.session.scalars(select(LiveSession).where(LiveSession.campaign_id == blocked))
        assert {s.status for s in sessions} == {"living"}
        kinds = [d["kind"] for d in readiness.history(blocked)]
        assert kinds == ["go_live", "override"]
    assert client.post(go, headers=hq_headers).status_code == 409  # already live


def test_owners_see_only_their_stores(app, client, live_org, owner_a_headers):
    cid = gen_campaign_id(app, live_org, "store", [live_org.a1, live_org.c1])
    train(app, cid, *all_guides(live_org, live_org.a1))
    link_run(app, cid, live_org.a1)
    body = client.get(f"/api/v1/campaigns/{cid}/readiness", headers=owner_a_headers).get_json()
    assert [s["store_id"] for s in body["stores"]] == [live_org.a1]
    assert body["blockers"] == [] and body["ready"] is True  # C1's blockers are not theirs
    assert (
        client.post(
            f"/api/v1/campaigns/{cid}/readiness/override",
            json={"reason": "not mine to decide"},
            headers=owner_a_headers,
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/campaigns/{cid}/go-live", headers=owner_a_headers).status_code == 403
    )
    with app.app_context():
        readiness.override(cid, "C1 is late, go anyway", None)
    body = client.get(f"/api/v1/campaigns/{cid}/readiness", headers=owner_a_headers).get_json()
    assert body["overridden"] is True and body["override"]["blockers"] == []
    other = gen_campaign_id(app, live_org, "store", [live_org.c1])
    assert (
        client.get(f"/api/v1/campaigns/{other}/readiness", headers=owner_a_headers).status_code
        == 404
    )


def test_guides_get_403_and_unknown_campaigns_404(client, blocked, guide_a1_headers, hq_headers):
    assert (
        client.get(f"/api/v1/campaigns/{blocked}/readiness", headers=guide_a1_headers).status_code
        == 403
    )
    assert client.get("/api/v1/campaigns/999999/readiness", headers=hq_headers).status_code == 404
    assert (
        client.get("/api/v1/campaigns/99999999999/readiness", headers=hq_headers).status_code == 404
    )
    assert client.get(f"/api/v1/campaigns/{blocked}/readiness").status_code == 401
