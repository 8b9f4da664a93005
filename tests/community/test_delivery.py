"""Delivery end to end against the sandbox: allocate → batches → outbox → WeCom task →
the guide confirms → readback → per-group results (sent, quota used, not a friend);
45009 back-off, 2,000-id chunks, handler idempotency, crash before recording, reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app import outbox
from app.clock import shanghai_day, utcnow
from app.extensions import db, get_redis
from community.models import GroupDelivery, SendBatch, SlotAllocation
from community.services import allocation, delivery
from franchise.models import Guide
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup, gen_wgroups, prepare


def deliveries():
    return {d.group_id: d.status for d in db.session.scalars(select(GroupDelivery))}


def test_end_to_end_sent_quota_used_and_not_friend(ctx, org, sandbox, client):
    day, groups = prepare(org, sandbox)
    # one of Ann's groups already got a group message today; one of Bob's is gone
    sandbox.data["flags"]["receiving_limit"] = "day"  # the corp's admin chose 1 a day
    sandbox.data["quota"][f"{groups[0].chat_id}|{sandbox.today()}"] = 1
    result = delivery.create_batches(day)
    assert result == {"day": day.isoformat(), "batches": 2, "slots": 6}
    assert outbox.drain() == 2
    batches = db.session.scalars(select(SendBatch).order_by(SendBatch.id)).all()
    assert all(b.msgid and b.status == "created" for b in batches)
    assert set(deliveries().values()) == {"pending"}
    tasks = sandbox.data["tasks"]
    assert len(tasks) == 2
    assert tasks[batches[0].msgid]["text"] == "古法金新品到店"
    assert tasks[batches[0].msgid]["attachments"][0]["link"]["title"] == "新品"
    with sandbox.lock:
        del sandbox.data["groups"][groups[4].chat_id]
    for b in batches:
        response = client.post(f"/_sandbox/control/tasks/{b.msgid}/confirm")
        assert response.status_code == 200
    assert delivery.read_back(day) == {"checked": 2, "confirmed": 2}
    db.session.expire_all()
    got = deliveries()
    assert got[groups[0].id] == "quota_used"
    assert got[groups[4].id] == "not_friend"
    assert [got[g.id] for g in groups if g.id not in (groups[0].id, groups[4].id)] == ["sent"] * 4
    assert all(b.status == "sent" for b in db.session.scalars(select(SendBatch)))
    # a second readback and a second batching pass change nothing
    assert delivery.read_back(day)["checked"] == 0
    assert delivery.create_batches(day)["batches"] == 0


def test_45009_is_retried_later_without_loss_or_duplicate(ctx, org, sandbox):
    day, _ = prepare(org, sandbox)
    delivery.create_batches(day)
    sandbox.add_fault("externalcontact/add_msg_template", {"errcode": 45009, "count": 1})
    outbox.drain()
    rows = db.session.scalars(select(outbox.OutboxMessage).order_by(outbox.OutboxMessage.id)).all()
    # the first call got 45009; the second did not call WeCom at all (shared throttle)
    assert [r.status for r in rows] == ["pending", "pending"]
    assert "45009" in rows[0].last_error and "rate limit" in rows[1].last_error
    later = utcnow().replace(tzinfo=None) + timedelta(seconds=30)
    assert all(r.available_at.replace(tzinfo=None) > later for r in rows)
    assert sandbox.data["tasks"] == {}
    assert outbox.drain() == 0  # backing off
    db.session.execute(update(outbox.OutboxMessage).values(available_at=utcnow()))
    db.session.commit()
    assert outbox.drain() == 2  # due again, but the throttle still holds: no call
    assert sandbox.data["tasks"] == {}
    get_redis().delete(delivery.THROTTLE_KEY)  # the back-off is over
    db.session.execute(update(outbox.OutboxMessage).values(available_at=utcnow()))
    db.session.commit()
    assert outbox.drain() == 2
    assert len(sandbox.data["tasks"]) == 2
    assert {r.status for r in db.session.scalars(select(outbox.OutboxMessage))} == {"done"}
    missing = select(func.count()).select_from(SendBatch).where(SendBatch.msgid.is_(None))
    assert db.session.scalar(missing) == 0


@pytest.mark.slow
def test_a_batch_over_2000_groups_splits(ctx, org, sandbox):
    ann = db.session.get(Guide, org.ga)
    gen_wgroups(ann, 2300, sandbox=sandbox)
    gen_plan(gen_post())
    day = shanghai_day()
    allocation.allocate(day)
    assert delivery.create_batches(day)["batches"] == 2
    sizes = sorted(len(b.chat_ids) for b in db.session.scalars(select(SendBatch)))
    assert sizes == [300, 2000]
    keys = sorted(b.dedupe_key for b in db.session.scalars(select(SendBatch)))
    assert keys[0].endswith(":0") and keys[1].endswith(":1")
    outbox.drain()
    assert sorted(len(t["results"]) for t in sandbox.data["tasks"].values()) == [300, 2000]
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(SlotAllocation)
            .where(SlotAllocation.batch_id.is_(None))
        )
        == 0
    )


def test_handler_run_twice_calls_wecom_once(ctx, org, sandbox, monkeypatch):
    day, _ = prepare(org, sandbox, groups_per_guide=1)
    delivery.create_batches(day)
    calls = []
    real = delivery.wecom.add_msg_template
    monkeypatch.setattr(
        delivery.wecom,
        "add_msg_template",
        lambda body, client=None: calls.append(1) or real(body, client),
    )
    message = db.session.scalars(select(outbox.OutboxMessage)).first()
    message.attempts = 1
    first = delivery.send_batch(message)
    message = db.session.get(outbox.OutboxMessage, message.id)
    message.attempts = 2
    second = delivery.send_batch(message)
    assert len(calls) == 1 and second == {"msgid": first["msgid"], "skipped": True}


def test_dispatcher_dies_after_claiming_then_retry_sends_once(ctx, org, sandbox, app):
    """Simulated kill: the rows are claimed with a lease (committed) and the process dies
    before calling WeCom; when the lease lapses a new dispatcher takes them with attempts 2."""
    day, _ = prepare(org, sandbox)
    delivery.create_batches(day)
    claimed = outbox.claim_batch(10, lease_seconds=60)
    assert len(claimed) == 2
    assert outbox.drain() == 0  # leased: nobody else takes them
    db.session.execute(
        update(outbox.OutboxMessage).values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert outbox.drain() == 2
    rows = db.session.scalars(select(outbox.OutboxMessage)).all()
    assert {(r.status, r.attempts) for r in rows} == {("done", 2)}
    assert len(sandbox.data["tasks"]) == 2
    # the scheduler also dies and re-runs the whole morning job: nothing new
    assert allocation.allocate(day)["new"] == 0
    assert delivery.create_batches(day)["batches"] == 0
    assert outbox.drain() == 0 and len(sandbox.data["tasks"]) == 2


def test_reminders_at_most_three_and_two_hours_apart(ctx, org, sandbox):
    day, _ = prepare(org, sandbox, groups_per_guide=1)
    delivery.create_batches(day)
    outbox.drain()
    assert delivery.remind_unconfirmed(day) == {"reminded": 2}
    assert delivery.remind_unconfirmed(day) == {"reminded": 0}  # < 2 h since the last
    for _ in range(4):
        db.session.execute(update(SendBatch).values(last_reminded_at=utcnow() - timedelta(hours=3)))
        db.session.commit()
        delivery.remind_unconfirmed(day)
    batches = db.session.scalars(select(SendBatch)).all()
    assert {b.remind_count for b in batches} == {3}
    assert {len(t["reminders"]) for t in sandbox.data["tasks"].values()} == {3}


def test_only_slots_whose_send_time_has_come_are_batched(ctx, org, sandbox):
    from community.jobs import delivery as jobs

    ann = db.session.get(Guide, org.ga)
    gen_wgroup(ann, sandbox=sandbox, stage="seeding")
    gen_wgroup(ann, sandbox=sandbox, stage="lifecycle")
    gen_plan(gen_post(), stages=["seeding"], send_time="00:00")
    gen_plan(
        gen_post(), stages=["lifecycle"], send_time="23:59", quiet_start="23:00", quiet_end="23:30"
    )  # 23:59 is outside quiet hours
    day = shanghai_day()
    allocation.allocate(day)
    assert jobs.dispatch_due_job()["batches"] == 1  # 00:00 has come, 23:59 (almost) not
    first = db.session.scalars(select(SendBatch)).one()
    assert first.chat_ids and len(first.chat_ids) == 1
    later = utcnow() + timedelta(days=1)
    assert delivery.create_batches(day, due_before=later)["batches"] == 1


def test_jobs_are_registered(app):
    from app.extensions import registry

    ids = {job["id"] for job in registry(app).jobs}
    assert {
        "community.allocate",
        "community.delivery_readback",
        "community.delivery_remind",
        "community.care",
    } <= ids
    assert "community.send_batch" in registry(app).outbox_handlers
