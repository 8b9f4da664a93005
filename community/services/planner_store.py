"""Writing the planner's decision: new rows, changed rows, rows no longer owed, rows whose
window closed — in one commit, each guarded so a row handed to a guide never changes.

New rows go in with INSERT … ON CONFLICT DO NOTHING on (plan, group, occurrence); on
PostgreSQL with COPY straight into ``slot_allocations`` (no temporary table) inside a
savepoint: the rows are new by construction (every existing row whose occurrence could
collide was loaded and diffed), and should a concurrent re-plan have written one of them
first, the unique key rejects the COPY, the savepoint rolls back and the chunk goes in
with the conflict-tolerant INSERT instead — exactly-once is the database's key either way.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from psycopg import errors as pg_errors
from sqlalchemy import bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.clock import utcnow
from app.db import committing, is_postgres
from app.extensions import db
from community.models import ALLOCATED, MISSED, WAITING, SlotAllocation
from community.services import allocation as why
from community.services import send_metrics
from community.services.replan_scope import Scope

CHUNK = 5000
COPY_CHUNK = 200_000
COPY_COLUMNS: tuple[str, ...] = (
    "day",
    "occurrence",
    "deadline",
    "plan_id",
    "post_id",
    "group_id",
    "guide_id",
)
COPY_COLUMNS += ("store_id", "franchisee_id", "priority", "status", "reason", "reason_code")
COPY_COLUMNS += ("reason_params", "send_at", "created_at")


def _copy(rows: list[dict]) -> None:
    """COPY ``rows`` into ``slot_allocations`` (PostgreSQL), each chunk in a savepoint that
    falls back to INSERT … ON CONFLICT DO NOTHING if a concurrent writer got a key first."""
    statement = f"COPY slot_allocations ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    as_json: dict[int, str] = {}  # reason params are shared by the groups of a cohort
    for start in range(0, len(rows), COPY_CHUNK):
        chunk = rows[start : start + COPY_CHUNK]
        try:
            with db.session.begin_nested():
                raw = db.session.connection().connection.driver_connection
                with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
                    for r in chunk:
                        params = r["reason_params"]
                        text = as_json.get(id(params))
                        if text is None:
                            text = as_json[id(params)] = json.dumps(params, default=str)
                        head = [r[c] for c in COPY_COLUMNS[:-3]]
                        copy.write_row([*head, text, r["send_at"], r["created_at"]])
        except pg_errors.UniqueViolation:
            _insert(chunk)


def _insert(rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on (plan, group, occurrence), in chunks."""
    insert = pg_insert if is_postgres(db.engine) else sqlite_insert
    stmt = insert(SlotAllocation.__table__).on_conflict_do_nothing(
        index_elements=["plan_id", "group_id", "occurrence"]
    )
    for start in range(0, len(rows), CHUNK):
        db.session.execute(stmt, rows[start : start + CHUNK])


CHANGING: tuple[str, ...] = ("day", "deadline", "status", "reason", "reason_code")
CHANGING += ("reason_params", "send_at", "priority", "post_id", "guide_id", "store_id")
CHANGING += ("franchisee_id",)


def write(
    desired: dict,
    existing: dict,
    rows,
    first: date,
    last: date,
    today: date,
    scope: Scope | None = None,
) -> dict:
    """Insert the new, update the changed, delete what is no longer owed; one commit.
    ``rows`` are the existing unbatched rows (of the ``scope``'s groups only, on a
    targeted run: the planned-sends counters are then refreshed for those groups only)."""
    table = SlotAllocation.__table__
    now = utcnow()
    new, changed, gone, passed = [], [], [], []
    for k, v in desired.items():  # one pass over up to ~2 million rows
        old = existing.get(k)
        if old is None:
            v["created_at"] = now
            new.append(v)
        elif (old.day, old.status, old.reason_code, old.deadline) != (
            v["day"],
            v["status"],
            v["reason_code"],
            v["deadline"],
        ):
            changed.append({"_id": old.id, **{c: v[c] for c in CHANGING}})
    for r in rows:
        if (r.plan_id, r.group_id, r.occurrence) in desired:
            continue
        if r.occurrence >= first and first <= r.day <= last:
            gone.append(r.id)  # no longer owed (plan paused, group out of its target)
        elif r.status != MISSED and (r.deadline or r.occurrence) < first <= today:
            passed.append({"_id": r.id})  # its window closed before it was sent
    update = (
        table.update()
        .where(table.c.id == bindparam("_id"), table.c.batch_id.is_(None))
        .values({c: bindparam(c) for c in CHANGING})
    )
    close = (
        table.update()
        .where(table.c.id == bindparam("_id"), table.c.batch_id.is_(None))
        .values(status=MISSED, reason_code=why.WINDOW_PASSED, reason=why.REASONS[why.WINDOW_PASSED])
    )
    with committing(db.session):
        (_copy if is_postgres(db.engine) else _insert)(new)
        for start in range(0, len(changed), CHUNK):
            db.session.execute(update, changed[start : start + CHUNK])
        for start in range(0, len(passed), CHUNK):
            db.session.execute(close, passed[start : start + CHUNK])
        for start in range(0, len(gone), CHUNK):
            ids = gone[start : start + CHUNK]
            db.session.execute(
                delete(SlotAllocation).where(
                    SlotAllocation.id.in_(ids), SlotAllocation.batch_id.is_(None)
                )
            )
        for day in (first, first + timedelta(days=1)):
            if day <= last:
                send_metrics.refresh_planned(day, scope)
    values = list(desired.values())
    return {
        "from": first.isoformat(),
        "days": (last - first).days + 1,
        "due": len(values),
        "new": len(new),
        "changed": len(changed),
        "removed": len(gone),
        "allocated": sum(1 for v in values if v["status"] == ALLOCATED),
        "waiting": sum(1 for v in values if v["status"] == WAITING),
        "missed": sum(1 for v in values if v["status"] == MISSED),
    }
