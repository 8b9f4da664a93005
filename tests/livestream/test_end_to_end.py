"""Both campaign modes end to end over HTTP in the sandbox: plan, cascade, train, gate,
link check, go live, customers arriving through guides' share codes, orders paid through
the WeChat Pay sandbox, end, review — and the review's figures equal the orders paid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import outbox
from app.clock import utcnow
from app.extensions import db
from livestream.models import ChecklistItem, LiveSession, TrainingProgress
from livestream.services import living, training
from tests.fixtures.auth import api_token, bearer
from tests.franchise.factories_payments import pay_and_succeed

LIVE_PRICES = (1599_00, 5000_00)


def _plan(client, hq, org, mode: str) -> int:
    body = {
        "name": f"{mode} 端到端",
        "mode": mode,
        "live_at": (utcnow() + timedelta(days=20)).isoformat(),
        "store_ids": [org.a1, org.b1, org.c1],
        "lineup": [
            {"product_id": org.products[0], "live_price_fen": LIVE_PRICES[0], "stock_cap": 10},
            {"product_id": org.products[1], "live_price_fen": LIVE_PRICES[1]},
        ],
    }
    res = client.post("/api/v1/campaigns", json=body, headers=hq)
    assert res.status_code == 201, res.get_json()
    campaign_id = res.get_json()["id"]
    res = client.post(
        f"/api/v1/campaigns/{campaign_id}/status", json={"to": "scheduled"}, headers=hq
    )
    assert res.status_code == 200, res.get_json()
    listed = client.get("/api/v1/campaigns", headers=hq).get_json()["items"]
    item = next(i for i in listed if i["id"] == campaign_id)
    assert item["mode"] == mode and item["status"] == "scheduled" and item["live_at"]
    return campaign_id


def _cascade(client, hq, org, campaign_id: int) -> None:
    regions = [
        {
            "region_id": org.east,
            "gmv_fen": 30000_00,
            "new_customers": 7,
            "group_joins": 0,
            "appointments": 3,
        },
        {
            "region_id": org.north,
            "gmv_fen": 10001_00,
            "new_customers": 3,
            "group_joins": 0,
            "appointments": 1,
        },
    ]
    res = client.put(
        f"/api/v1/campaigns/{campaign_id}/targets", json={"regions": regions}, headers=hq
    )
    assert res.status_code == 200, res.get_json()
    for level in ("franchisee", "store"):
        rows = client.get(f"/api/v1/campaigns/{campaign_id}/targets?level={level}", headers=hq)
        rows = rows.get_json()["items"] if isinstance(rows.get_json(), dict) else rows.get_json()
        for metric in ("gmv_fen", "new_customers", "appointments"):
            assert sum(r["target"][metric] for r in rows) == sum(r[metric] for r in regions)


def _train_everyone(client, app, org, campaign_id: int, hq) -> None:
    """guide-a1 answers through the API; the other guides through the service."""
    with app.app_context():
        training.default_template(campaign_id)
        training.ensure_progress(campaign_id)
        expected = {
            i.id: i.expected_answer or "ok"
            for i in db.session.scalars(
                select(ChecklistItem).where(ChecklistItem.campaign_id == campaign_id)
            )
        }
        others = db.session.scalars(
            select(TrainingProgress.guide_id).where(
                TrainingProgress.campaign_id == campaign_id, TrainingProgress.guide_id != org.ga1
            )
        ).all()
    guide = bearer(api_token(client, "guide-a1"))
    for item_id, answer in expected.items():
        res = client.post(
            f"/api/v1/campaigns/{campaign_id}/checklist/{item_id}/answer",
            json={"answer": answer},
            headers=guide,
        )
        assert res.status_code == 200, res.get_json()
    with app.app_context():
        for guide_id in others:
            for item_id, answer in expected.items():
                training.answer(campaign_id, guide_id, item_id, answer)


def _buy(client, app, campaign_id: int, guide_user: str, code_suffix: str, items: list) -> int:
    """A new customer arrives through the guide's share code, visits, orders and pays."""
    share = client.get(
        f"/api/v1/me/campaigns/{campaign_id}/share", headers=bearer(api_token(client, guide_user))
    ).get_json()
    res = client.post(
        "/api/v1/mp/session", json={"code": f"code-{code_suffix}", "share_code": share["code"]}
    )
    assert res.status_code in (200, 201), res.get_json()
    session = res.get_json()
    headers = bearer(session["token"])
    res = client.post(
        f"/api/v1/mp/campaigns/{campaign_id}/visits",
        json={"share_code": share["code"]},
        headers=headers,
    )
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["is_new_customer"] is True
    res = client.post(
        "/api/v1/mp/orders", json={"items": items, "share_code": share["code"]}, headers=headers
    )
    assert res.status_code == 201, res.get_json()
    order = res.get_json()
    assert order["campaign_id"] == campaign_id
    pay_and_succeed(client, order["id"], session["customer"]["id"], app)
    return order["payable_fen"]


