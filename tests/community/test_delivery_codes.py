"""Delivery against WeCom's own codes (the sandbox answers them since issue 12): a batch
with no group left to send to is 41048 and fails (no empty task), a msgid WeCom does not
know (41047) fails its batch at read-back, and the reminder limit (45009) is not counted
as a reminder."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app import outbox
from app.clock import shanghai_day, utcnow
from app.extensions import db
from community.models import GroupDelivery, SendBatch
from community.services import allocation, delivery
from franchise.models import Guide
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup
from tests.fixtures.sandbox import sandbox_fixture

sandbox = sandbox_fixture(reset=True)


def _one_batch(org, sandbox):
    ann = db.session.get(Guide, org.ga)
    group = gen_wgroup(ann, sandbox=sandbox)
    gen_plan(gen_post(title="新品", text="古法金新品到店"), priority=80)
    day = shanghai_day()
    allocation.allocate(day)
    assert delivery.create_batches(day)["batches"] == 1
    return day, group


def test_a_batch_with_nothing_to_send_to_fails_with_41048(ctx, org, sandbox):
    day, group = _one_batch(org, sandbox)
    sandbox.data["groups"][group.chat_id]["owner"] = "someone-else"  # handed over in WeCom
    assert outbox.drain() == 1
    batch = db.session.scalars(select(SendBatch)).one()
    assert batch.status == "failed" and "41048" in batch.error and batch.msgid is None
    assert {d.status for d in db.session.scalars(select(GroupDelivery))} == {"failed"}
    assert sandbox.data["tasks"] == {}  # before: an empty task for the guide to confirm


def test_a_msgid_wecom_does_not_know_fails_at_readback(ctx, org, sandbox):
    day, _ = _one_batch(org, sandbox)
    assert outbox.drain() == 1
    batch = db.session.scalars(select(SendBatch)).one()
    sandbox.data["tasks"].pop(batch.msgid)  # WeCom answers 41047 for it from now on
    assert delivery.read_back(day) == {"checked": 0, "confirmed": 0}
    db.session.expire_all()
    batch = db.session.scalars(select(SendBatch)).one()
    assert batch.status == "failed" and "41047" in batch.error
    assert delivery.read_back(day) == {"checked": 0, "confirmed": 0}  # not asked again


def test_the_reminder_limit_is_not_counted_as_a_reminder(ctx, org, sandbox):
    day, _ = _one_batch(org, sandbox)
    assert outbox.drain() == 1
    msgid = db.session.scalars(select(SendBatch.msgid)).one()
    now = sandbox.now()
    sandbox.data["tasks"][msgid]["reminders"] = [now - 60, now - 50, now - 40]  # elsewhere
    assert delivery.remind_unconfirmed(day) == {"reminded": 0}
    batch = db.session.scalars(select(SendBatch)).one()
    assert batch.remind_count == 0 and batch.last_reminded_at is not None
    sandbox.advance(86400)
    db.session.execute(update(SendBatch).values(last_reminded_at=utcnow() - timedelta(hours=3)))
    db.session.commit()
    assert delivery.remind_unconfirmed(day) == {"reminded": 1}
    assert db.session.scalars(select(SendBatch.remind_count)).one() == 1
