"""WeCom customer groups (客户群) and their members, synced from WeCom and kept current by
callbacks; lifecycle stage and its history; daily figures the stage rules read.

A group's owner is a guide (by WeCom userid) and through them a store and franchisee. The
stage only changes through ``community.services.stages`` (with a history row).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model

COLD_START, SEEDING, BENCHMARK, LIFECYCLE = "cold_start", "seeding", "benchmark", "lifecycle"
STAGES = (COLD_START, SEEDING, BENCHMARK, LIFECYCLE)
PURCHASED, PROSPECT = "purchased", "prospect"
SEGMENTS = (PURCHASED, PROSPECT)
GROUP_ACTIVE, GROUP_DISMISSED = "active", "dismissed"


class WecomGroup(Model):
    """A WeCom customer group, owned by a guide's WeCom account."""

    __tablename__ = "wecom_groups"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "guide_id"}
    __table_args__ = (
        Index("ix_wecom_groups_stage_segment", "stage", "segment"),
        Index("ix_wecom_groups_store_id_status", "store_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    notice: Mapped[str] = mapped_column(Text, default="")
    owner_userid: Mapped[str] = mapped_column(String(64), index=True)
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=GROUP_ACTIVE, index=True)
    member_count: Mapped[int] = mapped_column(default=0)
    customer_count: Mapped[int] = mapped_column(default=0)  # external members
    purchased_count: Mapped[int] = mapped_column(default=0)  # members who have paid orders
    stage: Mapped[str] = mapped_column(String(12), default=COLD_START)
    stage_overridden: Mapped[bool] = mapped_column(default=False)  # HQ pinned the stage
    stage_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    segment: Mapped[str] = mapped_column(String(10), default=PROSPECT)
    split_suggested: Mapped[bool] = mapped_column(default=False)  # mixed group: 因群制宜
    is_benchmark: Mapped[bool] = mapped_column(default=False, index=True)
    member_version: Mapped[str | None] = mapped_column(String(64))
    wecom_created_at: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]
    dismissed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members = relationship("GroupMember", back_populates="group", lazy="dynamic")
    guide = relationship("Guide")
    store = relationship("Store")


class GroupMember(Model):
    """A member of a group: an enterprise member (type 1) or an external contact (type 2)."""

    __tablename__ = "wecom_group_members"
    __table_args__ = (UniqueConstraint("group_id", "userid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("wecom_groups.id", ondelete="CASCADE"), index=True
    )
    userid: Mapped[str] = mapped_column(String(64), index=True)
    member_type: Mapped[int] = mapped_column(default=2)
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    group_nickname: Mapped[str] = mapped_column(String(64), default="")
    join_time: Mapped[datetime | None]
    join_scene: Mapped[int | None]  # 1 direct invite, 2 invite link, 3 group QR
    invitor_userid: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[str | None] = mapped_column(String(32), index=True)  # fission / campaign
    left_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group = relationship("WecomGroup", back_populates="members")


class GroupStageChange(Model):
    """One stage transition: the rule and the figures that fired it, or HQ's override."""

    __tablename__ = "group_stage_changes"
    __scope__: ClassVar[dict[str, str]] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("wecom_groups.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[str | None] = mapped_column(String(12))
    to_stage: Mapped[str] = mapped_column(String(12))
    rule: Mapped[str] = mapped_column(String(64))
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class GroupDailyMetric(Model):
    """A group's figures for one Asia/Shanghai day (joins, leaves, size, sends)."""

    __tablename__ = "group_daily_metrics"
    __table_args__ = (UniqueConstraint("group_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("wecom_groups.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    member_count: Mapped[int] = mapped_column(default=0)
    joins: Mapped[int] = mapped_column(default=0)
    leaves: Mapped[int] = mapped_column(default=0)
    sends_planned: Mapped[int] = mapped_column(default=0)
    sends_done: Mapped[int] = mapped_column(default=0)


class SyncRun(Model):
    """A full sync from WeCom; keeps its cursor so a failed run resumes where it stopped."""

    __tablename__ = "wecom_sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="running")  # running|done|failed
    cursor: Mapped[str | None] = mapped_column(String(255))
    groups_seen: Mapped[int] = mapped_column(default=0)
    groups_created: Mapped[int] = mapped_column(default=0)
    members_seen: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
