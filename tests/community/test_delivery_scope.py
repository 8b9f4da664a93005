"""Who sees what: the guide's ``/m/tasks`` (own batches only, confirm → readback), the
``GET /api/v1/groups/{id}/deliveries`` contract (HQ / owner / guide scoped, 404 for others),
the delivery monitor page and its CSV."""

from __future__ import annotations

from sqlalchemy import select

from app.clock import shanghai_day
from app.extensions import db
from community.models import SendBatch
from community.services import delivery
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login


def test_guide_sees_only_their_own_tasks_and_confirms(client, world):
    groups, msgids, sandbox = world
    login(client, "guide-a", path="/m/login")
    page = client.get("/m/tasks")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ann 的群" in html and "Amy 的群" not in html and "Bob 的群" not in html
    assert html.count("data-batch=") == 1 and 'data-status="created"' in html
    assert "金饰保养小知识" in html
    token = csrf_token_from(html)
    with client.application.app_context():
        ann_batch = db.session.scalars(
            select(SendBatch).where(SendBatch.sender_userid == "ann")
        ).one()
        bob_batch = db.session.scalars(
            select(SendBatch).where(SendBatch.sender_userid == "bob")
        ).one()
    assert (
        client.post(f"/m/tasks/{bob_batch.id}/check", data={"csrf_token": token}).status_code == 404
    )
    not_yet = client.post(f"/m/tasks/{ann_batch.id}/check", data={"csrf_token": token})
    assert not_yet.status_code == 303
    sandbox.confirm_task(msgids["ann"])
    client.post(f"/m/tasks/{ann_batch.id}/check", data={"csrf_token": token})
    html = client.get("/m/tasks").get_data(as_text=True)
    assert 'data-status="sent"' in html


def test_deliveries_contract_is_scoped(client, world):
    groups, msgids, sandbox = world
    hq = bearer(api_token(client, "hq"))
    body = client.get(f"/api/v1/groups/{groups['ann']}/deliveries", headers=hq).get_json()
    assert body["group_id"] == groups["ann"] and body["total"] == 2
    first, second = body["items"]
    assert first["status"] == "allocated" and first["plan_name"] == "保养"
    assert first["post_title"] == "金饰保养小知识" and first["msgid"] == msgids["ann"]
    assert first["result"] == "pending"
    assert second["status"] == "waiting" and "保养 (priority 70)" in second["reason"]
    assert second["msgid"] is None and second["result"] is None
    guide = bearer(api_token(client, "guide-a"))
    assert (
        client.get(f"/api/v1/groups/{groups['ann']}/deliveries", headers=guide).status_code == 200
    )
    assert (
        client.get(f"/api/v1/groups/{groups['amy']}/deliveries", headers=guide).status_code == 404
    )
    owner_a = bearer(api_token(client, "owner-a"))
    assert (
        client.get(f"/api/v1/groups/{groups['amy']}/deliveries", headers=owner_a).status_code == 200
    )
    assert (
        client.get(f"/api/v1/groups/{groups['bob']}/deliveries", headers=owner_a).status_code == 404
    )
    assert client.get("/api/v1/groups/999999/deliveries", headers=hq).status_code == 404
    assert (
        client.get(f"/api/v1/groups/{groups['ann']}/deliveries?page=0", headers=hq).status_code
        == 422
    )
    assert client.get(f"/api/v1/groups/{groups['ann']}/deliveries").status_code == 401


def test_delivery_monitor_page_and_csv(client, world):
    groups, msgids, sandbox = world
    sandbox.confirm_task(msgids["bob"])
    with client.application.app_context():
        delivery.read_back(shanghai_day())
    login(client, "hq")
    html = client.get("/admin/delivery?by=store").get_data(as_text=True)
    assert "上海A店" in html and "北京B店" in html and "<svg" in html
    csv = client.get("/admin/delivery?by=guide&format=csv").get_data(as_text=True)
    lines = csv.strip().splitlines()
    assert len(lines) == 4
    assert any(line.startswith("Bob,1,0") or ",1," in line for line in lines if "Bob" in line)
    client.get("/admin/logout")
    login(client, "owner-b")
    html = client.get("/admin/delivery?by=store").get_data(as_text=True)
    assert "北京B店" in html and "上海A店" not in html