@pytest.mark.parametrize("mode", ["hq", "store"])
def test_a_campaign_from_plan_to_review(app, client, live_org, hq_headers, mode):
    org, hq = live_org, hq_headers
    campaign_id = _plan(client, hq, org, mode)
    _cascade(client, hq, org, campaign_id)

    gate = client.get(f"/api/v1/campaigns/{campaign_id}/readiness", headers=hq).get_json()
    assert gate["ready"] is False
    codes = {b["code"] for b in gate["blockers"]}
    assert {"training_below_threshold", "link_check_missing"} <= codes
    assert client.post(f"/api/v1/campaigns/{campaign_id}/go-live", headers=hq).status_code == 409

    _train_everyone(client, app, org, campaign_id, hq)
    assert (
        client.post(f"/api/v1/campaigns/{campaign_id}/link-checks", json={}, headers=hq).status_code
        == 202
    )
    with app.app_context():
        outbox.drain()
    gate = client.get(f"/api/v1/campaigns/{campaign_id}/readiness", headers=hq).get_json()
    assert gate == {**gate, "ready": True, "blockers": []}

    if mode == "store":  # each store's session becomes a WeCom live
        with app.app_context():
            assert living.enqueue_livings() == 3
            outbox.drain()
            lives = db.session.scalars(
                select(LiveSession.living_id).where(LiveSession.campaign_id == campaign_id)
            ).all()
        assert len(lives) == 3 and all(lives)
        client.post(
            f"/_sandbox/control/livings/{lives[0]}/viewers",
            json={"external_users": [{"external_userid": f"wm{i}"} for i in range(5)]},
        )

    res = client.post(f"/api/v1/campaigns/{campaign_id}/go-live", headers=hq)
    assert res.status_code == 200, res.get_json()

    paid = _buy(
        client,
        app,
        campaign_id,
        "guide-a1",
        f"{mode}-east",
        [{"product_id": org.products[0], "quantity": 2}],
    )
    paid += _buy(
        client,
        app,
        campaign_id,
        "guide-c1",
        f"{mode}-north",
        [{"product_id": org.products[1], "quantity": 1}],
    )
    assert paid == 2 * LIVE_PRICES[0] + LIVE_PRICES[1]  # live prices, not list prices

    board = client.get(f"/api/v1/campaigns/{campaign_id}/live", headers=hq).get_json()
    assert board["totals"]["actual"]["gmv_fen"] == paid and len(board["orders"]) == 2
    sold = {line["product_id"]: line["sold"] for line in board["lineup"]}
    assert sold[org.products[0]] == 2 and sold[org.products[1]] == 1
    if mode == "store":
        client.post(f"/api/v1/campaigns/{campaign_id}/live/refresh", headers=hq)
        with app.app_context():
            viewers = sum(
                db.session.scalars(
                    select(LiveSession.viewer_count).where(LiveSession.campaign_id == campaign_id)
                )
            )
        assert viewers == 5

    for to in ("ended", "reviewed"):
        res = client.post(f"/api/v1/campaigns/{campaign_id}/status", json={"to": to}, headers=hq)
        assert res.status_code == 200, res.get_json()

    for level in ("region", "franchisee", "store", "guide"):
        review = client.get(
            f"/api/v1/campaigns/{campaign_id}/review?level={level}", headers=hq
        ).get_json()
        assert sum(r["actual"]["gmv_fen"] for r in review["rows"]) == paid, level
        assert sum(r["actual"]["orders"] for r in review["rows"]) == 2, level
    assert review["totals"]["actual"]["gmv_fen"] == paid
    by_guide = {r["ref_id"]: r["actual"] for r in review["rows"]}
    assert by_guide[org.ga1]["gmv_fen"] == 2 * LIVE_PRICES[0]
    assert by_guide[org.gc1]["gmv_fen"] == LIVE_PRICES[1]
    region = client.get(
        f"/api/v1/campaigns/{campaign_id}/review?level=region", headers=hq
    ).get_json()
    east = next(r for r in region["rows"] if r["ref_id"] == org.east)
    assert east["actual"]["new_customers"] == 1 and east["actual"]["visitors"] == 1
    assert east["pct"]["gmv_fen"] == round(100 * 2 * LIVE_PRICES[0] / 30000_00, 1)
