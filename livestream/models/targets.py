"""Targets per region, franchisee and store, and reward / penalty rules.

HQ sets a region's figures; they cascade to franchisees and stores by weight (basis
points of the parent, default: share of the last 90 days' GMV). Children's figures
always sum to their parent's (``livestream.services.targets`` keeps it so).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import Model, Money
from livestream.models.campaigns import CampaignChild

LEVEL_REGION, LEVEL_FRANCHISEE, LEVEL_STORE, LEVEL_GUIDE = "region", "franchisee", "store", "guide"
# the levels figures, reward rules and the training board are kept at; targets stop at stores
LEVELS = (LEVEL_REGION, LEVEL_FRANCHISEE, LEVEL_STORE, LEVEL_GUIDE)
TARGET_LEVELS = (LEVEL_REGION, LEVEL_FRANCHISEE, LEVEL_STORE)
METRICS = ("new_customers", "group_joins", "appointments", "gmv_fen")


class CampaignTarget(CampaignChild, Model):
    """One unit's targets; ``ref_id`` is the region, franchisee or store id by ``level``."""

    __tablename__ = "live_targets"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id"}
    __table_args__ = (
        UniqueConstraint("campaign_id", "level", "ref_id"),
        CheckConstraint(
            "new_customers >= 0 AND group_joins >= 0 AND appointments >= 0 AND gmv_fen >= 0",
            name="targets_nonnegative",
        ),
        CheckConstraint("weight_bps >= 0 AND weight_bps <= 10000", name="weight_range"),
    )

    level: Mapped[str] = mapped_column(String(10))
    ref_id: Mapped[int]
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    franchisee_id: Mapped[int | None] = mapped_column(ForeignKey("franchisees.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    weight_bps: Mapped[int] = mapped_column(default=10000)  # share of the parent
    weight_manual: Mapped[bool] = mapped_column(default=False)  # edited by HQ, kept on recascade
    new_customers: Mapped[int] = mapped_column(default=0)
    group_joins: Mapped[int] = mapped_column(default=0)
    appointments: Mapped[int] = mapped_column(default=0)
    gmv_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # a region can pass ¥21M
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


RULE_REWARD, RULE_PENALTY = "reward", "penalty"


class RewardRule(CampaignChild, Model):
    """A reward (achievement ≥ threshold) or penalty (achievement < threshold) per unit.

    ``metric`` is one of ``METRICS``; ``threshold_pct`` is actual / target in percent;
    ``level`` is the unit judged (store, franchisee, region or guide); ``amount_fen`` the
    money (bonus or deduction), ``note`` what else (e.g. "extra coupon budget").
    """

    __tablename__ = "live_reward_rules"
    __table_args__ = (
        CheckConstraint("threshold_pct >= 0 AND threshold_pct <= 1000", name="threshold_range"),
        CheckConstraint("amount_fen >= 0", name="amount_nonnegative"),
    )

    kind: Mapped[str] = mapped_column(String(8))
    level: Mapped[str] = mapped_column(String(10), default=LEVEL_STORE)
    metric: Mapped[str] = mapped_column(String(16), default="gmv_fen")
    threshold_pct: Mapped[int] = mapped_column(default=100)
    amount_fen: Mapped[int] = mapped_column(Money, default=0)
    note: Mapped[str] = mapped_column(String(128), default="")
