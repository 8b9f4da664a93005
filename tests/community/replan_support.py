"""What the re-plan tests share: the stored schedule rows, the ``community.replan`` outbox
rows, running one as the dispatcher would, and changes made with the trigger on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import select

from app import outbox
from app.extensions import db
from community.models import SlotAllocation
from community.services import replan_trigger


def stored_rows(group_ids=None) -> dict:
    """Every stored row by (plan, group, occurrence), with all its columns (its id too)."""
    query = select(SlotAllocation.__table__)
    if group_ids is not None:
        query = query.where(SlotAllocation.group_id.in_(group_ids))
    return {(r.plan_id, r.group_id, r.occurrence): r._asdict() for r in db.session.execute(query)}


def replan_messages() -> list[outbox.OutboxMessage]:
    """The ``community.replan`` outbox rows, oldest first (read afresh)."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(outbox.OutboxMessage)
            .where(outbox.OutboxMessage.kind == replan_trigger.REPLAN_KIND)
            .order_by(outbox.OutboxMessage.id)
        )
    )


def run_due(message) -> dict:
    """Run a re-plan row now (as the dispatcher does once it is due); its result."""
    message.available_at = message.created_at - timedelta(seconds=10)
    db.session.commit()
    assert outbox.drain() >= 1
    db.session.expire_all()
    return db.session.get(outbox.OutboxMessage, message.id).result


@contextmanager
def replan_on_change(app) -> Iterator[None]:
    """Changes inside ask for re-plans, as they do in the running app."""
    app.config["COMMUNITY_REPLAN_ON_CHANGE"] = True
    try:
        yield
    finally:
        app.config["COMMUNITY_REPLAN_ON_CHANGE"] = False
