"""Member events: HQ creates one, the eligible members are invited, members answer, the
staff mark who came.

- ``create_event``: the event and, in the same transaction, one invitation per member of
  the levels invited (one INSERT … SELECT; a store event invites the members of that
  store's franchisee, an online one every member), each owned like its customer;
- ``answer``: a member accepts or declines their own invitation (another customer's is
  404). Accepting takes a place with one conditional UPDATE (``accepted < capacity``):
  the loser of a race for the last place gets 409 and nothing changes; declining after
  accepting gives the place back. Answering the same way twice changes nothing;
- ``set_attended``: staff (in scope) mark an accepted invitation as attended or not;
- ``invite_on_upgrade``: a member who reaches a level later is invited to the upcoming
  events of that level (called by ``members.review`` on an upgrade);
- ``invite_eligible``: the members of the event's levels not invited yet (creation, and
  an edit that adds levels or changes the place: ``member_event_changes``).
"""

from __future__ import annotations

from sqlalchemy import case, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.scope import get_scoped_or_404, not_found, scoped
from app.clock import utcnow
from app.db import commit_or_rollback, committing
from app.errors import Conflict, DomainError
from app.extensions import db
from app.i18n import tr
from franchise.models import Customer, Member, Store
from franchise.models.member_events import ACCEPTED, DECLINED, EventInvitation, MemberEvent


def invalid(field: str, message: str, **params) -> DomainError:
    """A 422 naming ``field``, its message in the viewer's language (``app.i18n.tr``)."""
    text = tr(message, **params)
    return DomainError(text, status=422, code="invalid_event", errors={field: [text]})


def create_event(data: dict) -> MemberEvent:
    """Create the event from a loaded ``MemberEventCreateSchema`` body and invite the
    eligible members; commits. 422 naming ``store_id`` for an unknown store."""
    store = None
    if data.get("store_id") is not None:
        store = db.session.get(Store, data["store_id"])
        if store is None:
            raise invalid("store_id", "No such store.")
    if data["starts_at"] <= utcnow():
        raise invalid("starts_at", "The event must start in the future.")
    with committing(db.session):
        event = MemberEvent(
            name=data["name"],
            starts_at=data["starts_at"],
            store_id=store.id if store else None,
            levels=sorted(set(data["levels"])),
            capacity=data["capacity"],
        )
        db.session.add(event)
        db.session.flush()
        invite_eligible(event)
    return event


def invite_eligible(event: MemberEvent) -> int:
    """Invite every member of the event's levels (a store event: of the store's
    franchisee) not invited yet, in one INSERT … SELECT; no commit. Recounts
    ``invited``; the new invitations."""
    before = event.invited or 0
    eligible = (
        select(
            literal(event.id),
            Member.customer_id,
            Member.level,
            Customer.franchisee_id,
            Customer.store_id,
            Customer.guide_id,
            literal(utcnow(), EventInvitation.__table__.c.created_at.type),
        )
        .join(Customer, Customer.id == Member.customer_id)
        .where(Member.level.in_(event.levels))
        .where(
            ~select(EventInvitation.id)
            .where(
                EventInvitation.event_id == event.id,
                EventInvitation.customer_id == Member.customer_id,
            )
            .exists()
        )
    )
    store = db.session.get(Store, event.store_id) if event.store_id is not None else None
    if store is not None:
        eligible = eligible.where(Customer.franchisee_id == store.franchisee_id)
    columns = ["event_id", "customer_id", "level", "franchisee_id", "store_id", "guide_id",
               "created_at"]  # fmt: skip
    db.session.execute(insert(EventInvitation).from_select(columns, eligible))
    invited = db.session.scalar(  # rowcount of INSERT … SELECT is not portable
        select(func.count()).where(EventInvitation.event_id == event.id)
    )
    event.invited = int(invited or 0)
    return event.invited - before


def invitation_stmt(args: dict | None = None):
    """The caller's invitations (scoped: HQ all, an owner or guide their customers', a
    customer their own), newest event first; filters ``event_id``, ``status``,
    ``attended``, ``customer_id``."""
    args = args or {}
    stmt = scoped(
        select(EventInvitation).join(MemberEvent, MemberEvent.id == EventInvitation.event_id),
        EventInvitation,
    )
    for key in ("event_id", "status", "attended", "customer_id"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(EventInvitation, key) == args[key])
    return stmt.order_by(MemberEvent.starts_at.desc(), EventInvitation.id)


