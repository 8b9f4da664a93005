"""What each group gets each day, and what WeCom says happened (send batches, per-group
deliveries); care tasks for single customers.

``SlotAllocation`` is the exactly-once claim: one row per (plan, group, occurrence), inserted
with ON CONFLICT DO NOTHING; the planner places it on a ``day`` inside its window
(``allocated``), defers it past the horizon (``waiting``) or marks it ``missed``, each with
the reason (English text for CSV/API, plus a code and params the pages translate).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model

ALLOCATED, WAITING, MISSED = "allocated", "waiting", "missed"


class SlotAllocation(Model):
    """A due post for a group on a day: allocated the slot, or waiting with the reason why."""

    __tablename__ = "slot_allocations"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}
    __table_args__ = (
        UniqueConstraint("plan_id", "group_id", "occurrence"),
        Index("ix_slot_allocations_day_status", "day", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # the day it is placed on (or was due, unplaced)
    # the day the plan's schedule owes it (the exactly-once key with plan and group) and
    # the last day of its window (``community.services.planner``)
    occurrence: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    # No foreign-key constraints on these: the schedule is derived data the planner rewrites
    # in bulk (2 million rows at 100,000 groups), and six per-row reference checks were three
    # quarters of its insert time on PostgreSQL (docs/PLANNER.md). The planner writes only ids
    # it read in the same transaction, and none of the referenced rows is ever deleted (plans,
    # posts, groups, guides, stores and franchisees change status). Exactly-once is the
    # unique key above, unchanged.
    plan_id: Mapped[int]
    post_id: Mapped[int]
    group_id: Mapped[int] = mapped_column(index=True)
    guide_id: Mapped[int | None] = mapped_column(index=True)
    store_id: Mapped[int | None]
    franchisee_id: Mapped[int | None]
    priority: Mapped[int] = mapped_column(default=50)
    status: Mapped[str] = mapped_column(String(10), default=ALLOCATED)
    reason: Mapped[str] = mapped_column(String(255), default="")  # why it waited (English)
    # the same reason as a code and its params, translated when shown
    # (``community.services.allocation.REASONS``)
    reason_code: Mapped[str] = mapped_column(String(32), default="")
    reason_params: Mapped[dict] = mapped_column(JSON, default=dict)
    send_at: Mapped[datetime | None]  # UTC, from the plan's send time outside quiet hours
    batch_id: Mapped[int | None] = mapped_column(index=True)  # the send batch it went in
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan = relationship("PushPlan", primaryjoin="foreign(SlotAllocation.plan_id) == PushPlan.id")
    group = relationship(
        "WecomGroup", primaryjoin="foreign(SlotAllocation.group_id) == WecomGroup.id"
    )


BATCH_PENDING, BATCH_CREATED, BATCH_SENT, BATCH_FAILED = "pending", "created", "sent", "failed"
DELIVERY_PENDING, DELIVERY_SENT = "pending", "sent"
DELIVERY_NOT_FRIEND, DELIVERY_QUOTA_USED, DELIVERY_FAILED = "not_friend", "quota_used", "failed"
DELIVERY_STATUSES = (
    DELIVERY_PENDING,
    DELIVERY_SENT,
    DELIVERY_NOT_FRIEND,
    DELIVERY_QUOTA_USED,
    DELIVERY_FAILED,
)
# WeCom's send_list status → ours (0 pending, 1 sent, 2 not a friend, 3 quota used)
WECOM_SEND_STATUS = {
    0: DELIVERY_PENDING,
    1: DELIVERY_SENT,
    2: DELIVERY_NOT_FRIEND,
    3: DELIVERY_QUOTA_USED,
}
CARE_BIRTHDAY, CARE_ANNIVERSARY, CARE_MAINTENANCE = "birthday", "anniversary", "maintenance"
CARE_KINDS = (CARE_BIRTHDAY, CARE_ANNIVERSARY, CARE_MAINTENANCE)
CARE_OPEN, CARE_QUEUED, CARE_SENT, CARE_MANUAL, CARE_DONE = (
    "open",
    "queued",
    "sent",
    "manual",
    "done",
)


class SendBatch(Model):
    """One ``add_msg_template`` call: a sender's groups (≤ 2,000) for one post on one day.

    Created with its outbox row in one transaction (``dedupe_key`` unique), so the call is
    made at most once per (day, sender, post, chunk); ``msgid`` is recorded after the call.
    """

    __tablename__ = "send_batches"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}
    __table_args__ = (Index("ix_send_batches_day_guide", "day", "guide_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(191), unique=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    sender_userid: Mapped[str] = mapped_column(String(64))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("content_posts.id"))
    chunk: Mapped[int] = mapped_column(default=0)
    chat_ids: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=BATCH_PENDING)
    msgid: Mapped[str | None] = mapped_column(String(64), index=True)
    fail_list: Mapped[list] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(String(255))
    remind_count: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None]
    called_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    checked_at: Mapped[datetime | None]
    # not confirmed after the reminders: 1 on the store owner's list, 2 on HQ's
    # (``community.services.escalation``), with WeCom's own task and send results
    escalation_level: Mapped[int] = mapped_column(default=0, index=True)
    escalated_at: Mapped[datetime | None]
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post = relationship("ContentPost")
    guide = relationship("Guide")


class GroupDelivery(Model):
    """What WeCom says happened to one group of a batch."""

    __tablename__ = "group_deliveries"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}
    __table_args__ = (UniqueConstraint("batch_id", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("send_batches.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("wecom_groups.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    status: Mapped[str] = mapped_column(String(12), default=DELIVERY_PENDING)
    send_time: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CareTask(Model):
    """A care reminder for one customer (birthday, anniversary, maintenance due)."""

    __tablename__ = "care_tasks"
    __scope__ = {"franchisee": "franchisee_id", "guide": "guide_id"}
    __table_args__ = (UniqueConstraint("customer_id", "kind", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"))
    kind: Mapped[str] = mapped_column(String(16))
    due_date: Mapped[date] = mapped_column(Date, index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("content_posts.id"))
    external_userid: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(10), default=CARE_OPEN)
    msgid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer = relationship("Customer")
    post = relationship("ContentPost")
