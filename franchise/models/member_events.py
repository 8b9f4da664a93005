"""Member events and their invitations (the level benefit "event invitations").

- ``MemberEvent``: an event HQ holds (name, start, a store or online, the levels invited,
  a capacity); ``accepted`` counts the places taken, changed only by a conditional
  UPDATE that never passes ``capacity`` (a CHECK holds it), so two members racing for
  the last place take it once;
- ``EventInvitation``: one member invited to one event (unique per event and customer),
  owned like the customer (franchisee, store, guide) for the staff's scope; its answer
  (invited → accepted / declined; cancelled with its event) and whether the member came;
  ``notified_at``: when an accepted member was told of the cancellation.

An event HQ cancels keeps its rows: ``cancelled_at`` set, every invitation cancelled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model
from franchise.models.customers import CUSTOMER_SCOPE

__all__ = ["INVITATION_STATUSES", "MemberEvent", "EventInvitation"]

INVITED, ACCEPTED, DECLINED, CANCELLED = "invited", "accepted", "declined", "cancelled"
INVITATION_STATUSES = (INVITED, ACCEPTED, DECLINED, CANCELLED)


class MemberEvent(Model):
    """An event members of some levels are invited to, with a capacity."""

    __tablename__ = "member_events"
    __table_args__ = (CheckConstraint("accepted >= 0 AND accepted <= capacity", name="places"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))  # None: online
    levels: Mapped[list] = mapped_column(JSON)  # level codes invited
    capacity: Mapped[int]
    accepted: Mapped[int] = mapped_column(default=0)
    invited: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    store = relationship("Store")


class EventInvitation(Model):
    """One member's invitation to one event, its answer and attendance."""

    __tablename__ = "event_invitations"
    __scope__ = CUSTOMER_SCOPE
    __table_args__ = (
        UniqueConstraint("event_id", "customer_id"),
        Index("ix_event_invitations_customer_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("member_events.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    level: Mapped[str] = mapped_column(String(16))  # the member's level when invited
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=INVITED)
    responded_at: Mapped[datetime | None]
    attended: Mapped[bool] = mapped_column(default=False)
    notified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event = relationship("MemberEvent")
    customer = relationship("Customer")