def answer(invitation_id: int, accept: bool) -> EventInvitation:
    """The member (the caller) accepts or declines; commits. 404 for an invitation not
    theirs, 409 when the event is full, has started or is cancelled."""
    invitation = get_scoped_or_404(EventInvitation, invitation_id)
    with committing(db.session):
        event = db.session.get(MemberEvent, invitation.event_id)
        assert event is not None  # a foreign key
        if event.cancelled_at is not None:
            raise Conflict("The event has been cancelled.", code="event_cancelled")
        if event.starts_at <= utcnow():
            raise Conflict("The event has started.", code="event_started")
        if accept:
            if _move(invitation.id, EventInvitation.status != ACCEPTED, ACCEPTED):
                _take_place(event.id)
        elif _move(invitation.id, EventInvitation.status == ACCEPTED, DECLINED):
            db.session.execute(  # the place goes back
                update(MemberEvent)
                .where(MemberEvent.id == event.id, MemberEvent.accepted > 0)
                .values(accepted=MemberEvent.accepted - 1)
            )
        else:
            _move(invitation.id, EventInvitation.status != DECLINED, DECLINED)
    db.session.refresh(invitation)
    return invitation


def _move(invitation_id: int, condition, status: str) -> bool:
    """Change the invitation's answer where ``condition`` holds (a conditional UPDATE:
    the same answer twice, or racing, moves it once); whether it moved."""
    moved = db.session.execute(
        update(EventInvitation)
        .where(EventInvitation.id == invitation_id, condition)
        .values(status=status, responded_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    return bool(moved)


def _take_place(event_id: int) -> None:
    """Take one place, or 409 when none is left (the caller rolls back the answer)."""
    took = db.session.execute(
        update(MemberEvent)
        .where(MemberEvent.id == event_id, MemberEvent.accepted < MemberEvent.capacity)
        .values(accepted=MemberEvent.accepted + 1)
    ).rowcount  # type: ignore[attr-defined]
    if not took:
        raise Conflict("The event is full.", code="event_full")


def set_attended(invitation_id: int, attended: bool) -> EventInvitation:
    """Staff mark whether an accepted member came; commits. 404 out of scope, 409 for
    an invitation not accepted."""
    invitation = get_scoped_or_404(EventInvitation, invitation_id)
    if invitation.status != ACCEPTED:
        raise Conflict("Only an accepted invitation can be marked attended.", code="not_accepted")
    invitation.attended = attended
    commit_or_rollback(db.session)
    return invitation


def invite_on_upgrade(member: Member) -> int:
    """Invite the member, just upgraded, to the upcoming events their new level is
    invited to (a store event: only a member of the store's franchisee); no commit, each
    invitation in a savepoint so a racing one changes nothing else. The new invitations."""
    customer = db.session.get(Customer, member.customer_id)
    if customer is None:
        return 0
    upcoming = db.session.scalars(
        select(MemberEvent).where(
            MemberEvent.starts_at > utcnow(), MemberEvent.cancelled_at.is_(None)
        )
    )
    new = 0
    for event in upcoming:
        if member.level not in event.levels:
            continue
        if event.store is not None and event.store.franchisee_id != customer.franchisee_id:
            continue
        taken = select(EventInvitation.id).where(
            EventInvitation.event_id == event.id, EventInvitation.customer_id == customer.id
        )
        if db.session.scalar(taken) is not None:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(
                    EventInvitation(
                        event_id=event.id,
                        customer_id=customer.id,
                        level=member.level,
                        franchisee_id=customer.franchisee_id,
                        store_id=customer.store_id,
                        guide_id=customer.guide_id,
                    )
                )
        except IntegrityError:
            continue  # invited meanwhile
        db.session.execute(
            update(MemberEvent)
            .where(MemberEvent.id == event.id)
            .values(invited=MemberEvent.invited + 1)
        )
        new += 1
    return new


def get_event(event_id: int) -> MemberEvent:
    event = db.session.get(MemberEvent, event_id)
    if event is None:
        raise not_found(MemberEvent)
    return event


def events_stmt(args: dict | None = None):
    """Events, soonest last-started first; ``q`` searches the name."""
    stmt = select(MemberEvent).order_by(MemberEvent.starts_at.desc())
    if (args or {}).get("q"):
        stmt = stmt.where(MemberEvent.name.contains(args["q"]))  # type: ignore[index]
    return stmt


def attendance(event_id: int) -> dict[str, int]:
    """An event's invitations by answer, and how many came."""
    rows = db.session.execute(
        select(
            EventInvitation.status,
            func.count(),
            func.sum(case((EventInvitation.attended.is_(True), 1), else_=0)),
        )
        .where(EventInvitation.event_id == event_id)
        .group_by(EventInvitation.status)
    ).all()
    out = {status: int(n) for status, n, _ in rows}
    out["attended"] = sum(int(a or 0) for _, _, a in rows)
    return out
