"""What the guide sees of a customer's membership on their page: number, level,
points (and what expires soon), benefits, and the link to record a sale."""

from __future__ import annotations

from app.extensions import db
from franchise.api.members import benefits_of
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
    }
