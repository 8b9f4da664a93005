"""Campaigns, their participating stores, sessions, line-up and timeline.

A campaign is HQ-centralised (``hq``: one session all stores pull traffic to) or
store-level (``store``: one session per participating store). ``status`` is the lifecycle
HQ moves it through (draft → scheduled → live → ended → reviewed, or cancelled); the
*phase* (targets, training, warm-up, gate, live, review) is derived from the timeline.
Participation is stored resolved: one ``CampaignStore`` row per store, copied with its
franchisee and region, so tenant scope and roll-ups need no joins.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model, Money

MODE_HQ, MODE_STORE = "hq", "store"
MODES = (MODE_HQ, MODE_STORE)
DRAFT, SCHEDULED, LIVE, ENDED, REVIEWED, CANCELLED = (
    "draft",
    "scheduled",
    "live",
    "ended",
    "reviewed",
    "cancelled",
)
CAMPAIGN_STATUSES = (DRAFT, SCHEDULED, LIVE, ENDED, REVIEWED, CANCELLED)
# open to no one but HQ: no share codes, visits, live prices or lives
NOT_OPEN = (DRAFT, CANCELLED)
# over: nothing left to prepare, check or gate
OVER = (ENDED, REVIEWED, CANCELLED)


class CampaignChild:
    """The first two columns of a table of a campaign's rows: the row's ``id`` and the
    indexed ``campaign_id``, whose rows go with the campaign (``ON DELETE CASCADE``).
    ``sort_order`` keeps them first in the table, where they stood when each table wrote
    them itself (a mixin's columns would otherwise come last)."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-2)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("live_campaigns.id", ondelete="CASCADE"), index=True, sort_order=-1
    )


class Campaign(Model):
    """A livestream campaign planned by HQ."""

    __tablename__ = "live_campaigns"
    __scope__: dict[str, str] = {}  # owners and guides reach campaigns through CampaignStore
    __table_args__ = (
        CheckConstraint("gate_threshold_pct >= 0 AND gate_threshold_pct <= 100", name="gate_pct"),
        Index("ix_live_campaigns_status_live_at", "status", "live_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    description: Mapped[str] = mapped_column(Text, default="")
    live_at: Mapped[datetime]  # UTC start of the live (the HQ session, or the stores' default)
    duration_minutes: Mapped[int] = mapped_column(default=120)
    # the selection as HQ made it; CampaignStore holds it resolved to stores
    region_ids: Mapped[list] = mapped_column(JSON, default=list)
    franchisee_ids: Mapped[list] = mapped_column(JSON, default=list)
    store_ids: Mapped[list] = mapped_column(JSON, default=list)
    # readiness gate: share of a store's active guides who must finish training, and
    # whether every link check must pass
    gate_threshold_pct: Mapped[int] = mapped_column(default=90)
    gate_requires_link_check: Mapped[bool] = mapped_column(default=True)
    # warm-up pushes through community push plans (content post chosen by HQ)
    warmup_post_id: Mapped[int | None] = mapped_column(ForeignKey("content_posts.id"))
    warmup_plan_id: Mapped[int | None] = mapped_column(ForeignKey("push_plans.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    stores: Mapped[list[CampaignStore]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignStore.id"
    )
    sessions: Mapped[list[LiveSession]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="LiveSession.id"
    )
    lineup: Mapped[list[LineupItem]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="LineupItem.sort"
    )
    steps: Mapped[list[TimelineStep]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="TimelineStep.due_on"
    )

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.mode}>"


class CampaignStore(CampaignChild, Model):
    """A participating store, with its franchisee and region copied for scope and roll-ups."""

    __tablename__ = "live_campaign_stores"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id"}
    __table_args__ = (UniqueConstraint("campaign_id", "store_id"),)

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)

    campaign: Mapped[Campaign] = relationship(back_populates="stores")
    store = relationship("Store")


SESSION_SCHEDULED, SESSION_LIVING, SESSION_ENDED = "scheduled", "living", "ended"


class LiveSession(CampaignChild, Model):
    """One live: the HQ session (``store_id`` null) or one store's session.

    ``living_id`` is WeCom's livingid once ``living/create`` ran (store mode, through the
    outbox); viewer figures are read back with ``get_watch_stat``.
    """

    __tablename__ = "live_sessions"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id"}
    __table_args__ = (UniqueConstraint("campaign_id", "store_id"),)

    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    title: Mapped[str] = mapped_column(String(60))
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=120)
    anchor_userid: Mapped[str] = mapped_column(String(64), default="")
    living_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=SESSION_SCHEDULED)
    viewer_count: Mapped[int] = mapped_column(default=0)  # distinct viewers read back
    external_viewer_count: Mapped[int] = mapped_column(default=0)  # of whom WeChat customers
    stat_read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="sessions")
    store = relationship("Store")


class LineupItem(CampaignChild, Model):
    """A product in the live: live-exclusive price, stock cap and optional coupon."""

    __tablename__ = "live_lineup_items"
    __table_args__ = (
        UniqueConstraint("campaign_id", "product_id"),
        CheckConstraint("live_price_fen > 0", name="live_price_positive"),
        CheckConstraint("stock_cap >= 0", name="stock_cap_nonnegative"),
        CheckConstraint("sold >= 0", name="sold_nonnegative"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    live_price_fen: Mapped[int] = mapped_column(Money)
    stock_cap: Mapped[int] = mapped_column(default=0)  # 0 = no cap beyond the stock
    # units held by the campaign's orders that kept their stock (taken when an order is
    # placed, given back when it is cancelled or closed): the cap is checked against it
    sold: Mapped[int] = mapped_column(default=0, server_default="0")
    coupon_template_id: Mapped[int | None] = mapped_column(ForeignKey("coupon_templates.id"))
    sort: Mapped[int] = mapped_column(default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="lineup")
    product = relationship("Product")
    coupon_template = relationship("CouponTemplate")


STEP_TARGETS, STEP_TRAINING, STEP_WARMUP = "targets", "training", "warmup"
STEP_GATE, STEP_LIVE, STEP_REVIEW, STEP_CUSTOM = "gate", "live", "review", "custom"
STEP_KINDS = (
    STEP_TARGETS,
    STEP_TRAINING,
    STEP_WARMUP,
    STEP_GATE,
    STEP_LIVE,
    STEP_REVIEW,
    STEP_CUSTOM,
)


class TimelineStep(CampaignChild, Model):
    """A dated step of the run-up (Asia/Shanghai days): due, late or done."""

    __tablename__ = "live_timeline_steps"

    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None]
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(255), default="")

    campaign: Mapped[Campaign] = relationship(back_populates="steps")
