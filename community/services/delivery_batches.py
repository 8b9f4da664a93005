"""Send batches from the day's allocated slots, written set-based.

``create_batches(day)`` groups the day's allocated, unbatched slots by (sender = owning
guide's WeCom userid, post) and cuts them into chunks of ≤ 2,000 chat ids; each chunk is
one ``SendBatch`` (dedupe key ``send:{day}:{sender}:{post}:{chunk}``, unique) with its
pending ``GroupDelivery`` rows and its outbox row. Many batches go in per transaction
(``BATCHES_PER_COMMIT`` / ``SLOTS_PER_COMMIT``), each table with one statement: on
PostgreSQL ``INSERT … SELECT FROM unnest(...)`` (the values as one array per column) for
the batches (RETURNING their ids) and their deliveries, one ``UPDATE … FROM unnest(...)``
marking every slot with its batch, and the outbox rows; on SQLite Core executemany. A
crash leaves every transaction's batches whole or absent; what is absent stays unbatched
and the next run (every 5 minutes) picks it up.

Exactly-once: a slot is marked only while it is still allocated, on this day and
unbatched, and the transaction commits only when every slot it meant to mark was marked
and no batch key already existed. If a concurrent run or a re-plan got there first, that
transaction is rolled back and its batches are written again one per transaction, so only
the ones whose slots were taken are skipped (the behaviour of the one-batch-per-commit
writer this replaces, at its cost only when something collided).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import JSON, Table, bindparam, func, select, text, true, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from app import outbox
from app.clock import utcnow
from app.db import is_postgres
from app.extensions import db
from app.wechat import wecom
from community.models import (
    ALLOCATED,
    BATCH_PENDING,
    DELIVERY_PENDING,
    GroupDelivery,
    SendBatch,
    SlotAllocation,
    WecomGroup,
)

SEND_KIND = "community.send_batch"
BATCHES_PER_COMMIT = 1000
SLOTS_PER_COMMIT = 20_000

MARK_SLOTS_PG = text(
    "UPDATE slot_allocations AS s SET batch_id = v.batch_id"
    " FROM unnest(CAST(:slot_ids AS bigint[]), CAST(:batch_ids AS bigint[]))"
    " AS v(slot_id, batch_id)"
    " WHERE s.id = v.slot_id AND s.batch_id IS NULL AND s.day = :day AND s.status = :status"
)


@dataclass
class Planned:
    """One batch to write: its key, sender, post, chunk number and slot rows."""

    key: str
    sender: str
    post_id: int
    chunk: int
    rows: list[Any]


def create_batches(
    day: date, chunk_size: int = wecom.MAX_CHAT_IDS, due_before: datetime | None = None
) -> dict:
    """Turn the day's allocated, unbatched slots into send batches (+ outbox rows); with
    ``due_before`` only slots whose send time (outside quiet hours) has come."""
    chunk_size = min(chunk_size, wecom.MAX_CHAT_IDS)
    rows = _unbatched(day, due_before)
    chunks_used = {
        (sender, post): top
        for sender, post, top in db.session.execute(
            select(SendBatch.sender_userid, SendBatch.post_id, func.max(SendBatch.chunk))
            .where(SendBatch.day == day)
            .group_by(SendBatch.sender_userid, SendBatch.post_id)
        ).all()
    }
    db.session.commit()
    by_key: dict[tuple[str, int], list] = defaultdict(list)
    for row in rows:
        by_key[(row.owner_userid, row.post_id)].append(row)
    planned: list[Planned] = []
    for (sender, post_id), items in by_key.items():
        chunk = chunks_used.get((sender, post_id), -1) + 1
        for start in range(0, len(items), chunk_size):
            key = f"send:{day.isoformat()}:{sender}:{post_id}:{chunk}"
            planned.append(Planned(key, sender, post_id, chunk, items[start : start + chunk_size]))
            chunk += 1
    created = 0
    for part in _transactions(planned):
        if _write(day, part):
            created += len(part)
        else:  # something changed under us: one batch a transaction, skip what was taken
            created += sum(_write(day, [one]) for one in part)
    return {"day": day.isoformat(), "batches": created, "slots": len(rows)}


def _unbatched(day: date, due_before: datetime | None) -> list:
    """The day's allocated, unbatched slots with their group's sender and places."""
    due = SlotAllocation.send_at <= due_before if due_before is not None else true()
    return list(
        db.session.execute(
            select(
                SlotAllocation.id,
                SlotAllocation.group_id,
                SlotAllocation.post_id,
                WecomGroup.chat_id,
                WecomGroup.owner_userid,
                WecomGroup.guide_id,
                WecomGroup.store_id,
                WecomGroup.franchisee_id,
                WecomGroup.region_id,
            )
            .join(WecomGroup, WecomGroup.id == SlotAllocation.group_id)
            .where(
                SlotAllocation.day == day,
                SlotAllocation.status == ALLOCATED,
                SlotAllocation.batch_id.is_(None),
                due,
            )
            .order_by(WecomGroup.owner_userid, SlotAllocation.post_id, WecomGroup.chat_id)
        ).all()
    )


def _transactions(planned: list[Planned]) -> Iterator[list[Planned]]:
    """The planned batches cut into transactions of bounded size."""
    part: list[Planned] = []
    slots = 0
    for one in planned:
        if part and (len(part) >= BATCHES_PER_COMMIT or slots + len(one.rows) > SLOTS_PER_COMMIT):
            yield part
            part, slots = [], 0
        part.append(one)
        slots += len(one.rows)
    if part:
        yield part


def _write(day: date, part: list[Planned]) -> bool:
    """One transaction: the batches, every slot's batch id, the deliveries, the outbox rows.
    False (rolled back) when a batch key exists already or a slot was taken or moved."""
    now = utcnow()
    table = SendBatch.__table__
    try:
        rows = [_batch_row(day, one, now) for one in part]
        inserted = _insert_rows(table, rows, returning=("id", "dedupe_key"))
        batch_of = {key: batch_id for batch_id, key in inserted}
        pairs = [(r.id, batch_of[one.key]) for one in part for r in one.rows]
        if _mark_slots(day, pairs) != len(pairs):
            db.session.rollback()
            return False
        _insert_rows(
            GroupDelivery.__table__,
            [
                {
                    "batch_id": batch_of[one.key],
                    "group_id": r.group_id,
                    "day": day,
                    "guide_id": r.guide_id,
                    "store_id": r.store_id,
                    "franchisee_id": r.franchisee_id,
                    "region_id": r.region_id,
                    "status": DELIVERY_PENDING,
                    "updated_at": now,
                }
                for one in part
                for r in one.rows
            ],
        )
        outbox.enqueue_many(SEND_KIND, [({"batch_id": batch_of[one.key]}, one.key) for one in part])
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        keys = [one.key for one in part]
        if db.session.scalar(select(SendBatch.id).where(SendBatch.dedupe_key.in_(keys)).limit(1)):
            db.session.rollback()
            return False  # written by a concurrent run
        raise
    except Exception:
        db.session.rollback()
        raise


def _insert_rows(table: Table, rows: list[dict], returning: tuple[str, ...] = ()) -> list:
    """Insert ``rows`` (the same keys each) in one statement; the ``returning`` columns of
    each row inserted. On PostgreSQL ``INSERT … SELECT FROM unnest(...)``, one array per
    column (JSON columns as text), so the driver does no per-row work; elsewhere a Core
    executemany."""
    if not is_postgres(db.engine):
        stmt = table.insert()
        if returning:
            return list(db.session.execute(stmt.returning(*(table.c[c] for c in returning)), rows))
        db.session.execute(stmt, rows)
        return []
    names = list(rows[0])
    arrays, values, params = [], [], {}
    for i, name in enumerate(names):
        as_json = isinstance(table.c[name].type, JSON)
        kind = "text" if as_json else table.c[name].type.compile(dialect=db.engine.dialect)
        arrays.append(f"CAST(:a{i} AS {kind}[])")
        values.append(f"CAST(v.c{i} AS json)" if as_json else f"v.c{i}")
        params[f"a{i}"] = [json.dumps(r[name]) if as_json else r[name] for r in rows]
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(values)}"
        f" FROM unnest({', '.join(arrays)}) AS v({', '.join(f'c{i}' for i in range(len(names)))})"
    )
    if returning:
        sql += " RETURNING " + ", ".join(returning)
    result = db.session.execute(text(sql), params)
    return list(result) if returning else []


def _batch_row(day: date, one: Planned, now: datetime) -> dict:
    first = one.rows[0]
    return {
        "dedupe_key": one.key,
        "day": day,
        "sender_userid": one.sender,
        "guide_id": first.guide_id,
        "store_id": first.store_id,
        "franchisee_id": first.franchisee_id,
        "post_id": one.post_id,
        "chunk": one.chunk,
        "chat_ids": [r.chat_id for r in one.rows],
        "status": BATCH_PENDING,
        "fail_list": [],
        "evidence": {},
        "remind_count": 0,
        "escalation_level": 0,
        "created_at": now,
    }


def _mark_slots(day: date, pairs: list[tuple[int, int]]) -> int:
    """Set each ``(slot id, batch id)``'s batch where the slot is still allocated on
    ``day`` and unbatched; how many were set."""
    if is_postgres(db.engine):
        result = db.session.execute(
            MARK_SLOTS_PG,
            {
                "slot_ids": [s for s, _ in pairs],
                "batch_ids": [b for _, b in pairs],
                "day": day,
                "status": ALLOCATED,
            },
        )
        return cast(CursorResult, result).rowcount
    table = SlotAllocation.__table__
    db.session.execute(
        update(table)
        .where(
            table.c.id == bindparam("slot_id"),
            table.c.batch_id.is_(None),
            table.c.day == day,
            table.c.status == ALLOCATED,
        )
        .values(batch_id=bindparam("batch")),
        [{"slot_id": s, "batch": b} for s, b in pairs],
    )
    batches = {b for _, b in pairs}
    return (
        db.session.scalar(
            select(func.count()).select_from(table).where(table.c.batch_id.in_(batches))
        )
        or 0
    )
