"""Set-based batching (``community.services.delivery_batches``): many batches a
transaction, and exactly-once when a re-plan or a concurrent run gets there first — the
transaction is rolled back and its batches written one a transaction, skipping only the
one whose slot moved or whose key exists."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from app import outbox
from app.extensions import db
from community.models import GroupDelivery, SendBatch, SlotAllocation
from community.services import delivery_batches
from tests.community.factories_delivery import prepare
from tests.fixtures.database import row_count


def test_batches_deliveries_slots_and_outbox_rows_in_one_pass(ctx, org, sandbox):
    day, groups = prepare(org, sandbox)
    result = delivery_batches.create_batches(day, chunk_size=2)
    assert result == {"day": day.isoformat(), "batches": 4, "slots": 6}
    batches = db.session.scalars(select(SendBatch).order_by(SendBatch.id)).all()
    assert sorted(len(b.chat_ids) for b in batches) == [1, 1, 2, 2]
    assert [b.dedupe_key.rsplit(":", 1)[1] for b in batches] == ["0", "1", "0", "1"]
    assert row_count(GroupDelivery) == 6 and row_count(outbox.OutboxMessage) == 4
    unbatched = select(func.count()).where(
        SlotAllocation.batch_id.is_(None),
        SlotAllocation.day == day,
        SlotAllocation.status == "allocated",
    )
    assert db.session.scalar(unbatched.select_from(SlotAllocation)) == 0
    for batch in batches:  # each slot carries its own batch, each delivery its group
        slots = db.session.scalars(
            select(SlotAllocation.group_id).where(SlotAllocation.batch_id == batch.id)
        ).all()
        chats = {g.id: g.chat_id for g in groups}
        assert sorted(chats[s] for s in slots) == sorted(batch.chat_ids)
    assert delivery_batches.create_batches(day)["batches"] == 0  # a second run: nothing


def test_a_slot_moved_by_a_replan_meanwhile_skips_only_its_batch(ctx, org, sandbox, monkeypatch):
    day, _ = prepare(org, sandbox)
    real = delivery_batches._unbatched
    moved: list[int] = []

    def read_then_replan(*args):
        rows = real(*args)
        moved.append(rows[0].id)  # the planner moves it to tomorrow after the read
        db.session.execute(
            update(SlotAllocation)
            .where(SlotAllocation.id == rows[0].id)
            .values(day=day + timedelta(days=1))
        )
        db.session.commit()
        return rows

    monkeypatch.setattr(delivery_batches, "_unbatched", read_then_replan)
    result = delivery_batches.create_batches(day, chunk_size=1)
    assert result["batches"] == 5 and result["slots"] == 6
    slot = db.session.get(SlotAllocation, moved[0])
    assert slot.batch_id is None and slot.day == day + timedelta(days=1)
    assert row_count(SendBatch) == 5 == row_count(outbox.OutboxMessage) == row_count(GroupDelivery)
    monkeypatch.setattr(delivery_batches, "_unbatched", real)
    assert delivery_batches.create_batches(day)["batches"] == 0


def test_a_key_written_by_a_concurrent_run_is_skipped_not_doubled(ctx, org, sandbox, monkeypatch):
    day, _ = prepare(org, sandbox)
    real = delivery_batches._unbatched

    def read_then_race(*args):
        rows = real(*args)
        first = rows[0]  # another process writes the first batch's key (and takes its slot)
        key = f"send:{day.isoformat()}:{first.owner_userid}:{first.post_id}:0"
        batch = SendBatch(
            dedupe_key=key, day=day, sender_userid=first.owner_userid, post_id=first.post_id
        )
        db.session.add(batch)
        db.session.flush()
        db.session.execute(
            update(SlotAllocation).where(SlotAllocation.id == first.id).values(batch_id=batch.id)
        )
        db.session.commit()
        return rows

    monkeypatch.setattr(delivery_batches, "_unbatched", read_then_race)
    assert delivery_batches.create_batches(day, chunk_size=1)["batches"] == 5
    assert row_count(SendBatch) == 6 and row_count(outbox.OutboxMessage) == 5
    taken = select(func.count()).where(SlotAllocation.batch_id.is_not(None))
    assert db.session.scalar(taken.select_from(SlotAllocation)) == 6
