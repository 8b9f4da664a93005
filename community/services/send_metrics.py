"""Push send figures of ``GroupDailyMetric``: ``sends_planned`` and ``sends_done``.

Both are recomputed from the delivery tables (never incremented), so running them again
gives the same figures:

* ``sends_planned`` of (group, day) = the group's ``allocated`` slot allocations that day;
* ``sends_done`` of (group, day) = its ``GroupDelivery`` rows read back as ``sent``.

Each refresh is one ``INSERT … SELECT … GROUP BY … ON CONFLICT (group_id, day) DO UPDATE``
(the metric row is created when missing, with the group's current size), so the allocator
path stays one statement per day however many groups there are. The caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import case, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.db import is_postgres
from app.extensions import db
from community.models import (
    ALLOCATED,
    DELIVERY_SENT,
    GroupDailyMetric,
    GroupDelivery,
    SlotAllocation,
    WecomGroup,
)
from community.services.replan_scope import Scope

ID_CHUNK = 2000


def _upsert(source, column: str) -> None:
    """Upsert ``source`` (group_id, day, member_count, figure) into ``column`` of the metrics."""
    insert = pg_insert if is_postgres(db.engine) else sqlite_insert
    table = GroupDailyMetric.__table__
    columns = ["group_id", "day", "member_count", "joins", "leaves"]
    columns += ["sends_planned", "sends_done"]
    stmt = insert(table).from_select(columns, source)
    stmt = stmt.on_conflict_do_update(
        index_elements=["group_id", "day"],
        set_={column: getattr(stmt.excluded, column)},
    )
    db.session.execute(stmt)


def refresh_planned(day: date, scope: Scope | None = None) -> None:
    """``sends_planned`` of every group (or of the ``scope``'s: a targeted re-plan's)
    with an allocated slot on ``day`` (one statement)."""
    count = func.count(SlotAllocation.id)
    source = (
        select(
            SlotAllocation.group_id,
            SlotAllocation.day,
            func.max(func.coalesce(WecomGroup.member_count, 0)),
            literal(0),
            literal(0),
            count,
            literal(0),
        )
        .join(WecomGroup, WecomGroup.id == SlotAllocation.group_id)
        .where(SlotAllocation.day == day, SlotAllocation.status == ALLOCATED)
        .group_by(SlotAllocation.group_id, SlotAllocation.day)
    )
    if scope is not None:
        source = source.where(scope.rows(SlotAllocation.group_id))
    _upsert(source, "sends_planned")


def refresh_done(day: date, group_ids: Iterable[int]) -> None:
    """``sends_done`` of the given groups on ``day``, from their deliveries read back as sent."""
    ids = sorted(set(group_ids))
    sent = func.sum(case((GroupDelivery.status == DELIVERY_SENT, 1), else_=0))
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        source = (
            select(
                GroupDelivery.group_id,
                GroupDelivery.day,
                func.max(func.coalesce(WecomGroup.member_count, 0)),
                literal(0),
                literal(0),
                literal(0),
                sent,
            )
            .join(WecomGroup, WecomGroup.id == GroupDelivery.group_id)
            .where(GroupDelivery.day == day, GroupDelivery.group_id.in_(chunk))
            .group_by(GroupDelivery.group_id, GroupDelivery.day)
        )
        _upsert(source, "sends_done")
