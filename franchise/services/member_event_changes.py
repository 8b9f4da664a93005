"""HQ changes an event after creating it: edits it, or cancels it.

- ``edit_event``: name, start, place, places (``capacity``) and levels. Never fewer places
  than members have accepted (422 naming ``capacity``, the places); the check and the
  change are one conditional UPDATE so an acceptance racing the edit cannot slip past
  it. Levels added (or a place that widens who is eligible) invite the newly eligible
  members at once; levels removed keep the invitations already sent. A cancelled or
  started event is 409. A new start time or place tells each member who had accepted
  (``EVENT_CHANGED_KIND``: the same "event changes" subscribe message, saying 时间变更,
  地点变更 or 已变更 with the new time and place), once per change;
- ``cancel_event``: the event's ``cancelled_at`` and every invitation ``cancelled`` in one
  transaction; each member who had accepted gets the "event changes" subscribe message
  (``EVENT_CANCELLED_KIND`` through the outbox, sent after the commit by
  ``franchise.jobs.member_events.send_cancel_notice``). Cancelling twice changes nothing;
  answering a cancelled event is 409 (``member_events.answer``);
- ``event_status``: upcoming / started / cancelled, for the pages and the API.
"""

from __future__ import annotations

from sqlalchemy import select, update

from app.clock import utcnow
from app.db import committing
from app.errors import Conflict
from app.extensions import db
from app.outbox import enqueue
from franchise.models import MemberEvent, Store
from franchise.models.member_events import ACCEPTED, CANCELLED, EventInvitation
from franchise.services.member_events import get_event, invalid, invite_eligible

EVENT_CANCELLED_KIND = "franchise.member_event_cancelled"
EVENT_CHANGED_KIND = "franchise.member_event_changed"
# what a change of time, place or both is called in the message (a ``phrase`` of ≤ 5)
CHANGE_PHRASES: dict[tuple[str, ...], str] = {("starts_at",): "时间变更", ("store_id",): "地点变更"}
EDITABLE = ("name", "starts_at", "store_id", "capacity", "levels")


def event_status(event: MemberEvent) -> str:
    """``cancelled``, ``started`` or ``upcoming``."""
    if event.cancelled_at is not None:
        return "cancelled"
    return "started" if event.starts_at <= utcnow() else "upcoming"


def _check_open(event: MemberEvent) -> None:
    status = event_status(event)
    if status == "cancelled":
        raise Conflict("The event has been cancelled.", code="event_cancelled")
    if status == "started":
        raise Conflict("The event has started.", code="event_started")


def edit_event(event_id: int, data: dict) -> tuple[MemberEvent, int]:
    """Apply a loaded ``MemberEventEditSchema`` body (only the fields given); commits.
    The event and how many members were newly invited."""
    event = get_event(event_id)
    _check_open(event)
    changes = {key: data[key] for key in EDITABLE if key in data}
    if not changes:
        return event, 0
    store_id = changes.get("store_id")
    if store_id is not None and db.session.get(Store, store_id) is None:
        raise invalid("store_id", "No such store.")
    if "starts_at" in changes and changes["starts_at"] <= utcnow():
        raise invalid("starts_at", "The event must start in the future.")
    if "levels" in changes:
        changes["levels"] = sorted(set(changes["levels"]))
    before = (event.starts_at, event.store_id)  # the UPDATE below refreshes ``event``
    with committing(db.session):
        stmt = update(MemberEvent).where(MemberEvent.id == event.id).values(**changes)
        if "capacity" in changes:
            stmt = stmt.where(MemberEvent.accepted <= changes["capacity"])
        if not db.session.execute(stmt).rowcount:  # type: ignore[attr-defined]
            raise invalid(
                "capacity",
                "Fewer places than the members who have accepted (%(n)s).",
                n=event.accepted,
            )
        db.session.refresh(event)
        new = invite_eligible(event) if {"levels", "store_id"} & changes.keys() else 0
        _tell_accepted_of_change(event, before)
    return event, new


def _tell_accepted_of_change(event: MemberEvent, before: tuple) -> None:
    """Queue the change notice for each accepted member when the start or the place moved
    (the key names the new start and place: a retried edit queues nothing twice)."""
    moved = tuple(
        key
        for key, old, new in zip(
            ("starts_at", "store_id"), before, (event.starts_at, event.store_id), strict=True
        )
        if old != new
    )
    if not moved:
        return
    phrase = CHANGE_PHRASES.get(moved, "已变更")
    accepted = db.session.scalars(
        select(EventInvitation.id).where(
            EventInvitation.event_id == event.id, EventInvitation.status == ACCEPTED
        )
    )
    version = f"{event.starts_at.isoformat()}:{event.store_id}"
    for invitation_id in accepted:
        enqueue(
            EVENT_CHANGED_KIND,
            {"invitation_id": invitation_id, "phrase": phrase},
            f"event-changed:{invitation_id}:{version}",
        )


def cancel_event(event_id: int) -> MemberEvent:
    """Cancel the event and its invitations and tell the accepted members; commits. A
    started event is 409; an event already cancelled is answered as it is."""
    event = get_event(event_id)
    if event.cancelled_at is not None:
        return event
    _check_open(event)
    with committing(db.session):
        moved = db.session.execute(
            update(MemberEvent)
            .where(MemberEvent.id == event.id, MemberEvent.cancelled_at.is_(None))
            .values(cancelled_at=utcnow())
        ).rowcount  # type: ignore[attr-defined]
        if moved:  # the racing cancel that lost does nothing more
            accepted = list(
                db.session.scalars(
                    select(EventInvitation.id).where(
                        EventInvitation.event_id == event.id, EventInvitation.status == ACCEPTED
                    )
                )
            )
            db.session.execute(
                update(EventInvitation)
                .where(EventInvitation.event_id == event.id)
                .values(status=CANCELLED)
            )
            for invitation_id in accepted:
                enqueue(
                    EVENT_CANCELLED_KIND,
                    {"invitation_id": invitation_id},
                    f"event-cancelled:{invitation_id}",
                )
    return event  # expired by the commit: read afresh
