"""The content library and push plans (SOP): what to send, to which groups, when; care
rules for single customers; benchmark templates and the cohorts they were applied to.

Posts are validated against WeCom's limits on save (``community.services.content``);
plans only target and schedule, the daily allocator decides what actually goes out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Date, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model

CARE, KNOWLEDGE, BRAND_STORY, NEW_PRODUCT, COUPON = (
    "care",
    "knowledge",
    "brand_story",
    "new_product",
    "coupon",
)
PURPOSES = (CARE, KNOWLEDGE, BRAND_STORY, NEW_PRODUCT, COUPON)
SCHEDULE_WEEKLY, SCHEDULE_DATES, SCHEDULE_RELATIVE = "weekly", "dates", "relative"
SCHEDULE_KINDS = (SCHEDULE_WEEKLY, SCHEDULE_DATES, SCHEDULE_RELATIVE)


class ContentPost(Model):
    """A message in the library: text plus attachments (image, link, mini-program page)."""

    __tablename__ = "content_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(16), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    # [{"msgtype": "image"|"link"|"miniprogram", ...fields as WeCom expects...}]
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    coupon_template_id: Mapped[int | None] = mapped_column(ForeignKey("coupon_templates.id"))
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ContentMedia(Model):
    """An image uploaded to WeCom temporary media, kept so it can be uploaded again:
    WeCom forgets a ``media_id`` after 3 days, and a plan may send the post for months
    (``community.services.media.refresh_attachments`` re-uploads before a send)."""

    __tablename__ = "content_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(128))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    media_id: Mapped[str] = mapped_column(String(128), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class PushPlan(Model):
    """Which post, for which stage × segment × region/franchisee/store, on which schedule."""

    __tablename__ = "push_plans"
    if TYPE_CHECKING:
        _group_set: set[int]  # not a column: allocation's lookup, set on the loaded plan

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    post_id: Mapped[int] = mapped_column(ForeignKey("content_posts.id"), index=True)
    stages: Mapped[list] = mapped_column(JSON, default=list)  # [] = every stage
    segments: Mapped[list] = mapped_column(JSON, default=list)  # [] = both
    region_ids: Mapped[list] = mapped_column(JSON, default=list)
    franchisee_ids: Mapped[list] = mapped_column(JSON, default=list)
    store_ids: Mapped[list] = mapped_column(JSON, default=list)
    group_ids: Mapped[list] = mapped_column(JSON, default=list)  # explicit (benchmark cohorts)
    schedule_kind: Mapped[str] = mapped_column(String(10), default=SCHEDULE_WEEKLY)
    weekdays: Mapped[list] = mapped_column(JSON, default=list)  # 0 = Monday
    dates: Mapped[list] = mapped_column(JSON, default=list)  # ["YYYY-MM-DD", ...]
    relative_day: Mapped[int | None]  # day N after the group was created
    send_time: Mapped[str] = mapped_column(String(5), default="10:00")  # Asia/Shanghai HH:MM
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # e.g. "22:00"
    quiet_end: Mapped[str | None] = mapped_column(String(5))  # e.g. "08:00"
    priority: Mapped[int] = mapped_column(default=50)  # higher wins the day's slot
    # the window of each occurrence in days from its scheduled day (None: the kind's rule,
    # ``community.services.planner.window``)
    window_from: Mapped[int | None]
    window_to: Mapped[int | None]
    active_from: Mapped[date | None] = mapped_column(Date)
    active_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)
    campaign_id: Mapped[int | None] = mapped_column(index=True)  # livestream warm-up, no FK up
    template_id: Mapped[int | None] = mapped_column(index=True)  # from a benchmark template
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post = relationship("ContentPost")


class CareRule(Model):
    """A care trigger (birthday, purchase anniversary, maintenance due) and the post it sends."""

    __tablename__ = "care_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), unique=True)  # birthday|anniversary|maintenance
    post_id: Mapped[int | None] = mapped_column(ForeignKey("content_posts.id"))
    days_before: Mapped[int] = mapped_column(default=0)  # remind N days ahead
    is_active: Mapped[bool] = mapped_column(default=True)

    post = relationship("ContentPost")


class BenchmarkTemplate(Model):
    """The plans that reached a benchmark group, frozen as a template to replicate."""

    __tablename__ = "benchmark_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    source_group_id: Mapped[int] = mapped_column(ForeignKey("wecom_groups.id"), index=True)
    # [{"post_id", "name", "schedule_kind", "weekdays", "dates", "relative_day",
    #   "send_time", "quiet_start", "quiet_end", "priority"}]
    plans: Mapped[list] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BenchmarkCohort(Model):
    """A template applied to chosen groups (the plans it created carry ``template_id``)."""

    __tablename__ = "benchmark_cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("benchmark_templates.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    group_ids: Mapped[list] = mapped_column(JSON, default=list)
    plan_ids: Mapped[list] = mapped_column(JSON, default=list)
    started_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    template = relationship("BenchmarkTemplate")
