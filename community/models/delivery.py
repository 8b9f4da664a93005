"""What each group gets each day, and what WeCom says happened.

``SlotAllocation`` is the exactly-once claim: one row per (plan, group, day), inserted with
ON CONFLICT DO NOTHING; ``status`` is ``allocated`` for the one post a group gets that day
(within ``WECOM_GROUP_DAILY_QUOTA``) and ``waiting`` for the others, with the reason.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import utcnow
from app.extensions import db

ALLOCATED, WAITING = "allocated", "waiting"


class SlotAllocation(db.Model):
    """A due post for a group on a day: allocated the slot, or waiting with the reason why."""

    __tablename__ = "slot_allocations"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}
    __table_args__ = (
        UniqueConstraint("plan_id", "group_id", "day"),
        Index("ix_slot_allocations_day_status", "day", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    plan_id: Mapped[int] = mapped_column(ForeignKey("push_plans.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("content_posts.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("wecom_groups.id"), index=True)
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"))
    priority: Mapped[int] = mapped_column(default=50)
    status: Mapped[str] = mapped_column(String(10), default=ALLOCATED)
    reason: Mapped[str] = mapped_column(String(255), default="")  # why it waited
    send_at: Mapped[datetime | None]  # UTC, from the plan's send time outside quiet hours
    batch_id: Mapped[int | None] = mapped_column(index=True)  # the send batch it went in
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan = relationship("PushPlan")
    group = relationship("WecomGroup")
