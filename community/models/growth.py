"""Fission (裂变): invite codes with a WeCom ``state``, the joins they brought, reward rules
and the rewards issued (once per rule and inviter, by a unique constraint).

An invite code belongs to a guide (their join way) and optionally to a campaign or to a
customer who shares it; a join is a group member who came in with the code's ``state``
or was invited directly by a known inviter (``invitor_userid``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model

REWARD_PENDING, REWARD_ISSUED, REWARD_FAILED = "pending", "issued", "failed"


class InviteCode(Model):
    """A join way (联系我 / 群二维码) with its ``state``, per guide or campaign."""

    __tablename__ = "community_invite_codes"
    __scope__ = {"franchisee": "franchisee_id", "guide": "guide_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(30), unique=True)
    label: Mapped[str] = mapped_column(String(64), default="")
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(index=True)  # livestream, no FK upward
    group_id: Mapped[int | None] = mapped_column(ForeignKey("wecom_groups.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    join_way_config_id: Mapped[str | None] = mapped_column(String(64))
    join_way_error: Mapped[str | None] = mapped_column(Text)  # WeCom's refusal, shown
    qr_url: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    guide = relationship("Guide")
    store = relationship("Store")


class InviteJoin(Model):
    """A member who joined through a code's state or a direct inviter; counted once."""

    __tablename__ = "community_invite_joins"
    __table_args__ = (UniqueConstraint("state", "member_userid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(64))  # the code's state, or "invitor:<userid>"
    code_id: Mapped[int | None] = mapped_column(ForeignKey("community_invite_codes.id"))
    member_userid: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[int] = mapped_column(ForeignKey("wecom_groups.id", ondelete="CASCADE"))
    inviter_userid: Mapped[str | None] = mapped_column(String(64), index=True)
    inviter_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class FissionRule(Model):
    """After ``invites_required`` successful invites the inviter gets a coupon."""

    __tablename__ = "community_fission_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    invites_required: Mapped[int] = mapped_column(default=3)
    coupon_template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FissionReward(Model):
    """The reward of one rule for one inviter customer: claimed before the coupon is issued."""

    __tablename__ = "community_fission_rewards"
    __table_args__ = (UniqueConstraint("rule_id", "inviter_customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("community_fission_rules.id"))
    inviter_customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    invites: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default=REWARD_PENDING)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "REWARD_FAILED",
    "REWARD_ISSUED",
    "REWARD_PENDING",
    "FissionReward",
    "FissionRule",
    "InviteCode",
    "InviteJoin",
]
