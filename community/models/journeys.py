"""Customer journeys (1:1 sends): HQ's sequences of content posts started by a customer's
events, each step sent to the customer's WeCom external contact through the owning guide.

- ``Journey``: a trigger (first purchase, birthday, purchase anniversary, maintenance due,
  dormant, a date the customer gave, points about to expire and its wake-up variant for
  dormant members, started ``days_before`` the expiry), an optional tag the customers
  must carry, and its ``JourneyStep`` rows (a wait in days after the previous step, a
  content post, the days the step may be deferred within);
- ``CustomerDate``: a date a customer told their guide (wedding, anniversary);
- ``JourneyEnrolment``: one customer in one journey for one occurrence of the trigger
  (unique per journey, customer, occurrence: enrolment happens exactly once);
- ``JourneySend``: one step owed to one enrolment (unique per enrolment and step), its
  window (due day, deadline), the day it went, WeCom's msgid and outcome, or the reason
  it was skipped or missed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model

FIRST_PURCHASE, BIRTHDAY, ANNIVERSARY = "first_purchase", "birthday", "purchase_anniversary"
MAINTENANCE, DORMANT, CUSTOMER_DATE = "maintenance_due", "dormant", "customer_date"
# franchise's points reminder (hook ``franchise.points_expiring``): the members whose points
# expire soon; the wake-up variant takes the dormant ones (RFM label 沉睡)
POINTS_EXPIRING, POINTS_WAKEUP = "points_expiring", "points_wakeup"
POINTS_TRIGGERS = (POINTS_EXPIRING, POINTS_WAKEUP)
TAGGED = "tagged"  # the customer carries the journey's tag (a guide's tag or a rule's)
TRIGGERS = (FIRST_PURCHASE, BIRTHDAY, ANNIVERSARY, MAINTENANCE, DORMANT, CUSTOMER_DATE,
            TAGGED, *POINTS_TRIGGERS)  # fmt: skip
DATE_WEDDING, DATE_ANNIVERSARY = "wedding", "anniversary"
DATE_KINDS = (DATE_WEDDING, DATE_ANNIVERSARY)
# a send's life: waiting for its day → queued (outbox) → pending (the guide confirms) →
# sent; or skipped (no contact) / missed (the window closed, WeCom's limit, not a friend)
S_WAITING, S_QUEUED, S_PENDING, S_SENT = "waiting", "queued", "pending", "sent"
S_SKIPPED, S_MISSED = "skipped", "missed"
SEND_STATUSES = (S_WAITING, S_QUEUED, S_PENDING, S_SENT, S_SKIPPED, S_MISSED)
COUNTED = (S_QUEUED, S_PENDING, S_SENT)  # what a customer's receiving limit counts


class Journey(Model):
    """A sequence of 1:1 sends HQ defines, started by a customer event."""

    __tablename__ = "journeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(24), index=True)
    dormant_days: Mapped[int | None]  # the dormant trigger's N
    date_kind: Mapped[str | None] = mapped_column(String(16))  # the customer_date trigger's kind
    days_before: Mapped[int | None]  # the points triggers: start this many days before expiry
    tag_id: Mapped[int | None] = mapped_column(ForeignKey("customer_tags.id"))
    outcome_days: Mapped[int] = mapped_column(default=7)  # orders within N days count
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    steps = relationship(
        "JourneyStep",
        order_by="JourneyStep.position",
        cascade="all, delete-orphan",
        back_populates="journey",
    )


class JourneyStep(Model):
    """One step: ``wait_days`` after the previous step (or the event), a content post."""

    __tablename__ = "journey_steps"
    __table_args__ = (UniqueConstraint("journey_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    position: Mapped[int]
    wait_days: Mapped[int] = mapped_column(default=0)
    window_days: Mapped[int] = mapped_column(default=3)  # may be deferred this many days
    post_id: Mapped[int] = mapped_column(ForeignKey("content_posts.id"))

    journey = relationship("Journey", back_populates="steps")
    post = relationship("ContentPost")


class CustomerDate(Model):
    """A date a customer gave their guide (wedding, anniversary); one per kind."""

    __tablename__ = "customer_dates"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}
    __table_args__ = (UniqueConstraint("customer_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer = relationship("Customer")


class JourneyEnrolment(Model):
    """A customer in a journey for one occurrence of its trigger (exactly once)."""

    __tablename__ = "journey_enrolments"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}
    __table_args__ = (UniqueConstraint("journey_id", "customer_id", "occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    occurrence: Mapped[str] = mapped_column(String(40))
    started_on: Mapped[date] = mapped_column(Date)
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JourneySend(Model):
    """One step owed to one enrolled customer: its window, outcome and reason."""

    __tablename__ = "journey_sends"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}
    __table_args__ = (
        UniqueConstraint("enrolment_id", "step_id"),
        Index("ix_journey_sends_status_due_on", "status", "due_on"),
        Index("ix_journey_sends_customer_id_sent_on", "customer_id", "sent_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("journey_enrolments.id", ondelete="CASCADE")
    )
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("journey_steps.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default=S_WAITING)
    reason: Mapped[str | None] = mapped_column(String(32))  # a reason code (journey_sends)
    sent_on: Mapped[date | None] = mapped_column(Date)  # the Shanghai day it was counted on
    sender_userid: Mapped[str | None] = mapped_column(String(64))
    external_userid: Mapped[str | None] = mapped_column(String(64))
    msgid: Mapped[str | None] = mapped_column(String(64), index=True)
    confirmed_at: Mapped[datetime | None]
    remind_count: Mapped[int] = mapped_column(default=0)  # remind_groupmsg_send calls
    last_reminded_at: Mapped[datetime | None]
    # a points reminder's subscribe message refused, tried once more (points_reminders)
    notice_retried_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    step = relationship("JourneyStep")
    customer = relationship("Customer")
    guide = relationship("Guide")
