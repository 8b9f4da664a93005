"""Escalation with proof: a send not confirmed after the reminders goes onto the store
owner's list, later onto HQ's, once each, with WeCom's own task status as the evidence; a
send WeCom reports sent is never escalated; the owner's and HQ's lists and overviews and
the guide's Today page show it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import outbox
from app.clock import utcnow
from app.extensions import db
from community.models import SendBatch
from community.services import delivery, escalation
from tests.community.factories_delivery import escalated_to_owners, prepare, reminded_out
from tests.fixtures.auth import login


def batches():
    db.session.expire_all()
    return {b.sender_userid: b for b in db.session.scalars(select(SendBatch))}


def test_overdue_sends_go_to_the_owner_then_hq_with_wecom_evidence(ctx, org, sandbox):
    day, _groups = prepare(org, sandbox)
    delivery.create_batches(day)
    assert outbox.drain() == 2  # Ann's and Bob's batches, both waiting on the guides
    now = utcnow()
    assert escalation.escalate(now) == {"to_owner": 0, "to_hq": 0}  # not reminded out yet
    reminded_out(now)
    sandbox.confirm_task(batches()["bob"].msgid)  # Bob sent it: WeCom says so
    assert escalation.escalate(now) == {"to_owner": 1, "to_hq": 0}
    ann, bob = batches()["ann"], batches()["bob"]
    assert bob.escalation_level == 0 and bob.status == "sent"
    assert ann.escalation_level == 1 and ann.evidence["msgid"] == ann.msgid
    assert ann.evidence["task_list"] == [{"userid": "ann", "status": 0, "send_time": 0}]
    assert ann.evidence["group_results"] == {"pending": 3}
    assert escalation.escalate(now) == {"to_owner": 0, "to_hq": 0}  # once per level
    later = now + escalation.ESCALATE_AFTER + timedelta(minutes=1)
    assert escalation.escalate(later) == {"to_owner": 0, "to_hq": 1}
    assert batches()["ann"].escalation_level == 2
    assert escalation.escalate(later) == {"to_owner": 0, "to_hq": 0}


def test_lists_overviews_and_the_guides_today(app, client, org, sandbox):
    with app.app_context():
        escalated_to_owners(org, sandbox)  # both on their owners' lists
        ann_id = batches()["ann"].id
        bob_id = batches()["bob"].id
    login(client, "owner-a")
    page = client.get("/admin/escalations").get_data(as_text=True)
    assert f'data-batch="{ann_id}"' in page and f'data-batch="{bob_id}"' not in page
    assert "企业微信任务 ann: 未发送（0）" in page  # WeCom's answer, not a screenshot
    home = client.get("/admin/").get_data(as_text=True)
    assert "逾期未发" in home
    client.get("/admin/logout")
    login(client, "hq")
    assert f'data-batch="{ann_id}"' not in client.get("/admin/escalations").get_data(as_text=True)
    every = client.get("/admin/escalations?level=1").get_data(as_text=True)
    assert f'data-batch="{ann_id}"' in every and f'data-batch="{bob_id}"' in every
    csv = client.get("/admin/escalations?level=1&format=csv").get_data(as_text=True)
    assert len(csv.strip().splitlines()) == 3
    client.get("/admin/logout")
    login(client, "guide-a", path="/m/login")
    today = client.get("/m/").get_data(as_text=True)
    assert "1 条逾期未发，已转店主跟进" in today
    tasks = client.get("/m/tasks").get_data(as_text=True)
    assert 'data-overdue="1"' in tasks
