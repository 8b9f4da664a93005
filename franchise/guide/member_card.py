"""What the guide sees of a customer's membership on their page: number, level,
points (and what expires soon), benefits, the event invitations with their answers,
and the link to record a sale."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from franchise.api.members import benefits_of
from franchise.models import EventInvitation, MemberEvent
from franchise.services import members, points
from franchise.services.points_expiry import expiring


def member_card(customer_id: int) -> dict:
    """The member's card (made now when the customer had none; commits)."""
    member = members.ensure(customer_id)
    db.session.commit()
    points.catch_up(customer_id)
    return {
        "number": member.number,
        "level": members.level_label(member.level),
        "points": member.points,
        "expiring": expiring(member, limit=1),
        "benefits": benefits_of(member.level, customer_id),
        "customer_id": customer_id,
        "invitations": invitations_of(customer_id),
    }


def invitations_of(customer_id: int, limit: int = 10) -> list[EventInvitation]:
    """The customer's latest event invitations (the caller checked the customer's scope)."""
    return list(
        db.session.scalars(
            select(EventInvitation)
            .join(MemberEvent, MemberEvent.id == EventInvitation.event_id)
            .where(EventInvitation.customer_id == customer_id)
            .order_by(MemberEvent.starts_at.desc())
            .limit(limit)
        )
    )
